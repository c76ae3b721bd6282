"""The web chat's handlers and rendering, called directly (no page): rendering, engine choice per question."""
from __future__ import annotations

import pytest

from rag.answering.answer import Answer
from rag.config import Settings
from rag.web.handlers import ChatHandlers, engine_choices
from rag.web.render import render_answer, render_answer_text
from tests.fakes import FakeOpenAIServer

EN_Q = "Who is the Kremlin envoy to Afghanistan?"
AR_Q = "من هو مبعوث الكرملين إلى أفغانستان؟"


def test_english_answer_quotes_become_rtl_blocks_and_the_framing_stays_ltr():
    text = ("The sources are in Arabic. These passages from them answer the question:\n"
            "- «قال مبعوث الكرملين زامير كابولوف إن موسكو ستواصل الحوار.» [1] (2025-04-17)\n"
            "- «وأضاف أن <b>التجارة</b> نمت.» [2]\n"
            "The most recent of these sources is [1], dated 2025-04-17.")
    out = render_answer_text(text, "en")
    assert out.startswith("The sources are in Arabic.")
    assert out.count('<div class="rag-quote" dir="rtl">') == 2
    first = out.split('<div class="rag-quote" dir="rtl">')[1].split("</div>")[0]
    assert first.startswith("«قال") and 'data-cite="1"' in first and first.endswith("(2025-04-17)")
    assert "&lt;b&gt;" in out and "<b>" not in out
    assert out.endswith("dated 2025-04-17.")
    # Arabic answers and English prose are unchanged: one direction, lines joined by <br>.
    assert "rag-quote" not in render_answer_text("بحسب المقالات:\n- جملة [1]", "ar")
    assert render_answer_text("a\nb [1]") == 'a<br>b <a class="rag-cite" href="#rag-src-1" data-cite="1">[1]</a>'
    assert "rag-quote" not in render_answer_text("- «English quote» [1]", "en")


def test_the_answer_says_which_engine_wrote_it():
    ans = Answer("x [1]", "en", False, [], "openai")
    assert 'rag-by-openai' in render_answer(ans, "qwen") and "qwen" in render_answer(ans, "qwen")
    ans = Answer("نص [1]", "ar", False, [], "extractive", notice="لم يكن نموذج openai متاحاً")
    out = render_answer(ans)
    assert 'dir="rtl"' in out and "اقتباسات فقط" in out and "<i>لم يكن" in out


def test_engine_choices_only_when_an_llm_is_configured():
    assert engine_choices(Settings(engine="extractive", llm_url="http://x/v1")) == []
    assert engine_choices(Settings()) == []
    assert [v for _, v in engine_choices(Settings(llm_url="http://x/v1"))] == ["openai", "extractive"]
    assert [v for _, v in engine_choices(Settings(llm_gguf="/m/q.gguf"))] == ["local", "extractive"]


def _final(handlers, question, engine):
    *_, last = handlers.respond(question, [], None, engine)
    return last[0][-1]["content"]


@pytest.mark.slow
def test_engine_is_picked_per_question_without_a_restart(indexed):
    from rag.answering.assistant import Assistant

    server = FakeOpenAIServer("مبعوث الكرملين إلى أفغانستان هو زامير كابولوف [1].")
    try:
        settings = indexed.replace(engine="auto", llm_url=server.url, llm_model="fake-model")
        handlers = ChatHandlers(settings, assistant=Assistant(settings))
        quotes = _final(handlers, EN_Q, "extractive")
        assert 'rag-by-extractive' in quotes and 'class="rag-quote" dir="rtl"' in quotes
        assert server.requests == []  # quotes only: the LLM was not asked
        llm = _final(handlers, AR_Q, "openai")
        assert 'rag-by-openai' in llm and "fake-model" in llm and "كابولوف" in llm
        assert len(server.requests) == 1
        # An engine that is not on offer (no GGUF here) is ignored: the configured LLM answers.
        assert 'rag-by-openai' in _final(handlers, AR_Q, "local")
    finally:
        server.close()


@pytest.mark.slow
def test_chat_date_and_outlet_filters_reach_both_retrievers(indexed):
    """The chat's filter controls (chat_filters -> ChatHandlers.respond -> Assistant.stream): only articles the
    filter admits are shown as evidence and cited; without a filter the others come back."""
    from rag.answering.assistant import Assistant
    from rag.web.corpus import chat_filters

    handlers = ChatHandlers(indexed, assistant=Assistant(indexed))
    seeds = ["000_203a56a6419ab15d.txt", "001_f363e7051d720855.txt", "002_f20e58f4921fb46f.txt",
             "003_311d5706b071db88.txt", "004_bc119a91e0d0aa00.txt"]

    def evidence(filters) -> set[str]:
        """Files shown anywhere in the sources panel while answering (the evidence list, then the citations)."""
        panels = " ".join(str(out[1]) for out in handlers.respond("روسيا وطالبان", [], None, "extractive", filters))
        return {s for s in seeds if s in panels}

    assert len(evidence(None)) >= 3
    since_2024, reason = chat_filters("2024-01-01", "", [])
    assert reason == "" and evidence(since_2024) == {"001_f363e7051d720855.txt"}  # the only article dated 2024+
    until_2016, _ = chat_filters("", "2016-12-31", [])
    assert evidence(until_2016) == {"004_bc119a91e0d0aa00.txt"}                   # 2015-10-27
