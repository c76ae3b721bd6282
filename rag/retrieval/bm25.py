"""BM25 over Arabic-normalised tokens: SQLite FTS5's bm25() on the manifest's keyword index, updated in place."""
from __future__ import annotations

import json
import logging
from collections.abc import Collection

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode

from rag.arabic import tokens
from rag.store import Manifest

log = logging.getLogger(__name__)

# bm25() is negative, lower = better: negated here so scores are positive, higher is better. Without a filter,
# ranking happens in the FTS table alone and only the top k rows are joined to their chunk rows (joining every match
# first read ~50,000 chunk rows per question at 100,000 chunks: 52 ms vs 15 ms p50). With `sources`, the source test
# sits in the same WHERE as the MATCH (a join; a `rowid IN (...)` set was 4x slower), so only those files' chunks
# are ranked.
_SQL = """SELECT c.id, c.source, c.keys, r.score FROM (
              SELECT rowid, -bm25(chunk_fts) AS score FROM chunk_fts WHERE chunk_fts MATCH ? ORDER BY score DESC LIMIT ?) r
          JOIN chunks c ON c.rowid = r.rowid ORDER BY r.score DESC, c.id"""
_SQL_SOURCES = """SELECT c.id, c.source, c.keys, -bm25(chunk_fts) AS score FROM chunk_fts
                      JOIN chunks c ON c.rowid = chunk_fts.rowid
                  WHERE chunk_fts MATCH ? AND c.source IN (SELECT value FROM json_each(?))
                  ORDER BY score DESC, c.id LIMIT ?"""


def match_expression(question: str) -> str:
    """The FTS5 query for a question: any of its normalised keys, each a quoted string (nothing FTS5 would parse)."""
    keys = dict.fromkeys(tokens(question))
    return " OR ".join('"' + key.replace('"', '""') + '"' for key in keys)


class KeywordRetriever(BaseRetriever):
    """The keyword retriever the fusion uses: nodes are chunk ids with metadata["source"]; their text is the
    normalised keys (the fusion swaps in the real text); scores are BM25, positive, higher is better."""

    def __init__(self, manifest: Manifest, top_k: int) -> None:
        super().__init__()
        if top_k < 1:
            raise ValueError(f"top_k must be > 0, but got {top_k}")
        self.manifest, self.top_k = manifest, top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        return self.search(query_bundle.query_str, self.top_k)

    def search(self, query: str, k: int, sources: Collection[str] | None = None) -> list[NodeWithScore]:
        """The best `k` chunks for `query`; with `sources`, only chunks of those files are ranked."""
        expression = match_expression(query)
        if not expression or k < 1 or (sources is not None and not sources):
            return []
        if sources is None:
            rows = self.manifest.db.execute(_SQL, (expression, k)).fetchall()
        else:
            wanted = json.dumps(sorted(set(sources)), ensure_ascii=False)
            rows = self.manifest.db.execute(_SQL_SOURCES, (expression, wanted, k)).fetchall()
        return [NodeWithScore(node=TextNode(id_=cid, text=keys or "", metadata={"source": source}), score=score)
                for cid, source, keys, score in rows if score > 0]


# ---------------------------------------------------------------- used by ranking and features

def search(retriever: KeywordRetriever | None, keys: str, k: int,
           exclude: Collection[str] | None = None) -> list[tuple[TextNode, float]]:
    """(node, BM25 > 0) for normalised `keys`, best first; chunks of `exclude` files are never ranked (NoMIRACL sets
    are measured this way without reindexing)."""
    if retriever is None:
        return []
    sources = None
    if exclude:
        sources = [s for s in retriever.manifest.files.hashes() if s not in exclude]
    return [(h.node, float(h.score)) for h in retriever.search(keys, k, sources)]


def idf(retriever: KeywordRetriever):
    """term -> BM25 idf over the indexed chunks, document frequencies from FTS5's vocabulary (a TEMP fts5vocab table:
    nothing is written to the manifest). Looked up per call: the index changes in place."""
    from rag.retrieval.features import idf_from_counts

    db = retriever.manifest.db
    db.execute("CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunk_vocab USING fts5vocab(main, chunk_fts, 'row')")
    n_docs = db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
    cache: dict[str, int] = {}

    def lookup(term: str) -> float:
        if term not in cache:
            row = db.execute("SELECT doc FROM temp.chunk_vocab WHERE term = ?", (term,)).fetchone()
            cache[term] = row[0] if row else 0
        return idf_from_counts(cache, n_docs)(term)
    return lookup
