"""Answer selection: score every sentence of the best passages with a trained model, decide with a calibrated gate
whether any of them answers, and mark the short answer phrase inside the chosen sentence."""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from rag.retrieval import features as F
from rag.indexing.chunk import split_sentences
from rag.retrieval.model import load
from rag.arabic import normalize, tokens

SENTENCE_FEATURES = (
    "cos", "cos_gap", "cos_rr", "cover_idf", "cover", "bm25", "cover_window", "cover_prev", "cover_next",
    "novelty", "type_match", "has_number", "has_date", "passage_rr", "passage_score", "passage_dense",
    "passage_keyword", "position", "first", "length", "en", "en_cos", "en_cos_gap", "en_cover_idf",
    *(f"q_{t}" for t in F.QTYPES),
)
GATE_FEATURES = (
    "p1", "p2", "p_margin", "best_cos", "max_cos", "top_dense", "top_score", "second_score", "best_cover_idf",
    "max_cover_idf", "evidence_cover", "best_type_match", "same_file_top3", "n_confident", "en", "en_p1",
    "en_max_cos", "en_top_dense", *(f"q_{t}" for t in F.QTYPES),
)


@dataclass(frozen=True)
class Scored:
    sentence: str
    hit: int          # index of its passage among the hits
    prob: float       # selector probability that the sentence holds the answer
    position: int     # sentence index inside the passage


@dataclass(frozen=True)
class Selection:
    sentences: list[Scored]   # best first
    answerable: float         # the gate's probability that the passages answer the question
    features: np.ndarray      # the gate's input row, kept for eval reports
    passages: tuple = ()      # the hits it read: `Scored.hit` indexes these


def quotes(scored: list[Scored], ratio: float, most: int) -> list[Scored]:
    """The best sentence of `scored` (best first), and the next ones scoring at least `ratio` of it, at most `most`; a
    sentence repeating one already quoted (another version of the story) is skipped for the next one."""
    chosen: list[Scored] = []
    for s in scored:
        if len(chosen) == most or s.prob < ratio * scored[0].prob:
            break
        if not any(F.repeats(s.sentence, c.sentence) for c in chosen):
            chosen.append(s)
    return chosen


def candidates(hits) -> list[tuple[str, int, int, int]]:
    """(sentence, hit index, position, sentences in passage) for the passages' sentences, first occurrence kept."""
    seen, out = set(), []
    for i, h in enumerate(hits):
        sents = split_sentences(h.text)
        for j, s in enumerate(sents):
            if s in seen or len(tokens(s)) < 3:
                continue
            seen.add(s)
            out.append((s, i, j, len(sents)))
    return out


def sentence_features(q: F.Question, hits, cands, cos: np.ndarray) -> np.ndarray:
    """One row per candidate sentence, columns as SENTENCE_FEATURES; `cos` = question . sentence embeddings."""
    if not cands:
        return np.zeros((0, len(SENTENCE_FEATURES)))
    passage_sents = {i: [F.keys(s) for s in split_sentences(h.text)] for i, h in enumerate(hits)}
    keys = [passage_sents[i][j] if j < len(passage_sents[i]) else F.keys(s) for s, i, j, _ in cands]
    avg = max(1.0, float(np.mean([len(k) for k in keys])))
    top = float(cos.max())
    order = np.argsort(-cos)
    rr = np.empty(len(cos))
    rr[order] = 1.0 / (1.0 + np.arange(len(cos)))
    en = float(q.lang == "en")
    onehot = F.qtype_onehot(q)
    rows = []
    for n, ((s, i, j, total), k) in enumerate(zip(cands, keys)):
        ps = passage_sents[i]
        prev = ps[j - 1] if 0 < j <= len(ps) else []
        nxt = ps[j + 1] if j + 1 < len(ps) else []
        cue = F.cues(s)
        cover_idf = F.coverage(q, k)
        h = hits[i]
        rows.append([
            cos[n], cos[n] - top, rr[n], cover_idf, F.coverage(q, k, weighted=False), F.bm25(q, k, avg),
            F.coverage(q, prev + k + nxt), F.coverage(q, prev), F.coverage(q, nxt), F.novelty(q, k),
            F.type_match(q.qtype, cue), cue["number"], cue["date"], 1.0 / (1 + i), h.score, h.dense, h.keyword,
            j / max(total - 1, 1), float(j == 0), np.log1p(len(k)), en, en * cos[n], en * (cos[n] - top),
            en * cover_idf, *onehot,
        ])
    return np.asarray(rows, dtype=np.float64)


def gate_features(q: F.Question, hits, cands, cos: np.ndarray, probs: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """The question-level row for the refusal gate, columns as GATE_FEATURES."""
    col = {name: i for i, name in enumerate(SENTENCE_FEATURES)}
    en = float(q.lang == "en")
    if not len(probs):  # no sentence to score: only what is known without one
        top_dense = max((h.dense for h in hits), default=0.0)
        known = {"top_dense": top_dense, "en": en, "en_top_dense": en * top_dense,
                 **{f"q_{t}": v for t, v in zip(F.QTYPES, F.qtype_onehot(q))}}
        return np.asarray([known.get(name, 0.0) for name in GATE_FEATURES], dtype=np.float64)
    order = np.argsort(-probs)
    b = int(order[0])
    p1 = float(probs[b])
    p2 = float(probs[order[1]]) if len(order) > 1 else 0.0
    evidence = [k for h in hits[:3] for k in F.keys(h.text)]
    top_dense = hits[0].dense if hits else 0.0
    same = sum(1 for h in hits[1:3] if h.source == hits[0].source) if hits else 0
    return np.asarray([
        p1, p2, p1 - p2, cos[b], float(cos.max()), top_dense, hits[0].score, hits[1].score if len(hits) > 1 else 0.0,
        rows[b, col["cover_idf"]], float(rows[:, col["cover_idf"]].max()), F.coverage(q, evidence),
        rows[b, col["type_match"]], same, float((probs >= 0.5 * p1).sum()), en, en * p1, en * float(cos.max()),
        en * top_dense, *F.qtype_onehot(q),
    ], dtype=np.float64)


class Selector:
    """Scores sentences (rag/models/selector.json) and the question (rag/models/gate.json); sentence vectors via
    `vectors(sentences) -> array`, usually the extractive engine's cache."""

    def __init__(self, vectors, models_dir: str = "") -> None:
        self.vectors = vectors
        self.models_dir = models_dir or None

    def select(self, q: F.Question, hits) -> Selection:
        cands = candidates(hits)
        if not cands or q.vector is None:
            row = gate_features(q, hits, [], np.zeros(0), np.zeros(0), np.zeros((0, len(SENTENCE_FEATURES))))
            return Selection([], float(load("gate", self.models_dir).predict(row)[0]), row, tuple(hits))
        cos = self.vectors([s for s, *_ in cands]) @ q.vector
        rows = sentence_features(q, hits, cands, cos)
        probs = load("selector", self.models_dir).predict(rows)
        gate_row = gate_features(q, hits, cands, cos, probs, rows)
        answerable = float(load("gate", self.models_dir).predict(gate_row)[0])
        order = np.argsort(-probs, kind="stable")
        scored = [Scored(cands[i][0], cands[i][1], float(probs[i]), cands[i][2]) for i in order]
        return Selection(scored, answerable, gate_row, tuple(hits))


# ---------------------------------------------------------------- short answers

@dataclass(frozen=True)
class Short:
    """The short answer of an answer (the contract shared by the selector and the reader, #21/#24)."""
    text: str                    # verbatim inside `sentence`, or ""
    kind: str = ""               # number | date | person | place | other | ""
    citation: int = 0            # 1-based index into the answer's citations of the one holding it, 0 if none
    chunk_id: str = ""           # the chunk of that citation
    score: float | None = None   # the producer's confidence in [0, 1], or None
    sentence: str = ""           # the quoted sentence it is cut from


def short_of(question: F.Question, sentence: str, citation: int = 0, chunk_id: str = "") -> Short:
    """The selector's Short: short_answer() of the sentence, its kind the question type (number/date only)."""
    text = short_answer(question, sentence)
    kind = question.qtype if text and question.qtype in ("number", "date") else ""
    return Short(text, kind, citation if text else 0, chunk_id if text else "", None, sentence if text else "")


_NUMBER_PHRASE = re.compile(r"(?:(?:[\d٠-٩][\d٠-٩.,،٫٬]*)\s*(?:%|٪)?(?:\s+(?:ألف|الف|مليون|مليار|آلاف|الاف|مئة|مائة))?)")
_YEAR_PHRASE = re.compile(r"(?:(?:[\d٠-٩]{1,2}\s+)?(?:\S+\s+)?[\d٠-٩]{3,4}(?:\s*(?:م|هـ|ه|ق\.?\s*م))?)")


def short_answer(question: F.Question, sentence: str) -> str:
    """A verbatim phrase of `sentence` answering a number or date question, or "" when none can be marked safely."""
    if question.qtype == "date":
        months = [m for m in re.finditer(r"\S+", sentence) if normalize(m.group()).lstrip("و") in F.MONTHS]
        for m in months:  # "12 يونيو 2024", "يونيو 2024", "20 أكتوبر"
            start, end = m.start(), m.end()
            before = re.search(r"([\d٠-٩]{1,2})\s+$", sentence[:start])
            after = re.match(r"\s+([\d٠-٩]{3,4})", sentence[end:])
            if before:
                start = before.start(1)
            if after:
                end += after.end()
            if before or after:
                return sentence[start:end]
        year = re.search(r"(?<![\d٠-٩])[\d٠-٩]{4}(?![\d٠-٩])", sentence)
        return year.group() if year else ""
    if question.qtype == "number":
        asked = set(question.keys)
        best, best_score = "", -1.0
        # digits ("145", "3.5 مليون"), or a number word with the noun it counts ("عشر دول")
        words = [m for m in re.finditer(r"\S+", sentence) if normalize(m.group()).strip(",،.").removeprefix("و")
                 in F.NUMBER_WORDS]
        spans = [(m.start(), m.end(), m.group()) for m in _NUMBER_PHRASE.finditer(sentence)]
        for w in words:
            noun = re.match(r"\s+[^\s,،.]+", sentence[w.end():])
            end = w.end() + (noun.end() if noun else 0)
            spans.append((w.start() + (1 if w.group().startswith("و") else 0), end, None))
        for start, end, text in spans:
            text = (text if text is not None else sentence[start:end]).strip(" ,،.")
            if not text or text in question.text:
                continue
            # the number closest to the question's words (its unit usually follows it)
            window = F.keys(sentence[max(0, start - 60): end + 60])
            score = len(asked & set(window))
            if score > best_score:
                best, best_score = text, score
        return best
    return ""
