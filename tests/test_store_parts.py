"""The manifest's parts (rag/store/*.py): each owns its tables, made by its own schema fragment, and all of them write
through the manifest's one connection, so a file's update across parts commits or rolls back as one transaction."""
from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from rag.store import Manifest
from rag.store.articles import Articles
from rag.store.duplicates import Duplicates
from rag.store.files import Files
from rag.store.keywords import Keywords
from rag.store.sentences import SentenceVectors, pack, unpack

ARTICLE = "موسكو تستضيف محادثات بشأن أفغانستان بمشاركة عشر دول. قال المبعوث زامير كابولوف إن الحوار مستمر."


def tables(db) -> set[str]:
    return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")}


@pytest.mark.parametrize("part, owns", [
    (Files, {"files", "chunks", "file_stats"}),
    (Duplicates, {"signatures", "duplicates", "lsh"}),
])
def test_each_fragment_makes_its_own_tables(part, owns):
    db = sqlite3.connect(":memory:")
    db.executescript(part.SCHEMA)
    assert tables(db) >= owns
    others = {"files", "chunks", "file_stats", "signatures", "duplicates", "lsh", "sentence_vectors"} - owns
    assert not tables(db) & others


def test_sentence_fragment_adds_its_table_and_the_delete_trigger_on_chunks():
    db = sqlite3.connect(":memory:")
    db.executescript(Files.SCHEMA)
    db.executescript(SentenceVectors.SCHEMA)
    assert {"sentence_vectors", "chunk_sentences_delete"} <= tables(db)


def test_the_manifest_composes_every_part(tmp_path):
    m = Manifest(tmp_path / "manifest.sqlite")
    assert (type(m.files), type(m.keywords), type(m.articles), type(m.duplicates), type(m.sentences)) == (
        Files, Keywords, Articles, Duplicates, SentenceVectors)
    assert {"files", "chunks", "chunk_fts", "signatures", "lsh", "sentence_vectors", "meta"} <= tables(m.db)
    assert set(Articles.COLUMNS) <= {r[1] for r in m.db.execute("PRAGMA table_info(files)")}


def test_parts_read_what_the_others_wrote(tmp_path):
    m = Manifest(tmp_path / "manifest.sqlite")
    vecs = np.arange(6, dtype=np.float32).reshape(2, 3)
    m.files.replace_files([("a.txt", "sha", "عنوان", "2024-06-12", [("a.txt#0000", 0, ARTICLE, vecs)])])
    m.articles.set("a.txt", {"title": "عنوان", "date": "2024-06-12", "outlet": "الجزيرة", "outlet_key": "الجزيره",
                             "date_lo": 20240612, "date_hi": 20240612}, "v1")
    m.duplicates.set_signature("a.txt", b"sig")
    assert m.files.hashes() == {"a.txt": "sha"}
    assert m.articles.meta(["a.txt"])["a.txt"]["outlet"] == "الجزيرة"
    assert m.articles.sources_where(since=20240601, outlet_keys=["الجزيره"]) == ["a.txt"]
    assert m.articles.sources_where(until=20240101) == []
    assert np.allclose(m.sentences.get(["a.txt#0000"])["a.txt#0000"], vecs)
    assert m.sentences.missing(10) == []
    assert m.duplicates.signatures() == {"a.txt": b"sig"}
    # the keyword index follows the chunk rows (triggers): an Arabic key is found, and goes with the file
    key = "كابولوف"
    assert m.db.execute("SELECT COUNT(*) FROM chunk_fts WHERE chunk_fts MATCH ?", (f'"{key}"',)).fetchone()[0] == 1
    m.files.remove_file("a.txt")
    assert m.db.execute("SELECT COUNT(*) FROM chunk_fts WHERE chunk_fts MATCH ?", (f'"{key}"',)).fetchone()[0] == 0
    assert m.sentences.get(["a.txt#0000"]) == {}  # deleted with its chunk (trigger)


def test_a_batch_across_parts_is_one_transaction(tmp_path):
    m = Manifest(tmp_path / "manifest.sqlite")
    m.files.replace_file("a.txt", "old", "", "", [("a.txt#0000", 0, ARTICLE)])
    version = m.version
    with pytest.raises(RuntimeError):
        with m.batch():
            m.files.replace_file("a.txt", "new", "", "", [("a.txt#0000", 0, "نص آخر")])
            m.articles.set("a.txt", {"title": "t", "date": "", "outlet": "واس"}, "v2")
            m.duplicates.add("a.txt", "b.txt", 0.9)
            raise RuntimeError("crash before the commit")
    assert m.files.hashes() == {"a.txt": "old"} and m.version == version
    assert m.articles.meta(["a.txt"])["a.txt"]["outlet"] == "" and m.duplicates.pairs() == []


def test_duplicate_groups_follow_pairs_transitively(tmp_path):
    m = Manifest(tmp_path / "manifest.sqlite")
    m.duplicates.add("b.txt", "a.txt", 0.91)
    m.duplicates.add("b.txt", "c.txt", 0.88)
    assert m.duplicates.pairs() == [("a.txt", "b.txt", 0.91), ("b.txt", "c.txt", 0.88)]
    assert m.duplicates.groups(["a.txt", "d.txt"]) == {"a.txt": {"b.txt", "c.txt"}}
    m.duplicates.lsh_add("a.txt", [1, 2])
    m.duplicates.lsh_add("c.txt", [2, 3])
    assert m.duplicates.lsh_members([2]) == {"a.txt", "c.txt"}
    m.duplicates.lsh_remove("a.txt", [1, 2])
    assert m.duplicates.lsh_members([1, 2]) == {"c.txt"}


def test_sentence_vectors_pack_as_float16_with_their_row_count():
    v = np.random.default_rng(0).normal(size=(3, 384)).astype(np.float32)
    blob = pack(v)
    assert len(blob) == 4 + 3 * 384 * 2
    assert np.allclose(unpack(blob), v, atol=2e-3)
    assert unpack(pack(np.zeros((0, 384)))).shape == (0, 0)
