"""Timeline answers: a question about how something developed gets its quotes in date order, each with its date and
outlet (extractive), or its passages in date order with the instruction to say what is most recent (LLM engines)."""
from __future__ import annotations

import dataclasses
from typing import Iterator

from rag import prompts
from rag.answering.english import isolate
from rag.answering.answer import Answer, most_recent, refusal
from rag.answering.cite import Citation
from rag.answering.extractive import ExtractiveEngine
from rag.answering.select import Selection, Selector
from rag.meta import shown_date
from rag.retrieval import features
from rag.retrieval.filters import date_key
from rag.retrieval.retrieve import Hit

MAX_QUOTES = 5        # one quote per article, at most this many
MIN_SHARE = 0.1       # an article's best sentence joins the timeline when the selector gives it this share of the best


def label(hit: Hit, language: str) -> str:
    """'2024-06-12 · الشرق' (what the article says when the year is unknown; 'date unknown' when nothing)."""
    date = shown_date(hit.date, hit.date_text, hit.date_precision, language) or (
        "تاريخ غير معروف" if language == "ar" else "date unknown")
    return f"{date} · {hit.outlet}" if hit.outlet else date


class TimelineEngine:
    """The extractive engine for timeline questions: the refusal gate as usual, then the selector's best sentence of
    each retrieved article (not only the best passages), in date order."""

    name = "extractive"

    def __init__(self, extractive: ExtractiveEngine) -> None:
        self.extractive = extractive
        self.settings = extractive.settings

    def stream(self, question: str, hits: list[Hit], language: str, q: features.Question | None = None,
               selection: Selection | None = None) -> Iterator[str | Answer]:
        ex = self.extractive
        q = q or features.analyse(question, ex.embedder.query(question))
        if q.vector is None:
            q = dataclasses.replace(q, vector=ex.embedder.query(q.text))
        selection = selection or ex.select(q, hits)
        if not ex.answerable(selection, language):
            yield refusal(language, question, self.name, answerable=selection.answerable)
            return
        wide = Selector(ex._vectors, self.settings.models_dir).select(q, hits)  # every passage, same sentence cache
        best = wide.sentences[0].prob if wide.sentences else 0.0
        chosen: dict[str, tuple[float, str, int]] = {}
        for s in wide.sentences:  # best first: the first sentence seen per article is its best
            if s.prob < MIN_SHARE * best or len(chosen) >= MAX_QUOTES:
                break
            chosen.setdefault(hits[s.hit].source, (s.prob, s.sentence, s.hit))
        items = sorted(chosen.values(), key=lambda t: (date_key(hits[t[2]]), -t[0]))
        lines, citations = [], []
        for n, (_, sentence, i) in enumerate(items, start=1):
            quote = f"«{isolate(sentence)}»" if language == "en" else sentence  # Arabic inside English (#21)
            lines.append(f"- {label(hits[i], language)}: {quote} [{n}]")
            h = hits[i]
            citations.append(Citation(n, h.source, h.chunk_id, sentence, h.score, h.title, h.date, h.text))
        text = prompts.render(f"timeline.{language}", quotes="\n".join(lines))
        latest = most_recent([(c.n, c.date) for c in citations])
        if latest:
            text += "\n" + prompts.render(f"recency.{language}", n=latest[0], date=latest[1])
        yield text
        yield Answer(text, language, False, citations, self.name, question=question, timeline=True,
                     answerable=selection.answerable)
