"""Who wrote an article: the byline, from its front matter or its header lines, with the line it was read from.

Read from the text as the file has it (before `ingest.clean` drops page furniture: some sites print the byline only in
their print-widget line). Only the header is searched: the lines before the first body paragraph."""
from __future__ import annotations

import re

from rag.arabic import normalize
from rag.meta.outlets import AGENCY, MULTIWORD_ALIASES, canonical_outlet
from rag.meta.places import is_place

FRONT_KEYS = ("author", "authors", "byline", "writer", "الكاتب", "كاتب")
HEADER_LINES = 10     # non-empty lines of the file read as its header, at most
MAX_NAME_WORDS = 5

_CUE = (r"حوار|حاوره|حاورته|حاورها|بقلم|كتبت|كتبه|كتبها|كتب|إعداد وترجمة|اعداد وترجمة|إعداد|اعداد|تحرير|متابعة|متابعه|"
        r"تقرير|written by|reporting by|reported by|by")
# 'بقلم: محمد علي' · 'كتب - محمد علي' · 'كتبت سارة حسن' · 'By Jane Doe' · 'تحرير: أحمد سعيد ومنى خالد'
_BYLINE = re.compile(rf"^\W*(?:{_CUE})(?!\w)\s*[:：\-–—|]?\s*(?P<name>[^\d:：.!?؟،,;؛()«»\"|]{{2,60}}?)\s*[.:]?\s*$",
                     re.IGNORECASE)
# A print-widget line: 'طباعة <the headline's first words>.. <name>' (the widget repeats the headline's lead).
_PRINT = re.compile(r"^\W*(?:طباعة|print)\s+(?P<head>.+?)\s*(?:\.\.+|…)\s*(?P<name>[^\d.!?؟،,:؛()«»\"]{2,60}?)\s*$",
                    re.IGNORECASE)
_NOT_NAME = re.compile(r"^(?:ال)?(?:مراسل|مراسلنا|المحرر|محرر|فريق|قسم|مكتب|خاص|وكالات|وكالة|الوكالات|أم|staff|agencies|"
                       r"editor|the editorial)\b", re.IGNORECASE)


def is_paragraph(line: str) -> bool:
    """A body paragraph, not a header line (title, date, byline, site name): long, or ending a sentence."""
    return len(line.split()) >= 25 or (len(line) >= 120 and bool(re.search(r"[.!?؟]\s*$", line)))


_TATWEEL = re.compile(r"(?<=[\u0621-\u064A])ـ+(?=[\u0621-\u064A])")  # 'بـدر الجـبل': tatweel, not a dash
_SLIDER = re.compile(r"^\s*(?:[A-Za-z]+\s+){1,3}(?=[\u0621-\u064A])")  # 'Next Previous واس – جدة': slider text
# 'حاوره : عبدالعزيز العصيمي - سبق :': a cue before a dateline
_LEAD_CUE = re.compile(rf"^\W*(?:{_CUE}|رصد وتصوير|تصوير وتقرير)\s*[:：\-–—]\s*", re.IGNORECASE)


def _name(text: str) -> str:
    name = " ".join(_TATWEEL.sub("", text).split()).strip(" -–—:|")
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


def dateline(line: str) -> tuple[str, str]:
    """(reporters, outlet) of a Gulf-style dateline (#22), read from its segments between dashes: the reporters beside
    the outlet it names ('قاسم الزرعي – عين اليوم', 'عيسى الحربي- سبق- الرياض: <body>', 'زيد الخمشي- الرياض- سبق:',
    'دعاء بهاء الدين- ريم سليمان- سبق- جدة:' -> both, 'الرياض-الوئام- محمد السويهري:'), or beside a known place when
    the line is only the two ('ناصر الطميحي ـ جدة', 'أحمد البراهيم- جازان: <body>'); ("", "") for no such dateline."""
    line = _LEAD_CUE.sub("", _TATWEEL.sub("", _SLIDER.sub("", line)))
    head = line.split(":", 1)[0] if 0 < line.find(":") <= 70 else line
    if len(head.split()) > 10:
        return "", ""
    segments = [s.strip(" .،,*•") for s in re.split(r"\s*[-–—]\s*|\s+[ـ_]+\s*", head) if s.strip(" .،,*•")]
    if len(segments) < 2:
        return "", ""
    where = [i for i, s in enumerate(segments) if _is_outlet(s)]
    if not where:
        if len(segments) == 2:
            for name, place in (segments, segments[::-1]):
                if is_place(place) and _person(name):
                    return _person(name), ""
        return "", ""
    i = where[0]
    outlet = canonical_outlet(segments[i]) or canonical_outlet(segments[i].partition(" ")[0])
    j = i - 1
    while j >= 0 and (len(segments[j].split()) == 1 or is_place(segments[j])):
        j -= 1  # the place between the reporter and the outlet: 'زيد الخمشي- الرياض- سبق'
    names = []
    while j >= 0 and _person(segments[j]):
        names.insert(0, _person(segments[j]))  # co-reporters, in the line's order
        j -= 1
    if not names and i and i + 1 < len(segments) and _person(segments[i + 1]):
        names = [_person(segments[i + 1])]  # after 'place - outlet'
    return "، ".join(names), outlet


def dateline_byline(line: str) -> str:
    """The reporters of a dateline (see `dateline`), or ""."""
    return dateline(line)[0]


def _is_outlet(segment: str) -> bool:
    """An outlet, alone or with its bureau's place: 'سبق', 'عين اليوم', 'سبق الطائف'."""
    first, _, rest = segment.partition(" ")
    return bool(canonical_outlet(segment) or (rest and canonical_outlet(first) and is_place(rest)))


def _person(segment: str) -> str:
    """`segment` as a reporter's name, an outlet word after it dropped ('عبدالله البرقاوي سبق'): 2-5 words, no digits,
    initials or quotes, no outlet, agency or place; or ""."""
    words = segment.split()
    while words and canonical_outlet(words[-1]):
        words.pop()
    segment = " ".join(words)
    if (not 2 <= len(words) <= MAX_NAME_WORDS or re.search(r"[\d«»\"“”]", segment) or is_place(segment)
            or AGENCY.match(segment) or any(len(w.strip(".")) < 2 for w in words)):
        return ""  # 'د ب أ', 'س. م', 'خاص ب"الرياض"'
    key = normalize(segment)
    if any(canonical_outlet(" ".join(words[k:k + n])) for n in (1, 2) for k in range(len(words))) or any(
            key.startswith(a) for a in MULTIWORD_ALIASES):
        return ""  # 'عكاظ اليوم', 'عين اليومم'
    return _name(segment)


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
