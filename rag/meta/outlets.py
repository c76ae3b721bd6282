"""News outlets: canonical names, their aliases (Arabic, Latin, filename slugs) and the wire agencies."""
from __future__ import annotations

import re

from rag.arabic import normalize

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
    # Saudi outlets (#22, the SaudiNewsNet archive). Names that are also words or places in running text (الرياض the
    # city, اليوم 'today', الوطن, المدينة, الاقتصادية 'economic', الرياضي/الرياضية 'sporting') count only in the forms
    # below or quoted as a credit (QUOTED_ONLY, quoted_outlet): «الرياض», لـ"الوطن".
    "عين اليوم": ("عين اليوم", "صحيفة عين اليوم", "3alyoum"),
    "سبق": ("سبق", "صحيفة سبق", "سبق الإلكترونية", "sabq"),
    "الوئام": ("الوئام", "صحيفة الوئام", "alweeam"),
    "الاقتصادية": ("صحيفة الاقتصادية", "جريدة الاقتصادية", "الاقتصادية الإلكترونية", "aleqtisadiya"),
    "الرياض": ("صحيفة الرياض", "جريدة الرياض", "الرياض الإلكتروني", "alriyadh"),
    "الجزيرة السعودية": ("صحيفة الجزيرة", "جريدة الجزيرة", "aljazirah"),
    "اليوم": ("صحيفة اليوم", "جريدة اليوم", "alyaum"),
    "الوطن": ("صحيفة الوطن", "جريدة الوطن", "alwatan"),
    "المدينة": ("صحيفة المدينة", "جريدة المدينة", "almadina"),
    "الرياضي": ("صحيفة الرياضي", "جريدة الرياضي", "arreyadi"),
    "الرياضية": ("صحيفة الرياضية", "جريدة الرياضية", "arriyadiyah"),
}
QUOTED_ONLY = {"الاقتصادية", "الرياض", "اليوم", "الوطن", "المدينة", "الرياضي", "الرياضية"}
AGENCIES = {"رويترز", "فرانس برس", "أسوشيتد برس", "الأناضول", "واس", "وام", "سبوتنيك", "تاس"}

# A wire or a desk credited in place of a person (a whole dateline segment): 'واس', 'أ ف ب', 'مكتب جدة', 'متابعات'.
AGENCY = re.compile(r"^(?:واس|وام|قنا|كونا|بنا|سبأ|رويترز|أ\s?ف\s?ب|ا\s?ف\s?ب|ف\s?ب|د\s?ب\s?أ|د\s?ب\s?ا|أ\s?ب|الأناضول|الوكالات|وكالات|"
                    r"فرانس برس|أسوشيتد برس|يو بي آي|يو بي اي|مكتب \S+(?: \S+)?|سكاي نيوز|العربية\.?نت|سي إن إن|بي بي سي|"
                    r"الفرنسية|الألمانية|الأوروبية|الصينية|الإيطالية|الأمريكية|"
                    r"المحرر|محرر|متابعات|تقرير|خاص|مراسل\S*|وحدة \S+|فريق \S+|قسم \S+|إعداد|ترجمة)$")


def _key(name: str) -> str:
    return " ".join(re.sub(r"[.\"'«»()\[\]]", " ", normalize(name)).split())


_ALIAS = {_key(a): canon for canon, aliases in OUTLETS.items()
          for a in ((canon, *aliases) if canon not in QUOTED_ONLY else aliases)}
_QUOTED = {**_ALIAS, **{_key(c): c for c in QUOTED_ONLY}}
MULTIWORD_ALIASES = tuple(a for a in _ALIAS if " " in a)  # 'عين اليوم': a byline that starts with one is no name
SLUG = {re.sub(r"[^a-z0-9]", "", a.lower()): canon for canon, aliases in OUTLETS.items() for a in aliases
         if a.isascii() and len(a) > 3}


def outlet_key(name: str) -> str:
    """The filter key of an outlet: its canonical name (from any alias), normalised."""
    return _key(canonical_outlet(name) or name)


def canonical_outlet(name: str) -> str:
    """The canonical name of a known outlet ("Al Jazeera", "الجزيرة نت" -> "الجزيرة"), else ""."""
    return _ALIAS.get(_key(name.strip(" «»\"'()[]-–—:،,.۔")), "")


def quoted_outlet(name: str) -> str:
    """canonical_outlet of a name written in quotes (a credit: «الرياض», "الوطن"), where a name that is also a word
    or a place (QUOTED_ONLY) counts too."""
    return _QUOTED.get(_key(name.strip(" «»\"'“”()[]{}-–—:،,.۔")), "")


def choose_outlet(found: list[tuple[str, str]]) -> tuple[str, str]:
    """The publisher: front matter first, then the first outlet that is not a wire agency, else the agency."""
    if not found:
        return "", "unknown"
    if found[0][1] == "front matter":
        return found[0]
    return next(((n, f) for n, f in found if n not in AGENCIES), found[0])
