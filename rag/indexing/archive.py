"""`rag import`: a newsroom archive exported as JSON becomes the corpus files a newsroom would have, one article a file.

Read today: the SaudiNewsNet layout (a folder, `.zip` files each holding one `YYYY-MM-DD.json`, or the `.json` files
themselves: arrays of `{source, url, date_extracted, title, author, content}`). Each article is written to
`<corpus>/<source>/<crawl day>/<12 hex digits of sha1(url)>.md` with YAML front matter holding only what the archive
states, in the keys rag/meta reads:

- `title`, `url`: as the archive has them (an empty title is left out; the body's first line is the title then);
- `outlet`: the outlet's canonical name (`okaz` -> عكاظ), and `outlet_id`, the archive's own identifier;
- `author`: the person the archive's `author` field names, without the dateline furniture crawlers keep in it
  (`الرياض - منصور الحسين` -> `منصور الحسين`; `سبق- الرياض:` names no person: no `author`);
- `date`: the crawl day (`YYYY-MM-DD`, which rag/meta reads as day precision) for articles crawled on or after
  `date_from` (2015-08-01 for SaudiNewsNet, whose README says the crawl day is the publication day from then on).
  Earlier crawls give no `date` (the crawl day is only a latest possible day; the product then reads the date from the
  text or says it has none); `crawled` keeps the crawl time for every article.

The body is the archive's `content`, unchanged but for line ends and trailing spaces. Writing is idempotent: a file
whose bytes would not change is left alone (same mtime, so `rag index` does not even read it again), and a changed
one is replaced atomically. Bad input is named: a file that is neither a zip nor a JSON array stops the import with
the file's name; a record without `url`/`content` or with an empty body is skipped with a reason.
"""
from __future__ import annotations

import hashlib
import html
import json
import logging
import os
import re
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterable, Iterator

from rag.errors import RagError
from rag.meta.outlets import AGENCY as _AGENCY
from rag.meta.places import is_place

log = logging.getLogger(__name__)

# The archive's outlet identifiers -> the outlet's name as its own pages write it (rag/meta canonical names where known).
SOURCES = {
    "aawsat": "الشرق الأوسط", "aleqtisadiya": "الاقتصادية", "aljazirah": "الجزيرة السعودية", "almadina": "المدينة",
    "alriyadh": "الرياض", "alwatan": "الوطن", "alweeam": "الوئام", "alyaum": "اليوم", "arreyadi": "الرياضي",
    "arriyadiyah": "الرياضية", "arreyadiyah": "الرياضية", "okaz": "عكاظ", "sabq": "سبق", "was": "واس",
    "3alyoum": "عين اليوم",
}
# Other names the outlets' own bylines use for themselves.
OWN_NAMES = {"aljazirah": ("الجزيرة",), "aleqtisadiya": ("الاقتصادية الإلكترونية", "الاقتصادية"), "alyaum": ("اليوم",), "alriyadh": ("الرياض الإلكتروني", "جريدة الرياض"),
             "aawsat": ("الشرق الأوسط أونلاين",), "sabq": ("سبق الإلكترونية",), "alweeam": ("صحيفة الوئام",),
             "3alyoum": ("عين اليوم",), "was": ("وكالة الأنباء السعودية",)}
DATE_FROM = "2015-08-01"   # SaudiNewsNet: crawl day = publication day from this day on (its README)
FIELDS = ("source", "url", "content")


class ArchiveError(RagError):
    """The archive cannot be read as it is (not a zip or JSON array, bad JSON)."""


@dataclass
class ImportReport:
    written: int = 0        # new or changed files
    unchanged: int = 0      # files already there with these bytes
    skipped: list[dict] = field(default_factory=list)  # {"record": "<file>#<n>", "reason": ...}
    files: int = 0          # archive files read
    articles: int = 0       # records seen

    def to_dict(self) -> dict:
        return asdict(self)


# ------------------------------------------------------------------ reading the archive

def archive_files(paths: Iterable[Path]) -> list[Path]:
    """The `.zip` and `.json` files named or inside the folders named, sorted by name (= crawl day)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.suffix.lower() in (".zip", ".json") and not q.name.startswith("."))
        elif p.exists():
            out.append(p)
        else:
            raise ArchiveError(f"archive file not found: {p}")
    if not out:
        raise ArchiveError(f"no .zip or .json archive files in {', '.join(map(str, paths)) or '(nothing given)'}")
    return sorted(dict.fromkeys(out), key=lambda q: q.name)


def _json_arrays(path: Path) -> Iterator[tuple[str, list]]:
    """(name, records) of each JSON array in an archive file."""
    def parse(name: str, raw: bytes) -> list:
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise ArchiveError(f"{name}: not valid UTF-8 JSON ({exc})") from None
        if not isinstance(data, list):
            raise ArchiveError(f"{name}: expected a JSON array of articles, got a {type(data).__name__}")
        return data

    if path.suffix.lower() == ".json":
        yield path.name, parse(path.name, path.read_bytes())
        return
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"{path.name}: not a readable zip file ({exc})") from None
    with zf:
        members = sorted(n for n in zf.namelist() if n.lower().endswith(".json") and not n.startswith("__MACOSX"))
        if not members:
            raise ArchiveError(f"{path.name}: the zip holds no .json file")
        for member in members:
            yield f"{path.name}/{member}", parse(f"{path.name}/{member}", zf.read(member))


def records(paths: Iterable[Path]) -> Iterator[tuple[str, object]]:
    """(where, record) of every record in the archive files, in file then array order."""
    for path in archive_files(paths):
        for name, items in _json_arrays(path):
            for i, item in enumerate(items):
                yield f"{name}#{i}", item


# ------------------------------------------------------------------ the author field

# Places and furniture that crawlers leave in the author field next to the name.
_OUTLET_WORDS = re.compile(r"صحيفة|جريدة|أونلاين|اونلاين|موقع")
_SEP = re.compile(r"\s*(?:[-–—ـ|/،,:]|\s\s)\s*")


def author_name(raw: str, outlet: str = "", outlet_id: str = "") -> str:
    """The person an archive's author field names, or "" (only an outlet, an agency or a place).

    'الرياض - منصور الحسين' -> 'منصور الحسين' · 'عيسى الحربي- سبق- الرياض:' -> 'عيسى الحربي' ·
    'طالب بن محفوظ (جدة)' -> 'طالب بن محفوظ' · 'ماجد الجميل من جنيف' -> 'ماجد الجميل' · 'واس - غزة' -> '' ·
    '«الاقتصادية» من الرياض' -> '' · 'جدة: سعيد الأبيض ـ صنعاء: عرفات مدابش' -> 'سعيد الأبيض، عرفات مدابش'."""
    text = " ".join(html.unescape(str(raw or "")).replace("\xa0", " ").split()).strip(" :.-–—")
    text = re.split(r"\s(?:عدسة|تصوير|صور|الصور)\b", text)[0]          # the photographer is not the author
    text = re.sub(r"(?<=[\u0621-\u064A])ـ+(?=[\u0621-\u064A])", "", text)  # 'أيمـن الـحـمـاد': tatweel, not a dash
    text = re.sub(r"^(?:الفنان|الفنانة|الشاعر|الشاعرة|الكاتب|الكاتبة|المخرج|الإعلامي|الإعلامية)\s+", "", text)
    if not text or len(text.split()) > 14:  # a paragraph the crawler took for the byline
        return ""
    own = _OUTLET_NAMES | {_plain(w) for w in (outlet, outlet_id) if w}  # every archive outlet is an outlet
    credited = bool(re.search(r"«[^»]*»|\"[^\"]*\"|“[^”]*”|{[^}]*}", text))
    for inner in re.findall(r"\(([^)]*)\)", text):
        credited |= bool(_AGENCY.match(inner.strip()) or _plain(inner) in own)
    text = re.sub(r"«[^»]*»|\"[^\"]*\"|“[^”]*”|{[^}]*}", " - ", text)  # a quoted name is the outlet
    one = re.fullmatch(r"([^:]{1,30}):\s*([^:]+)", text)
    if one and len(one.group(1).split()) <= 3:  # 'تل أبيب: نظير مجلي': the place, a colon, the byline
        credited |= bool(_AGENCY.match(one.group(2).strip()))
        text = one.group(2)
    text = re.sub(r"\([^)]*\)", " ", text)                             # '(جدة)': the place
    text = re.sub(r"\s+(?:من|في)\s+[^\s\-–—:،,]+(?:\s+[^\s\-–—:،,]+)?\s*$", "", text)  # 'من جنيف'
    names = []
    # 'جدة: name ـ صنعاء: name': each 'place:' opens a part; otherwise parts are split at dashes
    parts = [text]
    if re.search(r"^\S+:\s*\S", text):
        pieces = re.split(r"([^\s:]+):\s*", text)  # [before, place, part, place, part, ...]
        parts = []
        for k in range(2, len(pieces), 2):
            part, following = pieces[k], pieces[k + 1] if k + 1 < len(pieces) else ""
            words = part.split()
            if following and words and is_place(f"{words[-1]} {following}"):
                part = " ".join(words[:-1])  # '... تل أبيب: name': the place has two words
            parts.append(part)
    for part in parts:
        pieces = [_drop_outlet(p.strip(), own) for p in _SEP.split(part) if p.strip()]
        credited |= any(_AGENCY.match(p) or _OUTLET_WORDS.search(p) or _plain(p) in own for p in pieces)
        person = [p for p in pieces if _is_person(p, own)]
        if any(len(p.split()) > 1 for p in person):
            person = [p for p in person if len(p.split()) > 1]  # a one-word piece beside a name is a place
        elif credited:
            person = []                                          # 'رويترز - تايبه': an agency and its place
        if len(person) == 1 and len(person[0].split()) == 2 and any(_AGENCY.match(p) for p in pieces):
            person = []                                          # 'بوينوس ايرس - أ ف ب': a place and the wire
        names += person
    return "، ".join(dict.fromkeys(names))


def _plain(text: str) -> str:
    return re.sub(r"[«»\"'.]", "", text).replace("أ", "ا").replace("إ", "ا").replace("ة", "ه").strip()


_OUTLET_NAMES = {_plain(n) for n in (*SOURCES.values(), *SOURCES, *(a for names in OWN_NAMES.values() for a in names))}


def _drop_outlet(piece: str, own: set[str]) -> str:
    """'عبدالله البرقاوي سبق' -> 'عبدالله البرقاوي'; 'سبق الطائف' (the outlet's bureau) -> 'سبق'."""
    words = piece.split()
    if len(words) > 1 and _plain(words[0]) in own and is_place(" ".join(words[1:])):
        return words[0]
    while (len(words) > 2 and _plain(words[-1]) in own and words[-2] not in ("من", "في", "ب", "لـ")
           and re.fullmatch(r"[\u0621-\u064A]{2,}", words[-2])):
        words.pop()  # not 'مشاري الفهد من الرياض' (the city), nor after a stray quote
    return " ".join(words)


def _is_person(piece: str, own: set[str]) -> bool:
    words = piece.split()
    if not 1 <= len(words) <= 6 or re.search(r"\d", piece):
        return False
    if _AGENCY.match(piece) or _OUTLET_WORDS.search(piece) or _plain(piece) in own:
        return False
    return not is_place(piece) and not re.match(r"^(?:كلمة|رأي|افتتاحية)\s", piece)


# ------------------------------------------------------------------ writing the corpus

def article_file(record: dict, date_from: str = DATE_FROM) -> tuple[str, str]:
    """(path relative to the corpus, file text) of one archive record; raises ValueError with the reason to skip it."""
    if not isinstance(record, dict):
        raise ValueError(f"not a JSON object but a {type(record).__name__}")
    missing = [k for k in FIELDS if not isinstance(record.get(k), str) or not record.get(k).strip()]
    if missing:
        raise ValueError(f"no {' or '.join(missing)}")
    body = "\n".join(ln.rstrip() for ln in record["content"].replace("\r\n", "\n").replace("\r", "\n").split("\n"))
    body = body.strip("\n") + "\n"
    outlet_id = record["source"].strip()
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,40}", outlet_id):
        raise ValueError(f"source {outlet_id!r} is not an outlet identifier")
    crawled = str(record.get("date_extracted") or "").strip()
    m = re.match(r"((?:19|20)\d{2})-(\d{2})-(\d{2})", crawled)
    day = f"{m.group(1)}-{m.group(2)}-{m.group(3)}" if m else ""
    front: dict = {}
    title = " ".join(str(record.get("title") or "").split())
    if title:
        front["title"] = title
    front["outlet"] = SOURCES.get(outlet_id, outlet_id)
    front["outlet_id"] = outlet_id
    front["url"] = record["url"].strip()
    author = author_name(str(record.get("author") or ""), front["outlet"], outlet_id)
    if author:
        front["author"] = author
    if day and day >= date_from:
        front["date"] = day
    if crawled:
        front["crawled"] = crawled
    import yaml  # PyYAML comes with python-frontmatter, which reads these files back

    head = yaml.safe_dump(front, allow_unicode=True, sort_keys=False, width=10_000)
    slug = hashlib.sha1(front["url"].encode("utf-8")).hexdigest()[:12]
    return f"{outlet_id}/{day or 'undated'}/{slug}.md", f"---\n{head}---\n{body}"


def import_archive(paths: Iterable[Path], corpus_dir: Path, limit: int | None = None,
                   outlets: Iterable[str] = (), date_from: str = DATE_FROM) -> ImportReport:
    """Write the archive's articles under `corpus_dir` (see the module doc); `limit` stops after that many articles
    written or unchanged, `outlets` keeps only those archive identifiers (`okaz,was`)."""
    corpus_dir = Path(corpus_dir)
    keep = {o.strip() for o in outlets if o.strip()}
    report, seen = ImportReport(), {}
    files = archive_files(paths)
    report.files = len(files)
    for where, record in records(files):
        if limit is not None and report.written + report.unchanged >= limit:
            break
        report.articles += 1
        if keep and (not isinstance(record, dict) or record.get("source") not in keep):
            continue
        try:
            rel, text = article_file(record, date_from)
        except ValueError as exc:
            report.skipped.append({"record": where, "reason": str(exc)})
            continue
        if rel in seen:
            report.skipped.append({"record": where, "reason": f"same url as {seen[rel]}"})
            continue
        seen[rel] = where
        if _write(corpus_dir / rel, text.encode("utf-8")):
            report.written += 1
        else:
            report.unchanged += 1
    return report


def _write(path: Path, data: bytes) -> bool:
    """Write atomically unless the file already holds exactly these bytes; True when written."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)
    return True


def load_records(paths: Iterable[Path]) -> list[dict]:
    """Every record of the archive as dicts (for benchmarks and tests that compare with the archive's own fields)."""
    return [r for _, r in records(paths) if isinstance(r, dict)]


__all__ = ["ArchiveError", "ImportReport", "SOURCES", "article_file", "author_name", "import_archive",
           "archive_files", "records", "load_records"]
