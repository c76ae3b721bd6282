"""The FTS5 keyword index in the manifest: in-place updates, ranking, the sources filter, upgrades of old manifests."""
import sqlite3

import pytest
from llama_index.core.schema import QueryBundle

from rag.arabic import tokens
from rag.retrieval.bm25 import KeywordRetriever, match_expression
from rag.store import Manifest

ARTICLES = {
    "a.txt": ["أعلن وزير الخارجية الروسي سيرغي لافروف أن بلاده تتشاور مع منظمة معاهدة الأمن الجماعي.",
              "وقال لافروف إن الوضع في شمال أفغانستان يثير القلق."],
    "b.txt": ["سجلت محمية رأس الجنز في سلطنة عمان وصول 6200 سلحفاة خضراء إلى الشاطئ."],
    "c.txt": ["زار وفد من طالبان موسكو لبحث مكافحة المخدرات مع وزارة الخارجية الروسية."],
}


def _put(manifest: Manifest, source: str, texts: list[str], sha: str = "x") -> None:
    manifest.files.replace_file(source, sha, source, "", [(f"{source}#{i:04d}", i, t) for i, t in enumerate(texts)])


@pytest.fixture
def manifest(tmp_path):
    m = Manifest(tmp_path / "manifest.sqlite")
    for source, texts in ARTICLES.items():
        _put(m, source, texts)
    yield m
    m.close()


def _fts_rows(manifest: Manifest) -> int:
    return manifest.db.execute("SELECT COUNT(*) FROM chunk_fts_docsize").fetchone()[0]


def test_search_ranks_by_bm25_with_positive_scores_and_chunk_ids(manifest):
    hits = KeywordRetriever(manifest, 5).retrieve(QueryBundle(query_str="ماذا قال لافروف عن منظمة معاهدة الأمن؟"))
    assert [h.node.node_id for h in hits][:2] == ["a.txt#0000", "a.txt#0001"]
    assert all(h.score > 0 for h in hits) and [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert hits[0].node.metadata["source"] == "a.txt"
    # diacritics, hamza forms and clitics are normalised the same way in questions and chunks
    assert KeywordRetriever(manifest, 1).search("سُلحفاةٌ خَضراءُ بالشاطئ", 1)[0].node.node_id == "b.txt#0000"
    assert KeywordRetriever(manifest, 5).search("سلاحف كوكب المريخ", 5) == []  # no shared key: nothing


def test_sources_filter_ranks_only_those_files(manifest):
    retriever = KeywordRetriever(manifest, 5)
    everything = retriever.search("الخارجية الروسية لافروف", 5)
    assert {h.node.metadata["source"] for h in everything} == {"a.txt", "c.txt"}
    only_c = retriever.search("الخارجية الروسية لافروف", 1, sources=["c.txt"])
    assert [h.node.node_id for h in only_c] == ["c.txt#0000"]  # filtered before ranking, not a cut of the top 1
    assert retriever.search("الخارجية لافروف", 5, sources=["b.txt"]) == []
    assert retriever.search("الخارجية لافروف", 5, sources=[]) == []
    assert retriever.search("الخارجية لافروف", 5, sources={"missing.txt"}) == []


def test_questions_are_escaped_for_fts5(manifest):
    retriever = KeywordRetriever(manifest, 5)
    for question in ['"لافروف', "لافروف OR NOT AND NEAR(", "*", "a:b (c) -d ^e {f} +", '""', "؟؟؟", ""]:
        retriever.search(question, 5)  # never an FTS5 syntax error
    assert match_expression('NEAR "x" لافروف') == '"near" OR "x" OR "لافروف"'
    assert retriever.search("NEAR لافروف", 5)  # NEAR is a word here, not an operator


def test_change_and_delete_touch_only_that_files_rows_in_the_same_transaction(manifest):
    retriever = KeywordRetriever(manifest, 5)
    _put(manifest, "b.txt", ["رست سفينة الأبحاث في ميناء صلالة بعد رحلة في بحر العرب."], sha="y")
    assert retriever.search("سلحفاة خضراء", 5) == []
    assert [h.node.node_id for h in retriever.search("سفينة صلالة", 5)] == ["b.txt#0000"]
    manifest.files.remove_file("a.txt")
    assert retriever.search("لافروف", 5) == []
    assert _fts_rows(manifest) == manifest.files.count_chunks() == 2
    # a failed transaction leaves both the rows and the keyword index as they were
    with pytest.raises(sqlite3.IntegrityError):
        manifest.files.replace_files([("d.txt", "z", "", "", [("d.txt#0000", 0, "مرصد فلكي جديد في الصحراء")]),
                                ("e.txt", "z", "", "", [("d.txt#0000", 0, "نفس المعرف مرتين")])])
    assert retriever.search("مرصد فلكي", 5) == [] and _fts_rows(manifest) == 2
    # INSERT OR REPLACE on chunks (recursive triggers) keeps the index in step too
    with manifest.db:
        manifest.db.execute("INSERT OR REPLACE INTO chunks (id, source, position, text, keys) VALUES (?, ?, ?, ?, ?)",
                            ("c.txt#0000", "c.txt", 0, "نص آخر", "نص اخر"))
    assert retriever.search("طالبان", 5) == [] and retriever.search("اخر", 5)
    assert _fts_rows(manifest) == 2


def test_an_old_manifest_is_upgraded_when_opened(tmp_path, manifest):
    path = manifest.path
    manifest.close()
    with sqlite3.connect(path) as db:  # as written before FTS5: no index, no triggers, some keys not stored
        for name in ("chunk_fts_insert", "chunk_fts_delete", "chunk_fts_update"):
            db.execute(f"DROP TRIGGER {name}")
        db.execute("DROP TABLE chunk_fts")
        db.execute("UPDATE chunks SET keys = NULL WHERE source = 'a.txt'")
    old = Manifest(path)
    hits = KeywordRetriever(old, 5).search("لافروف منظمة معاهدة الأمن الجماعي", 5)
    assert old.upgraded and hits[0].node.metadata["source"] == "a.txt"
    keys = dict(old.db.execute("SELECT id, keys FROM chunks"))
    assert keys["a.txt#0000"] == " ".join(tokens(ARTICLES["a.txt"][0]))
    assert _fts_rows(old) == old.files.count_chunks()
    old.close()
    again = Manifest(path)
    again.db
    assert not again.upgraded
    again.close()


def test_check_fts_rebuilds_an_index_out_of_step(manifest):
    assert not manifest.keywords.check()
    with manifest.db:
        manifest.db.execute("INSERT INTO chunk_fts(chunk_fts) VALUES ('delete-all')")
    assert KeywordRetriever(manifest, 5).search("لافروف", 5) == []
    assert manifest.keywords.check()
    assert KeywordRetriever(manifest, 5).search("لافروف", 5)


def test_bad_top_k_is_named():
    with pytest.raises(ValueError, match="top_k must be > 0, but got 0"):
        KeywordRetriever(None, 0)
