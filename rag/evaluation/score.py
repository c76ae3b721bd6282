"""Scoring an evaluation run: answer matching (EM, token F1, contains on normalised text), retrieval and citation
scores by file, and the metrics of each language group (hit@k, MRR, refusals, short answers, latency)."""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from typing import Iterable

from rag.arabic import normalize
from rag.retrieval.features import question_type

_ARTICLES = re.compile(r"\b(a|an|the)\b")
SHORT_TYPES = ("number", "date")  # question types whose answers short_answer marks


def gold_sources(item: dict) -> list[str]:
    src = item.get("source")
    if not src:
        return []
    return [src] if isinstance(src, str) else [s for s in src if s]


def gold_answers(item: dict) -> list[str]:
    """Accepted answers; an English question may also be answered with the Arabic form."""
    answers = list(item.get("answers") or [])
    if item.get("lang") == "en":
        answers += list(item.get("answers_ar") or [])
    return [a for a in answers if a and a.strip()]


def normalize_answer(text: str) -> str:
    """Arabic normalisation (diacritics, letter forms, digits), then SQuAD's: lower case, no punctuation, no a/an/the."""
    text = normalize(text or "")
    text = "".join(" " if unicodedata.category(ch).startswith(("P", "S")) else ch for ch in text)
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: Iterable[str]) -> float:
    p = normalize_answer(prediction)
    return float(any(p == normalize_answer(g) for g in golds))


def _f1(prediction: str, gold: str) -> float:
    p, g = normalize_answer(prediction).split(), normalize_answer(gold).split()
    if not p or not g:
        return float(p == g)
    common = sum((Counter(p) & Counter(g)).values())
    if not common:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def token_f1(prediction: str, golds: Iterable[str]) -> float:
    return max((_f1(prediction, g) for g in golds), default=0.0)


def contains(prediction: str, golds: Iterable[str]) -> float:
    """1 when a normalised gold answer appears, on word boundaries, inside the normalised prediction."""
    p = f" {normalize_answer(prediction)} "
    return float(any(n and f" {n} " in p for n in (normalize_answer(g) for g in golds)))


# ---------------------------------------------------------------- retrieval / citation scoring

def rank_of(retrieved: list[str], gold: list[str]) -> int | None:
    """1-based rank of the first gold file among the retrieved files, or None."""
    for i, src in enumerate(retrieved, start=1):
        if src in gold:
            return i
    return None


def citation_scores(cited: list[str], gold: list[str]) -> tuple[float | None, float | None]:
    """(precision, recall) of the cited files against the gold files; None where undefined."""
    cited_set, gold_set = set(cited), set(gold)
    precision = len(cited_set & gold_set) / len(cited_set) if cited_set else None
    recall = len(cited_set & gold_set) / len(gold_set) if gold_set else None
    return precision, recall


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 4) if values else None


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo, hi = int(pos), min(int(pos) + 1, len(s) - 1)
    return round(s[lo] + (s[hi] - s[lo]) * (pos - lo), 4)


def score_group(pairs: list[tuple[dict, dict]], mode: str) -> dict:
    """Metrics for (gold item, prediction) pairs of one group."""
    answerable = [(g, p) for g, p in pairs if g["answerable"]]
    unanswerable = [(g, p) for g, p in pairs if not g["answerable"]]
    with_source = [(g, p) for g, p in answerable if gold_sources(g)]
    ranks = [rank_of(p["retrieved"], gold_sources(g)) for g, p in with_source]
    m: dict = {
        "n": len(pairs), "n_answerable": len(answerable), "n_unanswerable": len(unanswerable),
        "hit@1": _mean([float(r is not None and r <= 1) for r in ranks]),
        "hit@5": _mean([float(r is not None and r <= 5) for r in ranks]),
        "mrr": _mean([1.0 / r if r else 0.0 for r in ranks]),
    }
    latencies = [p["latency"] for _, p in pairs if p.get("latency") is not None]
    if mode != "retrieval":
        scored = [(g, p) for g, p in answerable if gold_answers(g)]
        answers = [("" if p["refused"] else p["answer"], gold_answers(g)) for g, p in scored]
        m["exact_match"] = _mean([exact_match(a, gs) for a, gs in answers])
        m["f1"] = _mean([token_f1(a, gs) for a, gs in answers])
        m["contains"] = _mean([contains(a, gs) for a, gs in answers])
        # English gold (answers_en, #21): does the reply state the answer in English? and its answer line alone
        english = [(g, p) for g, p in answerable if g.get("answers_en")]
        m["n_en_gold"] = len(english)
        m["contains_en"] = _mean([contains("" if p["refused"] else p["answer"], g["answers_en"]) for g, p in english])
        m["answer_en_contains"] = _mean([contains("" if p["refused"] else p.get("answer_en") or "", g["answers_en"])
                                         for g, p in english])
        m["answer_en_rate"] = _mean([float(bool(p.get("answer_en")) and not p["refused"]) for _, p in english])
        precisions, recalls = [], []
        for g, p in with_source:
            if p["refused"]:
                continue
            prec, rec = citation_scores(p["citations"], gold_sources(g))
            if prec is not None:
                precisions.append(prec)
            if rec is not None:
                recalls.append(rec)
        m["citation_precision"] = _mean(precisions)
        m["citation_recall"] = _mean(recalls)
        typed = [(g, p) for g, p in scored if question_type(g["question"]) in SHORT_TYPES]
        shorts = [("" if p["refused"] else p.get("short_answer") or "", gold_answers(g)) for g, p in typed]
        m["n_short_typed"] = len(typed)  # number and date questions: the types short_answer covers
        m["short_answer_rate"] = _mean([float(bool(a)) for a, _ in shorts])
        m["short_em"] = _mean([exact_match(a, gs) for a, gs in shorts])
        m["short_f1"] = _mean([token_f1(a, gs) for a, gs in shorts])
        m["refusal_rate_unanswerable"] = _mean([float(p["refused"]) for _, p in unanswerable])
        m["false_refusal_rate"] = _mean([float(p["refused"]) for _, p in answerable])
        verdicts = [float(p["faithful"]) for _, p in pairs if p.get("faithful") is not None]
        m["faithfulness"] = _mean(verdicts)  # None without a judge
        m["n_judged"] = len(verdicts)
    else:
        for key in ("exact_match", "f1", "contains", "contains_en", "citation_precision", "citation_recall", "short_em", "short_f1",
                    "refusal_rate_unanswerable", "false_refusal_rate", "faithfulness"):
            m[key] = None
        for stage in dict.fromkeys(name for _, p in with_source for name in p.get("stages", {})):
            stage_ranks = [rank_of(p.get("stages", {}).get(stage, []), gold_sources(g)) for g, p in with_source]
            m[f"hit@1_{stage}"] = _mean([float(r is not None and r <= 1) for r in stage_ranks])
            m[f"hit@5_{stage}"] = _mean([float(r is not None and r <= 5) for r in stage_ranks])
            m[f"mrr_{stage}"] = _mean([1.0 / r if r else 0.0 for r in stage_ranks])
    m["latency_p50"] = _percentile(latencies, 0.5)
    m["latency_p95"] = _percentile(latencies, 0.95)
    if mode == "llm":  # the model's generations only (a gate refusal runs no model): time to first token, speed
        m["n_generated"] = sum(1 for _, p in pairs if p.get("ttft") is not None)
        m["ttft_p50"] = _percentile([p["ttft"] for _, p in pairs if p.get("ttft") is not None], 0.5)
        m["tokens_per_s_p50"] = _percentile([p["tokens_per_s"] for _, p in pairs
                                             if p.get("tokens_per_s") is not None], 0.5)
    m["errors"] = sum(1 for _, p in pairs if p.get("error"))
    return m


def compute_metrics(gold: list[dict], predictions: list[dict], mode: str) -> dict:
    """{"overall": {...}, "by_language": {"ar": {...}, "en": {...}}}; predictions matched to gold by id."""
    by_id = {p["id"]: p for p in predictions}
    pairs = [(g, by_id[g["id"]]) for g in gold if g["id"] in by_id]
    langs = sorted({g["lang"] for g, _ in pairs})
    return {"overall": score_group(pairs, mode),
            "by_language": {lang: score_group([(g, p) for g, p in pairs if g["lang"] == lang], mode) for lang in langs}}
