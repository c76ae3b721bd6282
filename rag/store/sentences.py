"""The e5 vectors of each chunk's sentences (rag.indexing.chunk.split_sentences of its text, in order), one float16
matrix per chunk, written with the chunk row and deleted with it (trigger): the reranker's best-sentence cosine and the
answer selector read them instead of embedding sentences per question. No row = not computed (an index written before
them, or sentence_vectors off): `rag index` fills them in."""
from __future__ import annotations

import numpy as np

from rag.store.part import Part


def pack(vectors: np.ndarray) -> bytes:
    """A (sentences x dim) matrix as float16 bytes with its row count first: half the size, cosines to ~1e-3."""
    v = np.asarray(vectors, dtype=np.float16)
    v = v.reshape(len(v), -1) if len(v) else np.zeros((0, 0), np.float16)  # a chunk with no sentence: no rows
    return np.int32(v.shape[0]).tobytes() + v.tobytes()


def unpack(blob: bytes) -> np.ndarray:
    n = int(np.frombuffer(blob[:4], dtype=np.int32)[0])
    flat = np.frombuffer(blob[4:], dtype=np.float16)
    return flat.reshape(n, -1).astype(np.float32) if n else np.zeros((0, 0), np.float32)


class SentenceVectors(Part):
    SCHEMA = """
    CREATE TABLE IF NOT EXISTS sentence_vectors (id TEXT PRIMARY KEY, vectors BLOB NOT NULL);
    CREATE TRIGGER IF NOT EXISTS chunk_sentences_delete AFTER DELETE ON chunks BEGIN
        DELETE FROM sentence_vectors WHERE id = old.id; END;
    """

    def get(self, ids: list[str]) -> dict[str, np.ndarray]:
        """chunk id -> its sentences' vectors (rows in split_sentences order, float32), for the ids that have them."""
        out = {}
        for i in range(0, len(ids), 500):
            part = ids[i:i + 500]
            marks = ",".join("?" * len(part))
            for cid, blob in self.db.execute(f"SELECT id, vectors FROM sentence_vectors WHERE id IN ({marks})", part):
                out[cid] = unpack(blob)
        return out

    def missing(self, limit: int) -> list[tuple[str, str]]:
        """(id, text) of up to `limit` chunks whose sentence vectors were never computed."""
        # Rows are only written for existing chunks and go with them (trigger), so equal counts mean none is missing:
        # two COUNTs on primary-key indexes (~2 ms at 100,000 chunks) instead of the join (0.15-1.1 s) on every run.
        if self.db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0] >= self._manifest.files.count_chunks():
            return []
        return list(self.db.execute("SELECT c.id, c.text FROM chunks c LEFT JOIN sentence_vectors v ON v.id = c.id "
                                    "WHERE v.id IS NULL ORDER BY c.rowid LIMIT ?", (limit,)))

    def set(self, rows: list[tuple[str, np.ndarray]]) -> None:
        """Store computed sentence vectors of chunks that still exist (a chunk deleted meanwhile gets none)."""
        with self._write():
            self.db.executemany("INSERT OR REPLACE INTO sentence_vectors SELECT id, ? FROM chunks WHERE id=?",
                                [(pack(v), cid) for cid, v in rows])
