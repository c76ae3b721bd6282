"""Read corpus files, skip what is not an article (with a reason), strip scraper boilerplate, extract metadata (meta.py)."""
from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

from rag.meta import Meta, date_range, extract, split_front_matter


log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md")
MAX_FILE_BYTES = 2_000_000  # a news article is never this big; bigger files are skipped with a reason


@dataclass(frozen=True)
class Article:
    source: str      # path relative to the corpus folder, with forward slashes
    title: str
    date: str        # ISO at its precision (YYYY-MM-DD, YYYY-MM, YYYY); "" when the year is unknown or no date
    date_text: str   # the date as the article writes it ("20 أكتوبر" when the year is unknown)
    text: str        # cleaned body, title first
    sha256: str      # hash of the raw file bytes
    meta: Meta | None = None  # date precision, outlet, and where each came from

    @property
    def outlet(self) -> str:
        return self.meta.outlet if self.meta else ""

    @property
    def date_precision(self) -> str:
        return self.meta.date_precision if self.meta else ("day" if self.date else "none")

    @property
    def date_range(self) -> tuple[int, int]:
        return date_range(self.date, self.date_precision)


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
    front, text = split_front_matter(text)
    body = clean(text)
    if not body:
        return Skipped(source, "no article text left after removing page boilerplate")
    meta = extract(body, front, source, raw=text)
    if meta.title_from == "front matter" and body.split("\n", 1)[0].strip() != meta.title:
        body = f"{meta.title}\n{body}"  # the text starts with its title, as the chunker and the embedder expect
    return Article(source, meta.title, meta.date, meta.date_text, body, hashlib.sha256(raw).hexdigest(), meta)


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
    """The article's own date (see meta.extract): (ISO at its precision or "", as written)."""
    meta = extract(body, {}, "")
    return meta.date, meta.date_text


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
        return True
    except ValueError:
        return False
