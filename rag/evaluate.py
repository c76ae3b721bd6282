"""Evaluation against a gold JSONL file: retrieval hit@k/MRR, answer EM/F1/contains, citations, refusals, latency.

Gold lines: {"id", "lang", "question", "answers": [...], "answers_ar"?: [...], "source": str | [str] | null,
"answerable"?: bool (default true)}. See eval/README.md for what every metric means.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
import json
import logging
import random
import re
import statistics
import subprocess
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from .arabic import normalize
from .features import question_type
from .config import Settings
from .errors import ConfigError, RagError

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parent.parent
RUNS_DIR = REPO / "eval" / "runs"
MODES = ("retrieval", "extractive", "llm")
RETRIEVED_FILES = 5       # files kept for hit@k / MRR
SEARCH_DEPTH = 20         # chunks searched to find RETRIEVED_FILES distinct files
_ARTICLES = re.compile(r"\b(a|an|the)\b")
SHORT_TYPES = ("number", "date")  # question types whose answers short_answer marks


# ---------------------------------------------------------------- gold

def load_gold(path: str | Path, limit: int | None = None, sample: int | None = None) -> list[dict]:
    """Gold items in file order; `limit` keeps the first N, `sample` a seeded random N (same N, same items)."""
    items = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}:{n}: not JSON ({exc.msg})") from None
            missing = {"id", "question"} - item.keys()
            if missing:
                raise ConfigError(f"{path}:{n}: missing {sorted(missing)}")
            item.setdefault("lang", "ar")
            item.setdefault("answers", [])
            item["answerable"] = bool(item.get("answerable", True))
            items.append(item)
            if limit and len(items) >= limit:
                break
    if sample and sample < len(items):
        keep = set(random.Random(0).sample(range(len(items)), sample))
        items = [item for i, item in enumerate(items) if i in keep]
    return items


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


# ---------------------------------------------------------------- answer matching

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
        for key in ("exact_match", "f1", "contains", "citation_precision", "citation_recall", "short_em", "short_f1",
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


# ---------------------------------------------------------------- running

def store_for_corpus(corpus: str | Path) -> Path:
    """The evaluation's own index folder for a corpus: eval/runs/stores/<name>-<hash of its path>/."""
    path = Path(corpus).resolve()
    return RUNS_DIR / "stores" / f"{path.name}-{hashlib.sha1(str(path).encode()).hexdigest()[:8]}"


def default_out_dir() -> Path:
    return RUNS_DIR / _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%d-%H%M%S")


def git_commit() -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or None if out.returncode == 0 else None
    except (OSError, subprocess.SubprocessError):
        return None


def resolve_engine(settings: Settings, mode: str) -> str | None:
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, but got {mode!r}")
    if mode == "retrieval":
        return None
    if mode == "extractive":
        return "extractive"
    engine = settings.resolved_engine
    if engine == "extractive":
        raise ConfigError("mode llm needs an LLM, but none is configured: set --llm-url, --gguf or --engine")
    return engine


def _files(hits) -> list[str]:
    """Retrieved files, best first; a hit's near-duplicates (cited once in the product, rag/dedup.py) right after
    it: they hold the same text, so a scorer by file must see them (ARCD: paragraph 01 is the start of 02)."""
    seen: list[str] = []
    for h in hits:
        for source in (h.source, *(a["source"] for a in h.also)):
            if source not in seen:
                seen.append(source)
    return seen


def _cited(manifest, citations) -> list[str]:
    """Cited files, best first, each followed by its near-duplicates that hold the quoted sentence verbatim."""
    out: list[str] = []
    for c in citations:
        holders = [a["source"] for a in c.also
                   if any(c.snippet in text for text in manifest.texts(manifest.chunk_ids(a["source"])).values())]
        out += [s for s in (c.source, *holders) if s not in out]
    return out


class Judge:
    """LLM judge of faithfulness on an OpenAI-compatible server: is every statement backed by the cited passages?"""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._llm = None

    def verdict(self, answer: str, passages: list[str]) -> bool | None:
        """True/False, or None when the judge gave no usable reply (not counted)."""
        from . import prompts

        if self._llm is None:
            from .answer import openai_llm
            self._llm = openai_llm(self.settings, max_tokens=4, temperature=0.0)
        text = prompts.render("judge", answer=answer,
                              passages="\n\n".join(f"[{n}] {p}" for n, p in enumerate(passages, start=1)))
        try:
            reply = self._llm.complete(text).text.strip().upper()
        except Exception as exc:  # a judge failure must not stop the evaluation
            log.warning("judge failed: %s", exc)
            return None
        if reply.startswith("YES"):
            return True
        if reply.startswith("NO"):
            return False
        return None


def predict(assistant, item: dict, mode: str, engine: str | None, judge: Judge | None = None) -> dict:
    """One prediction line for a gold item."""
    pred = {"id": item["id"], "answer": "", "refused": False, "citations": [], "retrieved": [], "latency": None}
    try:
        start = time.perf_counter()
        hits = assistant.search(item["question"], SEARCH_DEPTH)
        search_time = time.perf_counter() - start
        pred["retrieved"] = _files(hits)[:RETRIEVED_FILES]
        if mode == "retrieval":
            pred["latency"] = round(search_time, 4)
            pred["citations"] = pred["retrieved"]  # a scorer reading the contract's `citations` scores retrieval
            pred["stages"] = {name: files[:RETRIEVED_FILES]
                              for name, files in assistant.retriever.stages(item["question"]).items()}
            return pred
        llm = assistant.engine(engine) if engine and engine != "extractive" else None
        if llm is not None:
            llm.last_generation = None  # set again only if the model runs (the gate may refuse first)
        start = time.perf_counter()
        answer = assistant.ask(item["question"], engine=engine)
        pred["latency"] = round(time.perf_counter() - start, 4)
        generation = getattr(llm, "last_generation", None)
        if generation:  # the model's own text and timing, also when its answer was rejected for the fallback
            pred.update(generation=generation["text"], ttft=generation["ttft"], tokens=generation["tokens"],
                        tokens_per_s=generation["tokens_per_s"])
        pred.update(answer=answer.answer, refused=bool(answer.refused), engine=answer.engine,
                    citations=_cited(assistant.store.manifest, answer.citations),
                    short_answer=answer.short_answer, answerable=answer.answerable)
        if answer.notice:
            pred["notice"] = answer.notice
        if judge is not None and not answer.refused:
            pred["faithful"] = judge.verdict(answer.answer, [c.text for c in answer.citations])
    except RagError as exc:
        pred.update(error=str(exc)[:300], refused=True)
    return pred


def run(settings: Settings, gold_path: str | Path, out_dir: str | Path | None = None, mode: str = "retrieval",
        limit: int | None = None, index: bool = True,
        progress: Callable[[int, int], None] | None = None, judge: bool = True,
        sample: int | None = None) -> tuple[dict, Path]:
    """Index (incrementally) when asked, predict every gold item, write predictions, metrics, chart and report.

    With an OpenAI-compatible server configured (settings.llm_url) and judge=True, answers are also judged for
    faithfulness by that server; without one the evaluation runs fully and the metric is `-`."""
    from . import prompts
    from .chat import Assistant

    engine = resolve_engine(settings, mode)
    gold = load_gold(gold_path, limit, sample)
    out = Path(out_dir) if out_dir else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    index_report = None
    if index:
        from .indexer import Indexer
        report = Indexer(settings).index()
        index_report = {"articles": report.total_articles, "chunks": report.total_chunks,
                        "added": len(report.added), "updated": len(report.updated), "removed": len(report.removed)}
    assistant = Assistant(settings)
    judged = Judge(settings) if judge and settings.llm_url and mode != "retrieval" else None
    predictions = []
    started = time.perf_counter()
    with open(out / "predictions.jsonl", "w", encoding="utf-8") as fh:
        for i, item in enumerate(gold, start=1):
            pred = predict(assistant, item, mode, engine, judged)
            predictions.append(pred)
            fh.write(json.dumps(pred, ensure_ascii=False) + "\n")
            fh.flush()  # a stopped run keeps the predictions it made
            if progress:
                progress(i, len(gold))
    metrics = compute_metrics(gold, predictions, mode)
    try:
        fingerprints = prompts.fingerprint()
    except RagError:
        fingerprints = {}
    metrics["run"] = {
        "mode": mode, "engine": engine, "gold": str(gold_path), "limit": limit, "sample": sample, "questions": len(gold),
        "seconds": round(time.perf_counter() - started, 2), "git_commit": git_commit(),
        "time": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in dataclasses.asdict(settings).items()
                     if k != "llm_api_key"},
        "prompt_fingerprints": fingerprints, "index": index_report,
        "judge": f"{settings.llm_model} at {settings.llm_url}" if judged else None,
    }
    (out / "metrics.json").write_text(json.dumps(metrics, ensure_ascii=False, indent=2), encoding="utf-8")
    chart = write_chart(metrics, out / "metrics.png")
    (out / "report.md").write_text(render_report(metrics, chart), encoding="utf-8")
    return metrics, out


# ---------------------------------------------------------------- reporting

TABLE_KEYS = ("n", "hit@1", "hit@5", "mrr", "exact_match", "f1", "contains", "citation_precision", "citation_recall",
              "short_answer_rate", "short_em", "short_f1", "refusal_rate_unanswerable", "false_refusal_rate",
              "faithfulness", "latency_p50", "latency_p95", "ttft_p50", "tokens_per_s_p50")
STAGES = ("dense", "bm25", "fused", "reranked")
CHART_KEYS = ("hit@1", "hit@5", "mrr", "exact_match", "f1", "contains", "citation_precision",
              "refusal_rate_unanswerable", "false_refusal_rate")


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def table(metrics: dict) -> str:
    """Markdown table: one row per metric, columns overall and each language."""
    groups = [("overall", metrics["overall"])] + list(metrics["by_language"].items())
    lines = ["| metric | " + " | ".join(name for name, _ in groups) + " |",
             "|---|" + "---|" * len(groups)]
    keys = [k for k in TABLE_KEYS if k in metrics["overall"]]  # ttft/tokens only in llm mode
    for stage in STAGES:  # retrieval mode: every stage of the ranking, measured in the same run
        keys += [k for k in (f"hit@1_{stage}", f"hit@5_{stage}", f"mrr_{stage}") if metrics["overall"].get(k) is not None]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(_fmt(m.get(key)) for _, m in groups) + " |")
    return "\n".join(lines)


def write_chart(metrics: dict, path: Path) -> Path | None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    groups = [("overall", metrics["overall"])] + list(metrics["by_language"].items())
    keys = [k for k in CHART_KEYS if any(m.get(k) is not None for _, m in groups)]
    if not keys:
        return None
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(keys)), 4))
    width = 0.8 / len(groups)
    for j, (name, m) in enumerate(groups):
        xs = [i + (j - (len(groups) - 1) / 2) * width for i in range(len(keys))]
        ax.bar(xs, [m.get(k) or 0.0 for k in keys], width, label=f"{name} (n={m['n']})")
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels(keys, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.legend()
    run_info = metrics.get("run", {})
    ax.set_title(f"{Path(run_info.get('gold', '')).parent.name or 'gold'} - {run_info.get('mode', '')} "
                 f"({run_info.get('settings', {}).get('retrieval', '')})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def render_report(metrics: dict, chart: Path | None) -> str:
    r = metrics.get("run", {})
    s = r.get("settings", {})
    lines = [f"# Evaluation: {r.get('gold')} ({r.get('mode')})", "",
             f"- time: {r.get('time')}; commit: {r.get('git_commit')}",
             f"- questions: {r.get('questions')} (limit {r.get('limit')}); engine: {r.get('engine')}; "
             f"retrieval: {s.get('retrieval')}; embedder: {s.get('embed_backend')}; seconds: {r.get('seconds')}",
             f"- relevance_floor {s.get('relevance_floor')}, gate thresholds ar {s.get('gate_threshold_ar')} / "
             f"en {s.get('gate_threshold_en')}, rerank {s.get('rerank')}",
             f"- prompts: {', '.join(f'{k}={v}' for k, v in (r.get('prompt_fingerprints') or {}).items())}",
             "", table(metrics), ""]
    if chart:
        lines += [f"![metrics by language]({chart.name})", ""]
    return "\n".join(lines)
