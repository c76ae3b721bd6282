"""The assistant: validate a question, condense follow-ups, retrieve, refuse or answer, fall back when an LLM fails."""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterator

from rag import prompts
from rag.answering.about import AboutEngine, asks_about
from rag.answering.answer import Answer, refusal
from rag.answering.extractive import ExtractiveEngine
from rag.answering.engines import make_engine
from rag.indexing.embed import make_embedder
from rag.arabic import detect_language, tokens
from rag.config import Settings
from rag.errors import ModelError, QuestionError
from rag.indexing.dedup import collapse
from rag.retrieval.filters import Filters
from rag.answering.news import with_news
from rag.retrieval.retrieve import HybridRetriever, Hit
from rag.answering.timeline import TimelineEngine
from rag.retrieval.features import is_timeline
from rag.store import Store

log = logging.getLogger(__name__)
# Words that make a follow-up depend on the previous turn.
_DEPENDENT = re.compile(r"\b(it|that|this|they|them|he|she|his|her|there|then|and|what about)\b|"
                        r"(^|\s)(ذلك|هذا|هذه|تلك|حينها|عندها|و?ماذا عن|متى كان)(\s|$|[؟?])", re.IGNORECASE)

MESSAGES = {
    "empty": {"en": "Please type a question.", "ar": "يرجى كتابة سؤال."},
    "too_long": {"en": "The question is too long ({n} characters; the limit is {limit}). Please shorten it.",
                 "ar": "السؤال طويل جداً ({n} حرفاً؛ الحد الأقصى {limit}). يرجى اختصاره."},
    "fallback": {"en": "The {engine} model was not available ({reason}); showing the extractive answer instead.",
                 "ar": "لم يكن نموذج {engine} متاحاً ({reason})؛ نعرض الإجابة المقتبسة بدلاً منه."},
}


def check_question(question: str, limit: int) -> str:
    """The question with invisible characters removed; QuestionError in the question's language when unusable."""
    cleaned = "".join(ch for ch in question if unicodedata.category(ch) not in ("Cf", "Cc") or ch in "\n\t")
    cleaned = " ".join(cleaned.split())
    lang = detect_language(cleaned)
    if len(cleaned) > limit:
        raise QuestionError(MESSAGES["too_long"][lang].format(n=len(cleaned), limit=limit))
    if not tokens(cleaned, drop_stopwords=False):  # empty, punctuation or emoji only
        raise QuestionError(MESSAGES["empty"][lang])
    return cleaned


@dataclass
class Turn:
    question: str
    answer: Answer


@dataclass
class Conversation:
    """One user's history; never shared between sessions."""
    turns: list[Turn] = field(default_factory=list)

    def clear(self) -> None:
        self.turns.clear()


class Assistant:
    """Shared by all conversations: holds the loaded embedder, retriever and engines."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.store = Store(settings)
        self.embedder = make_embedder(settings)
        self.retriever = HybridRetriever(settings, self.store, self.embedder)
        self.extractive = ExtractiveEngine(settings, self.embedder)
        self._engines = {"extractive": self.extractive}

    def engine(self, name: str | None = None):
        name = name or self.settings.resolved_engine
        if name not in self._engines:
            self._engines[name] = make_engine(self.settings, self.embedder, name, self.extractive)
        return self._engines[name]

    def condense(self, question: str, conversation: Conversation | None, engine: str | None = None) -> str:
        """A standalone question for retrieval: the follow-up itself when it stands alone; else the LLM's rewrite
        (prompts/condense.txt), or, with no LLM or when it fails, the follow-up joined to the last question."""
        if not conversation or not conversation.turns:
            return question
        if len(tokens(question)) > 6 and not _DEPENDENT.search(question):
            return question
        joined = f"{conversation.turns[-1].question} {question}"
        name = engine or self.settings.resolved_engine
        if name == "extractive":
            return joined
        history = "\n".join(f"User: {t.question}\nAssistant: {t.answer.answer[:400]}" for t in conversation.turns[-2:])
        try:
            rewritten = self.engine(name).complete(prompts.render("condense", history=history, question=question))
        except ModelError as exc:
            log.warning("condensing with %s failed (%s); joining with the last question", name, exc)
            return joined
        rewritten = " ".join(rewritten.strip().splitlines()[:1]).strip().strip('"«»')
        # A rewrite that is empty, rambling, or in the other language is worse than the plain join.
        if not tokens(rewritten) or len(rewritten) > 3 * len(joined) + 40 or detect_language(rewritten) != detect_language(question):
            return joined
        return rewritten

    def search(self, question: str, k: int | None = None, filters: Filters | None = None) -> list[Hit]:
        """Hits within `filters` (default: the settings' since/until/outlet), near-duplicates cited once."""
        k = k or self.settings.top_k
        cands = self.retriever.rank(question, filters=self._filters(filters))[1]
        return self._distinct(self._ranked(cands, k), k)

    def _filters(self, filters: Filters | None) -> Filters:
        return filters if filters is not None else Filters.from_settings(self.settings)

    def _ranked(self, cands, k: int, per_article: bool = False) -> list[Hit]:
        # Twice as deep as k, so k distinct hits remain once near-duplicates are folded, and at least the passages the
        # selector reads; a timeline may need every candidate.
        return self.retriever.hits(cands, len(cands) if per_article else max(2 * k, self.settings.extract_passages))

    def _distinct(self, hits: list[Hit], k: int, per_article: bool = False) -> list[Hit]:
        # A near-duplicate group is one hit (the others in its `also`). A timeline wants k articles, so then only each
        # article's best chunk is kept.
        if per_article:
            seen: set[str] = set()
            hits = [h for h in hits if not (h.source in seen or seen.add(h.source))]
        return collapse(hits, self.store.manifest)[:k] if hits else hits

    def stream(self, question: str, conversation: Conversation | None = None, engine: str | None = None,
               k: int | None = None, filters: Filters | None = None) -> Iterator[str | Answer | list[Hit]]:
        """Yields the evidence (list of Hits) first, then text deltas, then the final Answer."""
        question = check_question(question, self.settings.max_question_chars)
        language = detect_language(question)
        standalone = self.condense(question, conversation, engine)
        q, cands = self.retriever.rank(standalone, filters=self._filters(filters))
        k, per_article = k or self.settings.top_k, is_timeline(standalone)
        ranked = self._ranked(cands, k, per_article)
        hits = self._distinct(ranked, k, per_article)
        yield hits
        name = engine or self.settings.resolved_engine
        selection = None
        kind = asks_about(standalone)  # 'when was it published', 'who wrote it': the article's metadata answers
        if not hits or max(h.dense for h in hits) < self.settings.relevance_floor:
            final = refusal(language, standalone, name)  # nothing close: no sentence is embedded or scored
        elif kind and (told := AboutEngine(self.store.manifest).answer(standalone, hits, language, kind)):
            final = told
            yield told.answer
        # The selector and the gate read the best passages as they were trained to (eval/train_selector.py), every
        # version of a near-duplicate story: one may hold a sentence the others lack; a quote cites the one holding it.
        elif not self.extractive.answerable(selection := self.extractive.select(q, ranked), language):
            final = refusal(language, standalone, name, answerable=selection.answerable)  # the gate: no model runs
        else:
            final = None
            try:
                engine_ = self.engine(name)
                if name == "extractive" and is_timeline(standalone):  # hook (#14): quotes in date order
                    engine_ = TimelineEngine(self.extractive)
                for event in engine_.stream(standalone, hits, language, q, selection):
                    if isinstance(event, Answer):
                        final = event
                    else:
                        yield event
            except ModelError as exc:
                if name == "extractive":
                    raise
                log.warning("engine %s failed: %s", name, exc)
                notice = MESSAGES["fallback"][language].format(engine=name, reason=str(exc)[:200])
                fallback = TimelineEngine(self.extractive) if is_timeline(standalone) else self.extractive
                for event in fallback.stream(standalone, hits, language, q, selection):
                    if isinstance(event, Answer):
                        final = Answer(**{**event.__dict__, "notice": notice})
                    else:
                        yield "\n\n" + notice + "\n\n" + event
        final = with_news(final, hits, selection.passages if selection is not None else ())
        if conversation is not None:
            conversation.turns.append(Turn(question, final))
        yield final

    def ask(self, question: str, conversation: Conversation | None = None, engine: str | None = None,
            k: int | None = None, filters: Filters | None = None) -> Answer:
        final = None
        for event in self.stream(question, conversation, engine, k, filters):
            if isinstance(event, Answer):
                final = event
        return final
