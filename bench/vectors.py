"""Scale without embedding: a complete index of N chunks with random unit vectors, searched like the real one."""
from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np

from bench.common import ms, rss_mb
from bench.embedders import RandomQueryEmbedder


def chunk_texts(topics, n: int, seed: int = 0) -> list[str]:
    """n chunk-sized texts cut from real sentences (what BM25 searches), for the random-vector index."""
    rng = random.Random(seed)
    paras = [p for t in topics for p in t.paragraphs]
    out = []
    for _ in range(n):
        text = ""
        while len(text) < 400:
            p = rng.choice(paras)
            a = rng.randrange(len(p.sentences))
            text = (text + " " + " ".join(p.sentences[a:a + rng.randint(1, 4)])).strip()
        out.append(text[:800])
    return out


def bench_vectors(n: int, work: Path, topics, qs: list[str]) -> dict:
    """A complete index of n chunks (manifest + FTS5, Chroma) whose vectors are random unit vectors (labelled so):
    the store and fusion costs at a size we cannot embed here, measured through the same HybridRetriever."""
    from llama_index.core.schema import TextNode
    from llama_index.vector_stores.chroma import ChromaVectorStore
    from rag.arabic import tokens
    from rag.config import Settings
    from rag.retrieval.retrieve import HybridRetriever
    from rag.store import Store

    out: dict = {"n": n, "label": "random unit vectors; chunk texts cut from real Arabic sentences"}
    settings = Settings.from_env(env={}, corpus_dir=work / f"vectors_{n}_corpus", index_dir=work / f"vectors_{n}")
    store, emb = Store(settings), RandomQueryEmbedder()
    texts = chunk_texts(topics, n)
    per_file = 4
    t = time.perf_counter()
    db = store.manifest.db
    with db:
        db.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?)",
                       [(f"synthetic/{j:06d}.txt", "synthetic", min(per_file, n - j * per_file), f"title {j}", "")
                        for j in range((n + per_file - 1) // per_file)])
        # keys as the indexer stores them; the FTS5 keyword index is filled by the manifest's triggers
        db.executemany("INSERT INTO chunks (id, source, position, text, keys) VALUES (?, ?, ?, ?, ?)",
                       [(f"synthetic/{i // per_file:06d}.txt#{i % per_file:04d}", f"synthetic/{i // per_file:06d}.txt",
                         i % per_file, texts[i], " ".join(tokens(texts[i]))) for i in range(n)])
        store.manifest.bump()
    out["manifest_fill_s"] = round(time.perf_counter() - t, 2)

    rng = np.random.default_rng(0)
    coll = store.collection(emb, create=True)
    vs = ChromaVectorStore.from_collection(coll)
    t = time.perf_counter()
    batch = 5000
    for i in range(0, n, batch):
        vecs = rng.standard_normal((min(batch, n - i), 384)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        vs.add([TextNode(id_=f"synthetic/{j // per_file:06d}.txt#{j % per_file:04d}", text=texts[j],
                         metadata={"source": f"synthetic/{j // per_file:06d}.txt", "position": j % per_file},
                         embedding=vecs[j - i].tolist()) for j in range(i, min(n, i + batch))])
    out["chroma_add_s"] = round(time.perf_counter() - t, 2)


    qv = [emb.query(q) for q in qs]
    coll.query(query_embeddings=[qv[0]], n_results=5)
    times = []
    for v in qv:
        t = time.perf_counter(); coll.query(query_embeddings=[v], n_results=5); times.append(time.perf_counter() - t)
    out["chroma_query_top5"] = ms(times)
    for mode in ("dense", "bm25", "hybrid"):
        r = HybridRetriever(settings.replace(retrieval=mode), store, emb)
        t = time.perf_counter(); r.search(qs[0], 5); warm = time.perf_counter() - t
        if mode == "bm25":
            out["bm25_first_search_incl_load_s"] = round(warm, 2)
        spent = {"dense": 0.0, "bm25": 0.0}
        if mode == "hybrid":  # time the two retrievers inside the hybrid search; the rest is fusion + hit assembly
            for name, obj in (("dense", r.dense), ("bm25", r.keyword())):
                def timed(qb, _orig=obj.retrieve, _name=name):
                    t0 = time.perf_counter()
                    try:
                        return _orig(qb)
                    finally:
                        spent[_name] += time.perf_counter() - t0
                obj.retrieve = timed
        times, rest = [], []
        for q in qs:
            spent.update(dense=0.0, bm25=0.0)
            t = time.perf_counter(); r.search(q, 5); times.append(time.perf_counter() - t)
            rest.append(times[-1] - spent["dense"] - spent["bm25"])
        out[mode] = ms(times)
        if mode == "hybrid":
            out["hybrid_fusion_and_assembly"] = ms(rest)
    out["peak_rss_mb"] = round(rss_mb(), 1)
    store.manifest.close()
    return out
