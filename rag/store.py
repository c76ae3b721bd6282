"""Where the index lives: the Chroma collection (embedded or server) and the SQLite manifest with its FTS5 keyword index."""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import sqlite3
import time
import uuid
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from .arabic import tokens
from .config import Settings
from .errors import EmbedderMismatchError, IndexLockedError, IndexMissingError, StoreUnavailableError
from .faults import checkpoint

log = logging.getLogger(__name__)
SERVER_TIMEOUT = 20.0  # seconds before a Chroma server call is given up
OLD_BM25 = ("bm25", "bm25.tmp", "bm25.old", "bm25.lock")  # the bm25s keyword index before FTS5, removed on upgrade


class Manifest:
    """file -> content hash -> chunk ids, chunk text and its normalised search keys, and the FTS5 keyword index over
    those keys, all in one SQLite file: a file's update (rows and keyword index) is one transaction."""

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS files (source TEXT PRIMARY KEY, sha256 TEXT NOT NULL, n_chunks INTEGER NOT NULL,
                                      title TEXT, date TEXT);
    CREATE TABLE IF NOT EXISTS chunks (id TEXT PRIMARY KEY, source TEXT NOT NULL, position INTEGER NOT NULL,
                                       text TEXT NOT NULL, keys TEXT);
    CREATE INDEX IF NOT EXISTS chunks_source ON chunks(source);
    CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS file_stats (source TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL);
    CREATE TABLE IF NOT EXISTS signatures (source TEXT PRIMARY KEY, sig BLOB);
    CREATE TABLE IF NOT EXISTS duplicates (a TEXT NOT NULL, b TEXT NOT NULL, score REAL, PRIMARY KEY (a, b));
    CREATE INDEX IF NOT EXISTS duplicates_b ON duplicates(b);
    CREATE TABLE IF NOT EXISTS lsh (bucket INTEGER NOT NULL, source TEXT NOT NULL, PRIMARY KEY (bucket, source))
        WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS sentence_vectors (id TEXT PRIMARY KEY, vectors BLOB NOT NULL);
    CREATE TRIGGER IF NOT EXISTS chunk_sentences_delete AFTER DELETE ON chunks BEGIN
        DELETE FROM sentence_vectors WHERE id = old.id; END;
    """
    # sentence_vectors: the e5 vectors of a chunk's sentences (rag.chunk.split_sentences of its text, in order), one
    # float16 matrix per chunk, written with the chunk row and deleted with it (trigger): the reranker's best-sentence
    # cosine and the answer selector read them instead of embedding sentences per question. No row = not computed
    # (an index written before them, or sentence_vectors off): `rag index` fills them in.
    # file_stats: size and mtime of each file when it was read, so a no-op run reads only files whose stat changed
    # (24,000 files: reading and hashing them all took seconds). A missing row just means "read it".
    # The keyword index: FTS5 over chunks.keys (external content, no second copy of the keys). The keys are already
    # normalised by rag.arabic.tokens and joined by spaces; this tokenizer splits them on the spaces only (letters,
    # digits and marks are token characters, nothing is folded away), so an FTS5 term is exactly one of our keys.
    # Triggers keep it in step with the chunks rows inside the same transaction, whoever writes them.
    FTS = (
        """CREATE VIRTUAL TABLE chunk_fts USING fts5(keys, content='chunks',
               tokenize="unicode61 remove_diacritics 0 categories 'L* N* Co M*'")""",
        """CREATE TRIGGER chunk_fts_insert AFTER INSERT ON chunks BEGIN
               INSERT INTO chunk_fts(rowid, keys) VALUES (new.rowid, new.keys); END""",
        """CREATE TRIGGER chunk_fts_delete AFTER DELETE ON chunks BEGIN
               INSERT INTO chunk_fts(chunk_fts, rowid, keys) VALUES ('delete', old.rowid, old.keys); END""",
        """CREATE TRIGGER chunk_fts_update AFTER UPDATE ON chunks BEGIN
               INSERT INTO chunk_fts(chunk_fts, rowid, keys) VALUES ('delete', old.rowid, old.keys);
               INSERT INTO chunk_fts(rowid, keys) VALUES (new.rowid, new.keys); END""",
    )
    # Article metadata (rag/meta.py), added to manifests written before it by _open; date_lo/date_hi are the
    # yyyymmdd range the article can be from (0 when its year is unknown), as in the chunks' Chroma metadata.
    NEWS_COLUMNS = {"date_text": "TEXT", "date_precision": "TEXT", "date_from": "TEXT", "outlet": "TEXT",
                    "outlet_key": "TEXT", "outlet_from": "TEXT", "agency": "TEXT", "date_lo": "INTEGER",
                    "date_hi": "INTEGER", "author": "TEXT", "byline": "TEXT", "date_line": "TEXT", "meta_version": "TEXT"}

    def __init__(self, path: Path) -> None:
        self.path = path
        self.mark = path.with_name(path.name + ".checked")  # the file as it was when last known clean (_fingerprint)
        self.checks = 0  # integrity checks this object ran (0 when every open found the file as last known clean)
        self.repaired = False
        self.upgraded = False  # the FTS5 keyword index was added to an older manifest when it was opened
        self._db: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self.generation = 0  # +1 each time the file was found replaced and reopened
        self._batched = 0  # > 0 inside batch(): the write methods join its transaction instead of committing each

    @contextlib.contextmanager
    def batch(self):
        """The writes inside go in one transaction, committed at the end (rolled back on an exception): a full build
        commits each batch's rows, metadata and signatures once, not once per file (each commit is a journal write
        and fsyncs: 24,000 files took minutes of commits alone)."""
        if self._batched:
            self._batched += 1
            try:
                yield
            finally:
                self._batched -= 1
            return
        db = self.db
        self._batched = 1
        try:
            with db:
                yield
        finally:
            self._batched = 0

    def _write(self):
        """One write method's transaction: its own, or the enclosing batch()'s."""
        return contextlib.nullcontext() if self._batched else self.db

    @property
    def db(self) -> sqlite3.Connection:
        self.refresh()
        if self._db is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = self._open()
                self._identity = _identity(self.path)
            except sqlite3.DatabaseError as exc:
                # A corrupt manifest is set aside, never deleted: the indexer rebuilds it from the vector store.
                aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
                log.warning("manifest %s is corrupt (%s); moved to %s and rebuilt", self.path, exc, aside.name)
                self.path.replace(aside)
                self.repaired = True
                self._db = self._open()
                self._identity = _identity(self.path)
        return self._db

    def refresh(self) -> bool:
        """Reopen when another process replaced or deleted the file (`rag index --rebuild`, a repaired manifest), so
        a long-running server does not keep reading the old one; True if it did."""
        if self._db is None or _identity(self.path) == self._identity:
            return False
        log.info("manifest %s was replaced by another process: reopening it", self.path)
        self.close()
        self.generation += 1
        return True

    def _open(self) -> sqlite3.Connection:
        new = not self.path.exists()
        db = sqlite3.connect(self.path, timeout=30, check_same_thread=False)
        try:
            checked = new or self._check(db)
            db.executescript(self.SCHEMA)
            if "keys" not in {row[1] for row in db.execute("PRAGMA table_info(chunks)")}:
                db.execute("ALTER TABLE chunks ADD COLUMN keys TEXT")  # manifests written before keys were stored
            have = {row[1] for row in db.execute("PRAGMA table_info(files)")}
            for name, kind in self.NEWS_COLUMNS.items():
                if name not in have:  # the indexer fills them on its next run (meta_version is NULL)
                    db.execute(f"ALTER TABLE files ADD COLUMN {name} {kind}")
            db.commit()
            db.execute("PRAGMA recursive_triggers = ON")  # so INSERT OR REPLACE on chunks also fires the delete trigger
            if not _has_fts(db):
                self._add_fts(db)
            if checked:
                self._mark_clean(db)
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    # The integrity check. `PRAGMA quick_check` reads the whole file: 0.6-4 s at 100,000 chunks (266 MB), on every
    # open of every reader and every `rag index` before this. SQLite's own commits cannot corrupt the file (journal,
    # fsync), so the check is only worth its cost when the file may have been changed by something else: a disk or
    # copy gone wrong, a tool, random bytes (tests/reliability/test_crash.py). So it runs only when the file is not
    # as it was when last known clean: the ".checked" mark next to it holds that state (device, inode, size, mtime
    # and SQLite's header change counter); a passed check writes it, and so does the writer (`rag index`, under its
    # lock) at the end of each run (mark_clean), since the only changes since its own check were its own commits.
    def _check(self, db: sqlite3.Connection) -> bool:
        """Run quick_check unless the file is as last known clean; raises DatabaseError when it fails."""
        try:
            if self.mark.read_text() == _fingerprint(self.path):
                return False
        except OSError:
            pass
        self.checks += 1
        if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("quick_check failed")
        return True

    def mark_clean(self) -> None:
        """Record the file as known clean (the indexer, at the end of its run: everything since its open, where the
        file was checked or found as last known clean, was its own transactions)."""
        self._mark_clean(self.db)

    def _mark_clean(self, db: sqlite3.Connection) -> None:
        if db.in_transaction:
            db.commit()
        db.execute("BEGIN")  # a read transaction: no other process can commit while the file's state is taken
        try:
            db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
            state = _fingerprint(self.path)
        finally:
            db.execute("COMMIT")
        tmp = self.mark.with_name(f"{self.mark.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(state)
            os.replace(tmp, self.mark)
        except OSError as exc:  # a read-only index folder: it is checked on every open, as before
            log.info("could not record the manifest's clean state (%s)", exc)

    def _add_fts(self, db: sqlite3.Connection) -> None:
        """Upgrade a manifest written before the FTS5 index (or a new one): keys filled in, index built, one transaction."""
        db.execute("BEGIN IMMEDIATE")
        try:
            if not _has_fts(db):  # another process may have upgraded it while we waited for the write lock
                rows = db.execute("SELECT rowid, text FROM chunks WHERE keys IS NULL").fetchall()
                db.executemany("UPDATE chunks SET keys=? WHERE rowid=?", [(" ".join(tokens(t)), r) for r, t in rows])
                for statement in self.FTS:
                    db.execute(statement)
                db.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('rebuild')")
                checkpoint("manifest.fts_upgrade")
                self.upgraded = True
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def check_fts(self) -> bool:
        """Rebuild the keyword index from the chunk rows when it does not hold one entry per chunk; True if it did."""
        db = self.db
        if db.execute("SELECT COUNT(*) FROM chunk_fts_docsize").fetchone()[0] == self.count_chunks():
            return False
        with db:
            db.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('rebuild')")
        return True

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def files(self) -> dict[str, str]:
        return dict(self.db.execute("SELECT source, sha256 FROM files"))

    def file_stats(self) -> dict[str, tuple[int, int]]:
        """source -> (size, mtime_ns) as recorded when the indexed content was read."""
        return {r[0]: (r[1], r[2]) for r in self.db.execute(
            "SELECT s.source, s.size, s.mtime_ns FROM file_stats s JOIN files f ON f.source = s.source")}

    def set_stats(self, stats: dict[str, tuple[int, int]]) -> None:
        """Record files read and found unchanged (same hash, new mtime), so the next run skips them."""
        if stats:
            with self._write():
                self.db.executemany("INSERT OR REPLACE INTO file_stats VALUES (?, ?, ?)",
                                    [(s, size, mtime) for s, (size, mtime) in stats.items()])

    def file_rows(self) -> list[tuple[str, str, int, str, str]]:
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

    def titles(self, sources: list[str]) -> dict[str, tuple[str, str]]:
        """source -> (title, date) for just these files (a primary-key lookup, not a scan of every file)."""
        sources = list(dict.fromkeys(sources))
        if not sources:
            return {}
        marks = ",".join("?" * len(sources))
        rows = self.db.execute(f"SELECT source, title, date FROM files WHERE source IN ({marks})", sources)
        return {r[0]: (r[1] or "", r[2] or "") for r in rows}

    def article_meta(self, sources: list[str]) -> dict[str, dict]:
        """source -> {title, date, date_text, date_precision, outlet, ...} for just these files."""
        sources = list(dict.fromkeys(sources))
        if not sources:
            return {}
        cols = ("source", "title", "date", *self.NEWS_COLUMNS)
        marks = ",".join("?" * len(sources))
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM files WHERE source IN ({marks})", sources)
        return {r[0]: {c: ("" if v is None else v) for c, v in zip(cols, r)} for r in rows}

    def articles(self) -> list[dict]:
        """Every indexed article with its metadata and chunk count, by source."""
        cols = ("source", "title", "date", "n_chunks", *self.NEWS_COLUMNS)
        rows = self.db.execute(f"SELECT {', '.join(cols)} FROM files ORDER BY source")
        return [{c: ("" if v is None else v) for c, v in zip(cols, r)} for r in rows]

    def set_meta(self, source: str, values: dict, version: str) -> None:
        """Write one file's article metadata (after replace_file, or when extraction improved: no re-embedding)."""
        cols = [c for c in self.NEWS_COLUMNS if c != "meta_version" and c in values]
        with self._write():
            self.db.execute(f"UPDATE files SET {', '.join(f'{c}=?' for c in cols)}, title=?, date=?, meta_version=? "
                            "WHERE source=?", [values[c] for c in cols] + [values["title"], values["date"], version,
                                                                            source])

    def stale_meta(self, version: str) -> set[str]:
        """Files whose metadata was extracted by an older version of rag/meta.py (or never)."""
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

    # Near-duplicates (rag/dedup.py): each article's MinHash (NULL when too short to compare) and the pairs found.
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
        """Indexed files never compared for duplicates (indexed before rag/dedup.py)."""
        return [r[0] for r in self.db.execute("SELECT f.source FROM files f LEFT JOIN signatures s ON s.source = f.source "
                                              "WHERE s.source IS NULL ORDER BY f.source")]

    def add_duplicate(self, a: str, b: str, score: float) -> None:
        a, b = sorted((a, b))
        with self._write():
            self.db.execute("INSERT OR REPLACE INTO duplicates VALUES (?, ?, ?)", (a, b, round(score, 4)))

    # The near-duplicate LSH (rag/dedup.py): an article's band buckets, in the transactions of its signature.
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

    def duplicate_pairs(self) -> list[tuple[str, str, float]]:
        return list(self.db.execute("SELECT a, b, score FROM duplicates ORDER BY a, b"))

    def duplicate_groups(self, sources: list[str]) -> dict[str, set[str]]:
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

    def sentence_vectors(self, ids: list[str]) -> dict[str, np.ndarray]:
        """chunk id -> its sentences' vectors (rows in split_sentences order, float32), for the ids that have them."""
        out = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            for cid, blob in self.db.execute(f"SELECT id, vectors FROM sentence_vectors WHERE id IN ({marks})", part):
                out[cid] = _unpack(blob)
        return out

    def without_sentence_vectors(self, limit: int) -> list[tuple[str, str]]:
        """(id, text) of up to `limit` chunks whose sentence vectors were never computed."""
        # Rows are only written for existing chunks and go with them (trigger), so equal counts mean none is missing:
        # two COUNTs on primary-key indexes (~2 ms at 100,000 chunks) instead of the join (0.15-1.1 s) on every run.
        if self.db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0] >= self.count_chunks():
            return []
        return list(self.db.execute("SELECT c.id, c.text FROM chunks c LEFT JOIN sentence_vectors v ON v.id = c.id "
                                    "WHERE v.id IS NULL ORDER BY c.rowid LIMIT ?", (limit,)))

    def set_sentence_vectors(self, rows: list[tuple[str, np.ndarray]]) -> None:
        """Store computed sentence vectors of chunks that still exist (a chunk deleted meanwhile gets none)."""
        with self._write():
            self.db.executemany("INSERT OR REPLACE INTO sentence_vectors SELECT id, ? FROM chunks WHERE id=?",
                                [(_pack(v), cid) for cid, v in rows])

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
                                    [(c[0], _pack(c[3])) for c in chunks if len(c) > 3 and c[3] is not None])
                # named columns: the news columns (set_meta) come after these in manifests of any age
                self.db.execute("INSERT OR REPLACE INTO files (source, sha256, n_chunks, title, date) "
                                "VALUES (?, ?, ?, ?, ?)", (source, sha256, len(chunks), title, date))
            self._bump()
            checkpoint("manifest.before_commit")

    def remove_file(self, source: str) -> None:
        with self._write():
            self.db.execute("DELETE FROM file_stats WHERE source=?", (source,))
            self.db.execute("DELETE FROM chunks WHERE source=?", (source,))
            self.db.execute("DELETE FROM files WHERE source=?", (source,))
            self._bump()
            checkpoint("manifest.before_commit")

    def get(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        with self._write():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def version(self) -> str:
        """Changes whenever the chunk set changes (retrievers use it to notice another process's index run)."""
        return self.get("version", "empty")

    def _bump(self) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (uuid.uuid4().hex,))


def _pack(vectors: np.ndarray) -> bytes:
    """A (sentences x dim) matrix as float16 bytes with its row count first: half the size, cosines to ~1e-3."""
    v = np.asarray(vectors, dtype=np.float16).reshape(len(vectors), -1)
    return np.int32(v.shape[0]).tobytes() + v.tobytes()


def _unpack(blob: bytes) -> np.ndarray:
    n = int(np.frombuffer(blob[:4], dtype=np.int32)[0])
    flat = np.frombuffer(blob[4:], dtype=np.float16)
    return flat.reshape(n, -1).astype(np.float32) if n else np.zeros((0, 0), np.float32)


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _fingerprint(path: Path) -> str:
    """What changes whenever the file is written: device, inode, size, mtime and SQLite's file change counter
    (header bytes 24-27, incremented by every committed write transaction in rollback-journal mode)."""
    st = os.stat(path)
    with open(path, "rb") as fh:
        counter = int.from_bytes(fh.read(28)[24:28], "big")
    return f"{st.st_dev} {st.st_ino} {st.st_size} {st.st_mtime_ns} {counter}"


def _has_fts(db: sqlite3.Connection) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name='chunk_fts'").fetchone() is not None


class Store:
    """Opens the Chroma collection lazily; checks that the index was built with the configured embedder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = Path(settings.index_dir)
        self.manifest = Manifest(self.root / "manifest.sqlite")
        self._client = None
        self._collection = None
        self._generation = 0

    @property
    def server_mode(self) -> bool:
        return bool(self.settings.chroma_url)

    @property
    def client(self):
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
            try:
                if self.server_mode:
                    url = urlparse(self.settings.chroma_url if "//" in self.settings.chroma_url
                                   else f"http://{self.settings.chroma_url}")
                    self._client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                                       ssl=url.scheme == "https", settings=chroma_settings)
                    _set_http_timeout(self._client, SERVER_TIMEOUT)
                else:
                    self.root.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(self.root / "chroma"), settings=chroma_settings)
            except Exception as exc:
                raise _friendly(exc, self.settings) from exc
        return self._client

    def exists(self) -> bool:
        return self.manifest.path.exists() and (self.server_mode or (self.root / "chroma").exists())

    def collection(self, embedder=None, create: bool = False):
        """The collection; with `embedder`, raises EmbedderMismatchError when the index was built with another."""
        self.manifest.refresh()
        if self._generation != self.manifest.generation:
            # The manifest was replaced: another process rebuilt the index, deleting the collection and making it again.
            self._collection, self._generation = None, self.manifest.generation
        if self._collection is None:
            if not create and not self.exists():
                raise IndexMissingError(f"no index at {self.root}/ yet: run `rag index` first")
            try:
                if create:
                    meta = {"hnsw:space": "cosine"}
                    if embedder is not None:
                        meta.update(embed_backend=embedder.backend, embed_model=embedder.model, embed_dim=embedder.dim)
                    self._collection = self.client.get_or_create_collection(self.settings.collection, metadata=meta)
                else:
                    self._collection = self.client.get_collection(self.settings.collection)
            except IndexMissingError:
                raise
            except Exception as exc:
                raise _friendly(exc, self.settings) from exc
        if embedder is not None:
            self.check_embedder(embedder)
        return self._collection

    def check_embedder(self, embedder) -> None:
        meta = self._collection.metadata or {}
        built = (meta.get("embed_backend"), meta.get("embed_model"))
        if built[0] and built != (embedder.backend, embedder.model):
            raise EmbedderMismatchError(
                f"the index was built with {built[0]}:{built[1]} but the configured embedder is "
                f"{embedder.backend}:{embedder.model}; run `rag index --rebuild` to re-embed with it")

    def drop(self) -> None:
        """Forget everything: the collection and the manifest with its keyword index (for --rebuild)."""
        self.manifest.close()
        self._collection = None
        try:
            self.client.delete_collection(self.settings.collection)
        except Exception as exc:  # missing collection, or an embedded index too damaged to open
            log.info("could not delete collection (%s)", exc)
            if not self.server_mode:
                from chromadb.api.client import SharedSystemClient

                self._client = None
                SharedSystemClient.clear_system_cache()
                shutil.rmtree(self.root / "chroma", ignore_errors=True)
        for name in ("manifest.sqlite", "manifest.sqlite-journal", "manifest.sqlite.checked", "dedup.lsh", *OLD_BM25):
            path = self.root / name
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)

    def remove_old_bm25(self) -> bool:
        """Delete the bm25s files of indexes written before the FTS5 keyword index; True if there were any."""
        found = False
        for name in OLD_BM25:
            path = self.root / name
            if path.exists():
                found = True
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        return found

    @contextlib.contextmanager
    def lock(self, wait: float = 60.0):
        """One writer at a time: a second `rag index` waits up to `wait` seconds, then refuses."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / ".lock"
        with open(path, "a+") as fh:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        fh.seek(0)
                        holder = fh.read().strip() or "another process"
                        raise IndexLockedError(f"the index at {self.root}/ is being updated by {holder}; "
                                               "try again when it finishes") from None
                    time.sleep(0.2)
            fh.seek(0)
            fh.truncate()
            fh.write(f"rag index (pid {os.getpid()})")
            fh.flush()
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def status(self) -> dict:
        rows = self.manifest.file_rows() if self.manifest.path.exists() else []
        return {"articles": len(rows), "chunks": sum(r[2] for r in rows)}


def _set_http_timeout(client, seconds: float) -> None:
    # chromadb's HTTP client is created with timeout=None, so a hung server would hang every query forever.
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds)


def _friendly(exc: Exception, settings: Settings) -> Exception:
    text = f"{type(exc).__name__}: {exc}"
    if settings.chroma_url:
        return StoreUnavailableError(f"cannot reach the Chroma server at {settings.chroma_url} ({text}); "
                                     "is `chroma run` up?")
    if "does not exist" in text or "NotFound" in text:
        return IndexMissingError(f"no index at {settings.index_dir}/ yet: run `rag index` first")
    return IndexMissingError(f"the index at {settings.index_dir}/ cannot be opened ({text}); "
                             "run `rag index --rebuild` to rebuild it")
