"""Article metadata: publication date, outlet and title, each with where it came from (front matter, header, dateline,
footer, filename or unknown). Photo captions and dates merely mentioned in the body are never taken."""
from __future__ import annotations

import datetime as _dt
import logging
import re
from dataclasses import dataclass

from . import byline
from .arabic import normalize
from .errors import ConfigError

log = logging.getLogger(__name__)

META_VERSION = "4"  # bump when extraction changes: `rag index` then refreshes every file's metadata (no re-embedding)
PRECISIONS = ("day", "month", "year", "partial", "none")


@dataclass(frozen=True)
class Meta:
    title: str
    title_from: str       # front matter | header
    date: str             # ISO: YYYY-MM-DD (day), YYYY-MM (month), YYYY (year); "" when partial or unknown
    date_text: str        # the date as the article (or its front matter) writes it, e.g. "20 أكتوبر" or "6 ذو الحجة 1445هـ"
    date_precision: str   # day | month | year | partial (no year: date is "", date_text says what is known) | none
    date_from: str        # front matter | header | dateline | lead | filename | unknown
    outlet: str           # canonical outlet name ("الجزيرة"), "" when unknown
    outlet_from: str      # front matter | header | dateline | footer | filename | unknown
    agency: str = ""      # the wire agency credited in a dateline ("رويترز"), when it is not the outlet
    url: str = ""
    language: str = ""
    author: str = ""      # the byline (rag/byline.py): front matter or a header line; "" when the article names none
    byline: str = ""      # the header line the author was read from, verbatim ("" from front matter)
    date_line: str = ""   # the header or dateline line the date was read from, verbatim ("" from front matter/filename)


# ------------------------------------------------------------------ outlets

# canonical name -> aliases (matched after normalize()); filename slugs are the Latin aliases without spaces.
OUTLETS = {
    "الجزيرة": ("الجزيرة", "الجزيرة نت", "الجزيرة.نت", "قناة الجزيرة", "al jazeera", "aljazeera", "aljazeera.net"),
    "العربية": ("العربية", "العربية.نت", "العربية نت", "قناة العربية", "al arabiya", "alarabiya", "alarabiya.net"),
    "الشرق الأوسط": ("الشرق الأوسط", "صحيفة الشرق الأوسط", "asharq al-awsat", "aawsat", "asharq alawsat"),
    "الشرق": ("الشرق", "الشرق للأخبار", "الشرق نيوز", "اقتصاد الشرق", "asharq", "asharq news", "asharq business"),
    "اليوم السابع": ("اليوم السابع", "youm7", "youm 7"),
    "سبوتنيك": ("سبوتنيك", "سبوتنيك عربي", "وكالة سبوتنيك", "sputnik", "sputnik arabic", "sputniknews"),
    "بي بي سي عربي": ("بي بي سي عربي", "bbc news عربي", "بي بي سي", "bbc arabic", "bbc عربي", "bbc"),
    "رويترز": ("رويترز", "reuters", "وكالة رويترز"),
    "فرانس برس": ("فرانس برس", "أ ف ب", "ا ف ب", "أ.ف.ب", "afp", "وكالة فرانس برس"),
    "أسوشيتد برس": ("أسوشيتد برس", "أ ب", "ap", "associated press"),
    "الأناضول": ("الأناضول", "وكالة الأناضول", "anadolu", "aa"),
    "واس": ("واس", "وكالة الأنباء السعودية", "spa"),
    "وام": ("وام", "وكالة أنباء الإمارات", "wam"),
    "سكاي نيوز عربية": ("سكاي نيوز عربية", "sky news arabia", "skynewsarabia"),
    "إندبندنت عربية": ("إندبندنت عربية", "اندبندنت عربية", "independent arabia", "independentarabia"),
    "المصري اليوم": ("المصري اليوم", "almasryalyoum", "al-masry al-youm"),
    "الأهرام": ("الأهرام", "بوابة الأهرام", "ahram", "al-ahram"),
    "عكاظ": ("عكاظ", "صحيفة عكاظ", "okaz"),
    "روسيا اليوم": ("روسيا اليوم", "آر تي", "rt arabic", "rt عربي", "arabic.rt"),
    "سي إن إن بالعربية": ("سي إن إن بالعربية", "cnn بالعربية", "cnn arabic"),
    "أردو بوینت": ("أردو بوینت", "أردو بوینت نتورك", "اردو بوينت", "urdupoint"),
    "تاس": ("تاس", "وكالة تاس", "tass"),
}
AGENCIES = {"رويترز", "فرانس برس", "أسوشيتد برس", "الأناضول", "واس", "وام", "سبوتنيك", "تاس"}


def _key(name: str) -> str:
    return " ".join(re.sub(r"[.\"'«»()\[\]]", " ", normalize(name)).split())


_ALIAS = {_key(a): canon for canon, aliases in OUTLETS.items() for a in (canon, *aliases)}
_SLUG = {re.sub(r"[^a-z0-9]", "", a.lower()): canon for canon, aliases in OUTLETS.items() for a in aliases
         if a.isascii() and len(a) > 3}


def outlet_key(name: str) -> str:
    """The filter key of an outlet: its canonical name (from any alias), normalised."""
    return _key(canonical_outlet(name) or name)


def canonical_outlet(name: str) -> str:
    """The canonical name of a known outlet ("Al Jazeera", "الجزيرة نت" -> "الجزيرة"), else ""."""
    return _ALIAS.get(_key(name.strip(" «»\"'()[]-–—:،,.۔")), "")


# ------------------------------------------------------------------ dates

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
HIJRI_MONTHS = {"محرم": 1, "صفر": 2, "ربيع الأول": 3, "ربيع الاول": 3, "ربيع الآخر": 4, "ربيع الاخر": 4,
                "ربيع الثاني": 4, "جمادى الأولى": 5, "جمادى الاولى": 5, "جمادى الآخرة": 6, "جمادى الاخرة": 6,
                "جمادى الثانية": 6, "رجب": 7, "شعبان": 8, "رمضان": 9, "شوال": 10, "ذو القعدة": 11, "ذي القعدة": 11,
                "ذو الحجة": 12, "ذي الحجة": 12}
# Normalisation that keeps every character's position, so a match can be cut from the original line.
_SAME_LENGTH = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي", "ـ": " ",
                              **{chr(0x0660 + i): str(i) for i in range(10)},
                              **{chr(0x06F0 + i): str(i) for i in range(10)}})


def _norm(text: str) -> str:
    return text.translate(_SAME_LENGTH).lower()


def _alt(names) -> str:
    return "|".join(sorted({re.escape(_norm(m)) for m in names}, key=len, reverse=True))


_END = r"(?![\w\u0621-\u064a])"
_M = rf"(?:{_alt(MONTHS)}){_END}"
_HM = rf"(?:{_alt(HIJRI_MONTHS)}){_END}"
_Y = r"((?:19|20)\d{2})(?!\d)"
# 12 يونيو 2024 · 12/يونيو/2024 · 12 يونيو/ حزيران 2024 · 11 أيلول/سبتمبر 2024 · 20 أكتوبر (تشرين الأول) · June 12, 2024
_DMY = re.compile(rf"(?<!\d)(\d{{1,2}})\s*[/\-\s.]?\s*({_M})(?:\s*[/(]\s*(?:{_M})(?:\s*\))?)?(?:\s*[/\-\s,،.]\s*{_Y})?")
_MDY = re.compile(rf"(?<![\w])({_M})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_Y}")
_MY = re.compile(rf"(?<![\w\d])({_M})(?:\s*[/(]\s*(?:{_M})(?:\s*\))?)?[\s,،]+{_Y}")
_HIJRI = re.compile(rf"(?<!\d)(\d{{1,2}})\s+({_HM})\s+(1[34]\d{{2}})\s*(?:هـ|ه{_END}|h{_END})")
_NUMERIC = re.compile(r"(?<![\d/.-])(\d{1,2})([/.-])(\d{1,2})\2((?:19|20)\d{2})(?![\d/.-])")
_ISO = re.compile(r"(?<![\d/.-])((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?![\d/-])")
_MONTH_NUM = {_norm(k): v for k, v in MONTHS.items()}
_HMONTH_NUM = {_norm(k): v for k, v in HIJRI_MONTHS.items()}


@dataclass(frozen=True)
class Found:
    start: int
    end: int
    date: str        # ISO at its precision, "" when partial
    precision: str
    text: str
    hijri: bool = False


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return _dt.date(y, m, d).isoformat()
    except ValueError:
        return None


def find_dates(line: str) -> list[Found]:
    """Every date written in `line`, in order of position; overlapping matches keep the longest/most precise."""
    norm = _norm(line)
    found: list[Found] = []
    for m in _HIJRI.finditer(norm):
        from hijridate import Hijri  # converted with the Umm al-Qura calendar

        try:
            g = Hijri(int(m.group(3)), _HMONTH_NUM[m.group(2)], int(m.group(1))).to_gregorian()
        except (ValueError, OverflowError):
            continue
        end = m.end() + (line[m.end():m.end() + 1] == "ـ")  # "هـ": the tatweel is a space in the normalised line
        found.append(Found(m.start(), end, g.isoformat(), "day", line[m.start():end].strip(), True))
    for m in _DMY.finditer(norm):
        day, month, year = int(m.group(1)), _MONTH_NUM[m.group(2)], m.group(3)
        text = line[m.start():m.end()].strip(" ,،/-")
        if year:
            iso = _iso(int(year), month, day)
            if iso:
                found.append(Found(m.start(), m.end(), iso, "day", text))
        elif 1 <= day <= 31:
            found.append(Found(m.start(), m.end(), "", "partial", text))
    for m in _MDY.finditer(norm):
        iso = _iso(int(m.group(3)), _MONTH_NUM[m.group(1).rstrip(".")], int(m.group(2)))
        if iso:
            found.append(Found(m.start(), m.end(), iso, "day", line[m.start():m.end()]))
    for m in _NUMERIC.finditer(norm):
        iso = _iso(int(m.group(4)), int(m.group(3)), int(m.group(1)))  # Arabic sites write day/month/year
        if iso:
            found.append(Found(m.start(), m.end(), iso, "day", line[m.start():m.end()]))
    for m in _ISO.finditer(norm):
        iso = _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if iso:
            found.append(Found(m.start(), m.end(), iso, "day", line[m.start():m.end()]))
    for m in _MY.finditer(norm):
        found.append(Found(m.start(), m.end(), f"{m.group(2)}-{_MONTH_NUM[m.group(1)]:02d}", "month",
                           line[m.start():m.end()].strip(" ,،")))
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
    if m and _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))):
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))), text, "day"
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


def values(meta: Meta) -> dict:
    """The manifest columns and chunk metadata of an article's metadata (numbers for Chroma's $gte/$lte)."""
    lo, hi = date_range(meta.date, meta.date_precision)
    return {"title": meta.title, "date": meta.date, "date_text": meta.date_text, "date_precision": meta.date_precision,
            "date_from": meta.date_from, "outlet": meta.outlet, "outlet_key": outlet_key(meta.outlet) if meta.outlet else "",
            "outlet_from": meta.outlet_from, "agency": meta.agency, "date_lo": lo, "date_hi": hi,
            "author": meta.author, "byline": meta.byline, "date_line": meta.date_line}


def shown_date(date: str, date_text: str, precision: str, language: str = "en") -> str:
    """What the reader sees: ISO for a full date, what the article says (and that the year is unknown) otherwise."""
    if date.startswith("--"):  # written by indexes before rag/meta.py, until `rag index` refreshes them
        date = ""
    if date:
        return date
    if date_text:
        return f"{date_text} ({'السنة غير معروفة' if language == 'ar' else 'year unknown'})"
    return ""


# ------------------------------------------------------------------ where each field comes from

_CREDIT = re.compile(r"(reuters|رويترز|afp|ا\.? ?ف\.? ?ب\.?|فرانس برس|getty( images)?|غيتي|epa|اسوشيتد برس|ap photo|"
                     r"الاناضول|anadolu|shutterstock|ارشيفيه|د ب ا)\W*$", re.IGNORECASE)
_PHOTO = re.compile(r"^\W*(صوره|الصوره|صور|photo|image|file photo)\b", re.IGNORECASE)
_PUBLISHED = re.compile(r"(نشر|تاريخ النشر|published|posted)", re.IGNORECASE)
_UPDATED = re.compile(r"(اخر تحديث|تحديث|updated|last update)", re.IGNORECASE)
_WEEKDAY = re.compile(r"^(السبت|الاحد|الاثنين|الإثنين|الثلاثاء|الاربعاء|الخميس|الجمعه|يوم|الموافق|م|مـ|"
                      r"saturday|sunday|monday|tuesday|wednesday|thursday|friday)$", re.IGNORECASE)
_SEP = re.compile(r"\s[-–—]|[-–—]\s|:|\(")
_THIS_MONTH = re.compile(r"^\W{0,3}(\([^)]{0,20}\)\s*)?(الجاري|الحالي)")
_SOURCE_LINE = re.compile(r"^\W*(المصدر|source)\s*[:：]\s*(.+)$", re.IGNORECASE)
_FILE_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-_]?(\d{2})[-_]?(\d{2})(?!\d)")
HEADER_LINES = 8        # header (dates, site name, dateline) = lines before the first body paragraph, at most this many
SUBTITLE_WORDS = 14     # a longer header line is a subtitle: a date in it is an event's, unless it opens the line


def is_caption(line: str) -> bool:
    """A photo caption: starts with 'صورة'/'Photo', or ends with a photo credit after a description of several words
    ('... في موسكو. 9 نوفمبر 2018 - REUTERS'); a dateline ('بيروت - 12 يونيو 2024 (أ ف ب)') is not."""
    norm = normalize(line)
    if _PHOTO.match(norm) or "getty images" in norm or "ارشيفيه" in norm:
        return True
    m = _CREDIT.search(norm)
    if not m:
        return False
    head = norm[:m.start()]
    for f in reversed(find_dates(head)):
        head = head[:f.start] + " " + head[f.end:]
    return len([w for w in re.findall(r"[^\W\d_]{2,}", head) if not _WEEKDAY.match(w)]) >= 4


def split_front_matter(text: str) -> tuple[dict, str]:
    """({key: value}, the rest) for a file opening with a `---` YAML block; ({}, text) otherwise or when it is bad."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped.startswith("---"):
        return {}, text
    import frontmatter

    try:
        post = frontmatter.loads(stripped)
    except Exception as exc:  # noqa: BLE001 - bad YAML is article text, not a reason to skip the file
        log.warning("front matter not read (%s: %s); kept as text", type(exc).__name__, exc)
        return {}, text
    if not isinstance(post.metadata, dict) or not post.metadata:
        return {}, text
    return {str(k).strip().lower(): v for k, v in post.metadata.items()}, post.content


def _dateline(text: str) -> tuple[Found | None, list[str]]:
    """(date, outlet names) of a dateline at the start of `text`: '( أردو بوینت نتورك ۔ / سبوتنيك - 02 يوليو 2021ء)',
    'بيروت، 12 حزيران/يونيو 2024 (أ ف ب) -', 'موسكو (رويترز) -', 'دبي - الشرق', 'لندن: «الشرق الأوسط»'."""
    names: list[str] = []
    m = re.match(r"^\s*\(\s*([^()]{2,140})\)", text)
    if m:  # a parenthesised dateline: publisher / agency - date
        inner = m.group(1)
        dates = find_dates(inner)
        cut = dates[0].start if dates else len(inner)
        for part in re.split(r"[/،,]", inner[:cut]):
            name = canonical_outlet(part) or canonical_outlet(re.sub(r"\s*[-–—]\s*$", "", part.strip(" ۔.")))
            if name:
                names.append(name)
        return (_pick(dates), names) if names or dates else (None, [])
    head = text[:160]
    dates = [f for f in find_dates(head) if f.start < 100]
    date = None
    if dates:
        before = [w for w in re.findall(r"[^\W\d_]{2,}", _norm(head[:dates[0].start])) if not _WEEKDAY.match(w)]
        last = max(f.end for f in dates if f.start <= dates[-1].start)
        after = head[last:last + 50]
        if len(before) <= 3 and (re.match(r"\s*(م|مـ)?\s*([-–—:(]|$)", after) or _credit_name(after)):
            date = _pick(dates)
    for credit in re.finditer(r"\(([^()]{2,30})\)", head[:120]):
        if canonical_outlet(credit.group(1)):
            names.append(canonical_outlet(credit.group(1)))
    quoted = re.match(r"^\s*[^\W\d_][^\-–—:(«]{0,25}[-–—:]\s*«([^»]{2,40})»", head)
    if quoted:
        names.append(canonical_outlet(quoted.group(1)) or quoted.group(1).strip())
    plain = re.match(r"^\s*[^\W\d_][^\-–—:(«]{0,25}\s*[-–—]\s*([^.،,:\n()-]{2,40})", head)
    if plain:
        words = plain.group(1).split()
        for n in range(min(4, len(words)), 0, -1):
            if canonical_outlet(" ".join(words[:n])):
                names.append(canonical_outlet(" ".join(words[:n])))
                break
    name = _credit_name(head[last:last + 50]) if dates and date else ""
    if name:
        names.append(name)
    return date, list(dict.fromkeys(names))


def _credit_name(text: str) -> str:
    """A known outlet written right there: 'واس', '(رويترز)', 'م واس'."""
    words = re.findall(r"[^\W\d_][^\s()\-–—:]*", text)[:4]
    for n in range(len(words), 0, -1):
        for i in range(0, len(words) - n + 1):
            if canonical_outlet(" ".join(words[i:i + n])):
                return canonical_outlet(" ".join(words[i:i + n]))
    return ""


def _pick(dates: list[Found]) -> Found | None:
    """The most precise Gregorian date written, else a converted Hijri one."""
    rank = {"day": 0, "month": 1, "year": 2, "partial": 3}
    return min(dates, key=lambda f: (rank[f.precision], f.hijri), default=None)


def extract(body: str, front: dict, source: str, raw: str = "") -> Meta:
    """Title, date, outlet and author of an article from its front matter and cleaned text (title first); `raw`, the
    text before cleaning, is where a byline is looked for (some sites print it only in page furniture)."""
    lines = [ln for ln in body.split("\n") if ln.strip()]
    title = str(front.get("title") or "").strip()
    title_from = "front matter" if title else "header"
    title = title or (lines[0] if lines else "")
    outlets: list[tuple[str, str]] = []   # (name, from), most trusted first
    if front.get("outlet") or front.get("source") or front.get("publisher"):
        name = str(front.get("outlet") or front.get("source") or front.get("publisher")).strip()
        outlets.append((canonical_outlet(name) or name, "front matter"))
    suffix = re.match(r"^(.*\S)\s+[|\-–—]\s+([^|\-–—]{2,40})$", title)
    if suffix and canonical_outlet(suffix.group(2)):
        outlets.append((canonical_outlet(suffix.group(2)), "header"))
        title = suffix.group(1)
    dates: list[tuple[Found, str]] = []    # (date, from), most trusted first
    if front.get("date"):
        d, text, precision = parse_date_value(front["date"])
        dates.append((Found(0, 0, d, precision, text), "front matter"))

    header, paragraph = [], ""
    for ln in lines[1:1 + HEADER_LINES]:
        if byline.is_paragraph(ln):
            paragraph = ln
            break
        header.append(ln)
    published, plain, updated, datelines = [], [], [], []
    for ln in header:
        if is_caption(ln):
            continue
        norm = normalize(ln)
        if canonical_outlet(ln):
            outlets.append((canonical_outlet(ln), "header"))
            continue
        src = _SOURCE_LINE.match(ln)
        if src and _credit_name(src.group(2)):
            outlets.append((_credit_name(src.group(2)), "header"))
        if len(ln.split()) <= 16:
            date, names = _dateline(ln)
            datelines += [(n, "dateline") for n in names]
        found = find_dates(ln)
        if not found:
            continue
        words_before = len(_norm(ln[:found[0].start]).split())
        if len(ln.split()) > SUBTITLE_WORDS and words_before > 3:
            continue  # a subtitle that mentions an event's date
        best = _pick(found)
        (updated if _UPDATED.search(norm) and not _PUBLISHED.search(norm)
         else published if _PUBLISHED.search(norm) else plain).append(best)
    dates += [(f, "header") for f in published + plain + updated]
    if paragraph:
        date, names = _dateline(paragraph)
        if date:
            dates.append((date, "dateline"))
        datelines += [(n, "dateline") for n in names]
        for f in find_dates(paragraph[:300]):  # 'الأربعاء 20 أكتوبر الجاري': the article is from that month
            if f.precision == "partial" and _THIS_MONTH.match(paragraph[f.end:f.end + 30]):
                dates.append((f, "lead"))
                break
    outlets += datelines
    for ln in lines[-3:]:
        src = _SOURCE_LINE.match(ln)
        if src:
            first = re.split(r"[+،,/]| و", src.group(2))[0].strip()
            name = canonical_outlet(first) or (first if 0 < len(first.split()) <= 3 else "")
            if name:
                outlets.append((name, "footer"))
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    fd = _FILE_DATE.search(stem)
    if fd and _iso(int(fd.group(1)), int(fd.group(2)), int(fd.group(3))):
        iso = _iso(int(fd.group(1)), int(fd.group(2)), int(fd.group(3)))
        dates.append((Found(0, 0, iso, "day", fd.group(0)), "filename"))
    for token in re.split(r"[_\-. ]+", stem.lower()):
        if token in _SLUG:
            outlets.append((_SLUG[token], "filename"))

    full = [(f, src) for f, src in dates if f.date]
    chosen = full[0] if full else (dates[0] if dates else None)
    outlet, outlet_from = _choose_outlet(outlets)
    agency = next((n for n, _ in outlets if n in AGENCIES and n != outlet), "")
    date_line = ""
    if chosen and chosen[1] in ("header", "dateline", "lead"):
        date_line = next((ln for ln in lines[:2 + HEADER_LINES] if chosen[0].text in ln), "")
    author, author_line = byline.from_front(front), ""
    if not author:
        author, author_line = byline.find(raw or body, title)
    return Meta(title=title.strip(), title_from=title_from,
                date=chosen[0].date if chosen else "", date_text=chosen[0].text if chosen else "",
                date_precision=chosen[0].precision if chosen else "none", date_from=chosen[1] if chosen else "unknown",
                outlet=outlet, outlet_from=outlet_from, agency=agency, url=str(front.get("url") or ""),
                language=str(front.get("language") or front.get("lang") or ""), author=author, byline=author_line,
                date_line=date_line)


def _choose_outlet(found: list[tuple[str, str]]) -> tuple[str, str]:
    """The publisher: front matter first, then the first outlet that is not a wire agency, else the agency."""
    if not found:
        return "", "unknown"
    if found[0][1] == "front matter":
        return found[0]
    return next(((n, f) for n, f in found if n not in AGENCIES), found[0])


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
