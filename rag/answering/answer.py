"""What an answer engine returns (Answer), the interface engines share, the refusal, and the newest-source rule."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterator, Protocol

from rag import prompts
from rag.answering.cite import Citation
from rag.answering.select import Selection
from rag.retrieval import features
from rag.retrieval.retrieve import Hit


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
    timeline: bool = False                            # quotes/passages in date order (rag/answering/timeline.py, #14)
    short_answer_kind: str = ""                       # number | date | person | place | other | "" (#21/#24)
    short_answer_citation: int = 0                    # the citation (1-based) whose passage holds it, 0 if none
    short_answer_score: float | None = None           # the producer's confidence in [0, 1], or None
    answer_en: str = ""                               # English question: the short answer rendered in English, or ""

    def to_dict(self) -> dict:
        return {"answer": self.answer, "language": self.language, "refused": self.refused,
                "citations": [c.to_dict() for c in self.citations], "engine": self.engine, "notice": self.notice,
                "unsupported_sentences": self.dropped, "standalone_question": self.question,
                "short_answer": self.short_answer,
                "answerable": None if self.answerable is None else round(self.answerable, 4),
                "timeline": self.timeline, "short_answer_kind": self.short_answer_kind,
                "short_answer_citation": self.short_answer_citation,
                "short_answer_score": None if self.short_answer_score is None else round(self.short_answer_score, 4),
                "answer_en": self.answer_en}


class Engine(Protocol):
    name: str

    def stream(self, question: str, hits: list[Hit], language: str, q: features.Question | None = None,
               selection: Selection | None = None) -> Iterator[str | Answer]: ...


def refusal(language: str, question: str = "", engine: str = "", notice: str = "",
            answerable: float | None = None) -> Answer:
    return Answer(prompts.template(f"refusal.{language}"), language, True, [], engine, notice, [], question,
                  answerable=answerable)


def is_full_date(date: str) -> bool:
    return bool(date) and date[:4].isdigit()


def most_recent(dated: list[tuple[int, str]]) -> tuple[int, str] | None:
    """(citation number, date) of the newest source, when the cited sources carry at least two different dates."""
    known = [(n, d) for n, d in dated if is_full_date(d)]
    if len({d for _, d in known}) < 2:
        return None
    return max(known, key=lambda nd: nd[1])
