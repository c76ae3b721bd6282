"""Names in an English question found in Arabic text by their consonant skeleton: 'Stoltenberg' and 'ستولتنبرغ' both
reduce to s-t-l-t-n-b-r-g, 'Hanafi' and 'حنفي' to h-n-f. No translation model ships on PyPI; proper names, which carry
most of an English question's specificity over an Arabic article, are written with the same consonants in both scripts.

Both sides map to one small alphabet of consonant classes (vowels, و, ي, ا, ع and hamzas dropped; doubled classes
collapsed); a name matches a word when their skeletons are equal and at least MIN_LETTERS long."""
from __future__ import annotations

import re
from functools import lru_cache

from rag.arabic import normalize

MIN_LETTERS = 3

_AR = {"ب": "b", "پ": "b", "ت": "t", "ط": "t", "ث": "t", "ج": "g", "غ": "g", "گ": "g", "ح": "h", "ه": "h", "خ": "k",
       "ك": "k", "ق": "k", "د": "d", "ض": "d", "ذ": "d", "ر": "r", "ز": "z", "ظ": "z", "ژ": "z", "س": "s", "ص": "s",
       "ش": "S", "ف": "f", "ڤ": "f", "ل": "l", "م": "m", "ن": "n"}
# English letter groups, longest first: digraphs before single letters.
_EN = [("sch", "S"), ("tch", "S"), ("ch", "S"), ("sh", "S"), ("th", "t"), ("kh", "k"), ("gh", "g"), ("ph", "f"),
       ("dh", "d"), ("ck", "k"), ("ts", "ts"), ("x", "ks"), ("q", "k"), ("k", "k"), ("c", "k"), ("g", "g"), ("j", "g"),
       ("b", "b"), ("p", "b"), ("t", "t"), ("d", "d"), ("h", "h"), ("r", "r"), ("z", "z"), ("s", "s"), ("f", "f"),
       ("v", "f"), ("l", "l"), ("m", "m"), ("n", "n")]
_EN_RE = re.compile("|".join(re.escape(k) for k, _ in _EN))
_EN_MAP = dict(_EN)
_PREFIXES = ("وال", "بال", "فال", "كال", "لل", "ال", "و", "ب", "ل", "ف")
# Capitalised words that are not names: question words, and months/days that every Arabic article's dates also match.
_NOT_NAMES = {"who", "what", "which", "when", "where", "why", "how", "whom", "whose", "the", "a", "an", "in", "on", "at",
              "of", "is", "was", "were", "are", "did", "does", "do", "according", "during", "after", "before", "i",
              "january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
              "november", "december", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}


def _collapse(s: str) -> str:
    return re.sub(r"(.)\1+", r"\1", s)


@lru_cache(maxsize=200_000)
def skeleton_en(word: str) -> str:
    w = word.lower()
    w = re.sub(r"c(?=[eiy])", "s", w)          # soft c
    w = re.sub(r"(?<=[aeiou])h$|^h(?=[^aeiou])", "", w)  # a silent h at a vowel's end ('Allah' keeps its l)
    return _collapse("".join(_EN_MAP[m.group(0)] for m in _EN_RE.finditer(w)))


@lru_cache(maxsize=200_000)
def skeletons_ar(word: str) -> tuple[str, ...]:
    """The skeleton of the word and of the word without each clitic prefix it starts with (الـ, و, ب, ل, ...)."""
    w = normalize(word)
    forms = {w}
    for p in _PREFIXES:
        if w.startswith(p) and len(w) - len(p) >= 3:
            forms.add(w[len(p):])
    out = set()
    for f in forms:
        f = re.sub(r"ه$", "", f)  # a final ة (normalised to ه) is not a consonant of a transliterated name
        f = f.replace("تش", "ش")
        out.add(_collapse("".join(_AR.get(ch, "") for ch in f)))
    return tuple(sorted(out))


def names(question: str) -> list[str]:
    """Skeletons of the capitalised words of an English question that are not question words, months or days."""
    words = re.findall(r"[A-Za-z][A-Za-z'\-]*", question)
    out = []
    for i, w in enumerate(words):
        if not w[0].isupper() or w.lower() in _NOT_NAMES:
            continue
        for part in re.split(r"[-']", w):
            sk = skeleton_en(part) if len(part) > 1 else ""
            if len(sk) >= MIN_LETTERS and sk not in out:
                out.append(sk)
    return out


def vocabulary(text: str) -> set[str]:
    """Every skeleton of every Arabic word of the text."""
    return {sk for word in re.findall(r"[\u0621-\u064a\u067e\u0686\u06a4\u06af\u0698]+", text)
            for sk in skeletons_ar(word)}


def cover(name_skeletons: list[str], text: str) -> float:
    """Share of the question's name skeletons that some Arabic word of the text has (0 when the question has none)."""
    if not name_skeletons:
        return 0.0
    vocab = vocabulary(text)
    return sum(sk in vocab for sk in name_skeletons) / len(name_skeletons)
