"""Ranking: dense (Chroma) and keyword (BM25) candidates, pseudo-relevance feedback for English questions, fusion,
and a trained second-stage reranker; all as llama-index retrievers over one analysed question."""
from __future__ import annotations

import logging
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.core.vector_stores.types import VectorStoreQuery
from llama_index.vector_stores.chroma import ChromaVectorStore

from rag.retrieval import bm25, features
from rag.arabic import tokens
from rag.config import Settings
from rag.indexing.embed import Embedder, make_embedder
from rag.errors import StoreUnavailableError
from rag.retrieval.filters import Filters, Scope
from rag.meta import shown_date
from rag.store import Store

log = logging.getLogger(__name__)
SNIPPET_CHARS = 240
PRF_PASSAGES = 3    # top dense passages whose Arabic words feed the keyword search of an English question
PRF_TERMS = 12      # that many salient terms (highest tf x idf)


@dataclass(frozen=True)
class Hit:
    source: str
    chunk_id: str
    score: float      # final ranking score: the reranker's probability, else the fused score
    dense: float      # cosine similarity of question and chunk
    snippet: str
    title: str
    date: str
    text: str
    keyword: float = 0.0  # BM25 score relative to the question's best (0 when keywords did not find it)
    rank: int = 0         # 1-based position in the final order
    outlet: str = ""          # news metadata (#14): publisher, the date as written and how precise it is
    date_text: str = ""
    date_precision: str = ""
    also: tuple = ()          # near-duplicate articles of this one: ({source, outlet, date}, ...)
    author: str = ""          # the article's byline (rag/meta/byline.py), "" when it names none
    # the e5 vectors of split_sentences(text), from the index (None when it has none): the answer selector's input
    sentence_vectors: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def shown_date(self) -> str:
        return shown_date(self.date, self.date_text, self.date_precision)

    def to_dict(self) -> dict:
        return {"source": self.source, "chunk_id": self.chunk_id, "score": round(self.score, 4),
                "snippet": self.snippet, "title": self.title, "date": self.date, "date_text": self.date_text,
                "date_precision": self.date_precision, "outlet": self.outlet, "also": list(self.also),
                "author": self.author}


@dataclass
class Candidate:
    """One chunk found by at least one retriever, with every retriever's view of it."""
    node: TextNode
    dense: float = 0.0                 # cosine (filled in for keyword-only hits too)
    dense_rank: int | None = None      # 0-based rank in the dense list
    keyword: float = 0.0               # raw BM25
    keyword_rank: int | None = None
    prf: float = 0.0                   # BM25 of the pseudo-relevance-feedback query (English questions)
    prf_rank: int | None = None
    fused: float = 0.0
    score: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def chunk_id(self) -> str:
        return self.node.node_id

    @property
    def source(self) -> str:
        return self.node.metadata.get("source") or self.node.node_id.rsplit("#", 1)[0]


class DenseRetriever(BaseRetriever):
    """Query embedding → nearest chunks in Chroma; scores are cosine similarities."""

    def __init__(self, store: Store, embedder: Embedder, top_k: int) -> None:
        super().__init__()
        self.store, self.embedder, self.top_k = store, embedder, top_k

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        vector = query_bundle.embedding or self.embedder.query(query_bundle.query_str).tolist()
        return self.search(vector, self.top_k)

    def search(self, vector, k: int, where: dict | None = None) -> list[NodeWithScore]:
        collection = self.store.collection(self.embedder)
        try:
            result = ChromaVectorStore.from_collection(collection).query(
                VectorStoreQuery(query_embedding=list(map(float, vector)), similarity_top_k=k),
                **({"where": where} if where else {}))
        except Exception as exc:
            if self.store.server_mode:
                raise StoreUnavailableError(f"the Chroma server at {self.store.settings.chroma_url} did not answer "
                                            f"({type(exc).__name__}: {exc})") from exc
            raise
        # ChromaVectorStore reports exp(-distance); with cosine space, distance = 1 - cosine.
        return [NodeWithScore(node=n, score=1.0 + math.log(max(s, 1e-12)))
                for n, s in zip(result.nodes, result.similarities or [])]

    def cosines(self, ids: list[str], vector: np.ndarray) -> dict[str, float]:
        """Cosine of the question with chunks the dense search did not return (their stored vectors)."""
        if not ids:
            return {}
        got = self.store.collection(self.embedder).get(ids=ids, include=["embeddings"])
        return {cid: float(np.dot(np.asarray(e, float), vector)) for cid, e in zip(got["ids"], got["embeddings"])}


class HybridRetriever(BaseRetriever):
    """Dense + BM25 (+ PRF for English questions) → fusion → trained reranker; one question embedding for all."""

    def __init__(self, settings: Settings, store: Store | None = None, embedder: Embedder | None = None) -> None:
        super().__init__()
        self.settings = settings
        self.store = store or Store(settings)
        self.embedder = embedder or make_embedder(settings)
        self.dense = DenseRetriever(self.store, self.embedder, settings.candidates)
        self._bm25 = None
        self._bm25_version = None
        self._reranker = None

    def keyword(self) -> bm25.KeywordRetriever:
        """The FTS5 keyword index in the manifest: queried live, so another process's index run is seen at once."""
        if self._bm25 is None:
            self._bm25 = bm25.KeywordRetriever(self.store.manifest, self.settings.candidates)
        return self._bm25

    def analyse(self, question: str) -> features.Question:
        """The question's type, stems with corpus idf, and its embedding: computed once, used by every stage."""
        keyword = self.keyword() if self.settings.retrieval != "dense" else None
        idf = bm25.idf(keyword) if keyword is not None else None
        return features.analyse(question, self.embedder.query(question), idf)

    def gather(self, q: features.Question, exclude: set[str] | None = None,
               scope: Scope | None = None) -> list[Candidate]:
        """Every retriever's candidates for `q`, merged by chunk; `exclude` drops files (as if they were not indexed);
        `scope` (date/outlet filters, #14) is a Chroma where and the files the keyword side may rank."""
        s, depth = self.settings, self.settings.candidates
        found: dict[str, Candidate] = {}
        search = bm25.search
        if scope is not None:  # the keyword side ranks only the allowed files (less any excluded ones)
            keep = [src for src in scope.sources if not exclude or src not in exclude]
            search = lambda kw, keys, k, _: [(h.node, float(h.score)) for h in kw.search(keys, k, keep)]  # noqa: E731
        if s.retrieval in ("hybrid", "dense"):
            where = {"source": {"$nin": sorted(exclude)}} if exclude else None
            if scope is not None and scope.where:
                where = {"$and": [scope.where, where]} if where else scope.where
            for rank, hit in enumerate(self.dense.search(q.vector, depth, where)):
                found[hit.node.node_id] = Candidate(hit.node, dense=hit.score, dense_rank=rank)
        keyword = self.keyword() if s.retrieval in ("hybrid", "bm25") else None
        if keyword is not None:
            for rank, (node, score) in enumerate(search(keyword, " ".join(tokens(q.text)), depth, exclude)):
                c = found.setdefault(node.node_id, Candidate(node))
                c.keyword, c.keyword_rank = score, rank
            if q.lang == "en" and s.prf and s.retrieval == "hybrid":
                terms = self._prf_terms(q, [c for c in found.values() if c.dense_rank is not None], keyword)
                for rank, (node, score) in enumerate(search(keyword, " ".join(terms), depth, exclude)):
                    c = found.setdefault(node.node_id, Candidate(node))
                    c.prf, c.prf_rank = score, rank
        missing = [cid for cid, c in found.items() if c.dense_rank is None]
        if missing:
            texts = self.store.manifest.files.texts(missing)  # keyword nodes carry normalised keys; show the real text
            for cid in missing:
                c = found[cid]
                c.node = TextNode(id_=cid, text=texts.get(cid, ""), metadata=dict(c.node.metadata))
            if q.vector is not None and s.retrieval != "bm25":
                for cid, cos in self.dense.cosines(missing, q.vector).items():
                    found[cid].dense = cos
        return list(found.values())

    def _prf_terms(self, q: features.Question, dense: list[Candidate], keyword) -> list[str]:
        """Salient words of the best dense passages (tf x idf): the Arabic words an English question could not give."""
        top = sorted(dense, key=lambda c: c.dense_rank)[:PRF_PASSAGES]
        tf = Counter(t for c in top for t in tokens(c.node.get_content()))
        idf = bm25.idf(keyword)
        ranked = sorted(tf, key=lambda t: -tf[t] * idf(t))
        return [t for t in ranked if len(t) > 2][:PRF_TERMS] + [t for t in tokens(q.text) if t.isdigit()]

    def fuse(self, q: features.Question, cands: list[Candidate]) -> list[Candidate]:
        """Weighted reciprocal rank fusion of the lists, weights per question language; best first."""
        s = self.settings
        weights = {"dense": s.dense_weight,
                   "keyword": s.bm25_weight_ar if q.lang == "ar" else s.bm25_weight_en,
                   "prf": s.prf_weight if q.lang == "en" else 0.0}
        if s.retrieval == "dense":
            weights["keyword"] = weights["prf"] = 0.0
        if s.retrieval == "bm25":
            weights = {"dense": 0.0, "keyword": 1.0, "prf": 0.0}
        total = sum(weights.values()) or 1.0
        for c in cands:
            ranks = {"dense": c.dense_rank, "keyword": c.keyword_rank, "prf": c.prf_rank}
            c.fused = sum(w / (s.rrf_k + ranks[name] + 1) for name, w in weights.items()
                          if w and ranks[name] is not None) * (s.rrf_k + 1) / total
            c.score = c.fused
        return sorted(cands, key=lambda c: (-c.fused, c.chunk_id))

    def reranker(self):
        if self._reranker is None:
            from rag.retrieval.rerank import Reranker
            self._reranker = Reranker(self.settings)
        return self._reranker

    def rank(self, question: str, exclude: set[str] | None = None,
             filters: Filters | None = None) -> tuple[features.Question, list[Candidate]]:
        """The analysed question and its candidates in final order (fused, then reranked when enabled); `filters`
        (dates, outlets) apply inside both retrievers."""
        q = self.analyse(question)
        scope = filters.scope(self.store.manifest) if filters is not None and filters.active else None
        if scope is not None and not scope.sources:
            return q, []  # no article passes the filters
        cands = self.fuse(q, self.gather(q, exclude, scope))
        self.sentences(q, cands)
        if self.settings.rerank and self.settings.retrieval == "hybrid" and cands:
            cands = self.reranker().rerank(q, cands)
        return q, cands

    def sentences(self, q: features.Question, cands: list[Candidate]) -> None:
        """The stored sentence vectors of the first `rerank_depth` candidates (at least `top_k`), and each one's best
        sentence cosine with the question (`extra["sent_cos"]`, a reranker feature); one manifest read."""
        head = cands[: max(self.settings.rerank_depth, self.settings.top_k)]
        if q.vector is None or not head:
            return
        stored = self.store.manifest.sentences.get([c.chunk_id for c in head])
        for c in head:
            vectors = stored.get(c.chunk_id)
            if vectors is not None and vectors.shape[0] and vectors.shape[1] == len(q.vector):
                c.extra["sentence_vectors"] = vectors
                c.extra["sent_cos"] = float((vectors @ q.vector).max())

    def stages(self, question: str) -> dict[str, list[str]]:
        """Files, best first, after each stage (dense, bm25, fused, reranked), from one set of candidates."""
        q = self.analyse(question)
        cands = self.gather(q)
        files = lambda order: list(dict.fromkeys(c.source for c in order))  # noqa: E731
        out = {"dense": files(sorted((c for c in cands if c.dense_rank is not None), key=lambda c: c.dense_rank)),
               "bm25": files(sorted((c for c in cands if c.keyword_rank is not None), key=lambda c: c.keyword_rank))}
        fused = self.fuse(q, cands)
        out["fused"] = files(fused)
        self.sentences(q, fused)
        if self.settings.rerank and self.settings.retrieval == "hybrid" and fused:
            out["reranked"] = files(self.reranker().rerank(q, list(fused)))
        return out

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        _, cands = self.rank(query_bundle.query_str)
        for c in cands:
            c.node.metadata["dense"] = c.dense
        return [NodeWithScore(node=c.node, score=c.score) for c in cands]

    def search(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """The top `k` chunks as Hits, best first."""
        return self.hits(self.rank(question, filters=filters)[1], k)

    def hits(self, cands: list[Candidate], k: int | None = None) -> list[Hit]:
        top_keyword = max((c.keyword for c in cands), default=0.0) or 1.0  # over all candidates, as in training
        cands = cands[: k or self.settings.top_k]
        files = self.store.manifest.articles.meta([c.source for c in cands])  # only the hits' files, not every row
        out = []
        for rank, c in enumerate(cands, start=1):
            f = files.get(c.source, {})
            text = c.node.get_content()
            out.append(Hit(source=c.source, chunk_id=c.chunk_id, score=c.score, dense=c.dense,
                           snippet=_snippet(text), title=f.get("title", ""), date=f.get("date", ""), text=text,
                           keyword=c.keyword / top_keyword, rank=rank, outlet=f.get("outlet", ""),
                           date_text=f.get("date_text", ""), date_precision=f.get("date_precision", ""),
                           author=f.get("author", ""),
                           sentence_vectors=c.extra.get("sentence_vectors")))
        return out


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET_CHARS else text[:SNIPPET_CHARS].rsplit(" ", 1)[0] + " …"
