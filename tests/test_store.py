"""The manifest's integrity check: run when the file may have changed behind our back, not on every open (#15: at
100,000 chunks `PRAGMA quick_check` costs 0.6-4 s per open), and a corrupt manifest is still found and set aside."""
from __future__ import annotations

import os
import sqlite3

import numpy as np
import pytest

from rag.store import Manifest


@pytest.fixture
def checks(monkeypatch):
    """Every `PRAGMA quick_check` / `integrity_check` any sqlite3 connection runs from now on (the observable: what
    SQLite was asked to do, not how long it took)."""
    seen: list[str] = []
    real = sqlite3.connect

    def connect(*args, **kwargs):
        db = real(*args, **kwargs)
        db.set_trace_callback(lambda sql: seen.append(sql) if "_check" in sql.lower() else None)
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    return seen


def _fill(m: Manifest, n: int = 3) -> None:
    for i in range(n):
        m.files.replace_file(f"a{i}.txt", f"sha{i}", "", "", [(f"a{i}.txt#{j:04d}", j, f"نص الخبر رقم {i} الجزء {j} " * 20)
                                                      for j in range(20)])


def _open(path) -> Manifest:
    m = Manifest(path)
    m.db
    return m


def test_second_open_of_an_unchanged_manifest_does_not_run_the_check(tmp_path, checks):
    path = tmp_path / "manifest.sqlite"
    m = _open(path)
    _fill(m)
    m.mark_clean()  # what `rag index` does at the end of a run
    m.close()
    checks.clear()
    for _ in range(2):  # a reader, another reader: nothing changed, nothing to check
        m = _open(path)
        assert m.files.count_chunks() == 60
        m.close()
    assert checks == []


def test_a_manifest_changed_by_someone_else_is_checked_once_then_trusted(tmp_path, checks):
    path = tmp_path / "manifest.sqlite"
    m = _open(path)
    _fill(m)
    m.mark_clean()
    m.close()
    with sqlite3.connect(path) as db:  # not through Manifest: an older build, a tool, a restored backup
        db.execute("INSERT INTO meta VALUES ('touched', 'yes')")
    db.close()
    checks.clear()
    _open(path).close()
    assert len(checks) == 1
    checks.clear()
    _open(path).close()  # the clean check was recorded
    assert checks == []


def test_an_index_run_leaves_the_manifest_trusted(tmp_path, checks):
    from rag.config import Settings
    from rag.indexing.indexer import Indexer

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(3):
        (corpus / f"{i}.txt").write_text(f"عنوان الخبر {i}\n\n" + "جملة من نص الخبر الطويل. " * 80, encoding="utf-8")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "store", engine="extractive")
    Indexer(settings, embedder=_Random()).index()  # writes: the new manifest, its rows
    checks.clear()
    report = Indexer(settings, embedder=_Random()).index()  # a no-op: the manifest is as the last run left it
    assert report.chunks_embedded == 0 and not report.repaired
    (corpus / "1.txt").unlink()
    assert Indexer(settings, embedder=_Random()).index().removed == ["1.txt"]
    m = _open(settings.index_dir / "manifest.sqlite")  # a reader after the runs
    m.close()
    assert checks == []


class _Random:
    backend, model, dim = "random", "random", 384

    def passages(self, texts):
        v = np.random.default_rng(0).standard_normal((len(texts), 384)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def query(self, text):
        return self.passages([text])[0]


def test_a_full_build_commits_per_batch_not_per_file(tmp_path, monkeypatch):
    """Rows, article metadata and near-duplicate signatures of a batch go in one transaction each: a full build of
    24,000 files was paying two or three commits (journal + fsyncs) per file."""
    from rag.config import Settings
    from rag.indexing.indexer import Indexer

    commits: list[str] = []
    real = sqlite3.connect

    def connect(*args, **kwargs):
        db = real(*args, **kwargs)
        db.set_trace_callback(lambda sql: commits.append(sql) if sql.strip().upper().startswith("COMMIT") else None)
        return db

    monkeypatch.setattr(sqlite3, "connect", connect)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for i in range(12):
        (corpus / f"{i:02d}.txt").write_text(f"عنوان الخبر رقم {i}\n\nالقاهرة - 12 مارس 2024\n\n"
                                             + " ".join(f"الجملة {j} من الخبر {i} عن الموضوع {i * j}." for j in range(60)),
                                             encoding="utf-8")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "store", engine="extractive")
    report = Indexer(settings, embedder=_Random()).index()
    assert len(report.added) == 12
    m = _open(settings.index_dir / "manifest.sqlite")
    assert not m.articles.stale(__import__("rag.meta").meta.META_VERSION)  # every file's metadata written
    assert len(m.duplicates.signatures()) == 12
    m.close()
    assert len(commits) < 12, commits  # 40 before (set_meta and set_signature committed per file)


def test_batch_is_one_transaction_and_rolls_back_whole(tmp_path):
    m = _open(tmp_path / "manifest.sqlite")
    with m.batch():
        _fill(m, 2)
        m.set("k", "v")
        with m.batch():  # nested: joins the outer one
            m.set("k2", "v2")
        other = sqlite3.connect(tmp_path / "manifest.sqlite")
        assert other.execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0  # nothing committed yet
        other.close()
    assert m.files.count_chunks() == 40 and m.get("k2") == "v2"
    with pytest.raises(RuntimeError):
        with m.batch():
            m.files.remove_file("a0.txt")
            m.set("k", "changed")
            raise RuntimeError("killed")
    assert m.files.count_chunks() == 40 and m.get("k") == "v"
    m.close()


def test_a_corrupt_page_of_the_same_size_is_still_found_and_set_aside(tmp_path):
    path = tmp_path / "manifest.sqlite"
    m = _open(path)
    _fill(m, 20)
    m.mark_clean()
    m.close()
    size = path.stat().st_size
    page = 4096
    assert size > 8 * page
    with open(path, "r+b") as fh:  # garbage over a few pages in the middle, the header left as it was
        fh.seek(3 * page)
        fh.write(os.urandom(3 * page))
    assert path.stat().st_size == size
    m = _open(path)
    assert m.repaired and m.files.count_chunks() == 0
    assert list(tmp_path.glob("manifest.sqlite.corrupt-*"))
    m.close()


def test_random_bytes_are_still_found_and_set_aside(tmp_path):
    path = tmp_path / "manifest.sqlite"
    m = _open(path)
    _fill(m)
    m.mark_clean()
    m.close()
    path.write_bytes(os.urandom(4096))
    m = _open(path)
    assert m.repaired and m.files.count_chunks() == 0
    m.close()


def test_a_damaged_or_foreign_clean_mark_means_check_again(tmp_path, checks):
    path = tmp_path / "manifest.sqlite"
    m = _open(path)
    _fill(m)
    m.mark_clean()
    m.close()
    mark = path.with_name(path.name + ".checked")
    assert mark.exists()
    mark.write_text("not a mark")
    checks.clear()
    _open(path).close()
    assert len(checks) == 1
