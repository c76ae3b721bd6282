"""HTML for chat messages and the sources panel: escaped text, clickable [n] markers, right-to-left where Arabic."""
from __future__ import annotations

import html
import re

from rag.arabic import detect_language
from rag.meta import shown_date
from rag.web.bidi import bdi, bold_to_html, isolates_to_html

_MARKER = re.compile(r"\[(\d{1,3})\]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
# An extractive quote line of an English answer: "- «Arabic sentence» [n] (date)".
_QUOTE_LINE = re.compile(r"^- («.+»)(.*)$")
# The English answer line that opens an English extractive answer (rag/answering/english, #21).
_ANSWER_LINE = re.compile(r"^(\*\*|.*\*\*.+\*\*|No confident English rendering|No short answer could be marked)")

TEXT = {
    "sources": {"ar": "المصادر", "en": "Sources"},
    "none": {"ar": "لا توجد مصادر لهذه الإجابة.", "en": "No sources for this answer."},
    "searching": {"ar": "جارٍ البحث في المقالات…", "en": "Searching the articles…"},
    "found": {"ar": "عُثر على {n} مقاطع ذات صلة، جارٍ كتابة الإجابة…", "en": "Found {n} relevant passages; writing the answer…"},
    "error": {"ar": "تعذّرت الإجابة: {msg}", "en": "Sorry, I could not answer: {msg}"},
    "internal": {"ar": "حدث خطأ غير متوقع. يرجى المحاولة مرة أخرى.", "en": "An unexpected error occurred. Please try again."},
    "engine": {"ar": "كتب الإجابة: {name}", "en": "Answered by: {name}"},
    "extractive": {"ar": "اقتباسات فقط (دون نموذج لغوي)", "en": "quotes only (extractive, no language model)"},
    "llm": {"ar": "النموذج اللغوي ({model})", "en": "the language model ({model})"},
}


def text_dir(text: str) -> str:
    return "rtl" if detect_language(text or "") == "ar" else "ltr"


def wrap(text_html: str, lang_of: str, language: str | None = None) -> str:
    """A chat message body: RTL for Arabic, LTR for English (language 'ar'/'en' when known, else detected)."""
    d = ("rtl" if language == "ar" else "ltr") if language else text_dir(lang_of)
    return f'<div class="rag-msg" dir="{d}">{text_html}</div>'


def _markers(escaped: str) -> str:
    return _MARKER.sub(lambda m: f'<a class="rag-cite" href="#rag-src-{m.group(1)}" data-cite="{m.group(1)}">'
                                 f'[{m.group(1)}]</a>', escaped)


def _bold(escaped: str, short: str) -> tuple[str, bool]:
    """The first occurrence of the (escaped) short answer in a line, in bold; (line, found)."""
    key = html.escape(short) if short else ""
    if not key or key not in escaped:
        return escaped, False
    return escaped.replace(key, f'<strong class="rag-short">{key}</strong>', 1), True


def render_answer_text(text: str, language: str | None = None, short: str = "") -> str:
    """Escape the answer and turn [n] into clickable citation markers.

    In an English answer each quoted Arabic line becomes its own right-to-left block, so its guillemets and its [n]
    sit on the Arabic side of the line instead of being reordered by the surrounding left-to-right paragraph."""
    out: list[str] = []
    lines = (text or "").split("\n")
    for i, line in enumerate(lines):
        quote = _QUOTE_LINE.match(line) if language == "en" else None
        if language == "en" and i == 0 and _ANSWER_LINE.match(line):
            # the English answer line (#21): bold English, the Arabic span a right-to-left <bdi> inside it
            escaped = isolates_to_html(bold_to_html(html.escape(line)))
            out.append(f'<div class="rag-answer-line" dir="ltr">{_markers(escaped)}</div>')
        elif quote and _ARABIC.search(quote.group(1)):
            escaped, found = _bold(html.escape(quote.group(1) + quote.group(2)), short)
            short = "" if found else short  # the answer phrase is marked once, in the first quote holding it
            out.append(f'<div class="rag-quote" dir="rtl">{_markers(isolates_to_html(escaped))}</div>')
        else:
            if out and not out[-1].endswith("</div>"):
                out.append("<br>")
            escaped, found = _bold(html.escape(line), short)
            short = "" if found else short
            out.append(_markers(isolates_to_html(escaped) if language == "en" else escaped))
    return "".join(out)


def engine_label(engine: str, language: str, model: str = "") -> str:
    if engine == "extractive":
        return TEXT["extractive"][language]
    return TEXT["llm"][language].format(model=f"{engine}: {model}" if model else engine)


def render_answer(answer, model: str = "") -> str:
    """The final answer: the fallback notice (if any), the text with markers, and which engine wrote it."""
    body = render_answer_text(answer.answer, answer.language, getattr(answer, "short_answer", ""))
    if answer.notice:
        body = f"<p><i>{html.escape(answer.notice)}</i></p>" + body
    label = engine_label(answer.engine, answer.language, model if answer.engine == "openai" else "")
    # The engine is named in a class: the chat's HTML sanitizer drops data-* attributes.
    body += (f'<div class="rag-engine rag-by-{html.escape(answer.engine)}">'
             f'{html.escape(TEXT["engine"][answer.language].format(name=label))}</div>')
    return wrap(body, answer.answer, answer.language)


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
        if language == "en":
            title = bdi(title, bool(_ARABIC.search(title)))
        date = shown_date(c.date, getattr(c, "date_text", ""), getattr(c, "date_precision", ""), language)
        meta = " · ".join(html.escape(x) for x in (getattr(c, "outlet", ""), getattr(c, "author", ""), date, c.source) if x)
        also = also_line(getattr(c, "also", ()), language)
        if also:
            meta += f'<br><span class="rag-also">{html.escape(also)}</span>'
        parts.append(
            f'<details class="rag-source" id="rag-src-{int(c.n)}" open>'
            f'<summary><b>[{int(c.n)}]</b> {title}</summary>'
            f'<div class="rag-meta" dir="ltr">{meta}</div>'
            f'<div class="rag-passage" dir="{text_dir(c.text or c.snippet)}">{_highlight(c.text, c.snippet)}</div>'
            f'</details>')
    parts.append("</div>")
    return "".join(parts)


def render_hits(hits, language: str) -> str:
    """Evidence shown while the answer is being written."""
    d = "rtl" if language == "ar" else "ltr"
    items = "".join(f'<li><b>{html.escape(h.title or h.source)}</b> <span class="rag-meta">'
                    + " · ".join(html.escape(x) for x in (h.outlet, shown_date(h.date, h.date_text, h.date_precision,
                                                                               language), h.source) if x)
                    + '</span></li>' for h in hits)
    return f'<div dir="{d}" class="rag-sources"><h3>{TEXT["sources"][language]}</h3><ol>{items}</ol></div>'


def also_line(also, language: str) -> str:
    """'Also published by: العربية (2024-06-12, b.txt), ...' for a cited article's near-duplicates (#14)."""
    if not also:
        return ""
    items = [f"{a.get('outlet') or a['source']} ({', '.join(x for x in (a.get('date'), a['source']) if x)})"
             for a in also]
    if language == "ar":
        return "نُشر أيضاً في: " + "، ".join(items)
    return "Also published by: " + ", ".join(items)


def render_article(name: str, text: str) -> str:
    return (f'<div class="rag-meta" dir="ltr">{html.escape(name)}</div>'
            f'<div class="rag-article" dir="{text_dir(text)}">{html.escape(text)}</div>')
