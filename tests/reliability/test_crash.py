"""Crash safety and repair: kill -9 during embedding, concurrent writers, corrupt manifest, keyword index out of step, incremental runs."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time

import pytest
from click.testing import CliRunner

from rag.cli import main
from rag.errors import IndexLockedError
from rag.indexing.ingest import scan
from rag.store import Store
from reliability_helpers import (CORPUS, LAVROV, PY, SMALL, check_complete, cli_env, copy_corpus, expected_ids,
                                 make_settings, retrieve_ok)


def _keyword_hits(settings) -> list[dict]:
    result = CliRunner().invoke(main, ["retrieve", "لافروف منظمة معاهدة الأمن الجماعي", "--json", "--retrieval", "bm25",
                                       "--corpus", str(settings.corpus_dir), "--store", str(settings.index_dir)])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _manifest_files(path) -> int:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.2)
        try:
            return db.execute("SELECT COUNT(*) FROM files").fetchone()[0]
        finally:
            db.close()
    except sqlite3.Error:
        return 0


@pytest.mark.slow
def test_kill_9_during_embedding_then_rerun(tmp_path):
    corpus = tmp_path / "corpus"
    copy_corpus(corpus)  # the 5 real ones
    for i in range(7):    # and copies with a varied first line so their hashes and texts differ
        src = CORPUS / SMALL[i % 2]
        (corpus / f"copy_{i:02d}.txt").write_text(f"نسخة رقم {i} من الخبر\n\n" + src.read_text(encoding="utf-8"),
                                                 encoding="utf-8")
    settings = make_settings(tmp_path, corpus)
    n_articles = len(scan(corpus)[0])
    assert n_articles == 12
    proc = subprocess.Popen([PY, "-m", "rag", "index", "--json", "--corpus", str(corpus),
                             "--store", str(settings.index_dir)], env=cli_env(RAG_INDEX_BATCH="1"),  # commit per article
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    manifest = settings.index_dir / "manifest.sqlite"
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if _manifest_files(manifest) >= 2:
                break
            time.sleep(0.05)
        assert proc.poll() is None, "indexing finished before it could be killed"
        time.sleep(0.4)  # land somewhere inside the next article's embedding / write
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    done_before = _manifest_files(manifest)
    assert 0 < done_before < n_articles

    from rag.indexing.indexer import Indexer
    report = Indexer(settings).index()
    assert report.total_articles == n_articles
    assert len(report.unchanged) >= done_before - 1
    check_complete(settings)
    retrieve_ok(settings)
    # and a third run has nothing to do
    again = Indexer(settings).index()
    assert again.chunks_embedded == 0 and not again.repaired


@pytest.mark.slow
def test_incremental_lock_and_corruption(tmp_path):
    from rag.indexing.indexer import Indexer

    corpus = copy_corpus(tmp_path / "corpus", SMALL)
    (corpus / "extra.txt").write_text((CORPUS / SMALL[0]).read_text(encoding="utf-8").replace("لافروف", "لافروف.", 1)
                                      .replace("\n", "\nسطر إضافي مختلف.\n", 1), encoding="utf-8")
    settings = make_settings(tmp_path, corpus, lock_timeout=0.5)
    indexer = Indexer(settings)
    first = indexer.index()
    assert first.chunks_embedded == len(expected_ids(settings))
    check_complete(settings)

    # nothing changed: nothing embedded
    second = Indexer(settings, embedder=indexer.embedder).index()
    assert second.chunks_embedded == 0 and len(second.unchanged) == 3

    # modify one file: only its chunks are re-embedded
    target = corpus / SMALL[1]
    target.write_text(target.read_text(encoding="utf-8") + "\nفقرة جديدة أضيفت إلى الخبر بعد نشره.\n", encoding="utf-8")
    n_target = len([i for i in expected_ids(settings) if i.startswith(SMALL[1] + "#")])
    third = Indexer(settings, embedder=indexer.embedder).index()
    assert third.updated == [SMALL[1]] and third.added == [] and third.removed == []
    assert third.chunks_embedded == n_target
    check_complete(settings)

    # delete one: exactly its chunks go
    (corpus / "extra.txt").unlink()
    fourth = Indexer(settings, embedder=indexer.embedder).index()
    assert fourth.removed == ["extra.txt"] and fourth.chunks_embedded == 0
    check_complete(settings)
    assert not [i for i in Store(settings).collection().get(include=[])["ids"] if i.startswith("extra.txt#")]

    # a second writer waits, then refuses
    holder = Store(settings)
    with holder.lock(wait=0.5):
        t0 = time.monotonic()
        with pytest.raises(IndexLockedError) as err:
            Indexer(settings, embedder=indexer.embedder).index()
        assert time.monotonic() - t0 < 10
        assert "being updated" in str(err.value)
    # and the CLI says so without a traceback
    with holder.lock(wait=0.5):
        result = CliRunner().invoke(main, ["index", "--json", "--corpus", str(corpus), "--store",
                                           str(settings.index_dir)], env={"RAG_LOCK_TIMEOUT": "0.5"})
        assert result.exit_code == 1 and "Traceback" not in result.output and "being updated" in result.output

    # corrupt manifest: recovered from Chroma without re-embedding
    manifest = settings.index_dir / "manifest.sqlite"
    manifest.write_bytes(os.urandom(4096))
    repaired = Indexer(settings, embedder=indexer.embedder).index()
    assert repaired.repaired, repaired
    # The manifest is rebuilt from the chunk metadata in Chroma: nothing is embedded again.
    assert repaired.chunks_embedded == 0, repaired
    assert any("manifest was corrupt" in note for note in repaired.repaired)
    assert repaired.total_articles == 2
    check_complete(settings)
    assert list(settings.index_dir.glob("manifest.sqlite.corrupt-*"))

    # a keyword index out of step with the chunk rows (emptied here): the next index run rebuilds it from them
    with sqlite3.connect(manifest) as db:
        db.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('delete-all')")
    assert not any(h["source"] == LAVROV for h in _keyword_hits(settings))
    repaired = Indexer(settings, embedder=indexer.embedder).index()
    assert repaired.chunks_embedded == 0 and any("keyword index" in note for note in repaired.repaired), repaired
    assert any(h["source"] == LAVROV for h in _keyword_hits(settings))
    retrieve_ok(settings)
