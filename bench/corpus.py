"""Generated news-like articles from real Arabic text, varied enough that chunks are not copies of each other.

Sources: the project's news articles (`corpus/*.txt`, cleaned by rag.indexing.ingest) and the ARCD Wikipedia paragraphs
(`../shared/benchmarks/arcd/corpus` from the repository root, or `--arcd DIR`; grouped by their Wikipedia
article). Article `i` is a pure function of
(seed, i), so the first 100 articles of a 1,000-article corpus are the 100-article corpus.

Each article: a headline (its topic's title + the opening words of its lead sentence), a dateline with a random
date, then 3-6 paragraphs: 1-3 from the lead topic, the rest from other topics (the "related" paragraphs news
sites append). Every paragraph is a random contiguous window of its source paragraph's sentences (up to a third
cut from either end), so the same source paragraph turns up cut differently in different articles and chunk
boundaries move. The source text itself is never altered: no shuffled words, no invented sentences.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The ARCD benchmark folder (gold.jsonl, corpus/) beside the repository; `python -m bench --arcd DIR` overrides it.
ARCD = ROOT.parent / "shared" / "benchmarks" / "arcd"
MONTHS = ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
          "ديسمبر")
CITIES = ("القاهرة", "بيروت", "الرياض", "دبي", "عمّان", "الرباط", "تونس", "الدوحة", "بغداد", "الجزائر", "لندن",
          "موسكو", "واشنطن", "باريس", "إسطنبول")


@dataclass
class Paragraph:
    source: str            # the file it came from (ARCD gold questions name this file)
    sentences: list[str]


@dataclass
class Topic:
    key: str
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)


def load_topics(arcd: Path = ARCD) -> list[Topic]:
    from rag.indexing.chunk import split_sentences
    from rag.indexing.ingest import scan

    topics: dict[str, Topic] = {}
    articles, _ = scan(ROOT / "corpus")
    for a in articles:
        t = topics.setdefault(f"news:{a.source}", Topic(f"news:{a.source}", a.title))
        for line in a.text.split("\n")[1:]:
            if len(line) >= 120:  # body paragraphs, not captions or sub-headlines
                t.paragraphs.append(Paragraph(a.source, split_sentences(line)))
    for f in sorted((arcd / "corpus").glob("*.txt")):
        lines = [ln.strip() for ln in f.read_text(encoding="utf-8").split("\n") if ln.strip()]
        if len(lines) < 2:
            continue
        key = "arcd:" + f.stem.rsplit("-", 1)[0]
        t = topics.setdefault(key, Topic(key, lines[0]))
        for para in lines[1:]:
            if len(para) >= 80:
                t.paragraphs.append(Paragraph(f.name, split_sentences(para)))
    return [t for t in topics.values() if t.paragraphs]


def _window(p: Paragraph, rng: random.Random) -> str:
    s = p.sentences
    if len(s) >= 3:
        cut = len(s) // 3
        a, b = rng.randint(0, cut), len(s) - rng.randint(0, cut)
        if b - a >= 2:
            s = s[a:b]
    return " ".join(s)


def article_text(topics: list[Topic], i: int, seed: int = 0, variant: str = "") -> tuple[str, set[str]]:
    """(text, source files used) of article i; `variant` gives a different article under the same number."""
    rng = random.Random(f"{seed}:{i}:{variant}")
    lead = rng.choice(topics)
    n_para = rng.randint(3, 6)
    picks = rng.sample(lead.paragraphs, min(len(lead.paragraphs), rng.randint(1, 3)))
    while len(picks) < n_para:
        other = rng.choice(topics)
        if other is not lead:
            picks.append(rng.choice(other.paragraphs))
    paras = [_window(p, rng) for p in picks]
    words = paras[0].split()
    headline = f"{lead.title}: {' '.join(words[:rng.randint(5, 9)])}"
    dateline = f"{rng.choice(CITIES)} — {rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.randint(2015, 2024)}"
    return "\n\n".join([headline, dateline, *paras]) + "\n", {p.source for p in picks}


def write_article(directory: Path, topics: list[Topic], i: int, seed: int = 0, variant: str = "") -> tuple[Path, set[str]]:
    text, used = article_text(topics, i, seed, variant)
    path = directory / f"article_{i:05d}.txt"
    path.write_text(text, encoding="utf-8")
    return path, used


def make_corpus(directory: Path, n: int, topics: list[Topic], seed: int = 0) -> dict:
    """Write articles 0..n-1; returns what makes them varied: distinct paragraph windows, sources used, sizes."""
    directory.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()
    chars, paras, distinct = 0, 0, set()
    for i in range(n):
        path, srcs = write_article(directory, topics, i, seed)
        used |= srcs
        text = path.read_text(encoding="utf-8")
        chars += len(text)
        body = text.split("\n\n")[2:]
        paras += len(body)
        distinct.update(hash(p) for p in body)
    return {"articles": n, "chars": chars, "mean_chars": round(chars / max(n, 1)), "paragraphs": paras,
            "distinct_paragraphs": len(distinct), "source_files_used": len(used), "used": used}
