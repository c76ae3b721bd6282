"""Gregorian dates as news sites write them: Arabic (Egyptian, Levantine, Maghrebi) and Latin month names, numeric
day/month/year and ISO; also the position-keeping normalisation and the Found record both calendars share."""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass

MONTHS = {
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "إبريل": 4, "أبريل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6,
    "يوليو": 7, "يوليه": 7, "اغسطس": 8, "أغسطس": 8, "سبتمبر": 9, "اكتوبر": 10, "أكتوبر": 10, "نوفمبر": 11,
    "ديسمبر": 12, "جانفي": 1, "فيفري": 2, "أفريل": 4, "افريل": 4, "ماي": 5, "جوان": 6, "جويلية": 7, "أوت": 8,
    "اوت": 8, "كانون الثاني": 1, "شباط": 2, "آذار": 3, "اذار": 3, "نيسان": 4, "أيار": 5, "ايار": 5, "حزيران": 6,
    "تموز": 7, "آب": 8, "اب": 8, "أيلول": 9, "ايلول": 9, "تشرين الأول": 10, "تشرين الاول": 10, "تشرين الثاني": 11,
    "كانون الأول": 12, "كانون الاول": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4,
    "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
}
# Normalisation that keeps every character's position, so a match can be cut from the original line.
_SAME_LENGTH = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي", "ـ": " ",
                              **{chr(0x0660 + i): str(i) for i in range(10)},
                              **{chr(0x06F0 + i): str(i) for i in range(10)}})


def fold(text: str) -> str:
    return text.translate(_SAME_LENGTH).lower()


def alternation(names) -> str:
    return "|".join(sorted({re.escape(fold(m)) for m in names}, key=len, reverse=True))


END = r"(?![\w\u0621-\u064a])"
_M = rf"(?:{alternation(MONTHS)}){END}"
_Y = r"((?:19|20)\d{2})(?!\d)"
# 12 يونيو 2024 · 12/يونيو/2024 · 12 يونيو/ حزيران 2024 · 11 أيلول/سبتمبر 2024 · 20 أكتوبر (تشرين الأول) · June 12, 2024
_DMY = re.compile(rf"(?<!\d)(\d{{1,2}})\s*[/\-\s.]?\s*({_M})(?:\s*[/(]\s*(?:{_M})(?:\s*\))?)?(?:\s*[/\-\s,،.]\s*{_Y})?")
_MDY = re.compile(rf"(?<![\w])({_M})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_Y}")
_MY = re.compile(rf"(?<![\w\d])({_M})(?:\s*[/(]\s*(?:{_M})(?:\s*\))?)?[\s,،]+{_Y}")
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2((?:19|20)\d{2})(?![\d/.-])")
_ISO = re.compile(r"(?<![\d/.-])((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?![\d/-])")
_MONTH_NUM = {fold(k): v for k, v in MONTHS.items()}


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    date: str        # ISO at its precision, "" when partial
    precision: str
    text: str
    hijri: bool = False


def valid_iso(y: int, m: int, d: int) -> str | None:
    try:
        return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def find(line: str, norm: str) -> list[Found]:
    """Every Gregorian date in `line` (`norm` = fold(line)), overlaps included (rag.meta.dates.find_dates resolves them)."""
    found: list[Found] = []
    for m in _DMY.finditer(norm):
        day, month, year = int(m.group(1)), _MONTH_NUM[m.group(2)], m.group(3)
        text = line[m.start():m.end()].strip(" ,،/-")
        if year:
            iso = valid_iso(int(year), month, day)
            if iso:
                found.append(Found(m.start(), m.end(), iso, "day", text))
        elif 1 <= day <= 31:
            found.append(Found(m.start(), m.end(), "", "partial", text))
    for m in _MDY.finditer(norm):
        iso = valid_iso(int(m.group(3)), _MONTH_NUM[m.group(1).rstrip(".")], int(m.group(2)))
        if iso:
            found.append(Found(m.start(), m.end(), iso, "day", line[m.start():m.end()]))
    for m in _NUMERIC.finditer(norm):
        iso = valid_iso(int(m.group(4)), int(m.group(3)), int(m.group(1)))  # Arabic sites write day/month/year
        if iso:
            found.append(Found(m.start(), m.end(), iso, "day", line[m.start():m.end()]))
    for m in _ISO.finditer(norm):
        iso = valid_iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            found.append(Found(m.start(), m.end(), iso, "day", line[m.start():m.end()]))
    for m in _MY.finditer(norm):
        found.append(Found(m.start(), m.end(), f"{m.group(2)}-{_MONTH_NUM[m.group(1)]:02d}", "month",
                           line[m.start():m.end()].strip(" ,،")))
    return found
