"""English names matched in Arabic text by consonant skeleton; the English reranker uses the share it finds."""
import pytest

from rag.retrieval import translit

PAIRS = [("Stoltenberg", "ستولتنبرغ"), ("Hanafi", "حنفي"), ("Lavrov", "لافروف"), ("Moscow", "موسكو"),
         ("Kabul", "كابل"), ("Taliban", "طالبان"), ("Laden", "لادن"), ("Kunduz", "كوندوز"), ("Mansour", "منصور"),
         ("Crocus", "كروكس"), ("Pakistan", "باكستان"), ("Denver", "دنفر"), ("Chelsea", "تشيلسي"), ("Google", "جوجل"),
         ("Thomas", "توماس"), ("Othman", "عثمان")]


@pytest.mark.parametrize("english, arabic", PAIRS)
def test_a_name_and_its_arabic_spelling_share_a_skeleton(english, arabic):
    assert translit.skeleton_en(english) in translit.skeletons_ar(arabic)


def test_clitics_and_the_article_are_stripped():
    assert translit.skeleton_en("Taliban") in translit.skeletons_ar("وطالبان")
    assert translit.skeleton_en("Pakistan") in translit.skeletons_ar("بباكستان")
    assert translit.skeleton_en("Stoltenberg") not in translit.skeletons_ar("ستولتن")


def test_names_are_capitalised_words_that_are_not_question_words_or_months():
    assert translit.names("Who led the Taliban delegation at the Moscow talks in October?") == ["tlbn", "msk"]
    assert translit.names("what did the minister say about the talks?") == []
    assert translit.names("Which Russian agency quoted Omari?") == ["rsn"]  # 'Omari' is too short a skeleton (m-r)


def test_cover_counts_the_names_an_arabic_passage_holds():
    names = translit.names("What did Stoltenberg say about the Taliban in Kabul?")
    assert len(names) == 3
    assert translit.cover(names, "حض الأمين العام لحلف شمال الأطلسي ينس ستولتنبرغ على الوحدة بشأن أفغانستان.") == 1 / 3
    assert translit.cover(names, "قال ستولتنبرغ إن طالبان تسيطر على كابل.") == 1.0
    assert translit.cover(names, "ارتفعت أسعار النفط في الأسواق العالمية.") == 0.0
    assert translit.cover([], "قال ستولتنبرغ") == 0.0
