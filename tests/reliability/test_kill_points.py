"""kill -9 at exact points of `rag index` (rag/faults.py), then a plain rerun: the index is exactly the corpus again.

Each case starts from a complete index of two articles, then changes one article and adds another so the run has
work, and runs `python -m rag index --json` with RAG_FAULT_KILL_AT set: the process SIGKILLs itself at that point.
The test checks the store is in the half-done state that point describes (so the kill landed where it says), then
that queries work and a rerun without the variable repairs it, embedding only what is needed. Most cases index one
article per batch (RAG_INDEX_BATCH=1) to kill between the two files; one case kills inside a batch of both.
The keyword index (FTS5) lives in the manifest and moves with it: it must match the manifest's chunks throughout.
"""
from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess

import pytest

from rag.indexing.chunk import chunk_article
from rag.indexing.ingest import read_article
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
    from rag.indexing.embed import make_embedder

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


def _fts_matches_manifest(settings) -> None:
    """The keyword index holds exactly the manifest's chunks: one entry each, and FTS5's own integrity check passes."""
    db = sqlite3.connect(settings.index_dir / "manifest.sqlite")
    try:
        assert db.execute("SELECT COUNT(*) FROM chunk_fts_docsize").fetchone()[0] == \
            db.execute("SELECT COUNT(*) FROM chunks").fetchone()[0]
        db.execute("INSERT INTO chunk_fts(chunk_fts, rank) VALUES ('integrity-check', 1)")
    finally:
        db.close()


def _n_chunks(settings, source: str) -> int:
    article = read_article(settings.corpus_dir / source, settings.corpus_dir)
    return len(chunk_article(article, settings.chunk_size, settings.chunk_overlap))


def _prepare(tmp_path, baseline):
    shutil.copytree(baseline / "corpus", tmp_path / "corpus")
    shutil.copytree(baseline / "store", tmp_path / "store")
    settings = make_settings(tmp_path, tmp_path / "corpus")
    old_version = _manifest(settings, "SELECT value FROM meta WHERE key='version'")[0][0]
    _fts_matches_manifest(settings)
    old_sha = dict(_manifest(settings, "SELECT source, sha256 FROM files"))
    changed = settings.corpus_dir / CHANGED
    changed.write_text(changed.read_text(encoding="utf-8") + ADDED_PARAGRAPH, encoding="utf-8")
    (settings.corpus_dir / NEW).write_text(NEW_TEXT, encoding="utf-8")
    return settings, old_sha, old_version


def _killed_run(settings, point: str, batch: int = 1) -> None:
    r = _rag("index", "--json", "--corpus", str(settings.corpus_dir), "--store", str(settings.index_dir),
             env=cli_env(RAG_FAULT_KILL_AT=point, RAG_INDEX_BATCH=str(batch)))
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
    from rag.retrieval.retrieve import HybridRetriever

    _fresh_chroma()
    s = settings.replace(retrieval=mode)
    store = Store(s)
    try:
        return [h.source for h in HybridRetriever(s, store, embedder).search(question)]
    finally:
        store.manifest.close()


def _check_repaired(settings, embedder) -> None:
    """The index is exactly the corpus, the keyword index matches the manifest, queries find old and new text."""
    _fresh_chroma()
    check_complete(settings)
    _fts_matches_manifest(settings)
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


# ------------------------------------------------------------------ inside the manifest + keyword-index transaction

def test_kill_before_the_manifest_commit_rolls_back_rows_and_keyword_index_together(tmp_path, baseline, embedder):
    settings, old_sha, old_version = _prepare(tmp_path, baseline)
    _killed_run(settings, "manifest.before_commit:1")
    # Rows and keyword index of the changed file were written but not committed: both roll back, together.
    assert dict(_manifest(settings, "SELECT source, sha256 FROM files")) == old_sha
    assert _manifest(settings, "SELECT value FROM meta WHERE key='version'")[0][0] == old_version
    _fts_matches_manifest(settings)
    assert _manifest(settings, """SELECT COUNT(*) FROM chunk_fts WHERE chunk_fts MATCH '"مخدرات"'""")[0][0] == 0
    assert _retrieve(settings, "ماذا قال لافروف عن منظمة معاهدة الأمن الجماعي؟", "--retrieval", "bm25")[0]["source"] \
        == LAVROV

    report = _rerun(settings)
    assert report["files"]["updated"] == [CHANGED] and report["files"]["added"] == [NEW], report
    assert report["chunks_embedded"] == _n_chunks(settings, CHANGED) + _n_chunks(settings, NEW), report
    _check_repaired(settings, embedder)


def test_kill_inside_a_batch_of_two_files(tmp_path, baseline, embedder):
    settings, old_sha, _ = _prepare(tmp_path, baseline)
    _killed_run(settings, "indexer.after_vectors:1", batch=128)
    # Both files' vectors are in Chroma (one batch), the manifest has neither: old hash for one, nothing for the other.
    assert dict(_manifest(settings, "SELECT source, sha256 FROM files")) == old_sha
    assert len(_chroma_ids(settings, NEW)) == _n_chunks(settings, NEW)
    _fts_matches_manifest(settings)

    report = _rerun(settings)
    assert report["files"]["updated"] == [CHANGED] and report["files"]["added"] == [NEW], report
    assert report["chunks_embedded"] == _n_chunks(settings, CHANGED) + _n_chunks(settings, NEW), report
    _check_repaired(settings, embedder)


def test_kill_during_the_upgrade_of_an_old_manifest(tmp_path, baseline, embedder):
    """An index written before FTS5: the upgrade (keys, FTS5 table, triggers, rebuild) is one transaction too."""
    settings, _, _ = _prepare(tmp_path, baseline)
    db = sqlite3.connect(settings.index_dir / "manifest.sqlite")
    with db:
        for name in ("chunk_fts_insert", "chunk_fts_delete", "chunk_fts_update"):
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE chunk_fts")
        db.execute("UPDATE chunks SET keys = NULL")
    db.close()
    (settings.index_dir / "bm25").mkdir()
    _killed_run(settings, "manifest.fts_upgrade")
    assert not _manifest(settings, "SELECT name FROM sqlite_master WHERE name LIKE 'chunk_fts%'")
    assert _manifest(settings, "SELECT COUNT(*) FROM chunks WHERE keys IS NOT NULL")[0][0] == 0

    report = _rerun(settings)
    assert report["files"]["updated"] == [CHANGED] and report["files"]["added"] == [NEW], report
    assert report["chunks_embedded"] == _n_chunks(settings, CHANGED) + _n_chunks(settings, NEW), report
    assert not (settings.index_dir / "bm25").exists()
    _check_repaired(settings, embedder)
