"""Near-duplicates (rag.indexing.dedup) in the manifest: each article's MinHash signature (NULL when too short to
compare), its LSH band buckets, and the pairs found; written in the transactions of the article's own update."""
from __future__ import annotations

from rag.store.part import Part


class Duplicates(Part):
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS signatures (source TEXT PRIMARY KEY, sig BLOB);
    CREATE TABLE IF NOT EXISTS duplicates (a TEXT NOT NULL, b TEXT NOT NULL, score REAL, PRIMARY KEY (a, b));
    CREATE INDEX IF NOT EXISTS duplicates_b ON duplicates(b);
    CREATE TABLE IF NOT EXISTS lsh (bucket INTEGER NOT NULL, source TEXT NOT NULL, PRIMARY KEY (bucket, source))
        WITHOUT ROWID;
    """

    def set_signature(self, source: str, sig: bytes | None, keep: bool = True) -> None:
        with self._write():
            self.db.execute("DELETE FROM duplicates WHERE a=? OR b=?", (source, source))
            self.db.execute("DELETE FROM signatures WHERE source=?", (source,))
            if keep:
                self.db.execute("INSERT INTO signatures VALUES (?, ?)", (source, sig))

    def signatures(self, sources: list[str] | None = None) -> dict[str, bytes]:
        if sources is None:
            return dict(self.db.execute("SELECT source, sig FROM signatures WHERE sig IS NOT NULL"))
        marks = ",".join("?" * len(sources))
        return dict(self.db.execute(f"SELECT source, sig FROM signatures WHERE sig IS NOT NULL AND source IN ({marks})",
                                    sources))

    def unsigned(self) -> list[str]:
        """Indexed files never compared for duplicates (indexed before rag.indexing.dedup)."""
        return [r[0] for r in self.db.execute("SELECT f.source FROM files f LEFT JOIN signatures s ON s.source = f.source "
                                              "WHERE s.source IS NULL ORDER BY f.source")]

    def add(self, a: str, b: str, score: float) -> None:
        a, b = sorted((a, b))
        with self._write():
            self.db.execute("INSERT OR REPLACE INTO duplicates VALUES (?, ?, ?)", (a, b, round(score, 4)))

    def lsh_add(self, source: str, buckets: list[int]) -> None:
        with self._write():
            self.db.executemany("INSERT OR IGNORE INTO lsh VALUES (?, ?)", [(b, source) for b in buckets])

    def lsh_remove(self, source: str, buckets: list[int]) -> None:
        with self._write():
            self.db.executemany("DELETE FROM lsh WHERE bucket=? AND source=?", [(b, source) for b in buckets])

    def lsh_clear(self) -> None:
        with self._write():
            self.db.execute("DELETE FROM lsh")

    def lsh_members(self, buckets: list[int]) -> set[str]:
        """Articles sharing at least one bucket with these."""
        return {r[0] for r in self.db.execute(
            f"SELECT DISTINCT source FROM lsh WHERE bucket IN ({','.join('?' * len(buckets))})", buckets)}

    def remove_pair(self, a: str, b: str) -> None:
        a, b = sorted((a, b))
        with self._write():
            self.db.execute("DELETE FROM duplicates WHERE a=? AND b=?", (a, b))

    def pairs(self) -> list[tuple[str, str, float]]:
        return list(self.db.execute("SELECT a, b, score FROM duplicates ORDER BY a, b"))

    def groups(self, sources: list[str]) -> dict[str, set[str]]:
        """source -> the other articles of its near-duplicate group (pairs followed transitively), for these files."""
        out: dict[str, set[str]] = {}
        for source in dict.fromkeys(sources):
            if source in out:
                continue
            seen, todo = {source}, [source]
            while todo:
                cur = todo.pop()
                for a, b in self.db.execute("SELECT a, b FROM duplicates WHERE a=? OR b=?", (cur, cur)):
                    other = b if a == cur else a
                    if other not in seen:
                        seen.add(other)
                        todo.append(other)
            if len(seen) > 1:
                for member in seen:
                    out[member] = seen - {member}
        return {s: out[s] for s in sources if s in out}
