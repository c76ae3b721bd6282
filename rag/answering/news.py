"""News metadata on answers: each citation gets its article's outlet, written date and near-duplicates from its hit."""
from __future__ import annotations

import dataclasses

from rag.answering.answer import Answer
from rag.retrieval.retrieve import Hit


def with_news(answer: Answer | None, hits: list[Hit], read: tuple | list = ()) -> Answer | None:
    """The answer with each citation's outlet, date_text, date_precision, author and `also` copied from the hit it
    quotes: one of `hits`, or of `read` (what the selector read) when it quotes a near-duplicate version that `hits`
    shows inside another hit's `also`; its `also` is then the rest of that group."""
    if answer is None or not answer.citations:
        return answer
    by_chunk = {h.chunk_id: h for h in (*read, *hits)}
    group_of = {a["source"]: h for h in hits for a in h.also}
    shown_sources = {h.source for h in hits}
    citations = []
    for c in answer.citations:
        h = by_chunk.get(c.chunk_id)
        if h is None:
            citations.append(c)
            continue
        also = h.also
        if c.source in group_of and h.source not in shown_sources:
            shown = group_of[c.source]
            also = ({"source": shown.source, "outlet": shown.outlet, "date": shown.date},
                    *(a for a in shown.also if a["source"] != c.source))
        citations.append(dataclasses.replace(
            c, outlet=h.outlet, date_text=h.date_text, date_precision=h.date_precision, also=also, author=h.author))
    return dataclasses.replace(answer, citations=citations)
