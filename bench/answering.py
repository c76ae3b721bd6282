"""Extractive answering end to end: total, retrieval and engine time per question."""
from __future__ import annotations

import time

from bench.common import ms


def bench_answering(settings, qs: list[str]) -> dict:
    from rag.answering.answer import Answer
    from rag.answering.assistant import Assistant

    a = Assistant(settings.replace(engine="extractive"))
    a.ask(qs[0])  # warm-up: model and BM25 load
    total, search, refused = [], [], 0
    for q in qs:
        t = time.perf_counter()
        for ev in a.stream(q):
            if isinstance(ev, list):
                search.append(time.perf_counter() - t)
            elif isinstance(ev, Answer):
                refused += ev.refused
        total.append(time.perf_counter() - t)
    engine = [a - b for a, b in zip(total, search)]
    return {**ms(total), "refused": refused, "retrieval": ms(search), "engine": ms(engine)}
