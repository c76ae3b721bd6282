"""The corpus view (#14) in a real headless Chromium: the table lists the articles with date, outlet, chunks and
duplicates; a row opens its article; delete asks first, then removes the file and its chunks."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from rag.config import Settings
from rag.store import Store
from rag.web.corpus import chat_filters, corpus_rows
from tests.conftest import copy_corpus, free_port, served_app

pytestmark = pytest.mark.slow
DUPS = Path(__file__).parent / "data" / "dups"
TWO = ["001_f363e7051d720855.txt", "003_311d5706b071db88.txt"]



@pytest.fixture(scope="module")
def served(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpusview")
    corpus = copy_corpus(root / "corpus", TWO)
    shutil.copy(DUPS / "dup_003_sputnik.txt", corpus / "dup_003_sputnik.txt")
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=root / "index", engine="extractive",
                                 port=free_port())
    with served_app(settings) as url:
        yield settings, url


def test_rows_and_filters(served):
    settings, _ = served
    rows = {r[0]: r for r in corpus_rows(settings)}
    assert set(rows) == {*TWO, "dup_003_sputnik.txt"}
    assert rows["001_f363e7051d720855.txt"][2:4] == ["2024-06-12", ""]
    assert rows["003_311d5706b071db88.txt"][3] == "أردو بوینت" and rows["003_311d5706b071db88.txt"][5] == \
        "dup_003_sputnik.txt"
    assert rows["003_311d5706b071db88.txt"][4] > 0
    assert chat_filters("2024", "", ["سبوتنيك"])[0].since == 20240101
    assert chat_filters("soon", "", [])[0] is None


@pytest.mark.browser
def test_browser_corpus_view_open_and_delete(served):
    from playwright.sync_api import sync_playwright

    settings, url = served
    victim = "dup_003_sputnik.txt"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            page.goto(url, wait_until="domcontentloaded")
            page.locator("#rag-question textarea").wait_for(timeout=60_000)
            page.get_by_text("Corpus · المقالات").click()
            table = page.locator("#rag-corpus")
            table.get_by_text(victim).first.wait_for(timeout=30_000)
            assert "2024-06-12" in table.inner_text() and "أردو بوینت" in table.inner_text()
            # the victim's own row (its name also fills the duplicates cell of the article it copies, earlier on)
            table.get_by_text(victim, exact=True).last.click()
            page.wait_for_function(
                "(v) => (document.querySelector('#rag-delete')?.innerText || '').includes(v)", arg=victim,
                timeout=30_000)
            page.locator("#rag-delete").click()
            page.locator("#rag-confirm-text").get_by_text(victim).wait_for(timeout=30_000)
            assert (Path(settings.corpus_dir) / victim).exists()  # nothing is deleted before the confirmation
            page.locator("#rag-confirm-yes").click()
            page.wait_for_function(
                "() => (document.querySelector('#rag-index-report')?.innerText || '').includes('removed: 1')",
                timeout=180_000)
            page.wait_for_function(
                "(v) => !document.querySelector('#rag-corpus').innerText.includes(v)", arg=victim, timeout=30_000)
        finally:
            browser.close()
    assert not (Path(settings.corpus_dir) / victim).exists()
    manifest = Store(settings).manifest
    assert manifest.files.chunk_ids(victim) == [] and victim not in manifest.files.hashes()
    assert Store(settings).collection().get(where={"source": victim})["ids"] == []
