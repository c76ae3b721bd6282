"""Candidates of every benchmark question, computed once by the product's own retriever and cached for the trainers.

    python eval/dump.py --set arcd --store /path/to/arcd-index    # writes eval/cache/arcd.pkl

For each question (Arabic and English) it keeps the analysed question and the fused candidates twice: over the whole
corpus, and NoMIRACL-style with the gold paragraph and every paragraph holding a gold answer excluded (the question
must then be refused). Index the benchmark first: rag index --corpus ../shared/benchmarks/arcd/corpus --store DIR.
"""
from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))
import datasets  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.evaluation import normalize_answer  # noqa: E402

CACHE = REPO / "eval" / "cache"


def slim(c) -> dict:
    return {"chunk_id": c.chunk_id, "source": c.source, "text": c.node.get_content(), "dense": c.dense,
            "dense_rank": c.dense_rank, "keyword": c.keyword, "keyword_rank": c.keyword_rank, "prf": c.prf,
            "prf_rank": c.prf_rank, "fused": c.fused, "sent_cos": c.extra.get("sent_cos")}


def holders_index(corpus: Path) -> dict[str, str]:
    return {f.name: f" {normalize_answer(f.read_text(encoding='utf-8'))} " for f in corpus.glob("*.txt")}


def main() -> None:
    from rag.retrieval.retrieve import HybridRetriever

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=datasets.NAMES, required=True)
    ap.add_argument("--store", type=Path, required=True)
    ap.add_argument("--limit", type=int)
    ap.add_argument("--against", choices=datasets.NAMES,
                    help="ask the questions of --set over this other benchmark's index (--store): off-topic questions "
                         "that must be refused; writes eval/cache/<set>-on-<against>.pkl")
    args = ap.parse_args()
    if args.against:
        return offtopic(args)
    corpus = datasets.bench_dir(args.set) / "corpus"
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=args.store, rerank=False)
    retriever = HybridRetriever(settings)
    texts = holders_index(corpus)
    rows = []
    items = datasets.questions(args.set)[: args.limit]
    started = time.time()
    for n, item in enumerate(items, start=1):
        keys = [f" {normalize_answer(a)} " for a in item["answers"] if normalize_answer(a)]
        exclude = {item["source"]} | {name for name, text in texts.items() if any(k in text for k in keys)}
        q = retriever.analyse(item["question"])
        full = retriever.fuse(q, retriever.gather(q))
        removed = retriever.fuse(q, retriever.gather(q, exclude))
        retriever.sentences(q, full)
        retriever.sentences(q, removed)
        rows.append({"item": item, "split": datasets.split_of(item["source"]), "q": q,
                     "full": [slim(c) for c in full], "removed": [slim(c) for c in removed], "excluded": sorted(exclude)})
        if n % 100 == 0:
            print(f"{n}/{len(items)} {time.time() - started:.0f}s", flush=True)
    CACHE.mkdir(parents=True, exist_ok=True)
    out = CACHE / f"{args.set}.pkl"
    with open(out, "wb") as fh:
        pickle.dump(rows, fh)
    print(f"wrote {out}: {len(rows)} questions in {time.time() - started:.0f}s")


def offtopic(args) -> None:
    from rag.retrieval.retrieve import HybridRetriever

    corpus = datasets.bench_dir(args.against) / "corpus"
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=args.store, rerank=False)
    retriever = HybridRetriever(settings)
    rows, started = [], time.time()
    for item in datasets.questions(args.set)[: args.limit]:
        q = retriever.analyse(item["question"])
        cands = retriever.fuse(q, retriever.gather(q))
        retriever.sentences(q, cands)
        rows.append({"item": item, "split": datasets.split_of(item["source"]), "q": q, "full": [],
                     "offtopic": [slim(c) for c in cands]})
    out = CACHE / f"{args.set}-on-{args.against}.pkl"
    with open(out, "wb") as fh:
        pickle.dump(rows, fh)
    print(f"wrote {out}: {len(rows)} questions in {time.time() - started:.0f}s")


if __name__ == "__main__":
    main()
