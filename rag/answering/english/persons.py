"""Person and other proper names written in Latin letters: the English question's own spelling of a word when the two
share a consonant skeleton (rag translit: 'Kabulov' and 'كابولوف' are both k-b-l-f), otherwise a transliteration.

Two transliterators, measured against each other in eval/english.md: `arabic-name-romanizer` (UNICEF, MIT;
a dictionary of attested spellings with a small ONNX model behind it, bundled in the wheel, no download) and the
letter rules below. Only a short span that looks like a name is transliterated (no digits, no function words)."""
from __future__ import annotations

import re
from functools import lru_cache

from rag.arabic import normalize

from rag.retrieval.translit import MIN_LETTERS, _NOT_NAMES, skeleton_en, skeletons_ar

MAX_WORDS = 5
_FUNCTION = set("""في من على الى إلى عن مع او أو ثم قد لا ما لم لن هو هي هم هذا هذه ذلك تلك التي الذي الذين كان كانت
بين حتى اذا إذا كما عند بعد قبل منذ حول كل اي أي ايضا أيضا غير بعض الا إلا""".split())
_FUNCTION_NORM = {normalize(f) for f in _FUNCTION}
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3]+")

# ----------------------------------------------------------------- the letter rules
_LETTERS = {"ب": "b", "ت": "t", "ث": "th", "ج": "j", "ح": "h", "خ": "kh", "د": "d", "ذ": "dh", "ر": "r", "ز": "z",
            "س": "s", "ش": "sh", "ص": "s", "ض": "d", "ط": "t", "ظ": "z", "ع": "", "غ": "gh", "ف": "f", "ق": "q",
            "ك": "k", "ل": "l", "م": "m", "ن": "n", "ه": "h", "ء": "", "ئ": "", "ؤ": "", "پ": "p", "چ": "ch",
            "ڤ": "v", "گ": "g", "ة": "a", "ى": "a"}
_VOWELS = set("aeiou")


def rules(word: str) -> str:
    """One Arabic word by letter rules: long vowels from ا/و/ي, an "a" between two written consonants, الـ -> al-."""
    w = re.sub("[\u064b-\u065f\u0670\u0640]", "", word)
    prefix = ""
    if w.startswith("ال") and len(w) > 3:
        prefix, w = "al-", w[2:]
    out = ""
    for i, ch in enumerate(w):
        first, last = i == 0, i == len(w) - 1
        if ch in "اآ":
            piece = "a"
        elif ch == "أ":
            piece = "a" if not first else "a"
        elif ch == "إ":
            piece = "i"
        elif ch == "و":
            piece = "w" if first or (out and out[-1] in _VOWELS) else "u"
        elif ch == "ي":
            piece = "y" if first or (out and out[-1] in _VOWELS and not last) else "i"
        else:
            piece = _LETTERS.get(ch, "")
            if piece and out and out[-1] not in _VOWELS and out[-1] != "-" and not (ch == "ة"):
                out += "a"  # Arabic leaves short vowels unwritten
        out += piece
    out = re.sub(r"(.)\1{2,}", r"\1\1", out)
    return (prefix + out).capitalize() if not prefix else "al-" + out.capitalize()


@lru_cache(maxsize=1)
def _romanizer():
    try:
        from arabic_name_romanizer import transliterate
    except ImportError:  # the package is a dependency; without it the letter rules are used
        return None
    return transliterate


def _distance(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


def consistent(arabic: str, latin: str) -> bool:
    """The Latin word has the Arabic word's consonants (skeletons at most one class apart): a transliteration, not
    another name (the package's model can answer 'Al-Sharji' for سلطان)."""
    sk = skeleton_en(re.sub(r"^al-", "", latin.lower()))
    return any(_distance(sk, a) <= max(1, len(a) // 4) for a in skeletons_ar(arabic))


def romanize(text: str, method: str = "package") -> str:
    """The name transliterated word by word, by the package (default) or by the letter rules; a package word whose
    consonants are not the Arabic word's is replaced by the rules' form."""
    words = text.split()
    f = _romanizer() if method == "package" else None
    if f is not None:
        try:
            out = f(text)
        except Exception:  # a name the package cannot read: the rules
            out = ""
        latin = out.split() if isinstance(out, str) else []
        if len(latin) == len(words):
            return " ".join(x if consistent(w, x) else rules(w) for w, x in zip(words, latin))
    return " ".join(rules(w) for w in words)


def question_spellings(question: str) -> dict[str, str]:
    """Skeleton -> the question's own spelling, for its capitalised words (question words, months, days left out)."""
    out: dict[str, str] = {}
    for w in re.findall(r"[A-Za-z][A-Za-z'\-]*", question):
        w = w.removesuffix("'s").strip("'-")
        if not w or not w[0].isupper() or w.lower() in _NOT_NAMES:
            continue
        for form in (w, w[:-1] if w.endswith("s") and len(w) > 4 else ""):  # an English plural: Tracheophytes
            sk = skeleton_en(form) if form else ""
            if len(sk) >= MIN_LETTERS:
                out.setdefault(sk, w)
    return out


def from_question(word: str, spellings: dict[str, str]) -> str | None:
    for sk in skeletons_ar(word):
        if sk in spellings:
            return spellings[sk]
    return None


def looks_like_name(span: str) -> bool:
    """Short, Arabic letters only, no function word, not opening with the article or a conjunction (الحكومة السعودية,
    وهو ...), no feminine adjective (-ية) and no nationality: descriptions, not names."""
    words = [normalize(w.strip(".,،()«»\"")) for w in span.split()]
    if not (0 < len(words) <= MAX_WORDS) or re.search(r"[\d٠-٩]", span):
        return False
    if not all(_ARABIC_WORD.fullmatch(w) for w in words):
        return False
    if any(w in _FUNCTION_NORM for w in words) or words[0].startswith(("ال", "لل", "وال", "بال")):
        return False
    if any(w.endswith("يه") and len(w) > 4 for w in words):
        return False
    from .names import lookup

    return not any((lookup(w) or ("", ""))[1] == "nationality" for w in words)


def render_person(span: str, question: str = "", method: str = "package") -> str | None:
    """'زامير كابولوف' -> 'Zamir Kabulov' (the question's spelling where it has the name, transliterated otherwise),
    or None when the span does not look like a name."""
    span = span.strip(" .,،:;()«»\"")
    if not looks_like_name(span):
        return None
    spellings = question_spellings(question)
    words = span.split()
    known = [from_question(w, spellings) for w in words]
    if all(known):
        return " ".join(dict.fromkeys(known))
    if not any(known):
        return romanize(span, method)
    return " ".join(k or romanize(w, method) for w, k in zip(words, known))


def render_from_question(span: str, question: str) -> str | None:
    """Every word of the span spelled by the question (any kind of answer: 'تراشيوفيت' when the question says
    'Tracheophytes'), else None."""
    span = span.strip(" .,،:;()«»\"")
    if not looks_like_name(span):
        return None
    spellings = question_spellings(question)
    known = [from_question(w, spellings) for w in span.split()]
    return " ".join(dict.fromkeys(known)) if all(known) else None
