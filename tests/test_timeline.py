"""Timeline questions on the seed articles: quotes in date order with dates and outlets, in Arabic and English."""
import pytest

from rag.retrieval.features import is_timeline

QUESTIONS = ["How did Russia's position on the Taliban change?", "كيف تطور موقف روسيا من طالبان؟"]


def test_detection():
    for q in QUESTIONS + ["How has the relationship between Moscow and Kabul evolved over the years?",
                          "ما مراحل العلاقة بين روسيا وطالبان؟", "كيف تغيّرت علاقة موسكو بكابل؟"]:
        assert is_timeline(q), q
    for q in ["Who is the Kremlin envoy to Afghanistan?", "متى رفعت روسيا الحظر عن طالبان؟",
              "How many people were killed in the attack?", "ما هي قاعدة باغرام؟"]:
        assert not is_timeline(q), q


def _order(citations):
    keys = []
    for c in citations:
        keys.append((0, c.date) if c.date else (1, ""))
    return keys


@pytest.mark.slow
@pytest.mark.parametrize("question", QUESTIONS)
def test_timeline_answer_in_date_order(assistant, question):
    answer = assistant.ask(question)
    assert not answer.refused and answer.timeline and answer.to_dict()["timeline"] is True
    cites = answer.citations
    assert len(cites) >= 3, answer.answer
    assert _order(cites) == sorted(_order(cites))  # oldest first, undated last
    assert [c.n for c in cites] == list(range(1, len(cites) + 1))
    lines = [ln for ln in answer.answer.splitlines() if ln.startswith("- ")]
    assert len(lines) == len(cites)
    for line, c in zip(lines, cites):
        assert f"[{c.n}]" in line
        if c.date:
            assert line.startswith(f"- {c.date}")
        if c.outlet:
            assert c.outlet in line
    dated = [c.date[:4] for c in cites if c.date]
    assert len(set(dated)) >= 2 and dated == sorted(dated)
    print(answer.answer)


@pytest.mark.slow
def test_other_questions_are_not_timelines(assistant):
    answer = assistant.ask("Who is the Kremlin envoy to Afghanistan?")
    assert answer.timeline is False and answer.to_dict()["timeline"] is False
