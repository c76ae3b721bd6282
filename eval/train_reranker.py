"""Train the second-stage reranker (rag/models/reranker.json) on the ARCD and MLQA train splits; report dev numbers.

    python eval/dump.py --set arcd --store DIR && python eval/dump.py --set mlqa --store DIR2   # candidates, once
    python eval/train_reranker.py            # fits, prints dense / bm25 / fused / reranked hit@1, hit@5 per set and language

Fixed seed, fixed article split (eval/datasets.py): the dev articles are never seen in training or model selection.
"""
from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from llama_index.core.schema import TextNode  # noqa: E402

from rag.retrieval import rerank  # noqa: E402
from rag.retrieval.model import MODELS, LogisticModel  # noqa: E402
from rag.retrieval.retrieve import Candidate  # noqa: E402

CACHE = REPO / "eval" / "cache"
SEED = 0


def candidates(rows: list[dict]) -> list[Candidate]:
    out = []
    for r in rows:
        c = Candidate(TextNode(id_=r["chunk_id"], text=r["text"], metadata={"source": r["source"]}))
        for key in ("dense", "dense_rank", "keyword", "keyword_rank", "prf", "prf_rank", "fused"):
            setattr(c, key, r[key])
        if r.get("sent_cos") is not None:
            c.extra["sent_cos"] = r["sent_cos"]
        c.score = c.fused
        out.append(c)
    return out


def load(names=("arcd", "mlqa")) -> list[dict]:
    rows = []
    for name in names:
        with open(CACHE / f"{name}.pkl", "rb") as fh:
            for row in pickle.load(fh):
                row["set"] = name
                rows.append(row)
    return rows


def files_in_order(cands, key) -> list[str]:
    order = sorted((c for c in cands if key(c) is not None), key=key)
    return list(dict.fromkeys(c.source for c in order))


def hit(files: list[str], gold: str, k: int) -> float:
    return float(gold in files[:k])


def table(rows: list[dict], model: dict | None, depth: int) -> dict:
    """hit@1 / hit@5 per (set, lang) for each stage."""
    stages = {"dense": lambda c: c.dense_rank, "bm25": lambda c: c.keyword_rank, "fused": lambda c: -c.fused}
    out: dict = {}
    for row in rows:
        cands = candidates(row["full"])
        gold = row["item"]["source"]
        ranked = {name: files_in_order(cands, key) for name, key in stages.items()}
        if model is not None:
            head = cands[:depth]
            probs = model[row["item"]["lang"]].predict(rerank.chunk_features(row["q"], head))
            order = [c for _, c in sorted(zip(-probs, range(len(head))))]
            ranked["reranked"] = list(dict.fromkeys(head[i].source for i in order)) + \
                [s for s in dict.fromkeys(c.source for c in cands[depth:]) if s not in {c.source for c in head}]
        group = out.setdefault((row["set"], row["item"]["lang"]), {})
        for name, files in ranked.items():
            g = group.setdefault(name, [[], []])
            g[0].append(hit(files, gold, 1))
            g[1].append(hit(files, gold, 5))
    return {k: {s: (np.mean(v[0]), np.mean(v[1]), len(v[0])) for s, v in g.items()} for k, g in out.items()}


def print_table(result: dict, title: str) -> None:
    print(f"\n{title}\n| set | lang | n | " + " | ".join(f"{s} hit@1 / hit@5" for s in next(iter(result.values()))) + " |")
    for (name, lang), stages in sorted(result.items()):
        n = next(iter(stages.values()))[2]
        print(f"| {name} | {lang} | {n} | " + " | ".join(f"{h1:.3f} / {h5:.3f}" for h1, h5, _ in stages.values()) + " |")


def per_question(rows: list[dict], depth: int) -> list[tuple[dict, list, np.ndarray]]:
    out = []
    for row in rows:
        head = candidates(row["full"])[:depth]
        if head:
            out.append((row, head, rerank.chunk_features(row["q"], head)))
    return out


def mrr(w: np.ndarray, data, mean, scale) -> tuple[float, float]:
    total = hits = 0.0
    for row, head, x in data:
        order = np.argsort(-(((x - mean) / scale) @ w), kind="stable")
        files = list(dict.fromkeys(head[i].source for i in order))
        gold = row["item"]["source"]
        if gold in files:
            rank = files.index(gold) + 1
            total += 1.0 / rank
            hits += rank == 1
    return total / len(data), hits / len(data)


def coordinate_ascent(data, mean, scale, iterations: int = 3) -> np.ndarray:
    """Metzler & Croft's coordinate ascent (RankLib's CoordinateAscent): from the fused score alone (the order without
    a reranker), move one weight at a time by the step that most improves MRR on the training questions; a listwise
    metric, unlike log-loss. (Starting from all zeros, any single step replaces the fused order instead of adjusting
    it, so no step ever improves: the search stalled there for Arabic.)"""
    names = list(rerank.FEATURES)
    w = np.zeros(len(names))
    w[names.index("fused")] = 1.0
    best = mrr(w, data, mean, scale)[0]
    for _ in range(iterations):
        for j in [names.index(f) for f in rerank.SEARCHED]:
            for step in (-1.0, -0.5, -0.25, -0.1, 0.1, 0.25, 0.5, 1.0):
                trial = w.copy()
                trial[j] += step
                score = mrr(trial, data, mean, scale)[0]
                if score > best + 1e-9:
                    best, w = score, trial
    return w


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--depth", type=int, default=20, help="fused candidates scored (the rerank_depth setting)")
    ap.add_argument("--out", type=Path, default=MODELS)
    args = ap.parse_args()
    rows = load()
    train = [r for r in rows if r["split"] == "train"]
    dev = [r for r in rows if r["split"] == "dev"]
    models = {}
    for lang in ("ar", "en"):
        data = per_question([r for r in train if r["item"]["lang"] == lang], args.depth)
        x = np.vstack([x for *_, x in data])
        mean, scale = x.mean(0), x.std(0)
        scale[scale == 0] = 1.0
        w = coordinate_ascent(data, mean, scale)
        meta = {"trained_on": f"ARCD train + MLQA train splits (eval/datasets.py), {lang} questions",
                "method": "coordinate ascent on MRR (linear, standardised features)", "n_questions": len(data),
                "depth": args.depth, "train_mrr_hit1": [round(v, 4) for v in mrr(w, data, mean, scale)],
                "date": dt.date.today().isoformat(), "script": "eval/train_reranker.py"}
        models[lang] = LogisticModel(f"reranker-{lang}", tuple(rerank.FEATURES), mean, scale, w, 0.0, meta)
        print(f"{lang}: weights", {n: round(v, 2) for n, v in zip(rerank.FEATURES, w) if v})
    result = table(dev, models, args.depth)
    for lang, model in models.items():
        model.meta["dev"] = {f"{k[0]}-{k[1]}": {s: [round(v[0], 4), round(v[1], 4)] for s, v in st.items()}
                             for k, st in result.items() if k[1] == lang}
        model.save(args.out / f"reranker-{lang}.json")
    print_table(table(train, models, args.depth), "train (fitted on)")
    print_table(result, "DEV (never trained on)")


if __name__ == "__main__":
    main()
