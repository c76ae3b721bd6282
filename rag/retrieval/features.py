"""Signals shared by the reranker, the answer selector and the refusal gate: what a question asks, how well a text answers it."""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

import numpy as np

from rag.arabic import detect_language, normalize, tokens

# Light stemming for matching only (index keys are untouched): prefixes are already stripped by arabic.tokens.
_SUFFIXES = ("هما", "ات", "ون", "ين", "ها", "هم", "كم", "نا", "ه", "ي")
_ONE_LETTER_PREFIXES = ("ف", "ب", "ك", "ل")
# Question words and fillers: they say what is asked, not what to look for.
_QUESTION_WORDS = frozenset("""
ما ماذا من متي اين كيف كم لماذا هل اي ايه مين وما ومن ومتي واين وكم ولماذا وهل واي فما فمن
اسم عدد تم يتم يسمي تسمي سمي يعرف تعرف عرف يطلق اطلق نسبه
what which who whom whose when where why how many much name named called known number
""".split())
NUMBER_WORDS = frozenset("""
واحد واحده اثنان اثنين اثنتان اثنتين ثلاث ثلاثه اربع اربعه خمس خمسه ست سته سبع سبعه ثمان ثماني ثمانيه تسع تسعه
عشر عشره عشرون عشرين ثلاثون ثلاثين اربعون اربعين خمسون خمسين ستون ستين سبعون سبعين ثمانون ثمانين تسعون تسعين
مئه مائه مئتان مئتين مئات الف الفان الفين الاف مليون ملايين مليار مليارات نصف ربع ثلث
one two three four five six seven eight nine ten eleven twelve twenty thirty forty fifty sixty seventy eighty ninety
hundred hundreds thousand thousands million millions billion half dozen
""".split())
MONTHS = frozenset("""
يناير فبراير مارس ابريل مايو يونيو يونيه يوليو يوليه اغسطس سبتمبر اكتوبر نوفمبر ديسمبر
كانون شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين
محرم صفر ربيع جمادي رجب شعبان رمضان شوال القعده الحجه
january february march april may june july august september october november december
""".split())
_YEAR = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)|(?<!\w)(\d{1,4})\s*(?:م|ه|هـ|ق\s*م|bc|ad|ce)(?!\w)")
_DIGITS = re.compile(r"\d")
_TIME_WORDS = frozenset("عام سنه سنوات قرن القرن العام يوم يوما ايام شهر اشهر ساعه century year years decade".split())

QTYPES = ("number", "date", "person", "place", "which", "yesno", "reason", "how", "other")
_AR_TYPES = [  # on normalised text, first match wins
    ("date", re.compile(r"(^|\s)(متي|في اي (عام|سنه|تاريخ|يوم|شهر|قرن|عصر|فتره)|ما (تاريخ|عام|سنه))(\s|$)")),
    ("number", re.compile(r"(^|\s)(كم|ما (عدد|مقدار|مساحه|طول|عمر|نسبه|قيمه|حجم|وزن|ارتفاع|عرض|سرعه))(\s|$)")),
    ("place", re.compile(r"(^|\s)(اين|في اي (مدينه|دوله|بلد|مكان|منطقه|قاره|جزيره)|ما (مكان|موقع))(\s|$)")),
    ("person", re.compile(r"(^|\s)(من (هو|هي|هم|الذي|التي|اول|كان|كانت)|^من |مين|ما اسم (الذي|مؤسس|مخرج|مؤلف|كاتب|الرئيس|الملك|قائد))")),
    ("yesno", re.compile(r"^(هل|أ)\s")),
    ("reason", re.compile(r"(^|\s)(لماذا|لم|ما سبب|ما السبب)(\s|$)")),
    ("how", re.compile(r"(^|\s)(كيف)(\s|$)")),
    ("which", re.compile(r"(^|\s)(اي|ايه)(\s|$)")),
]
_EN_TYPES = [
    ("number", re.compile(r"\bhow (many|much|long|old|far|big|large|tall|high)\b|\bwhat (percentage|number|amount)\b")),
    ("date", re.compile(r"\bwhen\b|\bwhat (year|date|day|month|century|decade|time)\b|\bin which (year|century)\b")),
    ("place", re.compile(r"\bwhere\b|\bin (what|which) (city|country|region|place|state)\b")),
    ("person", re.compile(r"\bwho\b|\bwhom\b|\bwhose\b")),
    ("reason", re.compile(r"\bwhy\b")),
    ("how", re.compile(r"\bhow\b")),
    ("yesno", re.compile(r"^(is|are|was|were|did|does|do|can|could|has|have|had|will|would|should)\b")),
    ("which", re.compile(r"\bwhich\b")),
]


def stem(token: str) -> str:
    """One light suffix (and one single-letter prefix on long words) off an already normalised, prefix-stripped token."""
    if len(token) >= 6 and token[0] in _ONE_LETTER_PREFIXES and token[1:3] == "ال":
        token = token[3:]
    for suffix in _SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def keys(text: str) -> list[str]:
    """Content-word stems of `text` (stopwords and question words out)."""
    return list(_keys(text))


@lru_cache(maxsize=50_000)  # the same chunks and sentences come back question after question
def _keys(text: str) -> tuple[str, ...]:
    return tuple(stem(t) for t in tokens(text) if t not in _QUESTION_WORDS)


def question_type(text: str) -> str:
    norm = " ".join(tokens(text, drop_stopwords=False)) if detect_language(text) == "ar" else normalize(text)
    raw = normalize(text).strip()
    for name, pattern in (_AR_TYPES if detect_language(text) == "ar" else _EN_TYPES):
        if pattern.search(norm) or pattern.search(raw):
            return name
    return "other"


def cues(text: str) -> dict[str, float]:
    """Which answer types a text could hold: numbers, years/dates, time words."""
    return dict(_cues(text))


@lru_cache(maxsize=50_000)
def _cues(text: str) -> tuple[tuple[str, float], ...]:
    norm = normalize(text)
    words = set(norm.split()) | set(tokens(text, drop_stopwords=False))
    has_year = bool(_YEAR.search(norm))
    has_month = bool(words & MONTHS)
    has_number = bool(_DIGITS.search(norm)) or bool(words & NUMBER_WORDS)
    return (("number", float(has_number)), ("date", float(has_year or has_month)),
            ("time_word", float(bool(words & _TIME_WORDS))))


def type_match(qtype: str, c: dict[str, float]) -> float:
    """1 when the text holds what the question type asks for; 0.5 when the type has no surface cue."""
    if qtype == "number":
        return c["number"]
    if qtype == "date":
        return max(c["date"], 0.5 * c["number"])
    return 0.5


@dataclass(frozen=True)
class Question:
    """A question analysed once and reused by every stage: type, content-word stems with their idf, embedding."""
    text: str
    lang: str
    qtype: str
    keys: tuple[str, ...]
    weights: tuple[float, ...]
    vector: np.ndarray | None = None


IDF = Callable[[str], float]


def analyse(text: str, vector: np.ndarray | None = None, idf: IDF | None = None) -> Question:
    """`idf` maps an index token (arabic.tokens form, before stemming) to its inverse document frequency."""
    weights: dict[str, float] = {}
    for tok in tokens(text):
        if tok in _QUESTION_WORDS:
            continue
        k = stem(tok)
        weights[k] = max(weights.get(k, 0.0), idf(tok) if idf else 1.0)
    return Question(text, detect_language(text), question_type(text), tuple(weights), tuple(weights.values()), vector)


def idf_from_counts(df: Counter | dict, n_docs: int) -> IDF:
    """BM25's idf with +1 smoothing; unseen terms get the highest weight (they are rare by definition)."""
    def idf(term: str) -> float:
        d = df.get(term, 0)
        return math.log(1.0 + (n_docs - d + 0.5) / (d + 0.5))
    return idf


def coverage(q: Question, text_keys, weighted: bool = True) -> float:
    """Share of the question's content words the text contains (idf-weighted by default)."""
    if not q.keys:
        return 0.0
    present = set(text_keys)
    weights = q.weights if weighted else [1.0] * len(q.keys)
    total = sum(weights) or 1.0
    return sum(w for k, w in zip(q.keys, weights) if k in present) / total


def bm25(q: Question, text_keys: list[str], avg_len: float, k1: float = 1.2, b: float = 0.75) -> float:
    """Okapi BM25 of one text (a sentence or a chunk) for the question's stems, divided by its maximum (0..1)."""
    if not q.keys or not text_keys:
        return 0.0
    tf = Counter(text_keys)
    norm = k1 * (1 - b + b * len(text_keys) / max(avg_len, 1.0))
    score = sum(w * tf[k] * (k1 + 1) / (tf[k] + norm) for k, w in zip(q.keys, q.weights) if k in tf)
    return score / ((sum(q.weights) or 1.0) * (k1 + 1))


def novelty(q: Question, text_keys: list[str]) -> float:
    """Share of the text's content words that the question does not already say (an answer must add something)."""
    if not text_keys:
        return 0.0
    asked = set(q.keys)
    return sum(1 for k in text_keys if k not in asked) / len(text_keys)


def repeats(a: str, b: str, share: float = 0.8) -> bool:
    """True when `a` adds almost nothing to `b`: at least `share` of its content words are in `b` (the same sentence
    lightly edited, or cut). A headline does not repeat the sentence that tells it in full; the reverse is true."""
    x = set(tokens(a))
    return bool(x) and len(x & set(tokens(b))) >= share * len(x)


def qtype_onehot(q: Question) -> list[float]:
    return [float(q.qtype == t) for t in QTYPES]


def peak(scores: list[float]) -> float:
    """How far the best score stands above the runner-up, relative to the best (0 = flat, 1 = alone)."""
    s = sorted((x for x in scores if x is not None), reverse=True)
    if not s or s[0] <= 0:
        return 0.0
    return (s[0] - (s[1] if len(s) > 1 else 0.0)) / s[0]


# A question about how something developed over time (the timeline answer, rag/answering/timeline.py)
_EN = re.compile(r"\bhow (did|has|have|do|does|had)\b.*\b(chang|evolv|develop|shift|progress|grow|grew|turn)\w*|"
                 r"\bover (the )?(years|time|decade)|\btime ?line\b|\bchronolog|\bhistory of\b|\bevolution of\b|"
                 r"\bwhat changed\b|\bstep by step\b", re.IGNORECASE)
_AR = re.compile(r"كيف (تطور|تطورت|تغير|تغيرت|تبدل|تبدلت|تحول|تحولت|اصبح|تدرج)|تطور (موقف|العلاق|الموقف)|"
                 r"مراحل|على مر (السنين|السنوات)|عبر (السنين|السنوات)|تسلسل زمني|التسلسل الزمني|خط زمني|"
                 r"منذ .{2,40} (حتى|الى) |ماذا تغير|تاريخ العلاقات")

def is_timeline(question: str) -> bool:
    """Does the question ask how something developed over time? (English or Arabic)"""
    return bool(_EN.search(question) or _AR.search(normalize(question).replace("ة", "ه")) or _AR.search(question))
