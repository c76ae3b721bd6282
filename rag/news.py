"""News metadata on answers: each citation gets its article's outlet, written date and near-duplicates from its hit."""
from __future__ import annotations

import dataclasses

from .answer import Answer
from .retrieve import Hit


def with_news(answer: Answer | None, hits: list[Hit]) -> Answer | None:
    """The answer with each citation's outlet, date_text, date_precision, author and `also` copied from the hit it quotes."""
    if answer is None or not answer.citations:
        return answer
    by_chunk = {h.chunk_id: h for h in hits}
    citations = []
    for c in answer.citations:
        h = by_chunk.get(c.chunk_id)
        citations.append(c if h is None else dataclasses.replace(
            c, outlet=h.outlet, date_text=h.date_text, date_precision=h.date_precision, also=h.also,
            author=h.author))
    return dataclasses.replace(answer, citations=citations)
