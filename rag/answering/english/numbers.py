"""Numbers in an Arabic span rendered in English: digits (Western or Arabic-Indic), number words (عشر, ثلاثة آلاف
وسبعمئة, مليون ونصف), scale words on digits (3.5 مليار), percentages, money and units.

Every value comes from the span: the number is parsed from it, the unit is a word of it found in CLDR's Arabic unit
and currency names (Babel) or in the short list of counted nouns below; a span holding two different numbers, or no
number, gives None."""
from __future__ import annotations

import re
from functools import lru_cache

from rag.arabic import normalize

# ----------------------------------------------------------------- number words (on rag.arabic.normalize'd text)

_UNITS = {"واحد": 1, "واحده": 1, "اثنان": 2, "اثنين": 2, "اثنتان": 2, "اثنتين": 2, "اثنا": 2,
          "اثنتا": 2, "ثلاث": 3, "ثلاثه": 3, "اربع": 4, "اربعه": 4, "خمس": 5, "خمسه": 5, "ست": 6, "سته": 6, "سبع": 7,
          "سبعه": 7, "ثمان": 8, "ثماني": 8, "ثمانيه": 8, "تسع": 9, "تسعه": 9}
_TEN = {"عشر", "عشره"}
_TENS = {"عشرون": 20, "عشرين": 20, "ثلاثون": 30, "ثلاثين": 30, "اربعون": 40, "اربعين": 40, "خمسون": 50, "خمسين": 50,
         "ستون": 60, "ستين": 60, "سبعون": 70, "سبعين": 70, "ثمانون": 80, "ثمانين": 80, "تسعون": 90, "تسعين": 90}
_HUNDREDS = {"مئه": 100, "مائه": 100, "مئتان": 200, "مئتين": 200, "مئتي": 200, "مائتان": 200, "مائتين": 200,
             "مائتي": 200}
for _w, _v in list(_UNITS.items()):
    if 3 <= _v <= 9:
        for _h in ("مئه", "مائه"):
            _HUNDREDS[_w.removesuffix("ه") + _h] = _v * 100   # ثلاثمئة, خمسمائة
_SCALES = {"الف": 10**3, "الاف": 10**3, "الفا": 10**3, "الفان": 2 * 10**3, "الفين": 2 * 10**3, "مليون": 10**6,
           "ملايين": 10**6, "مليونا": 10**6, "مليونان": 2 * 10**6, "مليونين": 2 * 10**6, "مليار": 10**9,
           "مليارات": 10**9, "مليارا": 10**9, "بليون": 10**9, "ترليون": 10**12, "تريليون": 10**12}
_FRACTIONS = {"نصف": 0.5, "ربع": 0.25}
_ORDINAL_AR = {"الاول": 1, "الاولي": 1, "الثاني": 2, "الثانيه": 2, "الثالث": 3, "الثالثه": 3, "الرابع": 4,
               "الرابعه": 4, "الخامس": 5, "الخامسه": 5, "السادس": 6, "السادسه": 6, "السابع": 7, "السابعه": 7,
               "الثامن": 8, "الثامنه": 8, "التاسع": 9, "التاسعه": 9, "العاشر": 10, "العاشره": 10}
_EN_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_EN_ORDINALS = ("", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")
_SCALE_EN = {10**3: "thousand", 10**6: "million", 10**9: "billion", 10**12: "trillion"}

# Counted nouns of news answers (singular and plural forms, normalised) -> English (singular, plural). Hand-made: CLDR
# has units and currencies, not everyday nouns.
_NOUNS = {
    ("دوله", "دول"): ("country", "countries"), ("شخص", "اشخاص"): ("person", "people"),
    ("قتيل", "قتلي"): ("dead", "dead"), ("جريح", "جرحي"): ("injured", "injured"),
    ("عام", "اعوام"): ("year", "years"), ("سنه", "سنوات"): ("year", "years"), ("سنين",): ("years", "years"),
    ("يوم", "ايام"): ("day", "days"), ("شهر", "اشهر", "شهور"): ("month", "months"),
    ("اسبوع", "اسابيع"): ("week", "weeks"), ("ساعه", "ساعات"): ("hour", "hours"),
    ("دقيقه", "دقائق"): ("minute", "minutes"), ("مره", "مرات"): ("time", "times"),
    ("عضو", "اعضاء", "عضوا"): ("member", "members"), ("طفل", "اطفال"): ("child", "children"),
    ("امراه", "نساء"): ("woman", "women"), ("رجل", "رجال"): ("man", "men"),
    ("جندي", "جنود"): ("soldier", "soldiers"), ("لاجي", "لاجيين"): ("refugee", "refugees"),
    ("مدينه", "مدن"): ("city", "cities"), ("قريه", "قري"): ("village", "villages"),
    ("طالب", "طلاب"): ("student", "students"), ("موظف", "موظفين"): ("employee", "employees"),
    ("عامل", "عمال"): ("worker", "workers"), ("مقعد", "مقاعد"): ("seat", "seats"),
    ("صوت", "اصوات"): ("vote", "votes"), ("هدف", "اهداف"): ("goal", "goals"),
    ("كتاب", "كتب"): ("book", "books"), ("فيلم", "افلام"): ("film", "films"),
    ("نسمه",): ("inhabitants", "inhabitants"), ("ساكن", "سكان"): ("inhabitant", "inhabitants"),
    ("لاعب", "لاعبين"): ("player", "players"), ("فريق", "فرق"): ("team", "teams"),
    ("حزب", "احزاب"): ("party", "parties"), ("وزير", "وزراء"): ("minister", "ministers"),
    ("طائره", "طائرات"): ("aircraft", "aircraft"), ("صاروخ", "صواريخ"): ("missile", "missiles"),
    ("قرن", "قرون"): ("century", "centuries"), ("نوع", "انواع"): ("type", "types"),
    ("جزيره", "جزر"): ("island", "islands"), ("لغه", "لغات"): ("language", "languages"),
}
_NOUN = {normalize(form): en for forms, en in _NOUNS.items() for form in forms}
# Bare currency words (CLDR names them with the country: دولار أمريكي) -> English plural.
_MONEY = {"دولار": "dollars", "دولارا": "dollars", "دولارات": "dollars", "ريال": "riyals", "ريالا": "riyals",
          "ريالات": "riyals", "يورو": "euros", "جنيه": "pounds", "جنيها": "pounds", "جنيهات": "pounds",
          "درهم": "dirhams", "دراهم": "dirhams", "دينار": "dinars", "دينارا": "dinars", "دنانير": "dinars",
          "ليره": "lira", "ليرات": "lira", "روبل": "roubles", "روبلا": "roubles", "ين": "yen", "يوان": "yuan",
          "روبيه": "rupees", "فرنك": "francs", "فرنكا": "francs", "استرليني": "sterling"}
_PERCENT_WORDS = tuple(normalize(w) for w in ("في المئة", "في المائة", "بالمئة", "بالمائة"))
# The tables are written as read; lookups are on rag.arabic.normalize'd words (ئ -> ي, ة -> ه, أ -> ا).
_UNITS, _TENS, _HUNDREDS, _SCALES, _FRACTIONS, _ORDINAL_AR, _MONEY = (
    {normalize(k): v for k, v in d.items()} for d in (_UNITS, _TENS, _HUNDREDS, _SCALES, _FRACTIONS, _ORDINAL_AR, _MONEY))
_TEN = {normalize(k) for k in _TEN}
_DUAL_SCALES = {normalize(k) for k in ("ألفان", "ألفين", "مليونان", "مليونين")}
# Words before a number that change what it says, normalised -> English; kept, since "70 million" for
# "more than 70 million" would be a wrong value.
_QUALIFIERS = {normalize(k): v for k, v in {
    "أكثر من": "more than", "اكثر من": "more than", "لأكثر من": "more than", "ما يزيد عن": "more than",
    "ما يزيد على": "more than", "أقل من": "less than", "حوالي": "about", "حوالى": "about", "نحو": "about",
    "قرابة": "about", "قرابه": "about", "ما يقارب": "about", "ما يقرب من": "about", "زهاء": "about",
    "ما يقدر بحوالي": "about", "ما يقدر بنحو": "about", "بحوالي": "about", "بنحو": "about", "تقريبا": "about",
    "على الأقل": "at least", "ما لا يقل عن": "at least", "حتى": "up to"}.items()}
_ORDINAL_TEENS = re.compile(r"(?:^|\s)(الحادي|الحاديه|الثاني|الثانيه|الثالث|الثالثه|الرابع|الرابعه|الخامس|الخامسه|"
                            r"السادس|السادسه|السابع|السابعه|الثامن|الثامنه|التاسع|التاسعه)\s+(عشر|عشره)(?:\s|$)")
_EN_TEEN_ORDINALS = {1: "eleventh", 2: "twelfth", 3: "thirteenth", 4: "fourteenth", 5: "fifteenth", 6: "sixteenth",
                     7: "seventeenth", 8: "eighteenth", 9: "nineteenth"}
_DIGITS = re.compile(r"(?<![\w.])(\d+(?:[.,]\d+)*)(?![\w])")
_CONNECTOR = re.compile(r"^و(?=.)")


@lru_cache(maxsize=1)
def cldr_units() -> dict[str, tuple[str, str]]:
    """Arabic unit and currency names (every plural form, long and short) -> English (singular, plural), from Babel's
    CLDR data: كيلومترات -> (kilometer, kilometers), كم -> (km, km), ريال سعودي -> (Saudi riyal, Saudi riyals)."""
    from babel import Locale

    ar, en = Locale("ar"), Locale("en")
    out: dict[str, tuple[str, str]] = {}
    for unit, forms in ar._data["unit_patterns"].items():
        if not unit.startswith(("length-", "area-", "mass-", "volume-", "speed-", "temperature-", "duration-",
                                "energy-", "power-", "digital-")):
            continue
        en_forms = en._data["unit_patterns"].get(unit) or {}
        e = en_forms.get("long") or en_forms.get("short") or {}
        one, other = (e.get("one") or e.get("other") or ""), (e.get("other") or "")
        if not other:
            continue
        pair = (one.replace("{0}", "").strip(), other.replace("{0}", "").strip())
        for length in ("long", "short"):  # the Arabic long and short names, said in English in full
            for key, pattern in (forms.get(length) or {}).items():
                if key == "per" or "{0}" not in pattern:
                    continue
                word = normalize(pattern.replace("{0}", "")).strip()
                if word and len(word) > 1:
                    out.setdefault(word, pair)
    plural = en._data["currency_names_plural"]
    for code, name in ar.currencies.items():
        forms = plural.get(code) if code in plural else None
        if forms and len(name.split()) > 1:  # "دولار أمريكي"; the bare words are in _MONEY
            out.setdefault(normalize(name), (forms.get("one") or forms["other"], forms["other"]))
    out.update({"كلم": ("km", "km"), "كيلو متر": ("kilometer", "kilometers"), "كغ": ("kg", "kg"),
                "كجم": ("kg", "kg")})  # news spellings CLDR does not have
    return out


def _western(text: str) -> str:
    """rag.arabic.normalize, and Arabic thousands separators between digits (40،000) to commas."""
    return re.sub(r"(?<=\d)[\s]?[,،](?=\d{3}(?!\d))", ",", normalize(text))


def _parse_words(words: list[str]) -> tuple[float, int] | None:
    """A run of Arabic number words -> (value, words used), or None when the run does not start with one."""
    total, current, used, last = 0.0, 0.0, 0, ""
    for i, raw in enumerate(words):
        w = raw.strip(".,،:;")
        if i and _CONNECTOR.match(w) and _value_kind(w[1:]):
            w = w[1:]
        kind = _value_kind(w)
        if not kind and w in ("احد", "احدي") and i + 1 < len(words) and words[i + 1].strip(".,،:;") in _TEN:
            kind, w = "unit", "واحد"  # أحد عشر: eleven ("أحد" alone is "one of")
        if not kind:
            break
        if kind == "unit":
            current += _UNITS[w]
        elif kind == "ten":
            current += 10
        elif kind == "tens":
            current += _TENS[w]
        elif kind == "hundred":
            v = _HUNDREDS[w]
            current = current * 100 if (v == 100 and 1 <= current <= 9 and last == "unit") else current + v
        elif kind == "scale":
            scale = _SCALES[w]
            if w in _DUAL_SCALES:
                total += scale
            else:
                total += (current or 1) * scale
            current = 0.0
        elif kind == "fraction":
            if not used:
                return None  # "نصف" alone is not a number answer
            if last == "scale":
                total += _FRACTIONS[w] * _last_scale(words[:i])
            else:
                current += _FRACTIONS[w]
        used, last = i + 1, kind
    if not used:
        return None
    return total + current, used


def _last_scale(words: list[str]) -> int:
    for raw in reversed(words):
        w = _CONNECTOR.sub("", raw.strip(".,،:;"))
        if w in _SCALES:
            return _SCALES[w] // (2 if w in _DUAL_SCALES else 1)
    return 1


def _value_kind(w: str) -> str:
    if w in _UNITS:
        return "unit"
    if w in _TEN:
        return "ten"
    if w in _TENS:
        return "tens"
    if w in _HUNDREDS:
        return "hundred"
    if w in _SCALES:
        return "scale"
    if w in _FRACTIONS:
        return "fraction"
    return ""


def english_number(value: float, from_words: bool) -> str:
    """10 -> "10", 3700 -> "3,700", 1500000 -> "1.5 million"; one to nine written as Arabic words -> "three"."""
    if from_words and value == int(value) and 1 <= value <= 9:
        return _EN_WORDS[int(value)]
    for scale in (10**12, 10**9, 10**6):
        if value >= scale and (value / scale) * 100 == int((value / scale) * 100):
            return f"{_plain(value / scale)} {_SCALE_EN[scale]}"
    return _plain(value)


def _plain(v: float) -> str:
    if v == int(v):
        return f"{int(v):,}"
    return f"{v:,.6f}".rstrip("0").rstrip(".")


def _unit_after(words: list[str], value: float) -> tuple[str, int]:
    """The English unit/noun of the words right after a number, and how many words it took ("" when none is known)."""
    if not words:
        return "", 0
    norm = [normalize(w).strip(".,،:;()«»\"") for w in words[:3]]
    units = cldr_units()
    for n in (3, 2, 1):  # longest first: "ريال سعودي" before "ريال"
        key = " ".join(norm[:n])
        if len(norm) >= n and key in units:
            one, other = units[key]
            return (one if value == 1 else other), n
    w = norm[0]
    if w in _MONEY:
        return _MONEY[w], 1
    for form in (w, w.removesuffix("ا")):  # accusative: عضوا, لاعبا
        if form in _NOUN:
            one, other = _NOUN[form]
            return (one if value == 1 else other), 1
    return "", 0


def _scale_after(words: list[str]) -> tuple[int, int]:
    if words:
        w = normalize(words[0]).strip(".,،:;")
        if w in _SCALES:
            return _SCALES[w], 1
    return 1, 0


def numbers_in(span: str) -> list[tuple[float, str, bool, int, int]]:
    """(value, written, from_words, word index, words used) of each number of the span, in order."""
    words = _western(span).split()
    out, i = [], 0
    while i < len(words):
        w = words[i].strip("()«»\"")
        m = _DIGITS.fullmatch(w.strip(".,،:;%")) if re.search(r"\d", w) else None
        if m:
            written = m.group(1)
            try:
                value = float(written.replace(",", "")) if written.count(".") <= 1 else None
            except ValueError:
                value = None
            if value is not None:
                scale, n = _scale_after(words[i + 1:])
                if n and i + 2 < len(words) and _CONNECTOR.sub("", words[i + 2]) in _FRACTIONS:
                    value, n = value + _FRACTIONS[_CONNECTOR.sub("", words[i + 2])], n + 1
                out.append((value * scale, written, False, i, 1 + n))
                i += 1 + n
                continue
        parsed = _parse_words(words[i:])
        if parsed:
            out.append((parsed[0], "", True, i, parsed[1]))
            i += parsed[1]
            continue
        i += 1
    return out


def render_number(span: str) -> str | None:
    """The English form of the number the span states ("10 countries", "3.2 billion years", "25%", "$40,000"), or
    None when the span holds no number or two different ones."""
    if _ORDINAL_TEENS.search(normalize(span)):
        return None  # الثاني عشر is "twelfth", an ordinal (render_ordinal)
    nums = numbers_in(span)
    if not nums or len({v for v, *_ in nums}) > 1:
        return None
    value, written, from_words, at, used = nums[0]
    norm_words = _western(span).split()
    words = span.split()
    if len(words) != len(norm_words):
        words = norm_words
    rest_norm = " ".join(norm_words[at + used:]).strip()
    token = norm_words[at]
    if "%" in token or rest_norm.startswith(("%",) + _PERCENT_WORDS) or "%" in " ".join(norm_words[at:at + used]):
        return f"{english_number(value, False)}%"
    if not from_words and written and value == float(written.replace(",", "")) and not used - 1:
        number = written  # as the source writes it: "1894", "40,000"
    else:
        number = english_number(value, from_words)
    unit, _ = _unit_after(words[at + used:], value)
    if not unit and at > 0:  # "مبلغ 40,000" / "عدد 10": the counted noun may come first in a construct
        unit = ""
    before = " ".join(norm_words[max(0, at - 3):at])
    qualifier = next((q for k, q in sorted(_QUALIFIERS.items(), key=lambda kv: -len(kv[0]))
                      if q and (before == k or before.endswith(" " + k))), "")
    if not qualifier and normalize("تقريبا") in rest_norm.split()[:2]:  # "10 دول تقريبا"
        qualifier = "about"
    said = f"${number}" if unit == "dollars" else f"{number} {unit}".strip()
    return f"{qualifier} {said}".strip()


def render_ordinal(span: str) -> str | None:
    """"المركز الثالث" -> "third", "الثاني عشر" -> "twelfth", when the span holds one Arabic ordinal and no number."""
    teen = _ORDINAL_TEENS.search(normalize(span))
    if teen:
        unit = 1 if teen.group(1).startswith("الحادي") else _ORDINAL_AR[teen.group(1)]
        return _EN_TEEN_ORDINALS[unit]
    found = [_ORDINAL_AR[w] for w in normalize(span).split() if w in _ORDINAL_AR]
    if len(set(found)) != 1 or numbers_in(span):
        return None
    return _EN_ORDINALS[found[0]]
