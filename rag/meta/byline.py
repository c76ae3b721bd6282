"""Who wrote an article: the byline, from its front matter or its header lines, with the line it was read from.

Read from the text as the file has it (before `ingest.clean` drops page furniture: some sites print the byline only in
their print-widget line). Only the header is searched: the lines before the first body paragraph."""
from __future__ import annotations

import re

from rag.arabic import normalize
from rag.meta.outlets import canonical_outlet

FRONT_KEYS = ("author", "authors", "byline", "writer", "الكاتب", "كاتب")
HEADER_LINES = 10     # non-empty lines of the file read as its header, at most
MAX_NAME_WORDS = 5

_CUE = r"حوار|بقلم|كتبت|كتبه|كتبها|كتب|إعداد|اعداد|تحرير|متابعة|متابعه|تقرير|written by|reporting by|reported by|by"
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


# Places that reporters' datelines put beside the outlet, written in two words (a one-word segment is never a name).
_PLACES = {normalize(p) for p in ("مكة المكرمة", "المدينة المنورة", "حفر الباطن", "خميس مشيط", "وادي الدواسر",
                                  "دومة الجندل", "رام الله", "أبو ظبي", "الدار البيضاء", "شرم الشيخ", "بندر عباس",
                                  "المنطقة الشرقية", "الحدود الشمالية", "تل أبيب", "هونغ كونغ", "نيو دلهي")}


def dateline_byline(line: str) -> str:
    """The reporter of a Gulf-style dateline that names its outlet (#22): 'قاسم الزرعي – عين اليوم',
    'عيسى الحربي- سبق- الرياض: <body>', 'الرياض-الوئام- محمد السويهري:'; "" when the line is no such dateline."""
    head = line.split(":", 1)[0] if 0 < line.find(":") <= 70 else line
    if len(head.split()) > 10:
        return ""
    segments = [s.strip(" .،,") for s in re.split(r"\s*[-–—ـ]\s*", head) if s.strip(" .،,")]
    where = [i for i, s in enumerate(segments) if canonical_outlet(s)]
    if len(segments) < 2 or not where:
        return ""
    i = where[0]
    for j in ((i - 1, i + 1) if i else ()):  # the name sits before the outlet, or after 'place - outlet'
        if 0 <= j < len(segments) and not canonical_outlet(segments[j]) and normalize(segments[j]) not in _PLACES:
            if 2 <= len(segments[j].split()) <= MAX_NAME_WORDS and not re.search(r"\d", segments[j]):
                name = _name(segments[j])
                if name:
                    return name
    return ""


def find(text: str, title: str = "") -> tuple[str, str]:
    """(author, the header line it was read from) of an article's raw text; ('', '') when the header names none."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()][:HEADER_LINES]
    headline = normalize(title)
    for ln in lines[1:]:  # the first line is the headline
        name = dateline_byline(ln)
        if name:
            return name, ln.split(":", 1)[0].strip() if 0 < ln.find(":") <= 70 else ln
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
