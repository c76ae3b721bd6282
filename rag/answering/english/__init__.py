"""The short answer of an English question rendered in English, offline: numbers, dates, CLDR names (places,
languages, currencies, months, weekdays), the gazetteer's news entities, and person names in Latin letters.

`render(span, kind, question)` tries the renderers that fit the answer kind and returns a `Rendered`, or None when
none is confident. Every renderer reads its value from the Arabic span itself (digits, number words, a name table
entry for the whole span, the question's own spelling of the span's words, or a transliteration of them): nothing is
added that the span does not say."""
from __future__ import annotations

import re
from dataclasses import dataclass

from rag.arabic import PDI, RLI

from .dates import render_date
from .names import lookup
from .numbers import render_number, render_ordinal
from .persons import render_from_question, render_person

_LATIN = re.compile(r"[A-Za-z]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
KINDS = ("number", "date", "person", "place", "other")
SHORT_SPAN = 4  # words: a number or date answers a "who" or "where" question only in a span this short


@dataclass(frozen=True)
class Rendered:
    text: str      # the English rendering ("10 countries", "Zamir Kabulov")
    kind: str      # number | date | person | place | other
    how: str       # which renderer: number, date, cldr, question, transliteration
    head: str = ""  # the part shown in bold (the number of "10 countries"); the whole text when empty

    @property
    def bold(self) -> str:
        return self.head or self.text


def kind_of(qtype: str) -> str:
    """rag's question type (features.QTYPES) -> the answer kind a renderer is chosen by."""
    return qtype if qtype in ("number", "date", "person", "place") else "other"


def render(span: str, kind: str = "", question: str = "", method: str = "package") -> Rendered | None:
    """The English rendering of the Arabic `span` answering `question` (answer kind from the reader or the question
    type; "" when unknown), or None when no renderer is confident."""
    span = (span or "").strip()
    if not span:
        return None
    if _LATIN.search(span) and not _ARABIC.search(span):  # the source already writes it in Latin letters
        return Rendered(span.strip(" .,،:;()«»\""), kind or "other", "latin")
    numeric = [("date", render_date), ("number", render_number)]
    if kind != "date":
        numeric.reverse()
    for name, f in numeric:
        if kind in ("person", "place") and len(span.split()) > SHORT_SPAN:
            continue  # a date inside a long answer to a "who" question is not that answer
        out = f(span)
        if out:
            head = out.split(" (")[0] if name == "date" else _number_head(out)
            return Rendered(out, name, name, head)
    found = lookup(span)
    if found:
        english, what = found
        return Rendered(english, "place" if what in ("place", "organisation") else "other", "cldr")
    spelled = render_from_question(span, question)
    if spelled:
        return Rendered(spelled, kind if kind in ("person", "place") else "other", "question")
    if kind in ("person", "place"):
        name = render_person(span, question, method)
        if name:
            return Rendered(name, kind, "transliteration")
    if kind == "number":
        ordinal = render_ordinal(span)
        if ordinal:
            return Rendered(ordinal, "number", "number")
    return None


def _number_head(text: str) -> str:
    """"10 countries" -> "10", "$40,000" -> "$40,000", "1.5 million Saudi riyals" -> "1.5 million"."""
    words = text.split()
    while len(words) > 1 and words[0] in ("more", "less", "than", "about", "at", "least", "up", "to"):
        words = words[1:]  # the qualifier stays outside the bold: "more than **70 million**"
    head = [words[0]]
    if len(words) > 1 and words[1] in ("thousand", "million", "billion", "trillion"):
        head.append(words[1])
    return " ".join(head)


def isolate(arabic: str) -> str:
    """Arabic text inside an English line: a right-to-left isolate (U+2067 ... U+2069), so it reads right to left
    and does not reorder the English around it."""
    return f"{RLI}{arabic}{PDI}" if arabic else ""


def answer_line(rendered: Rendered | None, span: str, citation: int) -> str:
    """"**Zamir Kabulov** (زامير كابولوف) [1]", "**10** countries (عشر دول) [1]"; when nothing is rendered, says so and
    shows the Arabic span in the same place."""
    cite = f" [{citation}]" if citation else ""
    if rendered is None:
        return f"No confident English rendering of the short answer; in Arabic: {isolate(span)}{cite}"
    text = rendered.text.replace(rendered.bold, f"**{rendered.bold}**", 1)
    if "**" not in text:
        text = f"**{rendered.text}**"
    if span.strip(" .,،") == rendered.text:  # "1951", "Playing God": the source already says it this way
        return f"{text}{cite}"
    said = f"transliterated from {isolate(span)}" if rendered.how == "transliteration" else isolate(span)
    return f"{text} ({said}){cite}"


def render_short(short, question: str, qtype: str = "", method: str = "package") -> Rendered | None:
    """The rendering of a `rag.answering.select.Short` (text, kind) for `question`; the kind falls back to the
    question type's when the producer gives none."""
    text = getattr(short, "text", short) or ""
    kind = getattr(short, "kind", "") or kind_of(qtype)
    return render(text, kind, question, method)
