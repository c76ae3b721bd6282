"""Questions about an article (when was it published, who wrote it): bylines read at indexing, answered from the
article's metadata with its header line quoted, in Arabic and English; refused, naming the article, when it lacks one."""
import json
from pathlib import Path

import pytest

from rag.meta import byline
from rag.answering.about import _clip, asks_about
from rag.indexing.ingest import Article, read_article

NEWS = Path(__file__).parent / "data" / "news"
BYLINES = {"youm7_01.txt": "محمد أحمد", "youm7_02.txt": "فاطمة علي"}


def test_bylines_in_the_news_styles():
    """The styled articles that print a byline get it; none of the others gets one (no false authors)."""
    for name in json.loads((NEWS / "expected.json").read_text(encoding="utf-8")):
        art = read_article(NEWS / name, NEWS)
        assert isinstance(art, Article)
        assert art.meta.author == BYLINES.get(name, ""), name
        assert (art.meta.author in art.meta.byline) if art.meta.author else art.meta.byline == ""


@pytest.mark.parametrize("line, name", [
    ("بقلم: محمد علي", "محمد علي"), ("كتبت سارة حسن", "سارة حسن"), ("تحرير: أحمد سعيد ومنى خالد", "أحمد سعيد ومنى خالد"),
    ("By Jane Doe", "Jane Doe"), ("طباعة عنوان الخبر الطويل.. محمد شعت", "محمد شعت"),
    ("كتب الرئيس الأمريكي رسالة طويلة إلى نظيره الروسي", ""), ("by the end of the year", ""), ("كتب - المحرر", ""),
    ("متابعة: وكالات", ""), ("طباعة خبر آخر لا علاقة له.. محمد شعت", ""), ("12 يونيو 2024", ""),
])
def test_byline_lines(line, name):
    text = f"عنوان الخبر الطويل عن شيء ما\n{line}\nنص المقال يبدأ هنا."
    assert byline.find(text, "عنوان الخبر الطويل عن شيء ما") == ((name, line) if name else ("", ""))


def test_a_byline_inside_the_body_is_not_taken():
    body = " ".join(["كلمة"] * 30) + "."
    assert byline.find(f"العنوان\n{body}\nبقلم: محمد علي\n", "العنوان") == ("", "")


def test_front_matter_author_wins(tmp_path):
    (tmp_path / "a.md").write_text("---\ntitle: عنوان\nauthors: [سارة حسن, Jane Doe]\ndate: 2024-06-12\n---\n"
                                   "بقلم: محمد علي\nنص المقال.\n", encoding="utf-8")
    meta = read_article(tmp_path / "a.md", tmp_path).meta
    assert (meta.author, meta.byline, meta.date_line) == ("سارة حسن، Jane Doe", "", "")


def test_what_counts_as_a_question_about_the_article():
    for q, kind in [("في أي تاريخ نُشر خبر إعلان طالبان استعدادها للتعاون الأمني مع روسيا؟", "date"),
                    ("متى نُشر التقرير عن محادثات موسكو؟", "date"), ("ما تاريخ نشر المقال عن أوكوس؟", "date"),
                    ("When was the article about the Moscow talks published?", "date"),
                    ("What is the publication date of the report on AUKUS?", "date"),
                    ("من هو كاتب تقرير استعداد طالبان للتعاون الأمني مع روسيا؟", "author"),
                    ("من كتب المقال عن محادثات موسكو؟", "author"),
                    ("Who wrote the article about the Taliban and Russia?", "author"),
                    ("Who is the author of the report on the Moscow talks?", "author")]:
        assert asks_about(q) == kind, q
    for q in ["متى نشرت روسيا قواتها في سوريا؟", "When did Russia deploy troops to Syria?",
              "من الذي كتب الرسالة إلى بوتين؟", "Who wrote the letter to Putin?", "متى عقدت محادثات موسكو؟",
              "Which outlet published the report that Russia was negotiating with the Taliban?",
              'Who is the author of the book "The Seven Wonders of the World"?', "من هو كاتب رواية موسم الهجرة إلى الشمال؟"]:
        assert asks_about(q) is None, q


def test_long_datelines_are_quoted_up_to_the_date():
    line = "موسكو، 20 تشرين الأول/أكتوبر 2021 (أ ف ب) - " + "استضافت روسيا محادثات مع حركة طالبان " * 8
    clipped = _clip(line, "20 تشرين الأول/أكتوبر 2021")
    assert clipped.endswith(" …") and line.startswith(clipped[:-2]) and "2021" in clipped and len(clipped) < 120


@pytest.mark.slow
def test_publication_date_from_the_header(assistant):
    a = assistant.ask("في أي تاريخ نُشر خبر إعلان طالبان استعدادها للتعاون الأمني مع روسيا؟")
    assert not a.refused and a.language == "ar"
    assert "الأربعاء 12/يونيو/2024 - 02:14 ص" in a.answer and "2024-06-12" in a.answer
    c = a.citations[0]
    assert c.source == "001_f363e7051d720855.txt" and c.snippet == "الأربعاء 12/يونيو/2024 - 02:14 ص"
    assert c.snippet in c.text and a.short_answer == "12/يونيو/2024"
    en = assistant.ask("When was the article about Russia secretly negotiating with the Taliban published?")
    assert not en.refused and "2015-10-27" in en.answer and en.citations[0].source == "004_bc119a91e0d0aa00.txt"


@pytest.mark.slow
def test_author_from_the_byline(assistant):
    a = assistant.ask("من هو كاتب تقرير استعداد طالبان للتعاون الأمني مع روسيا؟")
    assert not a.refused and "محمد شعت" in a.answer and a.short_answer == "محمد شعت"
    c = a.citations[0]
    assert c.source == "001_f363e7051d720855.txt" and c.author == "محمد شعت" and "محمد شعت" in c.snippet
    assert a.to_dict()["citations"][0]["author"] == "محمد شعت"


@pytest.mark.slow
def test_an_article_without_a_byline_is_said_to_have_none(assistant):
    a = assistant.ask("من كتب المقال عن مفاوضات روسيا السرية مع طالبان بحسب ديلي بيست؟")
    assert a.refused and a.citations and a.citations[0].source == "004_bc119a91e0d0aa00.txt"
    assert a.citations[0].title in a.answer and "كاتبه" in a.answer
