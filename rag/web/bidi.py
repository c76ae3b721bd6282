"""Arabic inside an English chat message: the CLI text's right-to-left isolates (U+2067 ... U+2069) become
`<bdi dir="rtl" lang="ar">` elements, and the English answer line's **bold** becomes <strong>."""
from __future__ import annotations

import re

from rag.arabic import PDI, RLI

_ISOLATE = re.compile(f"{RLI}(.*?){PDI}", re.S)
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def isolates_to_html(escaped: str) -> str:
    """Already escaped text: each isolate -> a right-to-left <bdi> (the isolate characters themselves dropped)."""
    return _ISOLATE.sub(lambda m: f'<bdi dir="rtl" lang="ar" class="rag-ar">{m.group(1)}</bdi>', escaped)


def bold_to_html(escaped: str) -> str:
    return _BOLD.sub(lambda m: f'<strong class="rag-answer-en">{m.group(1)}</strong>', escaped)


def bdi(escaped: str, arabic: bool) -> str:
    """An Arabic title or snippet inside an English panel, isolated so it keeps its own direction."""
    return f'<bdi dir="rtl" lang="ar">{escaped}</bdi>' if arabic else escaped
