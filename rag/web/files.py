"""Corpus files as the web chat sees them: safe upload names, no path outside the corpus folder."""
from __future__ import annotations

import re
from pathlib import Path

from rag.config import Settings

SUFFIXES = (".txt", ".md")
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def safe_name(name: str) -> str:
    """A safe base name for an uploaded file: no folders, no hidden files, only word characters, dots and dashes."""
    base = Path(str(name).replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = _UNSAFE.sub("_", stem).strip("._-")[:80] or "article"
    return stem + suffix


def unique_path(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    i = 1
    while target.exists():
        target = folder / f"{stem}_{i}{suffix}"
        i += 1
    return target


def article_path(settings: Settings, source: str) -> Path | None:
    """The file of a source inside the corpus folder, or None for anything outside it (or not an article)."""
    if not source:
        return None
    root = Path(settings.corpus_dir).resolve()
    try:
        path = (root / source).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(root) or path == root or not path.is_file() or path.suffix.lower() not in SUFFIXES:
        return None
    return path


def list_sources(settings: Settings) -> list[str]:
    root = Path(settings.corpus_dir)
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and p.suffix.lower() in SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))
