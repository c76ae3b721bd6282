"""The manifest's files and chunks: file -> content hash -> chunk ids and text (with its normalised search keys), and
each file's size and mtime when it was read, so that a no-op `rag index` reads only files whose stat changed."""
from __future__ import annotations

from rag.arabic import tokens
from rag.faults import checkpoint
from rag.store.part import Part
from rag.store.sentences import pack


class Files(Part):
    # file_stats: size and mtime of each file when it was read, so a no-op run reads only files whose stat changed
    # (24,000 files: reading and hashing them all took seconds). A missing row just means "read it".
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, n_chunks INTEGER NOT NULL,
                                      title TEXT, date TEXT);
    CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, source TEXT NOT NULL, position INTEGER NOT NULL,
                                       text TEXT NOT NULL, keys TEXT);
    CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
    CREATE TABLE IF NOT EXISTS file_stats (source TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL);
    """

    def upgrade(self, db) -> None:
        if "keys" not in {row[1] for row in db.execute("PRAGMA table_info(chunks)")}:
            db.execute("ALTER TABLE chunks ADD COLUMN keys TEXT")  # manifests written before keys were stored

    def hashes(self) -> dict[str, str]:
        """source -> sha256 of every indexed file."""
        return dict(self.db.execute("SELECT source, sha256 FROM files"))

    def stats(self) -> dict[str, tuple[int, int]]:
        """source -> (size, mtime_ns) as recorded when the indexed content was read."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT s.source, s.size, s.mtime_ns FROM file_stats s JOIN files f ON f.source = s.source")}

    def set_stats(self, stats: dict[str, tuple[int, int]]) -> None:
        """Record files read and found unchanged (same hash, new mtime), so the next run skips them."""
        if stats:
            with self._write():
                self.db.executemany("INSERT OR REPLACE INTO file_stats VALUES (?, ?, ?)",
                                    [(s, size, mtime) for s, (size, mtime) in stats.items()])

    def rows(self) -> list[tuple[str, str, int, str, str]]:
        return list(self.db.execute("SELECT source, sha256, n_chunks, title, date FROM files ORDER BY source"))

    def chunk_ids(self, source: str | None = None) -> list[str]:
        if source is None:
            return [r[0] for r in self.db.execute("SELECT id FROM chunks")]
        return [r[0] for r in self.db.execute("SELECT id FROM chunks WHERE source=? ORDER BY position", (source,))]

    def chunks(self) -> list[tuple[str, str, str]]:
        """(id, source, text) of every chunk, in a stable order."""
        return list(self.db.execute("SELECT id, source, text FROM chunks ORDER BY source, position"))

    def texts(self, ids: list[str]) -> dict[str, str]:
        marks = ",".join("?" * len(ids))
        return dict(self.db.execute(f"SELECT id, text FROM chunks WHERE id IN ({marks})", ids)) if ids else {}

    def heads(self, sources: list[str]) -> list[tuple[str, str]]:
        """(title, text of the first chunk) per source, in order; ("", "") for a file not indexed."""
        marks = ",".join("?" * len(sources))
        found = {r[0]: (r[1] or "", r[2] or "") for r in self.db.execute(
            f"SELECT f.source, f.title, c.text FROM files f LEFT JOIN chunks c ON c.source = f.source AND c.position = 0 "
            f"WHERE f.source IN ({marks})", sources)} if sources else {}
        return [found.get(s, ("", "")) for s in sources]

    def count_chunks(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]

    def replace_file(self, source: str, sha256: str, title: str, date: str, chunks: list[tuple[str, int, str]]) -> None:
        self.replace_files([(source, sha256, title, date, chunks)])

    def replace_files(self, files: list[tuple[str, str, str, str, list[tuple]]],
                      stats: dict[str, tuple[int, int]] | None = None) -> None:
        """(source, sha256, title, date, [(chunk id, position, text[, sentence vectors])]) per file, all in one
        transaction; the keyword index follows the chunk rows through the triggers, in the same transaction; `stats`
        are the files' (size, mtime_ns) from before they were read."""
        stats = stats or {}
        with self._write():
            for source, sha256, title, date, chunks in files:
                self.db.execute("DELETE FROM file_stats WHERE source=?", (source,))
                if source in stats:
                    self.db.execute("INSERT INTO file_stats VALUES (?, ?, ?)", (source, *stats[source]))
                self.db.execute("DELETE FROM chunks WHERE source=?", (source,))
                self.db.executemany("INSERT INTO chunks (id, source, position, text, keys) VALUES (?, ?, ?, ?, ?)",
                                    [(cid, source, pos, text, " ".join(tokens(text))) for cid, pos, text, *_ in chunks])
                self.db.executemany("INSERT OR REPLACE INTO sentence_vectors VALUES (?, ?)",
                                    [(c[0], pack(c[3])) for c in chunks if len(c) > 3 and c[3] is not None])
                # named columns: the news columns (Articles.set) come after these in manifests of any age
                self.db.execute("INSERT OR REPLACE INTO files (source, sha256, n_chunks, title, date) "
                                "VALUES (?, ?, ?, ?, ?)", (source, sha256, len(chunks), title, date))
            self._manifest.bump()
            checkpoint("manifest.before_commit")

    def remove_file(self, source: str) -> None:
        with self._write():
            self.db.execute("DELETE FROM file_stats WHERE source=?", (source,))
            self.db.execute("DELETE FROM chunks WHERE source=?", (source,))
            self.db.execute("DELETE FROM files WHERE source=?", (source,))
            self._manifest.bump()
            checkpoint("manifest.before_commit")
