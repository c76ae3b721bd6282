"""An article's metadata from its front matter, header lines, dateline, footer and file name: title, date, outlet
and author, each with where it came from. Photo captions and dates merely mentioned in the body are never taken."""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from rag.arabic import normalize, strip_invisible
from rag.meta import byline
from rag.meta.dates import date_range, find_dates, parse_date_value, pick
from rag.meta.gregorian import Found, fold, valid_iso
from rag.meta.outlets import AGENCIES, SLUG, canonical_outlet, choose_outlet, outlet_key, quoted_outlet

log = logging.getLogger(__name__)

META_VERSION = "6"  # bump when extraction changes: `rag index` then refreshes every file's metadata (no re-embedding)


@dataclass(frozen=True)
class Meta:
    title: str
    title_from: str       # front matter | header
    date: str             # ISO: YYYY-MM-DD (day), YYYY-MM (month), YYYY (year); "" when partial or unknown
    date_text: str        # the date as the article (or its front matter) writes it, e.g. "20 أكتوبر" or "6 ذو الحجة 1445هـ"
    date_precision: str   # day | month | year | partial (no year: date is "", date_text says what is known) | none
    date_from: str        # front matter | header | dateline | lead | filename | unknown
    outlet: str           # canonical outlet name ("الجزيرة"), "" when unknown
    outlet_from: str      # front matter | header | dateline | footer | credit (the body: 'قال لـ«عكاظ»') | filename | unknown
    agency: str = ""      # the wire agency credited in a dateline ("رويترز"), when it is not the outlet
    url: str = ""
    language: str = ""
    author: str = ""      # the byline (rag/meta/byline.py): front matter or a header line; "" when the article names none
    byline: str = ""      # the header line the author was read from, verbatim ("" from front matter)
    date_line: str = ""   # the header or dateline line the date was read from, verbatim ("" from front matter/filename)


def values(meta: Meta) -> dict:
    """The manifest columns and chunk metadata of an article's metadata (numbers for Chroma's $gte/$lte)."""
    lo, hi = date_range(meta.date, meta.date_precision)
    return {"title": meta.title, "date": meta.date, "date_text": meta.date_text, "date_precision": meta.date_precision,
            "date_from": meta.date_from, "outlet": meta.outlet, "outlet_key": outlet_key(meta.outlet) if meta.outlet else "",
            "outlet_from": meta.outlet_from, "agency": meta.agency, "date_lo": lo, "date_hi": hi,
            "author": meta.author, "byline": meta.byline, "date_line": meta.date_line}


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
_LINK_LINE = re.compile(r"رابط (?:الخبر|المقال|الموضوع) (?:ب|في )?(?:صحيفة|جريدة|موقع) ([^\s:،,.]+(?: [^\s:،,.]+)?)\s*:")
# The outlet naming itself in its own reporting (#22, measured on SaudiNewsNet): 'وقال لـ«عكاظ»', 'وعلمت «المدينة»',
# 'تلقت «الشرق الأوسط» نسخة', '"الوطن" رصدت', a brief's '* أثينا - «الشرق الأوسط»:'. A quoted name after a cue;
# 'ذكرت صحيفة «X»' cites another outlet and is not one, nor is a wire agency quoted ('قال لـ«رويترز»').
_Q = r"[«\"“”({]\s*([^»\"“”)}\n]{2,30}?)\s*[»\"”)}]"
_SELF_CREDIT = re.compile(rf"(?:(?<![\w])[لب]ـ*\s?|(?<![\w])(?:إلى|الى|مع|عليها|عليه|معه|معها|[وف]?(?:علمت|تلقت|أبلغت|أبلغ|"
                          rf"تحدثت|سألت|اختبرت|تواصل|تنشرها|تنشره|نشرته|نشرتها|مصادر|حصلت|أطلعت|اطلعت|التقتهم|التقتها|"
                          rf"التقت|رصدت|رصدته|رصدتها|تلقته|تلقتها|استفسار|استفسارات|سؤال|لسؤال|خطاب|كاميرا|مندوب|مراسل|محرر|"
                          rf"تناولته|تجولت|انفردت|خص به|خصت به|حضرت|"
                          rf"أجرته معه|اجرته معه|أجرتها|حضرتها|توجهت|تواصلت|حاولت|تسعد|تنشر|تعرض|معلومات|لمصادر|متابعة|"
                          rf"لقاء|عبر|من خلال))\s+){_Q}"
                          rf"|{_Q}\s+(?:قد\s+)?(?:تجولت|التقت|رصدت|حصلت على|علمت|انفردت|فتحت|كشفت|تستطلع|استطلعت|جمعت|"
                          rf"تابعت|اتصلت|سألت|حاولت|تواصلت|بدورها|كان لها|تنشر|نشرت|تتقدم|تهنئ|قامت|أقامت|شاهدت|طرحت|"
                          rf"ستوافيكم|تقول للمسؤول)(?![\w])"
                          rf"|(?:^|\n)\W{{0,3}}[^\W\d_][^\n\-–—:«]{{0,25}}\s[-–—]\s*{_Q}\s*:")


def _self_credit(text: str) -> str:
    """The first outlet the body credits as its own reporter (see _SELF_CREDIT), or ""."""
    for m in _SELF_CREDIT.finditer(text):
        name = quoted_outlet(next((g for g in m.groups() if g), ""))
        if name and name not in AGENCIES:
            return name
    return ""


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
        return (pick(dates), names) if names or dates else (None, [])
    head = text[:160]
    bullet = bool(re.match(r"^\s*[*•·▪●]", text))  # '* 28 مايو 1990: ...' is a timeline entry, not a dateline
    dates = [f for f in find_dates(head) if f.start < 100] if not bullet else []
    date = None
    if dates:
        before = [w for w in re.findall(r"[^\W\d_]{2,}", fold(head[:dates[0].start])) if not _WEEKDAY.match(w)]
        last = max(f.end for f in dates if f.start <= dates[-1].start)
        after = head[last:last + 50]
        if len(before) <= 3 and (re.match(r"\s*(م|مـ)?\s*([-–—:(]|$)", after) or _credit_name(after)):
            date = pick(dates)
    for credit in re.finditer(r"\(([^()]{2,30})\)", head[:120]):
        if canonical_outlet(credit.group(1)):
            names.append(canonical_outlet(credit.group(1)))
    head = strip_invisible(head)  # bidi marks pasted before it
    head = re.sub(r"^\s*(?:[A-Za-z]+\s+){1,3}(?=[\u0621-\u064A])", "", head)  # 'Next Previous عين اليوم – ...'
    head = re.sub(r"\sـ+\s", " - ", head)  # 'سلوى المدني ـ عين اليوم': a tatweel between spaces is a dash
    first = re.match(r"^\s*([^\W\d_][^\-–—:(«\d]{1,30}?)\s*[-–—]", head)  # 'عين اليوم – كابول', 'سبق- عمان:'
    if first and canonical_outlet(first.group(1)):
        names.append(canonical_outlet(first.group(1)))
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
            datelines += [(n, "dateline") for n in (*names, byline.dateline(ln)[1]) if n]
        found = find_dates(ln)
        if not found:
            continue
        words_before = len(fold(ln[:found[0].start]).split())
        if len(ln.split()) > SUBTITLE_WORDS and words_before > 3:
            continue  # a subtitle that mentions an event's date
        best = pick(found)
        (updated if _UPDATED.search(norm) and not _PUBLISHED.search(norm)
         else published if _PUBLISHED.search(norm) else plain).append(best)
    dates += [(f, "header") for f in published + plain + updated]
    if paragraph:
        date, names = _dateline(paragraph)
        if date:
            dates.append((date, "dateline"))
        datelines += [(n, "dateline") for n in (*names, byline.dateline(paragraph)[1]) if n]
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
    for ln in lines[-2:]:
        link = _LINK_LINE.search(ln)  # 'رابط الخبر بصحيفة الوئام: <headline>'
        if link and canonical_outlet(link.group(1)):
            outlets.append((canonical_outlet(link.group(1)), "footer"))
    credit = _self_credit("\n".join(lines[1:]))
    if credit:
        outlets.append((credit, "credit"))
    stem = source.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    fd = _FILE_DATE.search(stem)
    if fd and valid_iso(int(fd.group(1)), int(fd.group(2)), int(fd.group(3))):
        iso = valid_iso(int(fd.group(1)), int(fd.group(2)), int(fd.group(3)))
        dates.append((Found(0, 0, iso, "day", fd.group(0)), "filename"))
    for token in re.split(r"[_\-. ]+", stem.lower()):
        if token in SLUG:
            outlets.append((SLUG[token], "filename"))

    full = [(f, src) for f, src in dates if f.date]
    chosen = full[0] if full else (dates[0] if dates else None)
    outlet, outlet_from = choose_outlet(outlets)
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
