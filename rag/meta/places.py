"""Places that news datelines and bylines name beside a reporter (#22): Saudi cities and regions, the region's capitals
and the world cities wires file from, and the datelines' stand-ins for a place (عواصم, وكالات). Read from the
SaudiNewsNet archive's author field and its header lines; one list for `rag import` (rag/indexing/archive.py) and the
byline reader (rag/meta/byline.py), so a dateline's place is never taken for a person."""
from __future__ import annotations

import re

from rag.arabic import normalize


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
