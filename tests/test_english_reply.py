"""English questions get an English answer line (issue #21): `rag ask --json` on the seed corpus, the reply's text,
and the web chat in a real Chromium, where English and Arabic each render in their own direction."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rag.answering.english import PDI, RLI
from rag.config import Settings
from tests.conftest import REPO, copy_corpus, free_port, served_app

pytestmark = pytest.mark.slow

OUT = REPO / "test-output"
COUNT_Q = "How many countries took part in the Moscow talks?"


def test_rag_ask_json_has_the_english_answer_line(indexed):
    from rag.cli import main

    env = {"RAG_CORPUS_DIR": str(indexed.corpus_dir), "RAG_INDEX_DIR": str(indexed.index_dir),
           "RAG_ENGINE": "extractive"}
    result = CliRunner().invoke(main, ["ask", COUNT_Q, "--json"], env=env)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["language"] == "en" and not data["refused"]
    assert data["short_answer"] == "عشر دول" and data["answer_en"] == "10 countries"
    assert data["short_answer_kind"] == "number" and data["short_answer_citation"] >= 1
    first = data["answer"].split("\n")[0]
    assert first == f"**10** countries ({RLI}عشر دول{PDI}) [{data['short_answer_citation']}]"
    assert "quoted in Arabic" in data["answer"]
    for c in data["citations"]:  # each Arabic quote is isolated and keeps its own citation
        assert f"«{RLI}{c['snippet']}{PDI}» [{c['n']}]" in data["answer"]


def test_arabic_questions_have_no_english_line(assistant):
    ans = assistant.ask("كم دولة شاركت في محادثات موسكو؟")
    assert ans.language == "ar" and ans.answer_en == "" and RLI not in ans.answer and "**" not in ans.answer


def test_english_question_without_a_short_answer_says_so(assistant):
    ans = assistant.ask("Who is the Kremlin envoy to Afghanistan?")
    assert not ans.refused
    first = ans.answer.split("\n")[0]
    if ans.short_answer:  # a reader marks names (#24): then the line renders it
        assert first.startswith("**") or first.startswith("No confident English rendering")
    else:
        assert first.startswith("No short answer could be marked")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("english-app")
    settings = Settings.from_env(env={}, corpus_dir=copy_corpus(root / "corpus"), index_dir=root / "index",
                                 engine="extractive", port=free_port())
    with served_app(settings) as url:
        yield settings, url


@pytest.mark.browser
def test_browser_english_line_ltr_with_arabic_rtl_inside(served):
    from playwright.sync_api import sync_playwright

    _, url = served
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#rag-question textarea").fill(COUNT_Q)
            page.locator("#rag-send").click()
            page.wait_for_function(
                "() => { const m = document.querySelectorAll('#rag-chat .rag-msg');"
                "        return m.length && m[m.length - 1].querySelector('.rag-engine') !== null; }",
                timeout=120_000)
            last = page.locator("#rag-chat .rag-msg").last
            direction = "el => getComputedStyle(el).direction"
            assert last.evaluate(direction) == "ltr"
            line = last.locator(".rag-answer-line")
            assert line.count() == 1 and line.evaluate(direction) == "ltr"
            assert line.locator("strong.rag-answer-en").inner_text() == "10"
            arabic = line.locator("bdi.rag-ar")
            assert arabic.count() == 1 and arabic.inner_text() == "عشر دول"
            assert arabic.evaluate(direction) == "rtl"
            quotes = last.locator(".rag-quote")
            assert quotes.count() >= 1 and all(quotes.nth(i).evaluate(direction) == "rtl"
                                               for i in range(quotes.count()))
            # the English sits left of the Arabic in the line: LTR order kept around the RTL isolate
            box_en = line.locator("strong.rag-answer-en").bounding_box()
            box_ar = arabic.bounding_box()
            assert box_en["x"] < box_ar["x"]
            panel = page.locator("#rag-sources")
            assert panel.evaluate(direction) in ("ltr",) or panel.locator(".rag-sources").first.evaluate(direction) == "ltr"
            assert "Sources" in panel.inner_text()
            page.screenshot(path=str(OUT / "app_english_answer_line.png"), full_page=True)
        finally:
            browser.close()


def test_llm_gets_the_english_rendering_as_a_hint_and_answer_en_is_checked(indexed):
    """With an LLM nothing changes in how it answers; its prompt carries the rendered short answer
    (prompts/hint_short.en.txt), and answer_en is kept only when the model's reply states it."""
    from rag.answering.assistant import Assistant
    from tests.fakes import FakeOpenAIServer

    server = FakeOpenAIServer("وشاركت في المحادثات عشر دول إقليمية، أي 10 countries [1].")
    try:
        settings = indexed.replace(engine="openai", llm_url=server.url, llm_model="fake-model")
        ans = Assistant(settings).ask(COUNT_Q)
        prompt = server.requests[0]["messages"][-1]["content"]
        assert 'rendered in English from the Arabic "عشر دول"' in prompt and ": 10 countries." in prompt
        assert ans.engine in ("openai", "extractive") and ans.answer_en == "10 countries"
        # an Arabic question gets no hint
        Assistant(settings).ask("كم دولة شاركت في محادثات موسكو؟")
        assert "Hint:" not in server.requests[-1]["messages"][-1]["content"]
    finally:
        server.close()
