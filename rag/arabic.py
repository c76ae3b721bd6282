"""Arabic normalisation for search keys and matching (never for display), tokenising and language detection."""
from __future__ import annotations

import functools
import re
import unicodedata

# Harakat, tanween, shadda, sukun, superscript alef, Quranic marks.
_DIACRITICS = re.compile("[\u0610-\u061A\u064B-\u065F\u0670\u06D6-\u06DC\u06DF-\u06E8\u06EA-\u06ED]")
_TATWEEL = "\u0640"
# Zero-width and bidi control characters that users paste along with Arabic text.
LRI, RLI, FSI, PDI = "\u2066", "\u2067", "\u2068", "\u2069"  # bidi isolates: Arabic inside an English line
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u061c]")
_CHAR_MAP = str.maketrans({
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا",
    "ى": "ي", "ئ": "ي", "ؤ": "و",
    "ة": "ه",
    "ک": "ك", "ی": "ي", "ۀ": "ه",
    # Arabic-Indic and Persian digits to ASCII.
    **{chr(0x0660 + i): str(i) for i in range(10)},
    **{chr(0x06F0 + i): str(i) for i in range(10)},
    "،": ",", "؛": ";", "؟": "?", "٪": "%", "«": '"', "»": '"', "٫": ".", "٬": ",",
})
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_ARABIC_LETTER = re.compile("[\u0621-\u064A\u0671-\u06D3\u06FA-\u06FF]")
_LATIN_LETTER = re.compile("[A-Za-z\u00C0-\u024F]")
# Clitic prefixes stripped from Arabic tokens for keyword search: wa/fa/bi/ka/li + the article.
_PREFIXES = ("وبال", "وال", "فال", "بال", "كال", "لل", "ال", "و")
_STOPWORDS = frozenset("""
في من على الى عن مع ان او ثم قد لا ما لم لن هو هي هم هذا هذه ذلك تلك التي الذي الذين كان كانت
يكون بين حتى اذا كما عند بعد قبل منذ حول كل اي ايضا وقد فقد لقد انه انها الا غير بعض وفي وان ولا
the a an of to in on at for and or is are was were be been by with from as that this these those it its
what which who whom when where why how did does do has have had not no yes into than then there their
""".split())


def strip_invisible(text: str) -> str:
    """Zero-width characters, bidi marks and isolates removed (pasted news text carries them; display keeps them)."""
    return _INVISIBLE.sub("", text)


def normalize(text: str) -> str:
    """Search key for `text`: no diacritics, tatweel or invisible marks, unified letter forms, ASCII digits, lower case."""
    text = unicodedata.normalize("NFKC", text)
    text = strip_invisible(text)
    text = _DIACRITICS.sub("", text).replace(_TATWEEL, "")
    return text.translate(_CHAR_MAP).lower()


@functools.lru_cache(maxsize=1 << 16)  # news repeats its words: a full build tokenises every chunk and article
def strip_prefix(token: str) -> str:
    """Drop one clitic prefix from an Arabic token when enough of a word is left behind."""
    for prefix in _PREFIXES:
        if token.startswith(prefix) and len(token) - len(prefix) >= 3:
            return token[len(prefix):]
    return token


def tokens(text: str, drop_stopwords: bool = True) -> list[str]:
    """Normalised keyword tokens of `text`, clitic prefixes stripped."""
    out = []
    for tok in _TOKEN.findall(normalize(text)):
        tok = strip_prefix(tok)
        if drop_stopwords and tok in _STOPWORDS:
            continue
        out.append(tok)
    return out


def detect_language(text: str) -> str:
    """'ar' when Arabic letters are at least as many as Latin ones, else 'en' (so a name quoted in the other script does not flip it)."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return "ar" if arabic and arabic >= latin else "en"

