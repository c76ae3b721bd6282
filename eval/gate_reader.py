"""Does the reader make the refusal gate better? Fits a gate on (selector answerable, reader) features of held-out
TRAIN questions and draws its refusal curve on dev, offline from finished runs.

    RAG_READER=false RAG_GATE_THRESHOLD_AR=0 RAG_GATE_THRESHOLD_EN=0 rag eval --gold NM/gold.jsonl ... --out RUN
    python eval/gate_reader.py --fit TRAIN_RUN:TRAIN_GOLD [...] --test DEV_RUN:DEV_GOLD [...] [--models-dir F]

Runs with the gate off (threshold 0) quote for every question, so every question has the selector's answerable
probability and quotes (parsed back as eval/pick_prior.py does). The reader reads the quotes; features per question:
logit of the selector's probability, logit of the reader's best answerable probability, the best span score. A
logistic regression per language (scikit-learn) is fitted on the --fit runs (NoMIRACL corpora of the reader's
monitor articles: never trained on by the reader, never dev); on --test it prints, per language, the share of
unanswerable questions refused at 3 / 5 / 10 % false refusals for the selector alone, the reader alone and the
fitted gate, and at the threshold chosen on --fit for 5 %.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))
from pick_prior import quotes_of  # noqa: E402

from rag.answering import reader as R  # noqa: E402


def logit(p: float) -> float:
    p = min(max(p, 1e-6), 1 - 1e-6)
    return math.log(p / (1 - p))


def rows(pair: str, reader: R.Reader) -> list[dict]:
    run, gold = pair.split(":")
    g = {x["id"]: x for x in map(json.loads, Path(gold).read_text(encoding="utf-8").splitlines())}
    out = []
    for line in (Path(run) / "predictions.jsonl").read_text(encoding="utf-8").splitlines():
        p = json.loads(line)
        item = g[p["id"]]
        quotes = [] if p["refused"] else quotes_of(p["answer"])
        reads = reader.read(item["question"], quotes) if quotes else []
        prob = max((r.prob for r in reads), default=0.0)
        score = max((r.score for r in reads), default=0.0)
        out.append({"lang": item["lang"], "y": int(item.get("answerable", True)),
                    "x": [logit(p.get("answerable") or 0.0), logit(prob), score]})
    return out


def refused_at(s_ans: np.ndarray, s_un: np.ndarray, fr: float) -> float:
    """Share of unanswerable scored below the threshold that refuses `fr` of the answerable."""
    t = np.quantile(s_ans, fr)
    return float(np.mean(s_un < t))


def main() -> None:
    from sklearn.linear_model import LogisticRegression

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--fit", nargs="+", required=True)
    ap.add_argument("--test", nargs="+", required=True)
    ap.add_argument("--models-dir", default="")
    args = ap.parse_args()
    reader = R.Reader(1, R.model_file(args.models_dir))
    fit = [r for pair in args.fit for r in rows(pair, reader)]
    test = [r for pair in args.test for r in rows(pair, reader)]
    for lang in ("ar", "en"):
        f = [r for r in fit if r["lang"] == lang]
        t = [r for r in test if r["lang"] == lang]
        xf, yf = np.array([r["x"] for r in f]), np.array([r["y"] for r in f])
        xt, yt = np.array([r["x"] for r in t]), np.array([r["y"] for r in t])
        model = LogisticRegression(C=1.0).fit(xf, yf)
        scores = {"selector": (xf[:, 0], xt[:, 0]), "reader": (xf[:, 1], xt[:, 1]),
                  "fitted": (model.decision_function(xf), model.decision_function(xt))}
        print(f"{lang}: fit {len(f)} ({int((yf == 0).sum())} unanswerable), test {len(t)} ({int((yt == 0).sum())} "
              f"unanswerable); weights {np.round(model.coef_[0], 3).tolist()}")
        for name, (sf, st) in scores.items():
            curve = [refused_at(st[yt == 1], st[yt == 0], fr) for fr in (0.03, 0.05, 0.10)]
            thr = np.quantile(sf[yf == 1], 0.05)  # chosen on --fit
            print(f"  {name:<9} refused at 3/5/10% false: {curve[0]:.3f} / {curve[1]:.3f} / {curve[2]:.3f}; "
                  f"fit threshold: false {np.mean(st[yt == 1] < thr):.3f}, refused {np.mean(st[yt == 0] < thr):.3f}")


if __name__ == "__main__":
    main()
