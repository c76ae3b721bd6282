"""Who wrote an article: the byline, from its front matter or its header lines, with the line it was read from.

Read from the text as the file has it (before `ingest.clean` drops page furniture: some sites print the byline only in
their print-widget line). Only the header is searched: the lines before the first body paragraph."""
from __future__ import annotations

import re

from rag.arabic import normalize

FRONT_KEYS = ("author", "authors", "byline", "writer", "الكاتب", "كاتب")
HEADER_LINES = 10     # non-empty lines of the file read as its header, at most
MAX_NAME_WORDS = 5

_CUE = r"بقلم|كتبت|كتبه|كتبها|كتب|إعداد|اعداد|تحرير|متابعة|متابعه|تقرير|written by|reporting by|reported by|by"
# 'بقلم: محمد علي' · 'كتب - محمد علي' · 'كتبت سارة حسن' · 'By Jane Doe' · 'تحرير: أحمد سعيد ومنى خالد'
_BYLINE = re.compile(rf"^\W*(?:{_CUE})(?!\w)\s*[:：\-–—|]?\s*(?P<name>[^\d:：.!?؟،,;؛()«»\"|]{{2,60}}?)\s*[.:]?\s*$",
                     re.IGNORECASE)
# A print-widget line: 'طباعة <the headline's first words>.. <name>' (the widget repeats the headline's lead).
_PRINT = re.compile(r"^\W*(?:طباعة|print)\s+(?P<head>.+?)\s*(?:\.\.+|…)\s*(?P<name>[^\d.!?؟،,:؛()«»\"]{2,60}?)\s*$",
                    re.IGNORECASE)
_NOT_NAME = re.compile(r"^(?:ال)?(?:مراسل|مراسلنا|المحرر|محرر|فريق|قسم|وكالات|وكالة|الوكالات|staff|agencies|editor|"
                       r"the editorial)\b", re.IGNORECASE)


def is_paragraph(line: str) -> bool:
    """A body paragraph, not a header line (title, date, byline, site name): long, or ending a sentence."""
    return len(line.split()) >= 25 or (len(line) >= 120 and bool(re.search(r"[.!?؟]\s*$", line)))


def _name(text: str) -> str:
    name = " ".join(text.split()).strip(" -–—:|")
    words = name.split()
    if not words or len(words) > MAX_NAME_WORDS or _NOT_NAME.match(name):
        return ""
    if re.search(r"[A-Za-z]", name) and not all(w[0].isupper() or w.lower() in ("and", "de", "al", "el", "bin", "van")
                                                 for w in words):
        return ""  # Latin names are capitalised: 'by the end of the year' is not a byline
    return name


def from_front(front: dict) -> str:
    """The author named in front matter ('Jane Doe', or a list joined by '، '), or ''."""
    for key in FRONT_KEYS:
        value = front.get(key)
        if isinstance(value, (list, tuple)):
            value = "، ".join(str(v).strip() for v in value if str(v).strip())
        if value and str(value).strip():
            return str(value).strip()
    return ""


def find(text: str, title: str = "") -> tuple[str, str]:
    """(author, the header line it was read from) of an article's raw text; ('', '') when the header names none."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()][:HEADER_LINES]
    headline = normalize(title)
    for ln in lines[1:]:  # the first line is the headline
        if is_paragraph(ln):
            break
        if len(ln.split()) > 2 + MAX_NAME_WORDS + 12:
            continue
        m = _PRINT.match(ln)
        if m and len(m.group("head")) >= 8 and headline.startswith(normalize(m.group("head"))):
            name = _name(m.group("name"))
            if name:
                return name, ln
            continue
        m = _BYLINE.match(ln)
        if m and len(ln.split()) <= 2 + MAX_NAME_WORDS:
            name = _name(m.group("name"))
            if name:
                return name, ln
    return "", ""
