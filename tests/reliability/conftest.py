"""Fixtures for reliability tests: small corpora and stores, all under tmp_path."""
from __future__ import annotations

import pytest

from rag.config import Settings
from reliability_helpers import INJECTION, SMALL, copy_corpus, make_settings


@pytest.fixture(scope="session")
def injected_index(tmp_path_factory) -> Settings:
    """The Lavrov article, one more real article and a prompt-injection article, indexed once."""
    from rag.indexing.indexer import Indexer

    root = tmp_path_factory.mktemp("injected")
    corpus = copy_corpus(root / "corpus", SMALL)
    (corpus / "zz_injection.txt").write_text(INJECTION, encoding="utf-8")
    settings = make_settings(root, corpus)
    Indexer(settings).index()
    return settings


@pytest.fixture(scope="session")
def injected_assistant(injected_index):
    from rag.answering.assistant import Assistant
    return Assistant(injected_index)
