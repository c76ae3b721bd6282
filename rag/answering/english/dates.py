"""Dates in an Arabic span rendered in English with rag.meta's parsers (Gregorian, Levantine/Maghrebi/Egyptian month
names, Hijri converted with the Umm al-Qura calendar): "20 October 2021", "October 2021", "20 October (year not
given)", "5 Ramadan 1445 AH (15 March 2024)", a year alone ("1951", "300 BC"), a weekday ("Monday").
English month and weekday names are CLDR's (Babel)."""
from __future__ import annotations

import re
from functools import lru_cache

from rag.arabic import normalize
from rag.meta.dates import find_dates
from rag.meta.gregorian import MONTHS
from rag.meta.hijri import HIJRI_MONTHS

HIJRI_EN = ("Muharram", "Safar", "Rabi al-Awwal", "Rabi al-Thani", "Jumada al-Awwal", "Jumada al-Thani", "Rajab",
            "Shaban", "Ramadan", "Shawwal", "Dhu al-Qadah", "Dhu al-Hijjah")
_HIJRI_NUM = {normalize(k): v for k, v in HIJRI_MONTHS.items()}
_MONTH_NUM = {normalize(k): v for k, v in MONTHS.items()}
_YEAR = re.compile(r"^(?:(?:في|من|منذ|عام|سنه|العام|السنه|خلال|حتي|الي|بعام|بسنه|في عام|في سنه)\s+)*"
                   r"(\d{1,4})\s*(م|ميلاديه|ميلادي|هـ|ه|هجريه|هجري|ق\s*\.?\s*م|قبل الميلاد)?\.?$")


@lru_cache(maxsize=1)
def _english_names() -> tuple[dict[int, str], dict[str, str]]:
    """CLDR's English month names by number, and Arabic weekday names (normalised) -> English."""
    from babel import Locale

    ar, en = Locale("ar"), Locale("en")
    months = {i: en.months["format"]["wide"][i] for i in range(1, 13)}
    days = {normalize(ar.days["format"]["wide"][i]): en.days["format"]["wide"][i] for i in range(7)}
    days.update({k.removeprefix("ال"): v for k, v in list(days.items())})
    days[normalize("الإثنين")] = days.get(normalize("الاثنين"), "Monday")
    return months, days


def english_date(iso: str) -> str:
    """"2021-10-20" -> "20 October 2021", "2021-10" -> "October 2021", "2021" -> "2021"."""
    months, _ = _english_names()
    parts = [int(p) for p in iso.split("-")]
    if len(parts) == 3:
        return f"{parts[2]} {months[parts[1]]} {parts[0]}"
    if len(parts) == 2:
        return f"{months[parts[1]]} {parts[0]}"
    return str(parts[0])


def _hijri(text: str, gregorian: str) -> str | None:
    m = re.search(r"(\d{1,2})\s+(.+?)\s+(\d{4})", normalize(text))
    if not m or m.group(2) not in _HIJRI_NUM:
        return None
    return f"{int(m.group(1))} {HIJRI_EN[_HIJRI_NUM[m.group(2)] - 1]} {m.group(3)} AH ({english_date(gregorian)})"


_PART = {normalize(k): v for k, v in {"أوائل": "early", "مطلع": "early", "بداية": "early", "أواخر": "late",
                                      "نهاية": "late", "أواسط": "mid-", "منتصف": "mid-"}.items()}
# rag.meta reads news dates (years 1900-2099); an answer can be older: "20 أغسطس 1858"
_OLD_DMY = re.compile(r"(?<!\d)(\d{1,2})\s+(\S+)(?:\s*[/(]\s*\S+?\s*\)?)?\s*[,،]?\s*(\d{3,4})(?!\d)")


def _old_date(span: str) -> str | None:
    m = _OLD_DMY.search(normalize(span))
    if not m or m.group(2) not in _MONTH_NUM:
        return None
    day, month, year = int(m.group(1)), _MONTH_NUM[m.group(2)], int(m.group(3))
    months, _ = _english_names()
    return f"{day} {months[month]} {year}" if 1 <= day <= 31 else None


def render_date(span: str) -> str | None:
    """The English form of the one date the span states, or None (no date, or two different ones)."""
    norm = normalize(span).strip(" .,،()")
    first = norm.split()[0] if norm.split() else ""
    if first in _PART and len(norm.split()) > 1:  # "أوائل عام 2002" -> "early 2002"
        rest = render_date(" ".join(span.split()[1:]))
        if rest and re.fullmatch(r"\d{3,4}( BC| AH)?|[A-Z][a-z]+ \d{4}", rest):
            return f"{_PART[first]}{'' if _PART[first].endswith('-') else ' '}{rest}"
        return None
    found = find_dates(span)
    if len({(f.date, f.text) for f in found}) > 1:
        return None
    if found:
        f = found[0]
        if f.hijri:
            return _hijri(f.text, f.date)
        if f.precision == "partial":
            old = _old_date(span)
            if old:
                return old
            m = re.match(r"\s*(\d{1,2})\D+?(\S+)", normalize(f.text))
            if not m or m.group(2) not in _MONTH_NUM:
                return None
            months, _ = _english_names()
            return f"{int(m.group(1))} {months[_MONTH_NUM[m.group(2)]]} (year not given)"
        return english_date(f.date)
    m = _YEAR.match(norm)
    if m:
        year, era = int(m.group(1)), re.sub(r"[\s.]", "", m.group(2) or "")
        if era in ("قم", "قبلالميلاد"):
            return f"{year} BC"
        if era in ("هـ", "ه", "هجريه", "هجري"):
            return f"{year} AH"
        if 100 <= year <= 2100 or era:
            return str(year)
        return None
    months, days = _english_names()
    words = [w.strip(".,،") for w in norm.split()]
    words = [w for w in words if w not in ("يوم", "في", "منذ")]
    if len(words) == 1 and words[0] in days:
        return days[words[0]]
    if len(words) == 1 and words[0] in _MONTH_NUM:
        return months[_MONTH_NUM[words[0]]]
    return None
