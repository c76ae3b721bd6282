from pathlib import Path

from rag.indexing.ingest import Article, Skipped, clean, find_date, read_article, scan
from tests.conftest import CORPUS


def _read(name):
    art = read_article(CORPUS / name, CORPUS)
    assert isinstance(art, Article), art
    return art


def test_dates_of_the_real_articles():
    assert (_read("001_f363e7051d720855.txt").date, _read("001_f363e7051d720855.txt").date_text) == (
        "2024-06-12", "12/يونيو/2024")
    assert _read("003_311d5706b071db88.txt").date == "2021-07-02"
    assert _read("004_bc119a91e0d0aa00.txt").date == "2015-10-27"
    a0 = _read("000_203a56a6419ab15d.txt")  # the text gives no year: partial, and says what it knows
    assert (a0.date, a0.date_text, a0.date_precision) == ("", "20 أكتوبر (تشرين الأول)", "partial")
    assert _read("002_f20e58f4921fb46f.txt").date == ""  # only a 2018 photo caption, which is not the article's date


def test_date_formats():
    assert find_date("عنوان\nالثلاثاء 27 أكتوبر 2015 09:10 ص")[0] == "2015-10-27"
    assert find_date("عنوان\n20 أكتوبر (تشرين الأول)") == ("", "20 أكتوبر (تشرين الأول)")
    assert find_date("عنوان\nنشر في 3 شباط 2020")[0] == "2020-02-03"
    assert find_date("لا تاريخ هنا") == ("", "")


def test_cleaner_drops_noise_and_keeps_every_body_sentence():
    a0 = _read("000_203a56a6419ab15d.txt")
    assert "enable JavaScript" not in a0.text and "اقرأ المزيد" not in a0.text
    assert "Related Nodes" not in a0.text and "المزيد من دوليات" not in a0.text
    assert a0.title.startswith('"طالبان" تتفق مع روسيا')
    raw = (CORPUS / "000_203a56a6419ab15d.txt").read_text(encoding="utf-8")
    for line in raw.splitlines():
        if line.strip().endswith(".") and len(line) > 80:
            assert line.strip() in a0.text
    a4 = _read("004_bc119a91e0d0aa00.txt")
    assert "كلمات مفتاحية" not in a4.text and "مزار شريف" not in a4.text  # tail list of related headlines
    assert a4.text.rstrip().endswith("حسب مصادر حكومية أفغانية.")
    a2 = _read("002_f20e58f4921fb46f.txt")
    assert "قصص قد تهمك" not in a2.text and "time reading" not in a2.text
    assert a2.text.count("وزير الخارجية الروسي سيرجي لافروف يرحب بوفد طالبان") == 1  # repeated caption dropped
    assert "شارك" not in _read("001_f363e7051d720855.txt").text.splitlines()


def test_clean_keeps_a_mid_article_marker_line_context():
    text = "عنوان\nجملة أولى.\nاقرأ المزيد\nجملة ثانية مهمة."
    assert clean(text) == "عنوان\nجملة أولى.\nجملة ثانية مهمة."


def test_bad_files_are_skipped_with_reasons(tmp_path: Path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "latin1.txt").write_bytes("café résumé".encode("latin-1"))
    (tmp_path / "cp1256.txt").write_bytes("روسيا وطالبان".encode("cp1256"))
    (tmp_path / "big.txt").write_bytes(b"a" * 5_000_001)
    (tmp_path / "boiler.txt").write_text("شارك\nاقرأ المزيد\nتصنيفات\n", encoding="utf-8")
    (tmp_path / "doc.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "bom.txt").write_bytes("\ufeffعنوان المقال\nنص المقال هنا.".encode("utf-8"))
    (tmp_path / "good.md").write_text("# Title\nSome text here.", encoding="utf-8")
    articles, skipped = scan(tmp_path)
    reasons = {s.source: s.reason for s in skipped}
    assert sorted(a.source for a in articles) == ["bom.txt", "good.md"]
    assert [a.title for a in articles if a.source == "bom.txt"] == ["عنوان المقال"]
    assert reasons["empty.txt"] == "empty file"
    assert "binary" in reasons["binary.txt"]
    assert "not UTF-8" in reasons["latin1.txt"] and "not UTF-8" in reasons["cp1256.txt"]
    assert "too large" in reasons["big.txt"]
    assert "boilerplate" in reasons["boiler.txt"]
    assert "unsupported file type .pdf" in reasons["doc.pdf"]
    assert all(isinstance(s, Skipped) for s in skipped)
