"""Untrusted articles in the browser: HTML and script inside an article (indexed or uploaded) show as text, never run.

A real index, the Gradio app on a free port and headless Chromium (as in tests/test_app.py). Every payload sets
window.__pwned, so the page proves nothing ran; the literal markup must be visible as text in the chat answer, the
sources panel and the full-article viewer.
"""
from __future__ import annotations

import pytest

from rag.config import Settings
from reliability_helpers import LAVROV, copy_corpus
from tests.conftest import free_port, served_app
from tests.test_app import _ask

pytestmark = [pytest.mark.slow, pytest.mark.browser]

SCRIPT = "<script>window.__pwned=1</script>"
IMG = '<img src=x onerror="window.__pwned=2">'
HOSTILE = f"""مهرجان الشارقة للفنون الرقمية {SCRIPT}

الشارقة - 8 فبراير 2025

افتتح مهرجان الشارقة للفنون الرقمية دورته الأولى بمشاركة 75 فنانا من 19 دولة {IMG} في ساحة المجاز.
وعرض المهرجان عملا ضوئيا بعنوان <svg onload="window.__pwned=3"><circle r=9 /></svg> يحاكي حركة الكثبان الرملية.
وقال المنظمون إن الدورة المقبلة ستضم ورشة <iframe src="javascript:window.__pwned=4"></iframe> لطلاب التصميم.
"""
HOSTILE_Q = "كم فنانا شارك في مهرجان الشارقة للفنون الرقمية؟"
UPLOADED = f"""معرض الخط العربي في مدينة فاس

فاس - 2 أبريل 2025

استقبل معرض الخط العربي في مدينة فاس 9400 زائر خلال أسبوعه الأول <script>window.__pwned=5</script> حسب المنظمين.
وضم المعرض <img src=y onerror="window.__pwned=6"> 140 لوحة لخطاطين من المغرب وتونس ومصر.
"""
UPLOADED_NAME = 'fez<img src=z onerror="window.__pwned=7">.txt'  # a hostile file name too
UPLOADED_Q = "كم زائرا استقبل معرض الخط العربي في مدينة فاس؟"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# No element a payload could have created, anywhere in the app's panels.
NO_ACTIVE_ELEMENTS = """() => document.querySelectorAll(
    '#rag-chat script, #rag-chat img[src=x], #rag-chat img[src=y], #rag-chat svg[onload], #rag-chat iframe,'
  + '#rag-sources script, #rag-sources img, #rag-sources svg, #rag-sources iframe,'
  + '#rag-article script, #rag-article img, #rag-article svg, #rag-article iframe,'
  + '#rag-index-report script, #rag-index-report img').length"""


@pytest.fixture(scope="module")
def hostile_app(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-app")
    corpus = copy_corpus(root / "corpus", [LAVROV])
    (corpus / "sharjah_digital_arts.txt").write_text(HOSTILE, encoding="utf-8")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=root / "index", engine="extractive",
                                 port=free_port())
    with served_app(settings) as url:
        yield settings, url


def _not_pwned(page) -> None:
    page.wait_for_timeout(1500)  # time for a failed image load to fire onerror, had the markup been parsed
    assert page.evaluate("() => typeof window.__pwned") == "undefined", page.evaluate("() => window.__pwned")
    assert page.evaluate(NO_ACTIVE_ELEMENTS) == 0


def _open_article_viewer(page, source: str) -> str:
    """The full-article viewer's text; the app selects the first cited article after an answer."""
    if not page.locator("#rag-article").is_visible():
        page.get_by_text("Full article · المقال كاملاً").click()
    page.wait_for_function(
        "(s) => (document.querySelector('#rag-article')?.innerText || '').includes(s)", arg=source, timeout=30_000)
    return page.locator("#rag-article").inner_text()


def test_html_in_an_article_is_shown_as_text(hostile_app, tmp_path):
    from playwright.sync_api import sync_playwright

    settings, url = hostile_app
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            dialogs = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#rag-question textarea").wait_for(timeout=60_000)

            # An indexed article: the answer quotes the sentence with the <img onerror> in it.
            _ask(page, HOSTILE_Q)
            page.locator("#rag-chat .rag-msg").last.locator("a.rag-cite").first.click()
            page.locator("#rag-sources .rag-source.rag-active").wait_for(timeout=10_000)
            article = _open_article_viewer(page, "sharjah_digital_arts.txt")
            _not_pwned(page)  # nothing ran: not in the answer, the sources panel or the article viewer
            answer = page.locator("#rag-chat .rag-msg").last.inner_text()
            assert "75" in answer and "<img src=x onerror=" in answer, answer
            sources = page.locator("#rag-sources").inner_text()
            assert "sharjah_digital_arts.txt" in sources
            assert SCRIPT in sources and "<img src=x onerror=" in sources, sources
            for markup in (SCRIPT, IMG, '<svg onload="window.__pwned=3">', '<iframe src="javascript:'):
                assert markup in article, (markup, article)
            assert "<script>" in page.evaluate("() => document.body.innerText")

            # An uploaded article with a hostile name and the same kind of content.
            upload = tmp_path / UPLOADED_NAME
            upload.write_text(UPLOADED, encoding="utf-8")
            page.locator("#rag-upload input[type=file]").set_input_files(str(upload))
            page.wait_for_timeout(1500)
            page.locator("#rag-upload-btn").click()
            page.wait_for_function(
                "() => (document.querySelector('#rag-index-report')?.innerText || '').includes('Index updated')",
                timeout=180_000)
            report = page.locator("#rag-index-report").inner_text()
            # Gradio drops < and > from upload names before the app sees them; the rest is shown as text.
            assert "onerror=" in report and "window.__pwned=7" in report, report
            saved = [f.name for f in settings.corpus_dir.iterdir() if f.name.startswith("fez")]
            assert len(saved) == 1 and "<" not in saved[0] and saved[0] in report, (saved, report)
            _ask(page, UPLOADED_Q)
            page.wait_for_function(
                "(s) => document.querySelector('#rag-sources').innerText.includes(s)", arg=saved[0], timeout=30_000)
            page.locator("#rag-chat .rag-msg").last.locator("a.rag-cite").first.click()
            article = _open_article_viewer(page, saved[0])
            _not_pwned(page)
            answer = page.locator("#rag-chat .rag-msg").last.inner_text()
            assert "9400" in answer and "<script>window.__pwned=5</script>" in answer, answer
            assert '<img src=y onerror="window.__pwned=6">' in article, article
            assert dialogs == []
        finally:
            browser.close()
