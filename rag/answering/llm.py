"""LLM engines: a llama-index LLM (a local GGUF through llama.cpp, or any OpenAI-compatible server) answering from
numbered passages; citations are rebuilt and verified by CitationBuilder, and a failing model falls back to extractive."""
from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from functools import lru_cache
from typing import Iterator

from rag import prompts
from rag.answering.answer import Answer, refusal
from rag.answering.cite import CitationBuilder
from rag.answering.extractive import ExtractiveEngine
from rag.answering.select import Selection, short_of
from rag.arabic import normalize
from rag.config import Settings
from rag.errors import ModelError
from rag.indexing.embed import Embedder
from rag.retrieval import features
from rag.retrieval.filters import by_date
from rag.retrieval.retrieve import Hit

log = logging.getLogger(__name__)


class LLMEngine:
    """A llama-index LLM answering from numbered passages; citations are rebuilt and verified by CitationBuilder."""

    def __init__(self, name: str, settings: Settings, embedder: Embedder, llm_factory,
                 focus: ExtractiveEngine | None = None) -> None:
        self.name, self.settings, self.embedder = name, settings, embedder
        self._factory = llm_factory
        self._focus = focus  # cuts long passages down to their best sentences, so the prompt stays short
        self._lock = threading.Lock()  # llama.cpp contexts are not re-entrant
        # the last stream's generation: {"text", "ttft" (s from request to first streamed delta), "tokens" (streamed
        # deltas: one token each from llama.cpp, in-process or served), "tokens_per_s" (after the first delta)};
        # read by `rag eval`, None until a generation starts
        self.last_generation: dict | None = None

    def prompt(self, question: str, hits: list[Hit], language: str, timeline: bool = False, hint: str = "") -> str:
        passages = "\n\n".join(
            prompts.render("passage", n=n, title=h.title or h.source, date=h.shown_date or "unknown date", text=h.text)
            for n, h in enumerate(hits, start=1))
        text = prompts.render(f"answer{'_timeline' if timeline else ''}.{language}", passages=passages,
                              question=question, refusal=prompts.template(f"refusal.{language}"))
        return f"{text}\n\n{hint}" if hint else text

    def hint(self, question: str, shown: list[Hit], q: features.Question | None,
             selection: Selection | None) -> tuple[str, str]:
        """(prompt hint, English rendering) for an English question: the selector's short answer rendered in
        English (rag/answering/english, #21), offered to the model; ("", "") when there is none."""
        if selection is None or not selection.sentences or not self.settings.answer_en:
            return "", ""
        from rag.answering.english import render_short

        sentence = selection.sentences[0].sentence
        n = next((i for i, h in enumerate(shown, start=1) if sentence in h.text), 0)
        q = q or features.analyse(question)
        short = short_of(q, sentence, n)
        rendered = render_short(short, question, q.qtype, self.settings.transliteration) if short.text and n else None
        if rendered is None:
            return "", ""
        return prompts.render("hint_short.en", span=short.text, n=n, answer_en=rendered.text), rendered.text

    def complete(self, prompt: str) -> str:
        """One short non-streamed completion (used to condense follow-up questions)."""
        try:
            with self._lock:
                return self._factory().complete(prompt).text
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(self.failure(exc, started=False)) from exc

    def failure(self, exc: Exception, started: bool) -> str:
        """What went wrong, in words a user can act on (the exception types are the openai/httpx clients')."""
        import json

        import httpx

        kind = type(exc).__name__
        status = getattr(exc, "status_code", None)
        if status is not None:
            body = getattr(exc, "body", None)  # the openai client passes the JSON error object, or the whole reply
            if isinstance(body, dict) and isinstance(body.get("error"), dict):
                body = body["error"]
            detail = (body.get("message") if isinstance(body, dict) else None) or str(exc)
            return f"the {self.name} server answered HTTP {status}: {str(detail)[:120]}"
        chain = [exc, exc.__cause__, exc.__context__]
        if any(isinstance(e, (httpx.TimeoutException, TimeoutError)) for e in chain) or kind == "APITimeoutError":
            return f"the {self.name} server did not reply within {self.settings.llm_timeout:g} s"
        if any(isinstance(e, httpx.RemoteProtocolError) for e in chain) or (started and kind == "APIConnectionError"):
            return f"the {self.name} server closed the connection mid-answer"
        if any(isinstance(e, httpx.ConnectError) for e in chain) or kind == "APIConnectionError":
            return f"cannot connect to the {self.name} server at {self.settings.llm_url}"
        if any(isinstance(e, json.JSONDecodeError) for e in chain):
            return f"the {self.name} server sent a malformed reply"
        return f"the {self.name} model failed: {kind}: {exc}"

    def stream(self, question: str, hits: list[Hit], language: str, q: features.Question | None = None,
               selection: Selection | None = None) -> Iterator[str | Answer]:
        from llama_index.core.llms import ChatMessage

        hits = hits[: self.settings.llm_context_chunks]
        timeline = features.is_timeline(question)  # hook (#14): a "how did X develop" question reads passages by date
        if timeline:
            hits, selection = by_date(hits), None  # the selection's passage numbers follow the old order
        shown = hits
        if self._focus is not None and sum(len(h.text) for h in hits) > self.settings.llm_context_chars:
            # the selector's best sentences are the context (the same ones the extractive engine would quote)
            shown = self._focus.focus(question, hits, self.settings.llm_context_chars, selection)
        hint, rendered = self.hint(question, shown, q, selection) if language == "en" else ("", "")
        messages = [ChatMessage(role="system", content=prompts.template("system")),
                    ChatMessage(role="user", content=self.prompt(question, shown, language, timeline, hint))]
        parts = []
        try:
            with self._lock:
                llm = self._factory()  # loading a GGUF is not part of the time to first token
                stats = self.last_generation = {"text": "", "ttft": None, "tokens": 0, "tokens_per_s": None}
                start = first = last = time.perf_counter()
                for chunk in llm.stream_chat(messages):
                    if chunk.delta:
                        last = time.perf_counter()
                        if not parts:
                            first = last
                            stats["ttft"] = round(first - start, 4)
                        parts.append(chunk.delta)
                        stats["tokens"] = len(parts)
                        yield chunk.delta
                stats["text"] = "".join(parts)
                if len(parts) > 1 and last > first:
                    stats["tokens_per_s"] = round((len(parts) - 1) / (last - first), 3)
        except ModelError:
            raise
        except Exception as exc:
            raise ModelError(self.failure(exc, started=bool(parts))) from exc
        text = "".join(parts).strip()
        if _is_refusal(text, language):
            yield refusal(language, question, self.name)
            return
        builder = CitationBuilder(shown, self.settings.support_threshold, self.embedder, self.settings.support_cosine,
                                  self._focus._vectors if self._focus is not None else None)
        answer, citations, dropped = builder.build(text, question)
        full = {h.chunk_id: h.text for h in hits}  # the sources panel shows the whole passage, not the cut
        citations = [dataclasses.replace(c, text=full.get(c.chunk_id, c.text)) for c in citations]
        if not citations:
            log.warning("%s answer with no supported sentence, not shown: %r", self.name, text[:300])
            raise ModelError(f"the {self.name} model's answer was not supported by any passage")
        # the hint is checked against the reply: answer_en only when the model's answer states it
        said = bool(rendered) and f" {_words(rendered)} " in f" {_words(answer)} "
        yield Answer(answer, language, False, citations, self.name, dropped=dropped, question=question,
                     timeline=timeline, answer_en=rendered if said else "")


def _is_refusal(text: str, language: str) -> bool:
    key = normalize(prompts.template(f"refusal.{language}")).strip(" .")
    other = normalize(prompts.template(f"refusal.{'en' if language == 'ar' else 'ar'}")).strip(" .")
    norm = normalize(text)
    return not norm or key in norm or other in norm


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^\w%$]", " ", normalize(text)).split())


@lru_cache(maxsize=2)
def llama_cpp(path: str, context: int, max_tokens: int, threads: int):
    """One loaded GGUF model per path for the whole process (loading takes seconds, memory is large)."""
    try:
        from llama_index.llms.llama_cpp import LlamaCPP
    except ImportError as exc:
        raise ModelError("the local engine needs the optional extra: pip install '.[local]'") from exc
    from rag.answering.gguf import chatml_completion_to_prompt, chatml_messages_to_prompt

    try:
        llm = LlamaCPP(model_path=path, temperature=0.1, max_new_tokens=max_tokens, context_window=context,
                       model_kwargs={"n_threads": threads}, messages_to_prompt=chatml_messages_to_prompt,
                       completion_to_prompt=chatml_completion_to_prompt, verbose=False)
    except Exception as exc:
        raise ModelError(f"cannot load GGUF model {path}: {exc}") from exc
    # No LlamaRAMCache: llama.cpp already keeps the KV cache of the last prompt and re-evaluates only what follows the
    # longest shared token prefix (the system prompt), while each RAM-cache entry would copy ~300 MB of logits
    # (n_batch x 151k vocabulary for Qwen) and, being larger than any sane capacity, be evicted at once.
    return llm


def openai_llm(settings: Settings, max_tokens: int | None = None, temperature: float = 0.1):
    """llama-index OpenAILike client for the configured OpenAI-compatible server (no retries: the timeout is the bound)."""
    import json

    from llama_index.llms.openai_like import OpenAILike
    extra = {"extra_body": json.loads(settings.llm_extra)} if settings.llm_extra else {}  # checked by Settings
    return OpenAILike(api_base=settings.llm_url, model=settings.llm_model, api_key=settings.llm_api_key,
                      is_chat_model=True, timeout=settings.llm_timeout, max_retries=0,
                      max_tokens=max_tokens or settings.llm_max_tokens, temperature=temperature, context_window=8192,
                      additional_kwargs=extra)
