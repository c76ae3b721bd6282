"""An article's date: every date written in a line (both calendars), a front-matter value, the span of days a date at
its precision covers, the date as shown to a reader, and --since/--until values."""
from __future__ import annotations

import datetime as _dt
import re

from rag.errors import ConfigError
from rag.meta import gregorian, hijri
from rag.meta.gregorian import Found, fold, valid_iso

PRECISIONS = ("day", "month", "year", "partial", "none")


def find_dates(line: str) -> list[Found]:
    """Every date written in `line`, in order of position; overlapping matches keep the longest/most precise."""
    norm = fold(line)
    found = hijri.find(line, norm) + gregorian.find(line, norm)
    rank = {"day": 0, "month": 1, "partial": 2}
    found.sort(key=lambda f: (f.start, rank[f.precision], -(f.end - f.start)))
    out: list[Found] = []
    for f in found:
        if out and f.start < out[-1].end:
            continue
        out.append(f)
    return out


def parse_date_value(value) -> tuple[str, str, str]:
    """A front-matter date (a YAML date, "2024-06-12", "2024-06", "2024", "12 يونيو 2024") -> (date, text, precision)."""
    if isinstance(value, _dt.datetime):
        value = value.date()
    if isinstance(value, _dt.date):
        return value.isoformat(), value.isoformat(), "day"
    text = str(value or "").strip()
    if re.fullmatch(r"(19|20)\d{2}", text):
        return text, text, "year"
    m = re.fullmatch(r"((?:19|20)\d{2})-(\d{1,2})", text)
    if m and 1 <= int(m.group(2)) <= 12:
        return f"{m.group(1)}-{int(m.group(2)):02d}", text, "month"
    m = re.match(r"((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})", text)  # also ISO datetimes
    if m and valid_iso(int(m.group(1)), int(m.group(2)), int(m.group(3))):
        return valid_iso(int(m.group(1)), int(m.group(2)), int(m.group(3))), text, "day"
    dates = find_dates(text)
    if dates:
        return dates[0].date, dates[0].text, dates[0].precision
    return "", text, "partial" if text else "none"


def date_range(date: str, precision: str) -> tuple[int, int]:
    """(earliest, latest) yyyymmdd the article can be from; (0, 0) when its year is unknown. Filters keep an
    article whose range overlaps theirs, so a month- or year-only date passes a filter inside its month or year."""
    if not date or precision in ("partial", "none"):
        return 0, 0
    parts = [int(p) for p in date.split("-")]
    if len(parts) == 3:
        n = parts[0] * 10000 + parts[1] * 100 + parts[2]
        return n, n
    if len(parts) == 2:
        return parts[0] * 10000 + parts[1] * 100 + 1, parts[0] * 10000 + parts[1] * 100 + 31
    return parts[0] * 10000 + 101, parts[0] * 10000 + 1231


def shown_date(date: str, date_text: str, precision: str, language: str = "en") -> str:
    """What the reader sees: ISO for a full date, what the article says (and that the year is unknown) otherwise."""
    if date.startswith("--"):  # written by indexes before rag/meta/, until `rag index` refreshes them
        date = ""
    if date:
        return date
    if date_text:
        return f"{date_text} ({'السنة غير معروفة' if language == 'ar' else 'year unknown'})"
    return ""


def pick(dates: list[Found]) -> Found | None:
    """The most precise Gregorian date written, else a converted Hijri one."""
    rank = {"day": 0, "month": 1, "year": 2, "partial": 3}
    return min(dates, key=lambda f: (rank[f.precision], f.hijri), default=None)


def filter_day(text: str, name: str, last: bool) -> int:
    """A --since/--until value as yyyymmdd: YYYY, YYYY-MM or YYYY-MM-DD, the first or (last=True) last day it covers."""
    text = (text or "").strip()
    if not text:
        return 0
    m = re.fullmatch(r"((?:19|20)\d{2})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if not m or (m.group(2) and not 1 <= int(m.group(2)) <= 12) or (m.group(3) and not 1 <= int(m.group(3)) <= 31):
        raise ConfigError(f"{name} must be a date like 2024, 2024-06 or 2024-06-12, but got {text!r}")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if day:
        return year * 10000 + int(month) * 100 + int(day)
    if month:
        return year * 10000 + int(month) * 100 + (31 if last else 1)
    return year * 10000 + (1231 if last else 101)
