"""Read corpus files, skip what is not an article (with a reason), strip scraper boilerplate, extract title and date."""
from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path


log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 2_000_000  # a news article is never this big; bigger files are skipped with a reason


@dataclass(frozen=True)
class Article:
    source: str      # path relative to the corpus folder, with forward slashes
    title: str
    date: str        # ISO date (YYYY-MM-DD), "--MM-DD" when the text gives no year, "" when unknown
    date_text: str   # the date as the article writes it
    text: str        # cleaned body, title first
    sha256: str      # hash of the raw file bytes


@dataclass(frozen=True)
class Skipped:
    source: str
    reason: str


# Whole lines that are page furniture, never article text.
_NOISE_LINE = re.compile(
    r"^(sorry, you need to enable javascript.*|time reading icon.*|شارك|طباعة|اطبع|اقرأ المزيد|اقرأ أيضا|اقرأ أيضاً|"
    r"أفكارك وتعليقاتك|تصنيفات|قصص قد تهمك|كلمات مفتاحية|مواضيع ذات صلة|\(تستمر\)|المزيد من [^.،]{1,40}|"
    r"يحتوي هذا القسم على .*|share|print|read more|related (articles|stories))$",
    re.IGNORECASE,
)
# Lines after which a page lists related headlines, tags or categories.
_TAIL_MARKER = re.compile(r"^(كلمات مفتاحية|قصص قد تهمك|تصنيفات|مواضيع ذات صلة|المزيد من .{1,40}|اقرأ أيضاً?|related .*)$",
                          re.IGNORECASE)
_PRINT_PREFIX = re.compile(r"^طباعة\s+\S")
_SENTENCE_END = re.compile(r"[.!?؟»\"”:]\s*$")
_HEADLINE_END = re.compile(r"[.!?؟]\s*$")  # a related-headline list has no sentence ends
_CAPTION = re.compile(r"REUTERS|رويترز|AFP|Getty|أ ف ب|فرانس برس", re.IGNORECASE)

_MONTHS = {
    "يناير": 1, "فبراير": 2, "مارس": 3, "ابريل": 4, "مايو": 5, "يونيو": 6, "يونيه": 6, "يوليو": 7, "يوليه": 7,
    "اغسطس": 8, "سبتمبر": 9, "اكتوبر": 10, "نوفمبر": 11, "ديسمبر": 12,
    "كانون الثاني": 1, "شباط": 2, "اذار": 3, "نيسان": 4, "ايار": 5, "حزيران": 6, "تموز": 7, "اب": 8,
    "ايلول": 9, "تشرين الاول": 10, "تشرين الثاني": 11, "كانون الاول": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
}
_MONTH_ALT = "|".join(sorted((re.escape(m) for m in _MONTHS), key=len, reverse=True))
# "12/يونيو/2024", "02 يوليو 2021", "27 اكتوبر 2015", "20 اكتوبر (تشرين الاول)" (all on normalised text).
_DATE = re.compile(rf"(?<!\d)(\d{{1,2}})\s*[/\-\s]\s*({_MONTH_ALT})(?:\s*[/\-\s]\s*(\d{{4}})(?!\d))?")
_NUMERIC_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d{2})(?!\d)")
_SAME_LENGTH = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي",
                              **{chr(0x0660 + i): str(i) for i in range(10)}})
HEADER_LINES = 6  # the article's own date sits in its first lines; later dates are about events


def read_article(path: Path, corpus_dir: Path) -> Article | Skipped:
    """One file → an Article, or Skipped with a one-line reason; never raises for bad content."""
    source = path.relative_to(corpus_dir).as_posix()
    try:
        if path.is_symlink() and not _inside(path.resolve(), corpus_dir.resolve()):
            return Skipped(source, "symlink pointing outside the corpus folder (not followed)")
        if path.suffix.lower() not in SUFFIXES:
            return Skipped(source, f"unsupported file type {path.suffix or '(none)'}: only .txt and .md are read")
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return Skipped(source, f"too large ({size / 1e6:.1f} MB > {MAX_FILE_BYTES / 1e6:.0f} MB limit for one article)")
        raw = path.read_bytes()
    except FileNotFoundError:
        return Skipped(source, "file disappeared while indexing")
    except OSError as exc:
        return Skipped(source, f"cannot read file: {exc.strerror or exc}")
    if not raw.strip():
        return Skipped(source, "empty file")
    if b"\x00" in raw:
        return Skipped(source, "binary file (contains NUL bytes)")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return Skipped(source, f"not UTF-8 (bad byte at offset {exc.start}; maybe Windows-1256 or Latin-1): save it as UTF-8")
    body = clean(text)
    if not body:
        return Skipped(source, "no article text left after removing page boilerplate")
    title = body.split("\n", 1)[0].strip()
    date, date_text = find_date(body)
    return Article(source, title, date, date_text, body, hashlib.sha256(raw).hexdigest())


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The files `scan` reads, in its order (not hidden, not folders)."""
    return [corpus_dir / source for source in corpus_sources(corpus_dir)]


def corpus_sources(corpus_dir: Path) -> list[str]:
    """Paths relative to the corpus folder of every file under it except hidden ones, sorted like Paths. os.walk on
    strings: pathlib's rglob/relative_to/sort cost ~1 s per 10,000 files, most of a no-op index run. Like rglob, it
    does not descend into symlinked folders; symlinked files are listed (read_article decides about them)."""
    if not corpus_dir.is_dir():
        return []
    out = []
    for folder, dirs, names in os.walk(corpus_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        rel = os.path.relpath(folder, corpus_dir)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        out.extend(prefix + name for name in names if not name.startswith("."))
    return sorted(out, key=lambda source: source.split("/"))


def scan(corpus_dir: Path) -> tuple[list[Article], list[Skipped]]:
    """Every file under the corpus folder, in a stable order."""
    articles, skipped = [], []
    for path in corpus_files(corpus_dir):
        item = read_article(path, corpus_dir)
        (articles if isinstance(item, Article) else skipped).append(item)
        if isinstance(item, Skipped):
            log.info("skipped %s: %s", item.source, item.reason)
    return articles, skipped


def clean(text: str) -> str:
    """Drop page furniture conservatively: noise lines, repeated lines and trailing lists of related headlines."""
    lines = [ln.strip() for ln in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [ln for ln in lines if ln]
    lines = _drop_tail(lines)
    kept, seen = [], set()
    for ln in lines:
        if _NOISE_LINE.match(ln) or (_PRINT_PREFIX.match(ln) and len(ln) < 90 and not _SENTENCE_END.search(ln)):
            continue
        if ln in seen:  # scraped pages repeat the headline and photo captions
            continue
        seen.add(ln)
        kept.append(ln)
    return "\n".join(kept)


def _drop_tail(lines: list[str]) -> list[str]:
    """Cut at the last tail marker when everything after it is headline-like (short, no sentence end)."""
    for i in range(len(lines) - 1, -1, -1):
        if _TAIL_MARKER.match(lines[i]):
            rest = lines[i + 1:]
            if all(len(ln) < 140 and not _HEADLINE_END.search(ln) for ln in rest):
                return lines[:i]
            break
    return lines


def find_date(body: str) -> tuple[str, str]:
    """The article's own date from its first lines (photo captions skipped): (ISO or "--MM-DD" or "", as written)."""
    for line in body.split("\n")[:HEADER_LINES]:
        if _CAPTION.search(line):
            continue
        norm = line.translate(_SAME_LENGTH).lower()  # keeps positions so the date can be cut from the original
        m = _DATE.search(norm)
        if m:
            day, month, year = int(m.group(1)), _MONTHS[m.group(2)], m.group(3)
            if 1 <= day <= 31:
                iso = f"{year}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
                return iso, line[m.start():m.end()]
        m = _NUMERIC_DATE.search(norm)
        if m and 1 <= int(m.group(1)) <= 31 and 1 <= int(m.group(2)) <= 12:
            return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}", line[m.start():m.end()]
    return "", ""


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False
