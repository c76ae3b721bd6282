"""The keyword index: FTS5 over chunks.keys (external content, no second copy of the keys). The keys are already
normalised by rag.arabic.tokens and joined by spaces; this tokenizer splits them on the spaces only (letters, digits
and marks are token characters, nothing is folded away), so an FTS5 term is exactly one of our keys. Triggers keep it in
step with the chunks rows inside the same transaction, whoever writes them."""
from __future__ import annotations

from rag.arabic import tokens
from rag.faults import checkpoint
from rag.store.part import Part

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


def has_fts(db) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name='chunk_fts'").fetchone() is not None


class Keywords(Part):
    upgraded = False  # the FTS5 keyword index was added to an older manifest when it was opened

    def upgrade(self, db) -> None:
        if not has_fts(db):
            self._add_fts(db)

    def _add_fts(self, db) -> None:
        """Upgrade a manifest written before the FTS5 index (or a new one): keys filled in, index built, one transaction."""
        db.execute("BEGIN IMMEDIATE")
        try:
            if not has_fts(db):  # another process may have upgraded it while we waited for the write lock
                rows = db.execute("SELECT rowid, text FROM chunks WHERE keys IS NULL").fetchall()
                db.executemany("UPDATE chunks SET keys=? WHERE rowid=?", [(" ".join(tokens(t)), r) for r, t in rows])
                for statement in FTS:
                    db.execute(statement)
                db.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('rebuild')")
                checkpoint("manifest.fts_upgrade")
                self.upgraded = True
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def check(self) -> bool:
        """Rebuild the keyword index from the chunk rows when it does not hold one entry per chunk; True if it did."""
        db = self.db
        if db.execute("SELECT COUNT(*) FROM chunk_fts_docsize").fetchone()[0] == self._manifest.files.count_chunks():
            return False
        with db:
            db.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('rebuild')")
        return True
