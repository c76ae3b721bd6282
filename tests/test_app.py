"""The web chat end to end: a real index, the Gradio app on a free port, a headless Chromium and gradio_client."""
from __future__ import annotations

import concurrent.futures
import statistics
import time
from pathlib import Path

import pytest

from rag.config import Settings

from tests.conftest import REPO, copy_corpus, free_port, served_app

pytestmark = pytest.mark.slow

OUT = REPO / "test-output"
AR_Q = "متى أعلن لافروف أن روسيا سترفع طالبان من قائمة المنظمات الإرهابية؟"
EN_Q = "How many people were killed in the worst attack in Russia claimed by ISIS-K?"
NEW_ARTICLE = """مهرجان التمور في مدينة بريدة يستقبل 48 ألف زائر

بريدة - 14 سبتمبر 2025

اختتم مهرجان التمور في مدينة بريدة دورته الجديدة يوم الأحد، وأعلنت اللجنة المنظمة أن المهرجان استقبل 48 ألف زائر خلال عشرة أيام.
وقال رئيس اللجنة المنظمة إن مهرجان التمور في مدينة بريدة عرض أكثر من 300 صنف من التمور من مزارع منطقة القصيم.
وأضاف أن مبيعات المهرجان بلغت 52 مليون ريال، وأن الدورة المقبلة ستقام في الموعد نفسه من العام القادم.
"""
NEW_Q = "كم عدد زوار مهرجان التمور في مدينة بريدة؟"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("app")
    settings = Settings.from_env(env={}, corpus_dir=copy_corpus(root / "corpus"), index_dir=root / "index",
                                 engine="extractive", port=free_port(), concurrency=4)
    with served_app(settings) as url:
        yield settings, url


# ------------------------------------------------------------------ unit checks of the helpers

def test_safe_name_and_paths(tmp_path):
    import app

    assert app.safe_name("../../etc/passwd.txt") == "passwd.txt"
    assert app.safe_name("..\\evil\\<script>.md") == "script.md"
    assert app.safe_name(".hidden.txt") == "hidden.txt"
    assert app.safe_name("مقال جديد.txt") == "مقال_جديد.txt"
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "secret.txt").write_text("x", encoding="utf-8")
    assert app.unique_path(tmp_path / "c", "a.txt").name == "a_1.txt"
    s = Settings.from_env(env={}, corpus_dir=tmp_path / "c", index_dir=tmp_path / "i")
    assert app.article_path(s, "a.txt") == (tmp_path / "c" / "a.txt").resolve()
    for bad in ("../secret.txt", str(tmp_path / "secret.txt"), "", ".", "/etc/passwd"):
        assert app.article_path(s, bad) is None


def test_rendering_escapes_article_text():
    import app
    from rag.answering.cite import Citation

    c = Citation(n=1, source="x.txt", chunk_id="x.txt#0", snippet="جملة <b>داعمة</b>.", score=1.0,
                 title="<script>alert(1)</script>", date="2025-01-01",
                 text="قبل <script>alert(2)</script> جملة <b>داعمة</b>. بعد")
    out = app.render_sources([c], "ar")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "<mark>جملة &lt;b&gt;داعمة&lt;/b&gt;.</mark>" in out
    assert 'id="rag-src-1"' in out and 'dir="rtl"' in out
    assert 'data-cite="2"' in app.render_answer_text("نص [2] <img src=x>")
    # the short answer is bold once, escaped like the rest
    bold = app.render_answer_text("- شاركت عشر دول [1]\n- عشر دول أخرى [2]", "ar", "عشر دول")
    assert bold.count('<strong class="rag-short">عشر دول</strong>') == 1
    tricky = app.render_answer_text("- <b>x</b> [1]", "ar", "<b>")
    assert "<b>" not in tricky and '<strong class="rag-short">&lt;b&gt;</strong>' in tricky
    assert "<img" not in app.render_answer_text("<img src=x onerror=alert(1)>")


# ------------------------------------------------------------------ browser

def _ask(page, question: str) -> None:
    msgs = page.locator("#rag-chat .rag-msg")
    before = msgs.count()
    page.locator("#rag-question textarea").fill(question)
    page.locator("#rag-send").click()
    page.wait_for_function(
        """(n) => { const m = document.querySelectorAll('#rag-chat .rag-msg');
                   return m.length >= n + 2 && m[m.length - 1].querySelector('a.rag-cite') !== null; }""",
        arg=before, timeout=120_000)


@pytest.mark.browser
def test_browser_chat_citations_upload(served, tmp_path):
    from playwright.sync_api import sync_playwright

    settings, url = served
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#rag-question textarea").wait_for(timeout=60_000)
            assert "Engine:** extractive" in page.content() or "extractive" in page.locator("#rag-status").inner_text()

            # Arabic question: RTL message with clickable citations.
            _ask(page, AR_Q)
            last = page.locator("#rag-chat .rag-msg").last
            assert last.get_attribute("dir") == "rtl"
            assert page.locator("#rag-chat .rag-msg").nth(-2).get_attribute("dir") == "rtl"
            page.screenshot(path=str(OUT / "app_arabic.png"), full_page=True)
            last.locator("a.rag-cite").first.click()
            active = page.locator("#rag-sources .rag-source.rag-active")
            active.wait_for(timeout=10_000)
            assert active.locator("mark").count() >= 1
            assert active.locator(".rag-passage").inner_text().strip()
            assert ".txt" in active.locator(".rag-meta").inner_text()
            page.screenshot(path=str(OUT / "app_arabic_citation.png"), full_page=True)

            # English question: LTR answer with a citation.
            _ask(page, EN_Q)
            assert page.locator("#rag-chat .rag-msg").nth(-2).get_attribute("dir") == "ltr"
            assert "137" in page.locator("#rag-chat .rag-msg").last.inner_text() + \
                page.locator("#rag-sources").inner_text()
            page.screenshot(path=str(OUT / "app_english.png"), full_page=True)

            # Upload a new article, index it, ask about it and see it cited.
            article = tmp_path / "buraydah dates.txt"
            article.write_text(NEW_ARTICLE, encoding="utf-8")
            page.locator("#rag-upload input[type=file]").set_input_files(str(article))
            page.wait_for_timeout(1500)
            page.locator("#rag-upload-btn").click()
            page.wait_for_function(
                "() => (document.querySelector('#rag-index-report')?.innerText || '').includes('Index updated')",
                timeout=180_000)
            report = page.locator("#rag-index-report").inner_text()
            assert "buraydah_dates.txt" in report and "added: 1" in report
            assert (Path(settings.corpus_dir) / "buraydah_dates.txt").is_file()
            _ask(page, NEW_Q)
            page.wait_for_function(
                "() => document.querySelector('#rag-sources').innerText.includes('buraydah_dates.txt')",
                timeout=30_000)
            assert "48" in page.locator("#rag-chat .rag-msg").last.inner_text()
            page.screenshot(path=str(OUT / "app_upload.png"), full_page=True)

            # Uploading the same name again is not a silent overwrite.
            page.locator("#rag-upload input[type=file]").set_input_files(str(article))
            page.wait_for_timeout(1500)
            page.locator("#rag-upload-btn").click()
            page.wait_for_function(
                "() => (document.querySelector('#rag-index-report')?.innerText || '').includes('already exists')",
                timeout=180_000)
            page.wait_for_function(
                "() => (document.querySelector('#rag-index-report')?.innerText || '').includes('Index updated')",
                timeout=180_000)
            report = page.locator("#rag-index-report").inner_text()
            assert "buraydah_dates_1.txt" in report
            assert (Path(settings.corpus_dir) / "buraydah_dates_1.txt").is_file()
        finally:
            browser.close()


def _browser(p):
    return p.chromium.launch(executable_path="/usr/bin/chromium", args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"])


@pytest.mark.browser
def test_browser_english_answer_quotes_arabic_in_rtl_blocks(served):
    """Each Arabic quote of an English extractive answer is its own right-to-left block with its [n] inside; the
    framing sentence stays left-to-right (before, the quotes sat in the LTR bubble and their marks and [n] landed
    on the wrong side)."""
    from playwright.sync_api import sync_playwright

    _, url = served
    OUT.mkdir(exist_ok=True)
    with sync_playwright() as p:
        browser = _browser(p)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#rag-question textarea").wait_for(timeout=60_000)
            _ask(page, EN_Q)
            last = page.locator("#rag-chat .rag-msg").last
            page.wait_for_function(
                "() => { const m = document.querySelectorAll('#rag-chat .rag-msg');"
                "        return m[m.length - 1].querySelector('.rag-engine') !== null; }", timeout=60_000)
            direction = "el => getComputedStyle(el).direction"
            assert last.evaluate(direction) == "ltr"
            assert "quoted in Arabic" in last.inner_text()
            quotes = last.locator(".rag-quote")
            assert quotes.count() >= 1
            for i in range(quotes.count()):
                quote = quotes.nth(i)
                assert quote.evaluate(direction) == "rtl"
                assert quote.locator("a.rag-cite").count() == 1  # its [n] is inside the RTL block
                text = quote.inner_text().strip()
                assert text.startswith("«") and "»" in text
            assert last.locator(".rag-engine.rag-by-extractive").count() == 1
            # the answer phrase of a "how many" question is bold inside its quote (short_answer in the JSON)
            assert last.locator(".rag-quote strong.rag-short").count() == 1
            assert last.locator(".rag-quote strong.rag-short").inner_text().strip() == "137"
            page.screenshot(path=str(OUT / "app_english_rtl_quotes.png"), full_page=True)
        finally:
            browser.close()


# ------------------------------------------------------------------ API

def _answer_of(result) -> tuple[str, str]:
    chat, sources = result[0], result[1]
    content = chat[-1]["content"]
    text = content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
    return text, sources


def test_gradio_client_ask(served):
    from gradio_client import Client

    _, url = served
    client = Client(url, verbose=False)
    result = client.predict(EN_Q, [], api_name="/ask")
    text, sources = _answer_of(result)
    assert 'class="rag-cite"' in text and "[1]" in text and 'rag-by-extractive' in text
    assert "rag-src-1" in sources and "<mark>" in sources


def test_errors_are_friendly_chat_messages(served):
    from gradio_client import Client

    _, url = served
    client = Client(url, verbose=False)
    text, _ = _answer_of(client.predict("   ", [], api_name="/ask"))
    assert "Please type a question." in text and "Traceback" not in text
    text, _ = _answer_of(client.predict("س" * 3000, [], api_name="/ask"))
    assert "طويل جداً" in text and "Traceback" not in text


def test_twenty_concurrent_sessions(served):
    from gradio_client import Client

    _, url = served
    questions = [AR_Q, EN_Q, "على ماذا اتفقت روسيا والصين وإيران مع طالبان؟",
                 "What did Russia, China and Iran agree on with the Taliban?"]

    def one(i: int) -> float:
        client = Client(url, verbose=False)
        start = time.perf_counter()
        text, _ = _answer_of(client.predict(questions[i % len(questions)], [], api_name="/ask"))
        elapsed = time.perf_counter() - start
        assert "rag-cite" in text, text
        return elapsed

    with concurrent.futures.ThreadPoolExecutor(max_workers=20) as pool:
        futures = [pool.submit(one, i) for i in range(20)]
        done, pending = concurrent.futures.wait(futures, timeout=300)
        assert not pending, f"{len(pending)} sessions did not finish in 300 s"
        latencies = sorted(f.result() for f in done)
    p50 = statistics.median(latencies)
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
    print(f"\n20 concurrent sessions: p50 {p50:.2f} s, p95 {p95:.2f} s, max {latencies[-1]:.2f} s")
    assert len(latencies) == 20
