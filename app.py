"""Web chat over the article index: streamed, cited answers (RTL for Arabic), sources panel, uploads and reindexing.

`rag serve` loads this file and calls `launch(settings)`; `python app.py` does the same with `Settings.from_env()`.
This file lays out the page and wires it to the handlers in `rag/web/` (rendering, files, handlers).
"""
from __future__ import annotations

import logging

import gradio as gr

from rag.config import Settings
from rag.web.files import SUFFIXES, article_path, list_sources, safe_name, unique_path  # noqa: F401 - public names
from rag.web.handlers import ChatHandlers, engine_choices, get_assistant, status_line  # noqa: F401
from rag.web.corpus import HEADERS, CorpusHandlers, chat_filters, corpus_rows, outlet_choices
from rag.web.render import render_answer_text, render_hits, render_sources, wrap  # noqa: F401

log = logging.getLogger(__name__)

EXAMPLES = [
    "متى أعلن لافروف أن روسيا سترفع طالبان من قائمة المنظمات الإرهابية؟",
    "على ماذا اتفقت روسيا والصين وإيران مع طالبان؟",
    "How many people were killed in the worst attack in Russia claimed by ISIS-K?",
    "What did Russia, China and Iran agree on with the Taliban?",
]

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
.rag-quote { margin: 4px 0; padding: 2px 10px; border-right: 3px solid #cbd5e1; text-align: right;
             font-family: 'Noto Naskh Arabic', 'Amiri', 'Tahoma', sans-serif; }
.rag-engine { color: #666; font-size: 0.85em; margin-top: 6px; }
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

def build_app(settings: Settings) -> gr.Blocks:
    """The page: chat, engine choice (when an LLM is configured), sources, article viewer, uploads."""
    settings = settings if isinstance(settings, Settings) else Settings.from_env()
    handlers = ChatHandlers(settings)
    choices = engine_choices(settings)

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
                # Per question, no restart: the configured LLM, or instant quotes (hidden when there is no LLM).
                engine = gr.Radio(choices, value=choices[0][1] if choices else None, visible=bool(choices),
                                  label="Answer with · الإجابة بواسطة", elem_id="rag-engine")
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
                with gr.Accordion("Filters · تصفية", open=False):
                    with gr.Row():
                        since = gr.Textbox(label="Since · من", placeholder="2024 / 2024-06 / 2024-06-12",
                                           elem_id="rag-since")
                        until = gr.Textbox(label="Until · إلى", placeholder="2025-12-31", elem_id="rag-until")
                    outlet = gr.Dropdown(outlet_choices(settings), multiselect=True, label="Outlets · المنافذ",
                                         elem_id="rag-outlet")
                    filter_note = gr.Markdown(elem_id="rag-filter-note")
                with gr.Accordion("Corpus · المقالات", open=False):
                    corpus = gr.Dataframe(corpus_rows(settings), headers=HEADERS, interactive=False,
                                          elem_id="rag-corpus", wrap=True)
                    chosen = gr.State("")
                    with gr.Row():
                        delete_btn = gr.Button("Delete · حذف", interactive=False, elem_id="rag-delete")
                        refresh_btn = gr.Button("Refresh · تحديث", elem_id="rag-corpus-refresh")
                    with gr.Group(visible=False, elem_id="rag-confirm") as confirm:
                        confirm_text = gr.Markdown(elem_id="rag-confirm-text")
                        with gr.Row():
                            confirm_btn = gr.Button("Yes, delete · نعم، احذف", variant="stop", elem_id="rag-confirm-yes")
                            cancel_btn = gr.Button("Cancel · إلغاء", elem_id="rag-confirm-no")
                with gr.Accordion("Add articles · إضافة مقالات", open=True):
                    files = gr.File(label=f".txt / .md, up to {settings.max_upload_bytes:,} bytes each",
                                    file_count="multiple", file_types=list(SUFFIXES), elem_id="rag-upload")
                    with gr.Row():
                        upload_btn = gr.Button("Add & index", elem_id="rag-upload-btn")
                        reindex_btn = gr.Button("Reindex", elem_id="rag-reindex")
                    index_report = gr.Markdown(elem_id="rag-index-report")

        filters = gr.State(None)  # the chat's date/outlet filters (#14); a State is not part of the `ask` API

        def set_filters(since_, until_, outlets_):
            value, error = chat_filters(since_, until_, outlets_)
            return (value, "") if value is not None else (None, f"**{error}** (no filter applied)")

        for control in (since, until, outlet):
            control.change(set_filters, [since, until, outlet], [filters, filter_note], api_name=False)
        corpus_handlers = CorpusHandlers(settings, handlers)
        corpus.select(corpus_handlers.select, [corpus], [chosen, article_html, article_file, delete_btn],
                      api_name=False)
        delete_btn.click(corpus_handlers.ask_delete, [chosen], [confirm, confirm_text], api_name=False)
        cancel_btn.click(corpus_handlers.cancel, None, [confirm, confirm_text], api_name=False)
        confirm_btn.click(corpus_handlers.delete, [chosen],
                          [confirm, index_report, corpus, status, article, chosen, delete_btn], api_name=False)
        refresh_btn.click(corpus_handlers.refresh, None, [corpus, outlet], api_name=False)
        index_report.change(corpus_handlers.refresh, None, [corpus, outlet], api_name=False)
        ins = [question, chatbot, conversation, engine, filters]
        outs = [chatbot, sources, question, conversation, article]
        send.click(handlers.respond, ins, outs, api_name="ask")
        question.submit(handlers.respond, ins, outs, api_name=False)
        clear_btn.click(handlers.clear, [conversation], [chatbot, sources, conversation], api_name=False)
        article.change(handlers.show_article, [article], [article_html, article_file], api_name=False)
        upload_btn.click(handlers.upload, [files], [index_report, status, article, files], api_name=False)
        reindex_btn.click(handlers.reindex, None, [index_report, status, article], api_name=False)
        demo.load(handlers.status, None, [status], api_name=False)

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
