"""Which quoted sentence should the reader's span come from? Measures `reader_rank_prior` offline on a finished run.

    python eval/pick_prior.py --gold /tmp/mon/arcd-mon.jsonl --run RUN [--models-dir F]

The extractive reply quotes the selector's best sentences in order; the reader reads each and the short answer is
the span of the sentence maximising score x prior^rank (rank 0 = the selector's first quote; prior 1 = the reader's
score alone). This script parses the quotes back out of each prediction's `answer` (Arabic "- sentence [n]",
English "- «⁧sentence⁩» [n]"), runs the same reader over them and scores short-answer F1 over all answerable
questions for each prior. Where the run's short answer is not the reader's (the selector's number/date rule marked
one), it is kept, as the product does; the "no rule" rows let the reader replace it, and "rule fired" compares the
two on those questions only. Choose the prior on held-out TRAIN articles (the reader's
monitor split), never on dev.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from rag.answering import reader as R  # noqa: E402
from rag.evaluation import token_f1  # noqa: E402

PRIORS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.0)
_LINE = re.compile(r"^- (?:«\u2067)?(.*?)(?:\u2069»)? \[\d+\](?: \([^)]*\))?$")


def quotes_of(answer: str) -> list[str]:
    return [m.group(1) for line in answer.splitlines() if (m := _LINE.match(line))]


def pick(reads: list[R.Read], prior: float) -> R.Read:
    return max(enumerate(reads), key=lambda kr: kr[1].score * prior ** kr[0])[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--gold", type=Path, required=True)
    ap.add_argument("--run", type=Path, required=True)
    ap.add_argument("--models-dir", default="", help="the models_dir the run used (its reader tells rule from reader)")
    args = ap.parse_args()
    gold = {g["id"]: g for g in map(json.loads, args.gold.read_text(encoding="utf-8").splitlines()) if g.get("answerable", True)}
    reader = R.Reader(1, R.model_file(args.models_dir))
    f1: dict[tuple[str, float], list[float]] = {}
    for line in (args.run / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        g = gold.get(p["id"])
        if g is None:
            continue
        quotes = [] if p["refused"] else quotes_of(p["answer"])
        reads = reader.read(g["question"], quotes) if quotes else []
        rule = bool(reads) and p["short_answer"] not in {r.text for r in reads}  # the selector's rule marked it
        for prior in PRIORS:
            text = p["short_answer"] if rule or not reads else pick(reads, prior).text
            f1.setdefault((g["lang"], str(prior)), []).append(token_f1(text, g["answers"]) if text else 0.0)
            text = pick(reads, prior).text if reads else p["short_answer"]  # the reader over the rule too
            f1.setdefault((g["lang"], f"{prior} no rule"), []).append(token_f1(text, g["answers"]) if text else 0.0)
            if rule:
                f1.setdefault((g["lang"], f"{prior} rule fired: rule"), []).append(token_f1(p["short_answer"], g["answers"]))
                f1.setdefault((g["lang"], f"{prior} rule fired: reader"), []).append(token_f1(text, g["answers"]) if text else 0.0)
            wide = pick(reads, prior).text if reads else ""  # the reader's span where it holds the rule's phrase
            text = wide if rule and p["short_answer"] in wide else p["short_answer"] if rule or not reads else wide
            f1.setdefault((g["lang"], f"{prior} widen"), []).append(token_f1(text, g["answers"]) if text else 0.0)
    out = {}
    for (lang, prior), v in sorted(f1.items()):
        out.setdefault(lang, {})[prior] = (round(sum(v) / len(v), 4), len(v))
    for lang, rows in out.items():
        for key, (value, n) in rows.items():
            print(f"{lang}\t{key:<24}\t{value:.4f}\t{n}")


if __name__ == "__main__":
    main()
