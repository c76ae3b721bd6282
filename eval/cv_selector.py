"""Cross-validation of the answer selector on the TRAIN splits only (5 folds by article, several fold seeds).

    python eval/cv_selector.py                     # pointwise vs pairwise objective, C = 1
    python eval/cv_selector.py --c 0.1 1 10        # and the regularisation grid

Reports, pooled over ARCD and MLQA train per question language, the out-of-fold share of questions whose best sentence
(top-1) or one of the 3 best (top-3, what the extractive answer quotes at most) holds a gold answer, and the mean number
of quotes the quote_ratio rule keeps. No gate: the selector's ranking alone. Dev is never read.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import train_selector as T  # noqa: E402

from rag.retrieval.model import load  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--c", type=float, nargs="+", default=[1.0])
    ap.add_argument("--objective", nargs="+", default=["pointwise", "pairwise"])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--ratio", type=float, default=0.05)
    args = ap.parse_args()
    rows = [r for r in T.load_rows() if r["split"] == "train"]
    reranker = {lang: load(f"reranker-{lang}") for lang in ("ar", "en")}
    units = [u for u in T.build(rows, reranker, T.Vectors()) if u["variant"] == "full"]
    scored = [u for u in units if len(u["y"])]
    print("| objective | C | lang | n | top-1 | top-3 | quotes per answer |")
    for objective in args.objective:
        T.OBJECTIVE[0] = objective
        for c in args.c:
            stats: dict[str, list] = {}
            for seed in range(args.seeds):
                T.oof_selector(scored, c, seed=seed)
                for u in units:
                    s = stats.setdefault(u["lang"], [0.0, 0.0, 0.0, 0])
                    if len(u["y"]):
                        order = np.argsort(-u["p"], kind="stable")
                        s[0] += u["y"][order[0]] > 0
                        s[1] += u["y"][order[:3]].any()
                        s[2] += len(T.quotes(u, args.ratio, 3))
                    s[3] += 1
            for lang, (t1, t3, nq, n) in sorted(stats.items()):
                print(f"| {objective} | {c:g} | {lang} | {n // args.seeds} | {t1 / n:.4f} | {t3 / n:.4f} | {nq / n:.2f} |")


if __name__ == "__main__":
    main()
