"""Prompt templates are files in prompts/, rendered strictly: a missing or unknown variable raises PromptError."""
from __future__ import annotations

import hashlib
import string
from functools import lru_cache
from pathlib import Path

from rag.errors import PromptError

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"


@lru_cache(maxsize=None)
def template(name: str) -> str:
    path = PROMPTS_DIR / f"{name}.txt"
    if not path.exists():
        raise PromptError(f"prompt template {path} is missing")
    return path.read_text(encoding="utf-8").strip("\n")


def variables(name: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template(name)) if field}


def render(name: str, **values: object) -> str:
    """Fill `prompts/<name>.txt`; every variable it names must be given, and nothing else."""
    needed = variables(name)
    missing, extra = needed - values.keys(), values.keys() - needed
    if missing or extra:
        raise PromptError(f"prompt {name!r}: missing {sorted(missing)}, unexpected {sorted(extra)}")
    # Values are inserted once, never re-parsed, so braces inside article text are harmless.
    return template(name).format_map({k: str(v) for k, v in values.items()})


def names() -> list[str]:
    return sorted(p.stem for p in PROMPTS_DIR.glob("*.txt"))


def fingerprint() -> dict[str, str]:
    """Short hash of each prompt file, recorded in eval reports."""
    return {n: hashlib.sha256(template(n).encode()).hexdigest()[:12] for n in names()}
