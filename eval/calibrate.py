"""Calibration numbers behind the defaults: refusal floors and the BM25 weight of the fusion.

    python eval/calibrate.py --gold eval/gold.jsonl --store eval/runs/stores/<corpus store>
    python eval/calibrate.py --gold ../shared/benchmarks/arcd/gold.jsonl --store eval/runs/stores/<arcd store>

Index the corpus first (`rag eval --gold ... --corpus ...` does it and prints the store). For each question it runs the
dense and the BM25 retriever once, then fuses their rankings offline with several BM25 weights (hit@1, MRR over
files), and reports the best dense cosine per question for answerable and unanswerable questions, so a relevance floor
can be read off: the share of answerable questions it would refuse, and the share of unanswerable ones it would.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from llama_index.core.schema import QueryBundle  # noqa: E402

from rag.config import Settings  # noqa: E402
from rag.evaluation import gold_sources, load_gold  # noqa: E402
from rag.retrieval.retrieve import HybridRetriever  # noqa: E402

WEIGHTS = (0.0, 0.2, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 100.0)
FLOORS = (0.76, 0.78, 0.80, 0.82, 0.84, 0.85, 0.86)


def fused_files(dense: list[str], keyword: list[str], weight: float, k: int = 60) -> list[str]:
    scores: dict[str, float] = {}
    for w, ids in ((1.0, dense), (weight, keyword)):
        for rank, cid in enumerate(ids):
            scores[cid] = scores.get(cid, 0.0) + w / (k + rank + 1)
    files: list[str] = []
    for cid in sorted(scores, key=lambda c: (-scores[c], c)):
        source = cid.rsplit("#", 1)[0]
        if source not in files:
            files.append(source)
    return files[:5]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gold", required=True)
    parser.add_argument("--store", required=True)
    args = parser.parse_args()
    retriever = HybridRetriever(Settings.from_env(index_dir=args.store))
    rows = []
    for item in load_gold(args.gold):
        query = QueryBundle(query_str=item["question"])
        dense = retriever.dense.retrieve(query)
        keyword = retriever.keyword()
        rows.append({"lang": item["lang"], "answerable": item["answerable"], "gold": gold_sources(item),
                     "best": max((h.score for h in dense), default=0.0),
                     "dense": [h.node.node_id for h in dense],
                     "bm25": [h.node.node_id for h in keyword.retrieve(query)] if keyword else []})
    for lang in sorted({r["lang"] for r in rows}):
        group = [r for r in rows if r["lang"] == lang]
        ranked = [r for r in group if r["answerable"] and r["gold"]]
        print(f"\n[{lang}] {len(group)} questions, {len(ranked)} answerable with a source")
        for w in WEIGHTS:
            hit1 = mrr = 0.0
            for r in ranked:
                files = fused_files(r["dense"], r["bm25"], w)
                rank = next((i + 1 for i, f in enumerate(files) if f in r["gold"]), None)
                hit1 += rank == 1
                mrr += 1 / rank if rank else 0
            print(f"  bm25 weight {w:>5}: hit@1 {hit1 / len(ranked):.3f}  mrr {mrr / len(ranked):.3f}")
        answerable = [r["best"] for r in group if r["answerable"]]
        unanswerable = [r["best"] for r in group if not r["answerable"]]
        print(f"  best dense cosine: answerable min {min(answerable):.3f}" +
              (f", unanswerable {min(unanswerable):.3f}-{max(unanswerable):.3f}" if unanswerable else ""))
        for floor in FLOORS:
            wrong = sum(b < floor for b in answerable) / len(answerable)
            right = (f", unanswerable refused {sum(b < floor for b in unanswerable)}/{len(unanswerable)}"
                     if unanswerable else "")
            print(f"  floor {floor:.2f}: answerable refused {wrong:.1%}{right}")


if __name__ == "__main__":
    main()
