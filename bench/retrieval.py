"""Retrieval latency per mode (dense, bm25, hybrid) over a built index, query embedding apart."""
from __future__ import annotations

import time

from bench.common import ms
from bench.embedders import CachedEmbedder


def bench_retrieval(settings, embedder: CachedEmbedder, qs: list[str], label: str, articles: int) -> dict:
    from rag.retrieval.retrieve import HybridRetriever
    from rag.store import Store

    store = Store(settings)
    out = {"store": label, "articles": articles, "chunks": store.status()["chunks"]}
    for mode in ("dense", "bm25", "hybrid"):
        r = HybridRetriever(settings.replace(retrieval=mode), store, embedder)
        r.search(qs[0], 5)  # warm-up: BM25 load, first HTTP connection
        times = []
        for q in qs:
            t = time.perf_counter(); r.search(q, 5); times.append(time.perf_counter() - t)
        out[mode] = ms(times)
    return out
