"""Concurrent BM25 rebuilds (web workers after a crash left no BM25 files) must not delete each other's files."""
from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from rag import bm25
from rag.indexer import Indexer
from rag.store import Store
from reliability_helpers import SMALL, copy_corpus, make_settings

pytestmark = pytest.mark.slow


def test_parallel_rebuilds_of_a_missing_bm25_index_all_succeed(tmp_path):
    settings = make_settings(tmp_path, copy_corpus(tmp_path / "corpus", SMALL))
    Indexer(settings).index()
    store = Store(settings)
    folder = store.root / "bm25"
    for _ in range(5):  # found by a 4-thread reproduction: 7 FileNotFoundError in 5 rounds before the lock
        shutil.rmtree(folder)
        with ThreadPoolExecutor(4) as pool:
            results = list(pool.map(lambda _: bm25.ensure(Store(settings).manifest, folder, 20), range(4)))
        assert all(r is not None for r in results)
        assert bm25.load(folder, store.manifest.version, 20)[1]
        assert not folder.with_name("bm25.tmp").exists()
