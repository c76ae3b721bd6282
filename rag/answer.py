"""Answer engines behind one interface: extractive (no model), local (GGUF via llama.cpp) and openai (any compatible server)."""
from __future__ import annotations

import dataclasses
import logging
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterator, Protocol

import numpy as np

from . import features, prompts
from .arabic import normalize
from .chunk import split_sentences
from .cite import Citation, CitationBuilder
from .config import Settings
from .embed import Embedder
from .errors import ModelError
from .retrieve import Hit
from .model import load
from .select import Scored, Selection, Selector, quotes, short_answer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Answer:
    answer: str
    language: str
    refused: bool
    citations: list[Citation]
    engine: str
    notice: str = ""                                  # e.g. why an LLM answer fell back to extractive
    dropped: list[str] = field(default_factory=list)  # model sentences no passage supported
    question: str = ""                                # the standalone question that was searched
    short_answer: str = ""                            # the answer phrase, verbatim inside the first quote, or ""
    answerable: float | None = None                   # the refusal gate's probability that the passages answer
    timeline: bool = False                            # quotes/passages in date order (rag/timeline.py, #14)

    def to_dict(self) -> dict:
        return {"answer": self.answer, "language": self.language, "refused": self.refused,
                "citations": [c.to_dict() for c in self.citations], "engine": self.engine, "notice": self.notice,
                "unsupported_sentences": self.dropped, "standalone_question": self.question,
                "short_answer": self.short_answer,
                "answerable": None if self.answerable is None else round(self.answerable, 4),
                "timeline": self.timeline}


class Engine(Protocol):
    name: str

    def stream(self, question: str, hits: list[Hit], language: str, q: features.Question | None = None,
               selection: Selection | None = None) -> Iterator[str | Answer]: ...


def refusal(language: str, question: str = "", engine: str = "", notice: str = "",
            answerable: float | None = None) -> Answer:
    return Answer(prompts.template(f"refusal.{language}"), language, True, [], engine, notice, [], question,
                  answerable=answerable)


class ExtractiveEngine:
    """Quotes the sentences the trained selector scores highest, when the refusal gate says the passages answer."""

    name = "extractive"

    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings, self.embedder = settings, embedder
        self._cache: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()
        self._selector = None

    def _vectors(self, sentences: list[str]) -> np.ndarray:
        with self._lock:
            todo = [s for s in dict.fromkeys(sentences) if s not in self._cache]
            if todo:
                if len(self._cache) + len(todo) > 20000:  # bounded: a long-running server must not grow without limit
                    self._cache.clear()
                for s, v in zip(todo, self.embedder.passages(todo)):
                    self._cache[s] = v
            return np.vstack([self._cache[s] for s in sentences])

    def _remember(self, hits: list[Hit]) -> None:
        """Sentence vectors stored in the index go into the cache, so only sentences without them are embedded."""
        with self._lock:
            for h in hits:
                sents = split_sentences(h.text) if h.sentence_vectors is not None else []
                if sents and len(sents) == len(h.sentence_vectors):
                    if len(self._cache) + len(sents) > 20000:
                        self._cache.clear()
                    self._cache.update(zip(sents, h.sentence_vectors))

    def select(self, q: features.Question, hits: list[Hit]) -> Selection:
        """The selector's sentences of the best `extract_passages` passages and the gate's probability."""
        if self._selector is None:
            self._selector = Selector(self._vectors, self.settings.models_dir)
        if q.vector is None:
            q = dataclasses.replace(q, vector=self.embedder.query(q.text))
        self._remember(hits[: self.settings.extract_passages])
        return self._selector.select(q, hits[: self.settings.extract_passages])

    def answerable(self, selection: Selection, language: str) -> bool:
        threshold = self.settings.gate_threshold_ar if language == "ar" else self.settings.gate_threshold_en
        if threshold < 0:  # the threshold shipped with the gate (eval/train_selector.py)
            threshold = load("gate", self.settings.models_dir or None).meta["thresholds"][language]
        return bool(selection.sentences) and selection.answerable >= threshold

    def quotes(self, selection: Selection) -> list[Scored]:
        """The selector's best sentences to quote (select.quotes with `quote_ratio`, at most `extract_sentences`)."""
        return quotes(selection.sentences, self.settings.quote_ratio, self.settings.extract_sentences)

    def stream(self, question: str, hits: list[Hit], language: str, q: features.Question | None = None,
               selection: Selection | None = None) -> Iterator[str | Answer]:
        q = q or features.analyse(question, self.embedder.query(question))
        selection = selection or self.select(q, hits)
        if not self.answerable(selection, language):
            yield refusal(language, question, self.name, answerable=selection.answerable)
            return
        chosen = self.quotes(selection)
        hits = list(selection.passages) or hits  # what the selector read (every version of a near-duplicate story)
        order: dict[int, int] = {}
        for s in chosen:
            order.setdefault(s.hit, len(order) + 1)
        lines = []
        for s in chosen:
            quote = f"«{s.sentence}»" if language == "en" else s.sentence
            date = hits[s.hit].date
            lines.append(f"- {quote} [{order[s.hit]}]" + (f" ({date})" if is_full_date(date) else ""))
        text = prompts.render(f"extractive.{language}", quotes="\n".join(lines))
        latest = most_recent([(order[i], hits[i].date) for i in order])
        if latest:
            text += "\n" + prompts.render(f"recency.{language}", n=latest[0], date=latest[1])
        citations = [Citation(n, hits[i].source, hits[i].chunk_id, next(s.sentence for s in chosen if s.hit == i),
                              hits[i].score, hits[i].title, hits[i].date, hits[i].text) for i, n in order.items()]
        short = short_answer(q, chosen[0].sentence)
        yield text
        yield Answer(text, language, False, citations, self.name, question=question, short_answer=short,
                     answerable=selection.answerable)

    def focus(self, question: str, hits: list[Hit], budget: int, selection: Selection | None = None) -> list[Hit]:
        """The hits cut down to their best sentences by the selector (original order, at most `budget` characters)."""
        if selection is None:
            selection = self.select(features.analyse(question, self.embedder.query(question)), hits)
        read = list(selection.passages) or hits
        passed = {h.chunk_id for h in hits}
        keep: dict[str, set[str]] = {}
        used = 0
        for s in selection.sentences:
            chunk = read[s.hit].chunk_id if s.hit < len(read) else None
            if chunk not in passed:  # a passage the caller does not pass on (the selection may read more of them)
                continue
            if used and used + len(s.sentence) > budget:
                break
            keep.setdefault(chunk, set()).add(s.sentence)
            used += len(s.sentence)
        return [dataclasses.replace(h, text=" … ".join(x for x in split_sentences(h.text) if x in keep[h.chunk_id]))
                for h in hits if h.chunk_id in keep]


def is_full_date(date: str) -> bool:
    return bool(date) and date[:4].isdigit()


def most_recent(dated: list[tuple[int, str]]) -> tuple[int, str] | None:
    """(citation number, date) of the newest source, when the cited sources carry at least two different dates."""
    known = [(n, d) for n, d in dated if is_full_date(d)]
    if len({d for _, d in known}) < 2:
        return None
    return max(known, key=lambda nd: nd[1])


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

    def prompt(self, question: str, hits: list[Hit], language: str, timeline: bool = False) -> str:
        passages = "\n\n".join(
            prompts.render("passage", n=n, title=h.title or h.source, date=h.shown_date or "unknown date", text=h.text)
            for n, h in enumerate(hits, start=1))
        return prompts.render(f"answer{'_timeline' if timeline else ''}.{language}", passages=passages,
                              question=question, refusal=prompts.template(f"refusal.{language}"))

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
        from .timeline import by_date, is_timeline  # hook (#14): a "how did X develop" question reads passages by date
        timeline = is_timeline(question)
        if timeline:
            hits, selection = by_date(hits), None  # the selection's passage numbers follow the old order
        shown = hits
        if self._focus is not None and sum(len(h.text) for h in hits) > self.settings.llm_context_chars:
            # the selector's best sentences are the context (the same ones the extractive engine would quote)
            shown = self._focus.focus(question, hits, self.settings.llm_context_chars, selection)
        messages = [ChatMessage(role="system", content=prompts.template("system")),
                    ChatMessage(role="user", content=self.prompt(question, shown, language, timeline))]
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
        yield Answer(answer, language, False, citations, self.name, dropped=dropped, question=question,
                     timeline=timeline)


def _is_refusal(text: str, language: str) -> bool:
    key = normalize(prompts.template(f"refusal.{language}")).strip(" .")
    other = normalize(prompts.template(f"refusal.{'en' if language == 'ar' else 'ar'}")).strip(" .")
    norm = normalize(text)
    return not norm or key in norm or other in norm


@lru_cache(maxsize=2)
def _llama_cpp(path: str, context: int, max_tokens: int, threads: int):
    """One loaded GGUF model per path for the whole process (loading takes seconds, memory is large)."""
    try:
        from llama_index.llms.llama_cpp import LlamaCPP
    except ImportError as exc:
        raise ModelError("the local engine needs the optional extra: pip install '.[local]'") from exc
    from .gguf import chatml_completion_to_prompt, chatml_messages_to_prompt

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


def make_engine(settings: Settings, embedder: Embedder, name: str | None = None,
                extractive: ExtractiveEngine | None = None) -> Engine:
    name = name or settings.resolved_engine
    extractive = extractive or ExtractiveEngine(settings, embedder)
    if name == "extractive":
        return extractive
    if name == "local":
        if not settings.llm_gguf:
            raise ModelError("the local engine needs a GGUF model: set RAG_LLM_GGUF=/path/model.gguf (or --gguf)")
        return LLMEngine("local", settings, embedder,
                         lambda: _llama_cpp(settings.llm_gguf, 4096, settings.llm_max_tokens, settings.embed_threads),
                         extractive)
    if name == "openai":
        if not settings.llm_url:
            raise ModelError("the openai engine needs a server: set RAG_LLM_URL=http://host:port/v1 (or --llm-url)")

        return LLMEngine("openai", settings, embedder, lambda: openai_llm(settings), extractive)
    raise ModelError(f"unknown engine {name!r}")
