"""`rag import` (rag/indexing/archive.py): archive JSON -> one corpus file an article, front matter only for what the
archive states. Records here are written for the tests (the SaudiNewsNet archive is research-only and never copied
into the repository); the last test converts a few hundred real articles from ../shared at run time."""
from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from rag.indexing.archive import ArchiveError, article_file, author_name, import_archive, load_records
from rag.indexing.ingest import Article, read_article

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "saudinewsnet"

RECORDS = [
    {"source": "okaz", "url": "http://www.okaz.com.sa/new/a/1", "date_extracted": "2015-08-03 09:12:44",
     "title": "افتتاح مستشفى جديد في جدة", "author": "\xa0سلمى خالد (جدة)",
     "content": " افتتح وزير الصحة اليوم مستشفى جديدا في جدة يضم ثلاثمائة سرير.\n وقال الوزير إن المستشفى سيخدم الأحياء الجنوبية. "},
    {"source": "sabq", "url": "http://sabq.org/a/2", "date_extracted": "2015-07-25 10:00:00", "title": "",
     "author": "سبق- الرياض:", "content": " سبق- الرياض: أعلنت الأرصاد عن أمطار رعدية على منطقة الرياض.\n"},
    {"source": "was", "url": "http://www.spa.gov.sa/3", "date_extracted": "2015-08-05 01:00:00", "title": "خبر بلا نص",
     "author": "", "content": "   "},
]


def _zip(tmp_path: Path, records, day="2015-08-03") -> Path:
    path = tmp_path / f"{day}.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{day}.json", json.dumps(records, ensure_ascii=False))
    return path


def test_author_field_keeps_the_person_only():
    assert author_name("الرياض - منصور الحسين", "الرياض", "alriyadh") == "منصور الحسين"
    assert author_name("عيسى الحربي- سبق- الرياض:", "سبق", "sabq") == "عيسى الحربي"
    assert author_name("\xa0طالب بن محفوظ (جدة)", "عكاظ", "okaz") == "طالب بن محفوظ"
    assert author_name("&nbsp;محمد داوود (جدة)", "عكاظ", "okaz") == "محمد داوود"
    assert author_name("ماجد الجميل من جنيف", "الاقتصادية", "aleqtisadiya") == "ماجد الجميل"
    assert author_name("عبدالله الزهراني - مكة المكرمة", "المدينة", "almadina") == "عبدالله الزهراني"
    assert author_name("جدة: سعيد الأبيض ـ صنعاء: عرفات مدابش", "الشرق الأوسط", "aawsat") == "سعيد الأبيض، عرفات مدابش"
    assert author_name("الرياض - يحيى زيلع    عدسة - يحيى الفيفي", "الرياض", "alriyadh") == "يحيى زيلع"
    assert author_name("عبدالله البرقاوي سبق", "سبق", "sabq") == "عبدالله البرقاوي"  # the outlet after the name
    assert author_name("فهد العتيبي، سبق الطائف", "سبق", "sabq") == "فهد العتيبي"  # the outlet's bureau
    for only_credit in ("دومة الجندل", "الحدود الشمالية", "واس - غزة", "«الاقتصادية» من الرياض", "القاهرة: «الشرق الأوسط أونلاين»", "سبق- عمان:",
                        "الوئام - رويترز:", "رويترز - تايبه", "برشلونة - (ا ف ب):", "الرياض: الوكالات", "كلمة اليوم"):
        assert author_name(only_credit, "", "alyaum") == "", only_credit


def test_article_file_states_only_what_the_archive_states():
    rel, text = article_file(RECORDS[0])
    assert rel.startswith("okaz/2015-08-03/") and rel.endswith(".md")
    head = text.split("---\n")[1]
    assert "outlet: عكاظ" in head and "outlet_id: okaz" in head and "author: سلمى خالد" in head
    assert "date: '2015-08-03'" in head and "crawled: '2015-08-03 09:12:44'" in head
    rel, text = article_file(RECORDS[1])  # crawled before 2015-08-01: the crawl day is no publication day
    head = text.split("---\n")[1]
    assert rel.startswith("sabq/2015-07-25/") and "date:" not in head and "crawled:" in head
    assert "title:" not in head and "author:" not in head  # empty title; the field names only the outlet
    with pytest.raises(ValueError, match="content"):
        article_file(RECORDS[2])
    with pytest.raises(ValueError, match="url"):
        article_file({**RECORDS[0], "url": ""})


def test_import_is_idempotent_and_the_product_reads_it(tmp_path):
    archive = _zip(tmp_path, RECORDS)
    corpus = tmp_path / "corpus"
    first = import_archive([archive], corpus)
    assert (first.written, first.unchanged, first.articles) == (2, 0, 3)
    assert first.skipped == [{"record": "2015-08-03.zip/2015-08-03.json#2", "reason": "no content"}]
    files = sorted(corpus.rglob("*.md"))
    mtimes = [f.stat().st_mtime_ns for f in files]
    again = import_archive([archive], corpus)
    assert (again.written, again.unchanged) == (0, 2)
    assert [f.stat().st_mtime_ns for f in files] == mtimes  # untouched: `rag index` will not even read them
    art = read_article(next(f for f in files if "okaz" in f.parts), corpus)
    assert isinstance(art, Article)
    assert (art.title, art.outlet, art.meta.author, art.date, art.date_precision) == (
        "افتتاح مستشفى جديد في جدة", "عكاظ", "سلمى خالد", "2015-08-03", "day")
    assert art.text.startswith("افتتاح مستشفى جديد في جدة\n")  # title first, as the chunker expects
    sabq = read_article(next(f for f in files if "sabq" in f.parts), corpus)
    assert sabq.outlet == "سبق" and sabq.meta.outlet_from == "front matter" and sabq.date_precision != "day"


def test_bad_archives_are_named(tmp_path):
    bad = tmp_path / "2015-08-09.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(ArchiveError, match="2015-08-09.zip: not a readable zip"):
        import_archive([bad], tmp_path / "c")
    obj = tmp_path / "x.json"
    obj.write_text('{"source": "okaz"}', encoding="utf-8")
    with pytest.raises(ArchiveError, match="x.json: expected a JSON array"):
        import_archive([obj], tmp_path / "c")
    broken = tmp_path / "y.json"
    broken.write_text('[{"source": ', encoding="utf-8")
    with pytest.raises(ArchiveError, match="y.json: not valid UTF-8 JSON"):
        import_archive([broken], tmp_path / "c")
    with pytest.raises(ArchiveError, match="not found"):
        import_archive([tmp_path / "missing.zip"], tmp_path / "c")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ArchiveError, match="no .zip or .json"):
        import_archive([empty], tmp_path / "c")
    mixed = tmp_path / "m.json"
    mixed.write_text(json.dumps([RECORDS[0], "a string", {"source": "bad id!", "url": "u", "content": "نص"}]),
                     encoding="utf-8")
    report = import_archive([mixed], tmp_path / "c")
    assert report.written == 1 and [s["reason"] for s in report.skipped] == [
        "not a JSON object but a str", "source 'bad id!' is not an outlet identifier"]


@pytest.mark.skipif(not SHARED.is_dir(), reason="the SaudiNewsNet archive is not at ../shared/benchmarks/saudinewsnet")
def test_real_archive_day_imports_and_reads(tmp_path):
    """300 real articles of one crawl day, converted at run time (never stored): every file reads back as an article
    with the archive's outlet, url, title and (from 2015-08-01) its crawl day."""
    day = SHARED / "2015-08-04.zip"
    report = import_archive([day], tmp_path / "corpus", limit=300)
    assert report.written == 300
    records = {r["url"]: r for r in load_records([day])}
    for path in sorted((tmp_path / "corpus").rglob("*.md")):
        art = read_article(path, tmp_path / "corpus")
        assert isinstance(art, Article), (path, art)
        rec = records[art.meta.url]
        assert art.date == "2015-08-04" and art.meta.date_from == "front matter"
        assert art.meta.outlet_from == "front matter" and art.outlet
        if rec["title"].strip():
            assert art.title == " ".join(rec["title"].split())
