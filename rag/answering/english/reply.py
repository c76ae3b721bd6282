"""The extractive engine's reply to an English question: the English answer line first, then the Arabic quotes as
its evidence, each marked as Arabic (a right-to-left isolate) with its own citation."""
from __future__ import annotations

from rag import prompts

from . import Rendered, answer_line, isolate


def quote_line(sentence: str, n: int, date: str = "") -> str:
    """"- «⁧Arabic sentence⁩» [n] (date)": the guillemets and the marker stay outside the right-to-left isolate."""
    return f"- «{isolate(sentence)}» [{n}]" + (f" ({date})" if date else "")


def english_reply(quotes: list[str], span: str = "", citation: int = 0, rendered: Rendered | None = None) -> str:
    """The reply body (before the recency line): the answer line when a short answer was marked, else a plain
    sentence saying none was; `quotes` are quote_line()s."""
    body = "\n".join(quotes)
    if not span:
        return prompts.render("extractive_none.en", quotes=body)
    return prompts.render("extractive_short.en", answer_line=answer_line(rendered, span, citation), quotes=body)
