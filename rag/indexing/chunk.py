"""Split an article into overlapping chunks on Arabic and Latin sentence boundaries, with stable ids and metadata."""
from __future__ import annotations

import re

from typing import TYPE_CHECKING

from rag.indexing.ingest import Article
from rag.meta import values

if TYPE_CHECKING:  # llama_index.core is imported when a chunk is made, not when `rag index` starts (~0.9 s)
    from llama_index.core.schema import TextNode

# A sentence ends at . ! ? ؟ ؛ ; (followed by space) or at a line break; quotes closing a sentence stay with it.
_SENTENCE = re.compile(r"(?:[^\n.!?؟؛;]|[.!?؟؛;]+(?=[^\s.!?؟؛;\"»”')\]]))*"
                       r"(?:[.!?؟؛;]+[\"»”')\]]*(?=\s|$)|\n|$)")
META_KEYS = ("source", "title", "date", "date_text", "file_sha256", "position", "n_chunks", "start", "end",
             "date_precision", "outlet", "outlet_key", "date_lo", "date_hi")
FILTER_KEYS = ("date_precision", "outlet", "outlet_key", "date_lo", "date_hi")  # what Chroma's `where` filters on


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences of `text`, whitespace trimmed, empties dropped."""
    spans = []
    pos = 0
    while pos < len(text):
        m = _SENTENCE.match(text, pos)
        end = m.end() if m and m.end() > pos else pos + 1
        # A dot between digits ("3.5") or inside an abbreviation run is not an end: the regex needs a space after it.
        s, e = pos, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
        pos = end
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentences(text)]


def chunk_article(article: Article, size: int, overlap: int) -> list[TextNode]:
    """Greedy packing of whole sentences up to `size` characters; each chunk starts with up to `overlap` characters
    of the previous chunk's last sentences. Ids are `<source>#<position>`, stable while the file is unchanged."""
    from llama_index.core.schema import TextNode

    spans = _split_long(sentences(article.text), size)
    groups: list[list[tuple[int, int]]] = []
    current: list[tuple[int, int]] = []
    for span in spans:
        length = span[1] - (current[0][0] if current else span[0])
        if current and length > size:
            groups.append(current)
            carry: list[tuple[int, int]] = []
            for prev in reversed(current):
                if span[1] - prev[0] > size or current[-1][1] - prev[0] > overlap:
                    break
                carry.insert(0, prev)
            current = carry
        current.append(span)
    if current:
        groups.append(current)
    news = {k: v for k, v in values(article.meta).items() if k in FILTER_KEYS} if article.meta else {}
    nodes = []
    for i, group in enumerate(groups):
        start, end = group[0][0], group[-1][1]
        meta = {"source": article.source, "title": article.title, "date": article.date, "date_text": article.date_text,
                "file_sha256": article.sha256, "position": i, "n_chunks": len(groups), "start": start, "end": end,
                **news}
        nodes.append(TextNode(id_=f"{article.source}#{i:04d}", text=article.text[start:end], metadata=meta,
                              excluded_embed_metadata_keys=list(META_KEYS),
                              excluded_llm_metadata_keys=list(META_KEYS)))
    return nodes


def embed_text(node: TextNode, with_title: bool) -> str:
    """What the embedder reads for a chunk: the title helps a chunk that never names its subject (measured)."""
    title = node.metadata.get("title", "")
    if with_title and title and not node.text.startswith(title):
        return f"{title}\n{node.text}"
    return node.text


def _split_long(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    # A "sentence" longer than a chunk (a 20 MB single line) is cut at `size` characters.
    out = []
    for s, e in spans:
        while e - s > size:
            out.append((s, s + size))
            s += size
        out.append((s, e))
    return out
