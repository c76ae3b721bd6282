"""kill -9 at exact points of `rag index` (rag/faults.py), then a plain rerun: the index is exactly the corpus again.

Each case starts from a complete index of two articles, then changes one article and adds another so the run has
work, and runs `python -m rag index --json` with RAG_FAULT_KILL_AT set: the process SIGKILLs itself at that point.
The test checks the store is in the half-done state that point describes (so the kill landed where it says), then
that queries work and a rerun without the variable repairs it, embedding only what is needed.
"""
from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess

import pytest

from rag import bm25
from rag.chunk import chunk_article
from rag.ingest import read_article
from rag.store import Store
from reliability_helpers import LAVROV, PY, SMALL, check_complete, cli_env, copy_corpus, make_settings

pytestmark = pytest.mark.slow

CHANGED = "001_f363e7051d720855.txt"  # sorts before NEW, so it is the first file of the run, NEW the second
NEW = "005_oman_turtles.txt"
NEW_TEXT = """سلاحف البحر الخضراء تعود إلى شاطئ رأس الجنز في سلطنة عمان

مسقط - 3 مارس 2025

سجلت محمية رأس الجنز في سلطنة عمان هذا الموسم وصول 6200 سلحفاة خضراء إلى الشاطئ لوضع بيضها.
وقال مدير المحمية إن عدد أعشاش السلاحف الخضراء ارتفع بنسبة 12 في المئة مقارنة بالموسم الماضي.
وأضاف أن المحمية ستفتح مركزا جديدا للزوار يشرح دورة حياة السلاحف البحرية.
"""
NEW_Q = "كم سلحفاة خضراء وصلت إلى شاطئ رأس الجنز في سلطنة عمان؟"
ADDED_PARAGRAPH = "\nوفي تطور لاحق، أكدت الحركة أن وفدها الأمني سيزور موسكو الشهر المقبل لبحث مكافحة المخدرات.\n"


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    """A complete index of the two short articles, built once by the CLI; each test works on a copy."""
    root = tmp_path_factory.mktemp("kill-baseline")
    corpus = copy_corpus(root / "corpus", SMALL)
    r = _rag("index", "--json", "--corpus", str(corpus), "--store", str(root / "store"))
    assert r.returncode == 0, r.stderr
    return root


@pytest.fixture(scope="module")
def embedder():
    from rag.config import Settings
    from rag.embed import make_embedder

    return make_embedder(Settings())


def _rag(*args, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run([PY, "-m", "rag", *args], env=env or cli_env(), capture_output=True, text=True,
                          timeout=timeout)


def _manifest(settings, sql: str, *params) -> list[tuple]:
    db = sqlite3.connect(settings.index_dir / "manifest.sqlite")
    try:
        return db.execute(sql, params).fetchall()
    finally:
        db.close()


def _fresh_chroma() -> None:
    """Forget Chroma clients opened in this process: a subprocess has written to the store since."""
    from chromadb.api.client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


def _chroma_ids(settings, source: str) -> list[str]:
    _fresh_chroma()
    store = Store(settings)
    return sorted(store.collection().get(where={"source": source}, include=[])["ids"])


def _version(folder) -> str | None:
    try:
        return json.loads((folder / "version.json").read_text(encoding="utf-8"))["version"]
    except OSError:
        return None


def _n_chunks(settings, source: str) -> int:
    article = read_article(settings.corpus_dir / source, settings.corpus_dir)
    return len(chunk_article(article, settings.chunk_size, settings.chunk_overlap))


def _prepare(tmp_path, baseline):
    shutil.copytree(baseline / "corpus", tmp_path / "corpus")
    shutil.copytree(baseline / "store", tmp_path / "store")
    settings = make_settings(tmp_path, tmp_path / "corpus")
    old_version = _manifest(settings, "SELECT value FROM meta WHERE key='version'")[0][0]
    assert _version(settings.index_dir / "bm25") == old_version  # a BM25 index of the first run exists
    old_sha = dict(_manifest(settings, "SELECT source, sha256 FROM files"))
    changed = settings.corpus_dir / CHANGED
    changed.write_text(changed.read_text(encoding="utf-8") + ADDED_PARAGRAPH, encoding="utf-8")
    (settings.corpus_dir / NEW).write_text(NEW_TEXT, encoding="utf-8")
    return settings, old_sha, old_version


def _killed_run(settings, point: str) -> None:
    r = _rag("index", "--json", "--corpus", str(settings.corpus_dir), "--store", str(settings.index_dir),
             env=cli_env(RAG_FAULT_KILL_AT=point))
    assert r.returncode == -signal.SIGKILL, (r.returncode, r.stdout, r.stderr[-2000:])
    assert r.stdout == ""  # died before printing a report


def _retrieve(settings, question: str, *extra) -> list[dict]:
    r = _rag("retrieve", question, "--json", "--corpus", str(settings.corpus_dir), "--store",
             str(settings.index_dir), *extra)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


def _rerun(settings) -> dict:
    r = _rag("index", "--json", "--corpus", str(settings.corpus_dir), "--store", str(settings.index_dir))
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(r.stdout)


def _search(settings, embedder, question: str, mode: str = "hybrid") -> list[str]:
    """Sources of the hits, best first, in-process (one loaded model for the module instead of one per query)."""
    from rag.retrieve import HybridRetriever

    _fresh_chroma()
    s = settings.replace(retrieval=mode)
    store = Store(s)
    try:
        return [h.source for h in HybridRetriever(s, store, embedder).search(question)]
    finally:
        store.manifest.close()


def _check_repaired(settings, embedder) -> None:
    """The index is exactly the corpus, BM25 loads at the manifest's version, and queries find old and new text."""
    _fresh_chroma()
    check_complete(settings)
    version = _manifest(settings, "SELECT value FROM meta WHERE key='version'")[0][0]
    retriever, ok = bm25.load(settings.index_dir / "bm25", version, settings.candidates)
    assert ok and retriever is not None
    assert not (settings.index_dir / "bm25.tmp").exists()
    for mode in ("hybrid", "bm25", "dense"):
        assert _search(settings, embedder, NEW_Q, mode)[0] == NEW, mode
    assert _search(settings, embedder, "ماذا قال لافروف عن منظمة معاهدة الأمن الجماعي؟")[0] == LAVROV
    assert CHANGED in _search(settings, embedder, "وفد أمني من طالبان يزور موسكو لبحث مكافحة المخدرات", "bm25")


# ------------------------------------------------------------------ between the vector store and the manifest

def test_kill_after_vectors_of_a_changed_file(tmp_path, baseline, embedder):
    settings, old_sha, _ = _prepare(tmp_path, baseline)
    _killed_run(settings, "indexer.after_vectors:1")
    # The changed file's new chunks are in Chroma, but the manifest still has its old hash; the new file is nowhere.
    assert dict(_manifest(settings, "SELECT source, sha256 FROM files")) == old_sha
    new_sha = read_article(settings.corpus_dir / CHANGED, settings.corpus_dir).sha256
    _fresh_chroma()
    got = Store(settings).collection().get(where={"source": CHANGED}, include=["metadatas"])
    assert got["ids"] and {m["file_sha256"] for m in got["metadatas"]} == {new_sha}
    assert _chroma_ids(settings, NEW) == []

    report = _rerun(settings)
    assert report["files"]["updated"] == [CHANGED] and report["files"]["added"] == [NEW], report
    # exactly the two files' chunks, nothing else re-embedded
    assert report["chunks_embedded"] == _n_chunks(settings, CHANGED) + _n_chunks(settings, NEW), report
    _check_repaired(settings, embedder)


def test_kill_after_vectors_of_a_new_file(tmp_path, baseline, embedder):
    settings, old_sha, _ = _prepare(tmp_path, baseline)
    _killed_run(settings, "indexer.after_vectors:2")
    # The changed file is done; the new file's chunks are in Chroma with no manifest rows: orphans.
    rows = dict(_manifest(settings, "SELECT source, sha256 FROM files"))
    assert rows[CHANGED] != old_sha[CHANGED] and NEW not in rows
    orphans = _chroma_ids(settings, NEW)
    assert len(orphans) == _n_chunks(settings, NEW)

    report = _rerun(settings)
    assert any(f"deleted {len(orphans)} orphan chunks" in note for note in report["repaired"]), report
    assert report["files"]["added"] == [NEW] and report["files"]["updated"] == [], report
    assert report["chunks_embedded"] == _n_chunks(settings, NEW), report
    _check_repaired(settings, embedder)


def test_kill_after_deleting_old_vectors(tmp_path, baseline, embedder):
    settings, old_sha, _ = _prepare(tmp_path, baseline)
    _killed_run(settings, "indexer.after_delete:1")
    # The changed file's old chunks are gone from Chroma while the manifest still lists them.
    assert _chroma_ids(settings, CHANGED) == []
    assert _manifest(settings, "SELECT COUNT(*) FROM chunks WHERE source=?", CHANGED)[0][0] > 0

    report = _rerun(settings)
    assert any("re-embedding 1 files whose chunks were missing" in note for note in report["repaired"]), report
    assert sorted(report["files"]["added"]) == sorted([CHANGED, NEW]), report
    assert report["chunks_embedded"] == _n_chunks(settings, CHANGED) + _n_chunks(settings, NEW), report
    assert report["unchanged"] == 1
    _check_repaired(settings, embedder)


# ------------------------------------------------------------------ during BM25 persistence (a previous BM25 exists)

@pytest.mark.parametrize("point", ["bm25.tmp_written", "bm25.mid_swap", "bm25.swapped"])
def test_kill_during_bm25_save(tmp_path, baseline, embedder, point):
    settings, _, old_version = _prepare(tmp_path, baseline)
    _killed_run(settings, point)
    root = settings.index_dir
    new_version = _manifest(settings, "SELECT value FROM meta WHERE key='version'")[0][0]
    assert new_version != old_version  # the vectors and manifest were complete before the kill
    _fresh_chroma()
    check_complete(settings)
    # the BM25 folders are in the state the point describes
    if point == "bm25.tmp_written":
        assert _version(root / "bm25") == old_version and _version(root / "bm25.tmp") == new_version
    elif point == "bm25.mid_swap":
        assert not (root / "bm25").exists()
        assert _version(root / "bm25.old") == old_version and _version(root / "bm25.tmp") == new_version
    else:
        assert _version(root / "bm25") == new_version and _version(root / "bm25.old") == old_version

    # The next reader works without an index run: a stale or missing BM25 is rebuilt from the manifest.
    assert _retrieve(settings, NEW_Q, "--retrieval", "bm25")[0]["source"] == NEW
    assert _search(settings, embedder, NEW_Q)[0] == NEW
    assert _version(root / "bm25") == new_version

    report = _rerun(settings)
    assert report["chunks_embedded"] == 0 and report["repaired"] == [], report
    assert report["unchanged"] == 3 and report["total_articles"] == 3, report
    _check_repaired(settings, embedder)
