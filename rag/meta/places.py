"""Places that news datelines and bylines name beside a reporter (#22): Saudi cities and regions, the region's capitals
and the world cities wires file from, and the datelines' stand-ins for a place (عواصم, وكالات). Read from the
SaudiNewsNet archive's author field and its header lines; one list for `rag import` (rag/indexing/archive.py) and the
byline reader (rag/meta/byline.py), so a dateline's place is never taken for a person."""
from __future__ import annotations

import functools
import os
import re
from pathlib import Path

from rag.arabic import normalize


GAZETTEER = Path(__file__).with_name("gazetteer.tsv")  # frequent news names CLDR lacks (its header says whence)


def name_key(text: str) -> str:
    """Key of a name in CLDR's and the gazetteer's tables: normalize, punctuation out, the article الـ dropped from
    every word."""
    words = re.sub(r"[^\w\s]", " ", normalize(text)).split()
    return " ".join(w[2:] if w.startswith("ال") and len(w) > 4 else w for w in words)


def gazetteer() -> list[tuple[str, str, str]]:
    """(Arabic form, English name, kind) per GAZETTEER line; a nationality also in its feminine and plural forms
    (روسي: روسية, روسيون, روسيين). Read by this module's place names and rag/answering/english/names.py."""
    out = []
    for line in GAZETTEER.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            arabic, english, kind = line.split("\t")
            for suffix in ("", "ه", "ون", "ين") if kind == "nationality" else ("",):
                out.append((arabic + suffix, english, kind))
    return out


def plain(text: str) -> str:
    """Matching key: quotes and dots out, rag.arabic.normalize (alef forms, taa marbuta, tatweel, diacritics)."""
    return " ".join(normalize(re.sub(r"[«»\"'.]", "", text)).split())


PLACES = frozenset(plain(p) for p in (
    "الرياض", "جدة", "مكة", "مكة المكرمة", "المدينة", "المدينة المنورة", "الدمام", "الخبر", "الظهران", "الأحساء",
    "القطيف", "الجبيل", "الطائف", "أبها", "تبوك", "حائل", "بريدة", "عنيزة", "القصيم", "جازان", "جيزان", "نجران",
    "الباحة", "عرعر", "سكاكا", "الجوف", "ينبع", "خميس مشيط", "بيشة", "القريات", "حفر الباطن", "الخرج", "المجمعة",
    "الزلفي", "القنفذة", "الليث", "رابغ", "بارق", "تنومة", "صبيا", "الدوادمي", "شقراء", "عسير", "الشرقية",
    "القاهرة", "دبي", "أبوظبي", "الكويت", "المنامة", "الدوحة", "مسقط", "عمان", "بيروت", "دمشق", "بغداد", "صنعاء",
    "عدن", "تعز", "مأرب", "غزة", "القدس", "رام الله", "الخرطوم", "تونس", "الجزائر", "الرباط", "طرابلس", "أنقرة",
    "إسطنبول", "اسطنبول", "طهران", "لندن", "باريس", "واشنطن", "نيويورك", "موسكو", "برلين", "روما", "جنيف", "فيينا",
    "بروكسل", "بكين", "طوكيو", "سيدني", "كابول", "إسلام آباد", "نيودلهي", "كوالالمبور", "جاكرتا", "أثينا", "مدريد",
    "عواصم", "وكالات", "متابعات", "الوكالات", "وادي الدواسر", "لوس أنجليس", "لوس أنجلوس", "ساو باولو", "شرم الشيخ",
    "رأس تنورة", "ريو دي جانيرو", "بوينس آيرس", "سان بطرسبرغ", "تل أبيب", "أبو ظبي", "الدار البيضاء", "نيو دلهي",
    "هونغ كونغ", "رياض الخبراء", "أم الدوم", "بني مالك", "محايل عسير", "سراة عبيدة", "أحد رفيدة", "طريف", "رفحاء",
    "دومة الجندل", "بندر عباس", "المنطقة الشرقية", "الحدود الشمالية"))


def is_place(text: str) -> bool:
    """Whether `text` (one dateline segment) is only a place: 'جدة', 'مكة المكرّمة', 'الحدود الشمالية'."""
    return plain(text) in PLACES


_HEADS = frozenset(("جزر", "جمهوريه", "دوله", "مملكه", "اماره"))  # generic heads of CLDR's names, keyed
_COMMON = frozenset(("مالي",))  # a country that is also a common word (مالي: financial), never read as a place
_STAND_INS = frozenset(plain(p) for p in ("عواصم", "وكالات", "متابعات", "الوكالات", "المدينة"))  # not one place
_CLITICS = ("وبال", "ولل", "وال", "بال", "فال", "كال", "لل", "وب", "ول", "و", "ب", "ل", "ف")
# A dateline at a line's start, 'لندن: «الشرق الأوسط»', 'الرياض - واس': where the outlet files from, not the event
# (the whole line when that is all it holds: the outlet's name after it is no place either)
_DATELINE = re.compile(r"^\s*[^\s:ـ–-]+(?:\s+[^\s:ـ–-]+){0,2}\s*[:ـ–-](?:[^\S\n]*[^\s:ـ–-]+){0,4}[^\S\n]*$"
                       r"|^\s*[^\s:ـ–-]+(?:\s+[^\s:ـ–-]+){0,2}\s*[:ـ–-]", re.MULTILINE)


@functools.lru_cache(maxsize=4096)  # an article's head is compared with each of its candidate copies
def mentioned(text: str) -> frozenset[str]:
    """The countries, cities, regions and nationalities `text` names, datelines set aside, as identities (the English
    name where CLDR or the gazetteer has one, so السعودية and المملكة العربية السعودية are one): CLDR's territory
    names (Babel; not its world regions, which are also outlet names such as الشرق الأوسط, nor its exemplar cities,
    some of them common words elsewhere: ديلي), the gazetteer beside this file and the places above. Tells
    a templated wire about one place from the same template about another (rag/indexing/dedup.py)."""
    names = _names()
    words = name_key(_DATELINE.sub(" ", text)).split()
    found, i = set(), 0
    while i < len(words):
        w, step = words[i], 1
        first = [w] + [w[len(c):] for c in _CLITICS if w.startswith(c) and len(w) - len(c) >= 3]
        for n in (3, 2, 1):  # the longest name first, and its words are not read again: المملكة العربية السعودية
            rest = words[i + 1:i + n]
            if len(rest) < n - 1:
                continue
            name = next((names[g] for g in (" ".join([f, *rest]) for f in first) if g in names), None)
            if name:
                found.add(name)
                step = n
                break
        i += step
    return frozenset(found)


def apart(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether each of two `mentioned` sets names a place the other does not. A nationality and its country are one
    place (Tunisian ~ Tunisia, Lebanese ~ Lebanon: one name starts the other, or they share 5 letters)."""
    def explained(x: str, others: frozenset[str]) -> bool:
        return any(x.startswith(y) or y.startswith(x) or len(os.path.commonprefix([x, y])) >= 5 for y in others)

    return any(not explained(x, b) for x in a - b) and any(not explained(y, a) for y in b - a)


@functools.lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    from babel import Locale

    key = name_key
    ar, en = Locale("ar"), Locale("en")
    out: dict[str, str] = {}
    for code, name in ar.territories.items():
        if not (len(code) == 2 and code.isalpha() and code != "ZZ"):
            continue
        english, words = en.territories.get(code, name), key(name).split()
        out.setdefault(" ".join(words), english)
        if len(words) > 1 and words[0] in _HEADS:  # جزر المالديف: the news writes المالديف
            words = words[1:]
            out.setdefault(" ".join(words), english)
        if len(words) == 1 and words[0] not in _COMMON:  # the nisba: بوليفيا -> البوليفي, تونس -> التونسية
            base = words[0][:-1] if words[0][-1] in "اه" else words[0]
            stem = base if base.endswith("ي") else base + "ي"
            for form in (stem, stem + "ه", stem + "ون", stem + "ين"):
                out.setdefault(form, english)
    for arabic, english, kind in gazetteer():
        if kind in ("place", "nationality"):
            out.setdefault(key(arabic), english)
    for p in PLACES:
        out.setdefault(key(p), key(p))
    for p in (*_STAND_INS, *_COMMON):
        out.pop(key(p), None)
    return out
