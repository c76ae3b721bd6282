"""Article metadata (rag.meta) in the manifest's files rows: date, its text, precision and origin, outlet, agency and
byline; date_lo/date_hi are the yyyymmdd range the article can be from (0 when its year is unknown), as in the chunks'
Chroma metadata, so article filters run on the manifest as they do inside Chroma."""
from __future__ import annotations

from rag.store.part import Part

COLUMNS = {"date_text": "TEXT", "date_precision": "TEXT", "date_from": "TEXT", "outlet": "TEXT",
           "outlet_key": "TEXT", "outlet_from": "TEXT", "agency": "TEXT", "date_lo": "INTEGER",
           "date_hi": "INTEGER", "author": "TEXT", "byline": "TEXT", "date_line": "TEXT", "meta_version": "TEXT"}


class Articles(Part):
    COLUMNS = COLUMNS

    def upgrade(self, db) -> None:
        have = {row[1] for row in db.execute("PRAGMA table_info(files)")}
        for name, kind in COLUMNS.items():
            if name not in have:  # the indexer fills them on its next run (meta_version is NULL)
                db.execute(f"ALTER TABLE files ADD COLUMN {name} {kind}")

    def titles(self, sources: list[str]) -> dict[str, tuple[str, str]]:
        """source -> (title, date) for just these files (a primary-key lookup, not a scan of every file)."""
        sources = list(dict.fromkeys(sources))
        if not sources:
            return {}
        marks = ",".join("?" * len(sources))
        rows = self.db.execute(f"SELECT source, title, date FROM files WHERE source IN ({marks})", sources)
        return {r[0]: (r[1] or "", r[2] or "") for r in rows}

    def meta(self, sources: list[str]) -> dict[str, dict]:
        """source -> {title, date, date_text, date_precision, outlet, ...} for just these files."""
        sources = list(dict.fromkeys(sources))
        if not sources:
            return {}
        cols = ("source", "title", "date", *COLUMNS)
        marks = ",".join("?" * len(sources))
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM files WHERE source IN ({marks})", sources)
        return {r[0]: {c: ("" if v is None else v) for c, v in zip(cols, r)} for r in rows}

    def all(self) -> list[dict]:
        """Every indexed article with its metadata and chunk count, by source."""
        cols = ("source", "title", "date", "n_chunks", *COLUMNS)
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM files ORDER BY source")
        return [{c: ("" if v is None else v) for c, v in zip(cols, r)} for r in rows]

    def set(self, source: str, values: dict, version: str) -> None:
        """Write one file's article metadata (after replace_file, or when extraction improved: no re-embedding)."""
        cols = [c for c in COLUMNS if c != "meta_version" and c in values]
        with self._write():
            self.db.execute(f"UPDATE files SET {', '.join(f'{c}=?' for c in cols)}, title=?, date=?, meta_version=? "
                            "WHERE source=?", [values[c] for c in cols] + [values["title"], values["date"], version,
                                                                            source])

    def stale(self, version: str) -> set[str]:
        """Files whose metadata was extracted by an older version of rag.meta (or never)."""
        rows = self.db.execute("SELECT source FROM files WHERE meta_version IS NULL OR meta_version != ?", (version,))
        return {r[0] for r in rows}

    def sources_where(self, since: int = 0, until: int = 0, outlet_keys: list[str] | None = None) -> list[str]:
        """Files an article filter lets through (the same rule as filters.chroma_where, on the manifest)."""
        clauses, params = [], []
        if since or until:
            clauses.append("date_lo > 0")
        if since:
            clauses.append("date_hi >= ?")
            params.append(since)
        if until:
            clauses.append("date_lo <= ?")
            params.append(until)
        if outlet_keys is not None:
            clauses.append(f"outlet_key IN ({','.join('?' * len(outlet_keys))})")
            params += list(outlet_keys)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        return [r[0] for r in self.db.execute(f"SELECT source FROM files {where} ORDER BY source", params)]

    def outlets(self) -> dict[str, str]:
        """outlet_key -> outlet name of every indexed outlet."""
        rows = self.db.execute("SELECT DISTINCT outlet_key, outlet FROM files WHERE outlet_key IS NOT NULL "
                               "AND outlet_key != ''")
        return dict(rows)
