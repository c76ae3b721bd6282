"""Turn [n] markers into citations of retrieved chunks, and keep only sentences their passage really supports."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.arabic import tokens
from rag.indexing.chunk import split_sentences
from rag.retrieval.retrieve import Hit

MARKER = re.compile(r"\s*\[(\d{1,2})\]")


@dataclass(frozen=True)
class Citation:
    n: int            # the marker number shown in the answer
    source: str
    chunk_id: str
    snippet: str      # the supporting sentence of the passage (verbatim)
    score: float      # retrieval score of the passage
    title: str
    date: str
    text: str         # the whole passage, for the sources panel
    outlet: str = ""          # news metadata (#14), filled from the hit by chat.Assistant
    date_text: str = ""       # the date as the article writes it ("20 أكتوبر" when the year is unknown)
    date_precision: str = ""  # day | month | year | partial | none
    also: tuple = ()          # near-duplicates not cited again: ({source, outlet, date}, ...)
    author: str = ""          # the article's byline, filled from the hit like outlet

    def to_dict(self) -> dict:
        return {"n": self.n, "source": self.source, "chunk_id": self.chunk_id, "snippet": self.snippet,
                "score": round(self.score, 4), "title": self.title, "date": self.date, "date_text": self.date_text,
                "date_precision": self.date_precision, "outlet": self.outlet, "also": list(self.also),
                "author": self.author}


def overlap(sentence: str, passage: str) -> float:
    """Share of the sentence's content words (normalised) that the passage contains."""
    s = set(tokens(sentence))
    if not s:
        return 0.0
    return len(s & set(tokens(passage))) / len(s)


def best_sentence(claim: str, passage: str, embedder=None) -> tuple[str, float]:
    """The passage sentence closest to `claim` (keyword overlap, else embedding similarity) and its score."""
    sents = split_sentences(passage) or [passage]
    scores = [overlap(claim, s) for s in sents]
    if embedder is not None and max(scores) == 0:
        vecs = embedder.passages(sents)
        q = embedder.query(claim)
        scores = list(np.asarray(vecs) @ np.asarray(q))
    i = int(np.argmax(scores))
    return sents[i], float(scores[i])


class CitationBuilder:
    """Parse the model's markers, drop ones pointing at nothing, verify support, align unmarked sentences."""

    def __init__(self, hits: list[Hit], threshold: float, embedder=None, cos_threshold: float = 0.86,
                 sentence_vectors=None) -> None:
        self.hits, self.threshold, self.embedder, self.cos_threshold = hits, threshold, embedder, cos_threshold
        # sentences -> passage vectors; the extractive engine's cached one when given (it already embedded them)
        self._embed = sentence_vectors or (lambda sentences: np.asarray(embedder.passages(sentences)))
        self._vectors: dict[str, np.ndarray] = {}

    def _sentence_vectors(self, hit: Hit) -> np.ndarray:
        if hit.chunk_id not in self._vectors:
            self._vectors[hit.chunk_id] = self._embed(split_sentences(hit.text) or [hit.text])
        return self._vectors[hit.chunk_id]

    def supported(self, sentence: str, hit: Hit) -> float:
        """Support score of `sentence` by `hit` in [0, 1]: keyword overlap, else (a paraphrase, or an English sentence
        over an Arabic passage) the threshold when one passage sentence is its near-translation by embedding."""
        words = set(tokens(sentence))
        shared = len(words & set(tokens(hit.text)))
        score = shared / len(words) if words else 0.0
        if score >= self.threshold and shared < min(2, len(words)):
            # a two-word claim on one shared word is no support: "أحمد السلام" is not "عبد السلام حنفي"
            score = 0.0
        if score >= self.threshold or self.embedder is None:
            return score
        # Sentence to sentence, both as passages: a faithful translation scores ~0.89-0.92 with multilingual-e5-small,
        # a plausible false claim about the same subject ~0.82-0.84, an unrelated one ~0.71 (measured, see tests).
        claim = np.asarray(self.embedder.passages([MARKER.sub("", sentence)])[0])
        cos = float(np.max(self._sentence_vectors(hit) @ claim))
        return self.threshold if cos >= self.cos_threshold else score

    def build(self, text: str, question: str = "") -> tuple[str, list[Citation], list[str]]:
        """(answer with renumbered markers, citations best first, dropped sentences).

        Dropped: sentences no passage supports, and sentences that only restate the question ("The envoy is [1].")."""
        kept: list[tuple[str, list[int]]] = []
        dropped: list[str] = []
        asked = set(tokens(question))
        for sentence in split_sentences(text):
            claims = [int(n) for n in MARKER.findall(sentence)]
            bare = MARKER.sub("", sentence).strip()
            if not tokens(bare):
                continue
            if asked and set(tokens(bare)) <= asked:
                dropped.append(bare)
                continue
            valid = [n - 1 for n in claims if 1 <= n <= len(self.hits)]
            supporting = [i for i in dict.fromkeys(valid) if self.supported(bare, self.hits[i]) >= self.threshold]
            if not supporting:  # no marker, or markers that do not hold: find the passage that does support it
                scores = [self.supported(bare, h) for h in self.hits]
                if scores and max(scores) >= self.threshold:
                    supporting = [int(np.argmax(scores))]
            if supporting:
                kept.append((bare, supporting))
            else:
                dropped.append(bare)
        # Number citations in retrieval order (best first), whatever numbers the model used.
        number = {i: n for n, i in enumerate(sorted({i for _, idx in kept for i in idx}), start=1)}
        answer = " ".join(_with_marks(bare, "".join(f" [{number[i]}]" for i in idx)) for bare, idx in kept)
        citations = []
        for i, n in number.items():
            hit = self.hits[i]
            claim = " ".join(bare for bare, idx in kept if i in idx)
            snippet, _ = best_sentence(claim, hit.text, self.embedder)
            citations.append(Citation(n, hit.source, hit.chunk_id, snippet, hit.score, hit.title, hit.date, hit.text))
        return answer, citations, dropped


def _with_marks(sentence: str, marks: str) -> str:
    """Markers go before the sentence's closing punctuation: "... دولار [2]."."""
    body = sentence.rstrip(".!?؟؛;")
    return body + marks + sentence[len(body):]
