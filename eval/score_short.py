"""Short-answer scores of a `rag eval` run over ALL answerable questions (an empty or refused short_answer scores 0),
per language, next to contains, citation precision and refusals from the same predictions.

    python eval/score_short.py --gold eval/sets/arcd-dev.jsonl --run eval/runs/<dir>      # prints one JSON line
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from rag.evaluation import citation_scores, contains, exact_match, gold_answers, gold_sources, token_f1  # noqa: E402


def mean(xs: list[float]) -> float | None:
    return round(sum(xs) / len(xs), 4) if xs else None


def score(gold: list[dict], preds: dict[str, dict]) -> dict:
    out = {}
    for lang in sorted({g["lang"] for g in gold}):
        rows = [(g, preds[g["id"]]) for g in gold if g["lang"] == lang and g["id"] in preds and g.get("answerable", True)]
        shorts = [("" if p["refused"] else p.get("short_answer") or "", gold_answers(g)) for g, p in rows]
        prec = [citation_scores(p["citations"], gold_sources(g))[0] for g, p in rows if not p["refused"]]
        out[lang] = {
            "n": len(rows),
            "short_f1_all": mean([token_f1(a, gs) for a, gs in shorts]),
            "short_em_all": mean([exact_match(a, gs) for a, gs in shorts]),
            "short_given": mean([float(bool(a)) for a, _ in shorts]),
            "short_contains_all": mean([contains(a, gs) for a, gs in shorts]),
            "contains": mean([contains("" if p["refused"] else p["answer"], gold_answers(g)) for g, p in rows]),
            "citation_precision": mean([x for x in prec if x is not None]),
            "false_refusal_rate": mean([float(p["refused"]) for _, p in rows]),
            "latency_p50": sorted(p["latency"] for _, p in rows if p.get("latency") is not None)[len(rows) // 2]
            if rows else None,
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--run", type=Path, required=True, help="a rag eval output folder (predictions.jsonl)")
    args = ap.parse_args()
    gold = [json.loads(x) for x in args.gold.read_text(encoding="utf-8").splitlines() if x.strip()]
    preds = {}
    for line in (args.run / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            p = json.loads(line)
            preds[p["id"]] = p
    print(json.dumps(score(gold, preds), ensure_ascii=False))


if __name__ == "__main__":
    main()
