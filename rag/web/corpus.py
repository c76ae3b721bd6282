"""The corpus view (#14): a sortable table of the indexed articles (title, date, outlet, chunks, duplicates) with
open and delete (after a confirmation), and the chat's date/outlet filters."""

import html
import logging

import gradio as gr

from rag.config import Settings
from rag.errors import RagError
from rag.retrieval.filters import Filters
from rag.meta import shown_date
from rag.web.files import article_path, list_sources

log = logging.getLogger(__name__)
HEADERS = ["source", "title", "date", "outlet", "chunks", "duplicates"]


def corpus_rows(settings: Settings) -> list[list]:
    """One row per indexed article; dates sort as written (ISO first), duplicates name the other files."""
    from rag.store import Store

    try:
        manifest = Store(settings).manifest
        if not manifest.path.exists():
            return []
        rows = manifest.articles.all()
        groups = manifest.duplicates.groups([r["source"] for r in rows])
    except Exception as exc:  # noqa: BLE001 - the table must never break the page
        log.warning("corpus table failed: %s", exc)
        return []
    return [[r["source"], r["title"], shown_date(r["date"], r["date_text"], r["date_precision"]), r["outlet"],
             int(r["n_chunks"] or 0), ", ".join(sorted(groups.get(r["source"], ())))] for r in rows]


def outlet_choices(settings: Settings) -> list[str]:
    from rag.store import Store

    try:
        manifest = Store(settings).manifest
        return sorted(set(manifest.articles.outlets().values())) if manifest.path.exists() else []
    except Exception:  # noqa: BLE001
        return []


def chat_filters(since: str, until: str, outlets) -> tuple[Filters | None, str]:
    """(Filters, "") from the chat's controls, or (None, the reason) when a date is not understood."""
    try:
        return Filters.parse(since or "", until or "", ",".join(outlets or [])), ""
    except RagError as exc:
        return None, str(exc)


class CorpusHandlers:
    """What the corpus view's controls do; deleting goes through the chat handlers' indexer run."""

    def __init__(self, settings: Settings, chat) -> None:
        self.settings, self.chat = settings, chat

    def refresh(self):
        """(table, outlet filter choices)."""
        return gr.update(value=corpus_rows(self.settings)), gr.update(choices=outlet_choices(self.settings))

    def select(self, table, evt: gr.SelectData):
        """A clicked row: (chosen source, article html, file, delete button)."""
        row = evt.index[0] if isinstance(evt.index, (list, tuple)) else evt.index
        try:
            source = str(table.iloc[row, 0]) if hasattr(table, "iloc") else str(table[row][0])
        except (IndexError, KeyError, TypeError):
            source = ""
        article, file = self.chat.show_article(source)
        return source, article, file, gr.update(interactive=bool(source), value=f"Delete · حذف {source}")

    def ask_delete(self, source):
        """Show the confirmation, naming the file."""
        if not source:
            return gr.update(visible=False), ""
        return gr.update(visible=True), (f"Delete **{html.escape(source)}** and its chunks from the index? "
                                         f"هل تريد حذف هذا المقال من الفهرس؟")

    def cancel(self):
        return gr.update(visible=False), ""

    def delete(self, source, progress=gr.Progress()):
        """Remove the file, then index (its chunks, keyword rows and duplicate pairs go); returns
        (confirmation group, report, table, status, article dropdown, chosen source, delete button)."""
        path = article_path(self.settings, source)
        if path is None:
            note = f"**{html.escape(source or '')}** is not an article in the corpus folder."
        else:
            path.unlink()
            note = f"- deleted `{html.escape(source)}`"
        report = self.chat.run_index(progress, [note])
        return (gr.update(visible=False), report, gr.update(value=corpus_rows(self.settings)), self.chat.status(),
                gr.update(choices=list_sources(self.settings), value=None), "",
                gr.update(interactive=False, value="Delete · حذف"))
