"""Train the answer selector (rag/models/selector.json) and the refusal gate (rag/models/gate.json); report dev numbers.

    python eval/train_selector.py      # after eval/dump.py, eval/sentence_cache.py and eval/train_reranker.py

Selector rows: every sentence of the 3 best reranked passages, label = it holds a gold answer; fitted as a pairwise
ranker within each question, then Platt-scaled to a probability (--objective pointwise: the earlier per-sentence
logistic loss; 5-fold CV on train: top-3 contains ar 0.790 -> 0.795, en 0.649 -> 0.658). Gate rows: each question
twice, over the whole corpus (answerable) and with its answer paragraphs excluded (NoMIRACL, unanswerable), and, when
eval/dump.py --against made them, once over the other benchmark's corpus (off-topic, unanswerable); its selector inputs are out-of-fold (5 folds by article) so the gate never sees the selector's fit to its own rows.
Thresholds: per language, the highest gate threshold whose out-of-fold false refusal rate on train stays within
--max-false-refusal; dev only reports.
"""
from __future__ import annotations

import argparse
import datetime as dt
import pickle
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))
import datasets  # noqa: E402
import sentence_cache  # noqa: E402
from train_reranker import candidates, load as load_rows  # noqa: E402

from rag.retrieval import rerank
from rag.answering import select  # noqa: E402
from rag.evaluation import contains  # noqa: E402
from rag.retrieval.model import MODELS, LogisticModel, load  # noqa: E402

SEED = 0
PASSAGES = 3


@dataclass(frozen=True)
class PseudoHit:
    source: str
    text: str
    score: float
    dense: float
    keyword: float


def fit(x: np.ndarray, y: np.ndarray, c: float):
    """Standardised logistic regression: a calibrated probability, small weights in a JSON file."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(x)
    scaler.scale_[scaler.scale_ == 0] = 1.0
    return scaler, LogisticRegression(C=c, max_iter=3000, random_state=SEED).fit(scaler.transform(x), y)


class Vectors:
    def __init__(self) -> None:
        self.cache = {**sentence_cache.load("arcd"), **sentence_cache.load("mlqa")}
        self.embedder = None
        self.missing = 0

    def __call__(self, sentences: list[str]) -> np.ndarray:
        todo = [s for s in dict.fromkeys(sentences) if s not in self.cache]
        if todo:
            if self.embedder is None:
                from rag.config import Settings
                from rag.indexing.embed import make_embedder
                self.embedder = make_embedder(Settings.from_env(env={}))
            self.missing += len(todo)
            for s, v in zip(todo, self.embedder.passages(todo)):
                self.cache[s] = v
        return np.vstack([self.cache[s] for s in sentences])


def reranked_hits(q, rows: list[dict], models: dict, passages: int = PASSAGES) -> list[PseudoHit]:
    cands = candidates(rows)
    head, tail = cands[:20], cands[20:]
    if head:
        for c, p in zip(head, models[q.lang].predict(rerank.chunk_features(q, head))):
            c.score = float(p)
        head = sorted(head, key=lambda c: -c.score)  # stable, as at run time
    top_kw = max((c.keyword for c in cands), default=0.0) or 1.0
    ordered = (head + tail)[:passages]
    return [PseudoHit(c.source, c.node.get_content(), c.score, c.dense, c.keyword / top_kw) for c in ordered]


def build(rows, reranker, vectors, passages: int = PASSAGES) -> list[dict]:
    """Per (question, variant): sentence candidates, features, labels, and the gate label."""
    out = []
    for row in rows:
        q, item = row["q"], row["item"]
        for variant in ("offtopic",) if "offtopic" in row else ("full", "removed"):
            hits = reranked_hits(q, row[variant], reranker, passages)
            cands = select.candidates(hits)
            cos = vectors([s for s, *_ in cands]) @ q.vector if cands else np.zeros(0)
            feats = select.sentence_features(q, hits, cands, cos)
            labels = np.array([contains(s, item["answers"]) for s, *_ in cands], float)
            if variant == "offtopic" and labels.any():
                continue  # the other corpus happens to hold the answer: not an off-topic question
            out.append({"row": row, "variant": variant, "hits": hits, "cands": cands, "cos": cos, "x": feats,
                        "y": labels, "answerable": variant == "full", "group": datasets.article_of(item["source"]),
                        "lang": item["lang"], "set": row["set"], "item": item})
    return out


@dataclass
class Linear:
    """A linear scorer in sklearn's shape (coef_, intercept_), for LogisticModel.from_sklearn."""
    coef_: np.ndarray
    intercept_: np.ndarray


def fit_pairwise(xs: list[np.ndarray], ys: list[np.ndarray], c: float):
    """Pairwise ranking (RankSVM-style, logistic loss): within each question, every (answering, other) sentence pair is
    one row x_pos - x_neg (sign flipped at random, seeded); the ranking weights need no intercept. Platt scaling of the
    resulting score (with the question-level columns) against the sentence labels then gives the calibrated
    probability the gate and quote_ratio read: still one standardised logistic model."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(np.vstack(xs))
    scaler.scale_[scaler.scale_ == 0] = 1.0
    rng = np.random.default_rng(SEED)
    diffs, signs = [], []
    for x, y in zip(xs, ys):
        z = scaler.transform(x)
        for a in np.flatnonzero(y > 0):
            for b in np.flatnonzero(y == 0):
                flip = rng.random() < 0.5
                diffs.append(z[b] - z[a] if flip else z[a] - z[b])
                signs.append(0 if flip else 1)
    ranker = LogisticRegression(C=c, max_iter=3000, fit_intercept=False, random_state=SEED)
    ranker.fit(np.asarray(diffs), np.asarray(signs))
    w = ranker.coef_[0]
    # Question-level columns (the language, the question type) are equal for every sentence of a question, so they
    # cancel in the pairs; the calibration takes them back in: p = sigmoid(a * (w . z) + c . z[question columns] + b).
    cols = [i for i, name in enumerate(select.SENTENCE_FEATURES) if name in QUESTION_LEVEL]
    z = scaler.transform(np.vstack(xs))
    platt = LogisticRegression(C=1e6, max_iter=3000, random_state=SEED)
    platt.fit(np.column_stack([z @ w, z[:, cols]]), np.concatenate(ys))
    coef = platt.coef_[0][0] * w
    coef[cols] += platt.coef_[0][1:]
    return scaler, Linear(np.asarray([coef]), np.asarray([float(platt.intercept_[0])]))


QUESTION_LEVEL = ("en", *(f"q_{t}" for t in select.F.QTYPES))


OBJECTIVE = ["pairwise"]  # set from --objective


def fit_selector(units: list[dict], c: float):
    xs = [u["x"] for u in units if u["variant"] == "full" and len(u["y"])]
    ys = [u["y"] for u in units if u["variant"] == "full" and len(u["y"])]
    if OBJECTIVE[0] == "pairwise":
        return fit_pairwise(xs, ys, c)
    return fit(np.vstack(xs), np.concatenate(ys), c)


def to_model(name, features, scaler, clf, meta) -> LogisticModel:
    return LogisticModel.from_sklearn(name, list(features), scaler, clf, meta)


def selector_probs(units, model: LogisticModel) -> None:
    for u in units:
        u["p"] = model.predict(u["x"]) if len(u["x"]) else np.zeros(0)
        u["g"] = select.gate_features(u["row"]["q"], u["hits"], u["cands"], u["cos"], u["p"], u["x"])


def oof_selector(units, c: float, folds: int = 5, seed: int = SEED) -> None:
    """Out-of-fold selector probabilities (folds by article, drawn with `seed`) for the gate's training rows and for
    eval/cv_selector.py."""
    groups = sorted({u["group"] for u in units})
    fold_of = {g: i % folds for i, g in enumerate(np.random.default_rng(seed).permutation(groups))}
    for f in range(folds):
        train = [u for u in units if fold_of[u["group"]] != f]
        scaler, clf = fit_selector(train, c)
        model = to_model("selector", select.SENTENCE_FEATURES, scaler, clf, {})
        selector_probs([u for u in units if fold_of[u["group"]] == f], model)


def quotes(u, ratio: float, most: int) -> list[str]:
    """What ExtractiveEngine.quotes would quote from this unit's selector probabilities."""
    if not len(u["p"]):
        return []
    order = np.argsort(-u["p"], kind="stable")
    scored = [select.Scored(u["cands"][i][0], u["cands"][i][1], float(u["p"][i]), u["cands"][i][2]) for i in order]
    return [s.sentence for s in select.quotes(scored, ratio, most)]


def report(units, gate: LogisticModel, thresholds: dict, ratio: float, most: int, title: str) -> dict:
    res = {}
    for key in sorted({(u["set"], u["lang"]) for u in units}):
        group = [u for u in units if (u["set"], u["lang"]) == key]
        full = [u for u in group if u["variant"] == "full"]
        removed = [u for u in group if u["variant"] == "removed"]
        offtopic = [u for u in group if u["variant"] == "offtopic"]
        ok = lambda u: gate.predict(u["g"])[0] >= thresholds[u["lang"]]  # noqa: E731
        cont = [contains(" ".join(quotes(u, ratio, most)), u["item"]["answers"]) if ok(u) else 0.0 for u in full]
        top1 = [contains(quotes(u, 1.0, 1)[0] if quotes(u, 1.0, 1) else "", u["item"]["answers"]) for u in full]
        res[key] = {"n": len(full), "contains": np.mean(cont), "top1_sentence_contains": np.mean(top1),
                    "false_refusal": np.mean([not ok(u) for u in full]),
                    "removed_refused": np.mean([not ok(u) for u in removed]),
                    "offtopic_refused": np.mean([not ok(u) for u in offtopic]) if offtopic else float("nan")}
    print(f"\n{title}\n| set | lang | n | contains | top-1 sentence contains | false refusals | removed refused | "
          "off-topic refused |")
    for (name, lang), r in res.items():
        print(f"| {name} | {lang} | {r['n']} | {r['contains']:.3f} | {r['top1_sentence_contains']:.3f} | "
              f"{r['false_refusal']:.3f} | {r['removed_refused']:.3f} | {r['offtopic_refused']:.3f} |")
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--c", type=float, default=1.0)
    ap.add_argument("--max-false-refusal", type=float, default=0.03)
    ap.add_argument("--ratio", type=float, default=0.05, help="quote sentences scoring at least this share of the best")
    ap.add_argument("--most", type=int, default=3)
    ap.add_argument("--passages", type=int, default=PASSAGES, help="passages the selector reads (extract_passages)")
    ap.add_argument("--no-offtopic", action="store_true", help="train the gate without the off-topic questions")
    ap.add_argument("--objective", choices=("pairwise", "pointwise"), default="pairwise",
                    help="selector loss: pairs of sentences within a question (default) or each sentence alone")
    ap.add_argument("--dry-run", action="store_true", help="report only; do not write the model files")
    args = ap.parse_args()
    OBJECTIVE[0] = args.objective
    rows = load_rows()
    # Off-topic questions (eval/dump.py --against): each set's questions over the other benchmark's index
    for name, other in (("arcd", "mlqa"), ("mlqa", "arcd")):
        path = REPO / "eval" / "cache" / f"{name}-on-{other}.pkl"
        if path.exists() and not args.no_offtopic:
            with open(path, "rb") as fh:
                rows += [{**r, "set": name} for r in pickle.load(fh)]
    reranker = {lang: load(f"reranker-{lang}") for lang in ("ar", "en")}
    vectors = Vectors()
    train = build([r for r in rows if r["split"] == "train"], reranker, vectors, args.passages)
    dev = build([r for r in rows if r["split"] == "dev"], reranker, vectors, args.passages)
    print(f"{len(train)} train and {len(dev)} dev units; {vectors.missing} sentences embedded on demand")
    oof_selector(train, args.c)
    g_x = np.vstack([u["g"] for u in train])
    g_y = np.array([u["answerable"] for u in train], float)
    gate_scaler, gate_clf = fit(g_x, g_y, args.c)
    gate_oof = np.zeros(len(train))  # thresholds from out-of-fold gate probabilities too
    groups = sorted({u["group"] for u in train})
    fold_of = {g: i % 5 for i, g in enumerate(np.random.default_rng(SEED).permutation(groups))}
    for f in range(5):
        idx = [i for i, u in enumerate(train) if fold_of[u["group"]] != f]
        s, c = fit(g_x[idx], g_y[idx], args.c)
        m = to_model("gate", select.GATE_FEATURES, s, c, {})
        test = [i for i, u in enumerate(train) if fold_of[u["group"]] == f]
        gate_oof[test] = m.predict(g_x[test])
    thresholds = {}
    for lang in ("ar", "en"):
        ans = np.sort([p for p, u in zip(gate_oof, train) if u["lang"] == lang and u["answerable"]])
        thresholds[lang] = float(ans[int(np.floor(args.max_false_refusal * len(ans)))]) if len(ans) else 0.5
    meta = {"trained_on": "ARCD train + MLQA train splits (eval/datasets.py), Arabic and English questions",
            "seed": SEED, "C": args.c, "objective": args.objective, "date": dt.date.today().isoformat(),
            "script": "eval/train_selector.py"}
    sel_scaler, sel_clf = fit_selector(train, args.c)
    selector = to_model("selector", select.SENTENCE_FEATURES, sel_scaler, sel_clf, dict(meta))
    gate = to_model("gate", select.GATE_FEATURES, gate_scaler, gate_clf,
                    {**meta, "thresholds": thresholds, "max_false_refusal_train_oof": args.max_false_refusal})
    selector_probs(dev, selector)
    report(train, gate, thresholds, args.ratio, args.most, "train (out-of-fold selector, in-sample gate)")
    result = report(dev, gate, thresholds, args.ratio, args.most, "DEV (never trained on)")
    gate.meta["dev"] = {f"{k[0]}-{k[1]}": {m: round(float(v), 4) for m, v in r.items()} for k, r in result.items()}
    selector.meta["dev"] = gate.meta["dev"]  # the two are measured together: quotes from the selector, refusals from the gate
    if not args.dry_run:
        selector.save(MODELS / "selector.json")
        gate.save(MODELS / "gate.json")
    print("thresholds", thresholds)
    for name, model in (("selector", selector), ("gate", gate)):
        weights = sorted(zip(model.features, model.coef), key=lambda t: -abs(t[1]))
        print(f"{name} standardised weights:", ", ".join(f"{n} {w:+.2f}" for n, w in weights[:14]))


if __name__ == "__main__":
    main()
