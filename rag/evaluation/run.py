"""Running an evaluation: read the gold file, index its corpus into the evaluation's own store when asked, ask every
question through the product (retrieval, extractive or llm mode), and write predictions.jsonl, metrics.json and the report.

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
import subprocess
import time
from pathlib import Path
from typing import Callable

from rag.config import Settings
from rag.errors import ConfigError, RagError
from rag.evaluation.report import render_report, write_chart
from rag.evaluation.score import compute_metrics

log = logging.getLogger(__name__)
REPO = Path(__file__).resolve().parents[2]
RUNS_DIR = REPO / "eval" / "runs"
MODES = ("retrieval", "extractive", "llm")
RETRIEVED_FILES = 5       # files kept for hit@k / MRR
SEARCH_DEPTH = 20         # chunks searched to find RETRIEVED_FILES distinct files


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


def hit_files(hits) -> list[str]:
    """Retrieved files, best first; a hit's near-duplicates (cited once in the product, rag/indexing/dedup.py) right after
    it: they hold the same text, so a scorer by file must see them (ARCD: paragraph 01 is the start of 02)."""
    seen: list[str] = []
    for h in hits:
        for source in (h.source, *(a["source"] for a in h.also)):
            if source not in seen:
                seen.append(source)
    return seen


def cited_files(manifest, citations) -> list[str]:
    """Cited files, best first, each followed by its near-duplicates that hold the quoted sentence verbatim."""
    out: list[str] = []
    for c in citations:
        holders = [a["source"] for a in c.also
                   if any(c.snippet in text for text in manifest.files.texts(manifest.files.chunk_ids(a["source"])).values())]
        out += [s for s in (c.source, *holders) if s not in out]
    return out


class Judge:
    """LLM judge of faithfulness on an OpenAI-compatible server: is every statement backed by the cited passages?"""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._llm = None

    def verdict(self, answer: str, passages: list[str]) -> bool | None:
        """True/False, or None when the judge gave no usable reply (not counted)."""
        from rag import prompts

        if self._llm is None:
            from rag.answering.llm import openai_llm
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
        pred["retrieved"] = hit_files(hits)[:RETRIEVED_FILES]
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
                    citations=cited_files(assistant.store.manifest, answer.citations),
                    short_answer=answer.short_answer, answerable=answer.answerable, answer_en=answer.answer_en)
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
    from rag import prompts
    from rag.answering.assistant import Assistant

    engine = resolve_engine(settings, mode)
    gold = load_gold(gold_path, limit, sample)
    out = Path(out_dir) if out_dir else default_out_dir()
    out.mkdir(parents=True, exist_ok=True)
    index_report = None
    if index:
        from rag.indexing.indexer import Indexer
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
