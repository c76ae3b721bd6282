"""The SQLite manifest: one file, one connection, one transaction per update (a file's rows, keyword index, metadata,
signature and sentence vectors commit together), composed of parts that each own their tables (rag/store/*.py);
also the integrity check, the version counter other processes watch, and reopening a file another process replaced."""
from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import time
import uuid
from pathlib import Path

from rag.store.articles import Articles
from rag.store.duplicates import Duplicates
from rag.store.files import Files
from rag.store.keywords import Keywords
from rag.store.sentences import SentenceVectors

log = logging.getLogger(__name__)


class Manifest:
    """files/chunks (`files`), the FTS5 keyword index (`keywords`), article metadata (`articles`), near-duplicates
    (`duplicates`) and sentence vectors (`sentences`), all in one SQLite file, plus a key/value table."""

    SCHEMA = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.mark = path.with_name(path.name + ".checked")  # the file as it was when last known clean (_fingerprint)
        self.checks = 0  # integrity checks this object ran (0 when every open found the file as last known clean)
        self.repaired = False
        self._db: sqlite3.Connection | None = None
        self._identity: tuple[int, int] | None = None
        self.generation = 0  # +1 each time the file was found replaced and reopened
        self._batched = 0  # > 0 inside batch(): the write methods join its transaction instead of committing each
        self.files = Files(self)
        self.keywords = Keywords(self)
        self.articles = Articles(self)
        self.duplicates = Duplicates(self)
        self.sentences = SentenceVectors(self)
        self._parts = (self.files, self.articles, self.duplicates, self.sentences, self.keywords)

    @property
    def upgraded(self) -> bool:
        """The FTS5 keyword index was added to an older manifest when it was opened."""
        return self.keywords.upgraded

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

    def write(self):
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
            db.executescript(self.SCHEMA + "".join(part.SCHEMA for part in self._parts))
            for part in (self.files, self.articles):  # columns added to manifests written before them
                part.upgrade(db)
            db.commit()
            db.execute("PRAGMA recursive_triggers = ON")  # so INSERT OR REPLACE on chunks also fires the delete trigger
            self.keywords.upgrade(db)
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

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def get(self, key: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return row[0] if row else default

    def set(self, key: str, value: str) -> None:
        with self.write():
            self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    @property
    def version(self) -> str:
        """Changes whenever the chunk set changes (retrievers use it to notice another process's index run)."""
        return self.get("version", "empty")

    def bump(self) -> None:
        """A new version, inside the caller's write transaction."""
        self.db.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (uuid.uuid4().hex,))


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
