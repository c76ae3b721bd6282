"""Names of places, countries, regions, cities, languages, currencies, months and weekdays rendered in English from
CLDR's Arabic and English display names and exemplar cities (Babel), then from rag/meta/gazetteer.tsv for frequent news
entities CLDR has no name for (cities, organisations, nationalities). The whole span must be one known name (after
its prepositions, clitics and a generic head noun such as مدينة or اللغة are set aside); a span that only contains
one gives None."""
from __future__ import annotations

from functools import lru_cache

from rag.meta.places import gazetteer, name_key as key  # key: the matching key of every table here

_LEADING = ("في", "من", "الى", "إلى", "على", "عن", "نحو", "داخل", "قرب", "شمال", "جنوب")  # prepositions set aside
_HEADS = {"مدينه": "", "دوله": "", "بلد": "", "عاصمه": "", "جمهوريه": "", "مملكه": "", "اماره": "", "اللغه": "",
          "لغه": "", "بلاد": "", "منطقه": "", "ولايه": "", "محافظه": "", "جزيره": "", "قاره": "", "العمله": "",
          "عمله": "", "شهر": "", "يوم": ""}
_CITY_REGIONS = ("Africa", "America", "Asia", "Australia", "Europe")  # not the islands and bases of Pacific/Antarctica
_CLITICS = ("وال", "بال", "فال", "كال", "لل", "و", "ب", "ل", "ف")


@lru_cache(maxsize=1)
def table() -> dict[str, tuple[str, str]]:
    """key(Arabic name) -> (English name, kind); CLDR first, the gazetteer only for names CLDR does not have."""
    from babel import Locale

    ar, en = Locale("ar"), Locale("en")
    out: dict[str, tuple[str, str]] = {}

    def add(arabic: str, english: str, kind: str) -> None:
        k = key(arabic)
        if k and english:
            out.setdefault(k, (english, kind))

    for code, name in ar.territories.items():
        # "001" (العالم, the world) is left out: in Arabic text it is a common word, not a place answer
        if code.isalpha() and len(code) == 2 and code != "ZZ" or code.isdigit() and code != "001":
            add(name, en.territories.get(code, ""), "place")
    for zone, names in ar.time_zones.items():  # CLDR's exemplar cities (~400): مدريد -> Madrid
        city = names.get("city")
        if city and zone.split("/")[0] in _CITY_REGIONS:
            english = en.time_zones.get(zone, {}).get("city") or zone.rsplit("/", 1)[-1].replace("_", " ")
            add(city, english, "place")
    for code, name in ar.languages.items():
        if "_" not in code:
            add(name, en.languages.get(code, ""), "language")
    for code, name in ar.currencies.items():
        add(name, en.currencies.get(code, ""), "currency")
    for i in range(1, 13):
        add(ar.months["format"]["wide"][i], en.months["format"]["wide"][i], "month")
    for i in range(7):
        add(ar.days["format"]["wide"][i], en.days["format"]["wide"][i], "weekday")
    for arabic, english, kind in gazetteer():  # with a nationality's forms: روسية, روسيون, روسيين
        add(arabic, english, kind)
    return out


def _candidates(span: str) -> list[str]:
    """The span's key, and the key without a leading preposition, a clitic on its first word, a generic head noun."""
    words = key(span).split()
    if words and words[0] in _LEADING:
        words = words[1:]
    forms = [words]
    if words:
        for c in _CLITICS:
            w = words[0]
            if w.startswith(c) and len(w) - len(c) >= 3:
                rest = w[len(c):]
                rest = rest[2:] if rest.startswith("ال") and len(rest) > 4 else rest
                forms.append([rest, *words[1:]])
    for f in list(forms):
        if len(f) > 1 and f[0] in _HEADS:
            forms.append(f[1:])
    return [" ".join(f) for f in forms if f]


def lookup(span: str) -> tuple[str, str] | None:
    """(English name, kind) when the whole span is one known name: "في روسيا" -> ("Russia", "place")."""
    t = table()
    for k in _candidates(span):
        if k in t:
            return t[k]
    return None


def render_name(span: str) -> str | None:
    found = lookup(span)
    return found[0] if found else None


def find_place(sentence: str, question: str, longest: int = 4) -> str:
    """The one place name of the sentence (CLDR or gazetteer, 1-4 words) that the English question does not already
    name, verbatim as the sentence writes it; "" when there is none or more than one (then it is not sure which)."""
    words = sentence.split()
    asked = question.lower()
    found: dict[str, str] = {}
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            span = " ".join(words[i:i + n]).strip(" .,،:;()«»\"")
            first = key(words[i]) if span else ""
            hit = lookup(span) if span and first not in _LEADING and first not in _HEADS else None
            if hit and hit[1] == "place":
                if hit[0].lower() not in asked:
                    found.setdefault(hit[0], span)
                i += n - 1
                break
        i += 1
    return next(iter(found.values())) if len(found) == 1 else ""
