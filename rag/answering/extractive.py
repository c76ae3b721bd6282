"""The extractive engine: quotes the sentences the trained selector scores highest, when the refusal gate says the
passages answer (no language model)."""
from __future__ import annotations

import dataclasses
import threading
from typing import Iterator

import numpy as np

from rag import prompts
from rag.answering.answer import Answer, is_full_date, most_recent, refusal
from rag.answering.cite import Citation
from rag.answering.select import Scored, Selection, Selector, Short, quotes, short_of
from rag.config import Settings
from rag.indexing.chunk import split_sentences
from rag.indexing.embed import Embedder
from rag.retrieval import features
from rag.retrieval.model import load
from rag.retrieval.retrieve import Hit


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
        short = short_of(q, chosen[0].sentence, order[chosen[0].hit], hits[chosen[0].hit].chunk_id)
        short, refuse = self.read(question, q, chosen, order, hits, short)
        if refuse:
            yield refusal(language, question, self.name, answerable=selection.answerable)
            return
        dated = [(s, hits[s.hit].date if is_full_date(hits[s.hit].date) else "") for s in chosen]
        answer_en = ""
        if language == "en" and self.settings.answer_en:
            # the English answer line, then the Arabic quotes as its evidence (rag/answering/english, #21)
            from rag.answering.english import render_short
            from rag.answering.english.reply import english_reply, quote_line

            if not short.text and q.qtype == "place":  # the selector marks numbers and dates; a place by CLDR
                from rag.answering.english.names import find_place

                span = find_place(chosen[0].sentence, question)
                if span:
                    short = Short(span, "place", order[chosen[0].hit], hits[chosen[0].hit].chunk_id, None,
                                  chosen[0].sentence)
            rendered = (render_short(short, question, q.qtype, self.settings.transliteration)
                        if short.text else None)
            answer_en = rendered.text if rendered else ""
            text = english_reply([quote_line(s.sentence, order[s.hit], d) for s, d in dated], short.text,
                                 short.citation, rendered)
        else:
            lines = []
            for s, date in dated:
                quote = f"«{s.sentence}»" if language == "en" else s.sentence
                lines.append(f"- {quote} [{order[s.hit]}]" + (f" ({date})" if date else ""))
            text = prompts.render(f"extractive.{language}", quotes="\n".join(lines))
        latest = most_recent([(order[i], hits[i].date) for i in order])
        if latest:
            text += "\n" + prompts.render(f"recency.{language}", n=latest[0], date=latest[1])
        citations = [Citation(n, hits[i].source, hits[i].chunk_id, next(s.sentence for s in chosen if s.hit == i),
                              hits[i].score, hits[i].title, hits[i].date, hits[i].text) for i, n in order.items()]
        yield text
        yield Answer(text, language, False, citations, self.name, question=question, short_answer=short.text,
                     answerable=selection.answerable, short_answer_kind=short.kind,
                     short_answer_citation=short.citation, short_answer_score=short.score, answer_en=answer_en)

    def read(self, question: str, q: features.Question, chosen: list[Scored], order: dict[int, int], hits: list[Hit],
             short: Short) -> tuple[Short, bool]:
        """The reader's best span over the quoted sentences (score x `reader_rank_prior`^rank) is the short answer where the selector's rule marks none
        (the rule's number/date phrases are kept: more precise on their types, eval/reader.md), when its score is
        at least `reader_min_score`; (short, refuse) where refuse = the reader's best answerable probability is below
        `reader_refuse`. Without the reader (setting off): (short, False) unchanged; on without its file: ConfigError."""
        from rag.answering import reader

        if not self.settings.reader or (short.text and self.settings.reader_refuse <= 0):
            return short, False
        path = reader.require(reader.model_file(self.settings.models_dir))
        reads = reader.Reader(self.settings.reader_threads, path).read(question, [s.sentence for s in chosen])
        if self.settings.reader_refuse > 0 and max(r.prob for r in reads) < self.settings.reader_refuse:
            return short, True
        prior = self.settings.reader_rank_prior  # the selector's order as a prior: a later quote needs a surer span
        k = max(range(len(reads)), key=lambda i: reads[i].score * prior ** i)
        best = reads[k]
        if short.text or not best.text or best.score < self.settings.reader_min_score:
            return short, False
        s = chosen[k]
        kind = q.qtype if q.qtype in ("number", "date", "person", "place") else "other"
        return Short(best.text, kind, order[s.hit], hits[s.hit].chunk_id, best.score, s.sentence), False

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
