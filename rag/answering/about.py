"""Questions about an article rather than about its events: when it was published and who wrote it.

Their answer is in the article's metadata (rag/meta/: the header date, the byline), not in a body sentence, so the
quote engine cannot find it. They are answered from the metadata of the article the question's topic retrieved first,
quoting the header line the date or the name was read from, verbatim. When that article's metadata lacks the asked
field, the answer says so (refused, citing the article it looked at) instead of quoting sentences that do not answer."""
from __future__ import annotations

import re

from rag import prompts
from rag.answering.answer import Answer
from rag.arabic import normalize
from rag.answering.cite import Citation
from rag.meta import shown_date
from rag.retrieval.retrieve import Hit

# Arabic, matched on normalize()d text (no diacritics; أإآ→ا, ة→ه, ى→ي). 'نشر' alone also means 'deploy' (نشرت روسيا
# قواتها), so a publishing verb counts only next to a word for the article itself.
_AR_PIECE = r"(?:ال)?(?:خبر|مقال|مقاله|تقرير|قصه|ماده|نبا)"
_AR_DATE = re.compile(rf"(?:متي|في اي تاريخ|ما تاريخ|ما هو تاريخ|في اي يوم|اي يوم)\s+(?:تم\s+)?(?:نشر|صدر|كتب)\w*\s+{_AR_PIECE}|"
                      rf"تاريخ\s+(?:نشر|صدور|كتابه)\s+{_AR_PIECE}")
_AR_AUTHOR = re.compile(rf"(?:كاتب|كاتبه|محرر|مؤلف|معد|صاحب)\s+{_AR_PIECE}|من\s+(?:الذي\s+)?(?:كتب|حرر|اعد)\s+{_AR_PIECE}|"
                        rf"بقلم\s+من")
_EN_PIECE = r"(?:article|report|story|piece|news item|news story|news)"
_EN_DATE = re.compile(rf"\bwhen (?:was|were|did) (?:the |this |that )?{_EN_PIECE}\b.*\b(?:published|posted|written|"
                      rf"released|come out|appear)|\b(?:what|which) (?:date|day)\b.*\b{_EN_PIECE}\b.*\b(?:published|"
                      rf"posted|written|released)|\bpublication date\b|\bdate of publication\b", re.IGNORECASE)
_EN_AUTHOR = re.compile(rf"\bwho (?:wrote|authored|reported|penned)\b.*\b{_EN_PIECE}\b|"
                        rf"\b(?:author|writer|byline) of (?:the |this |that )?{_EN_PIECE}\b|"
                        rf"\bwho (?:wrote|authored) (?:it|this)\b", re.IGNORECASE)


def asks_about(question: str) -> str | None:
    """'date' (when was the article published), 'author' (who wrote it) or None (a question about events)."""
    norm = normalize(question)
    if _AR_DATE.search(norm) or _EN_DATE.search(question):
        return "date"
    if _AR_AUTHOR.search(norm) or _EN_AUTHOR.search(question):
        return "author"
    return None


class AboutEngine:
    """Answers 'when was it published / who wrote it' from the top article's metadata, quoting its header line."""

    name = "extractive"

    def __init__(self, manifest) -> None:
        self.manifest = manifest

    def answer(self, question: str, hits: list[Hit], language: str, kind: str) -> Answer | None:
        """The answer from the first hit's article; refused, naming that article, when its metadata lacks the field."""
        if not hits:
            return None
        hit = hits[0]
        meta = self.manifest.articles.meta([hit.source]).get(hit.source, {})
        if kind == "date":
            value = shown_date(meta.get("date", ""), meta.get("date_text", ""), meta.get("date_precision", ""), language)
            short, line = meta.get("date_text", ""), meta.get("date_line", "") or meta.get("date_text", "")
        else:
            value = short = meta.get("author", "")
            line = meta.get("byline", "") or value
        title = hit.title or hit.source
        chunk_id, text = self._passage(hit, line)
        line = _clip(line, short)
        citation = Citation(1, hit.source, chunk_id, line or hit.snippet, hit.score, hit.title, hit.date, text,
                            outlet=hit.outlet, date_text=hit.date_text, date_precision=hit.date_precision,
                            also=hit.also, author=meta.get("author", ""))
        if not value:  # said plainly, with the article it looked at, rather than quoting sentences that do not answer
            answer = prompts.render(f"about_{kind}_none.{language}", title=title)
            return Answer(answer, language, True, [citation], self.name, question=question)
        answer = prompts.render(f"about_{kind}.{language}", title=title, value=value, line=line)
        return Answer(answer, language, False, [citation], self.name, question=question,
                      short_answer=short if short and short in line else "")

    def _passage(self, hit: Hit, line: str) -> tuple[str, str]:
        """The chunk of the article that holds the quoted line (its first chunk when none does: a byline that page
        cleaning removed), as (chunk id, text)."""
        ids = self.manifest.files.chunk_ids(hit.source)
        texts = self.manifest.files.texts(ids)
        for cid in ids:
            if line and line in texts.get(cid, ""):
                return cid, texts[cid]
        first = ids[0] if ids else hit.chunk_id
        return first, texts.get(first, hit.text)


def _clip(line: str, value: str, most: int = 160) -> str:
    """A long dateline paragraph quoted only up to a little after the value: 'موسكو، 20 ... 2021 (أ ف ب) - استضاف …'."""
    if len(line) <= most:
        return line
    end = line.find(value) + len(value) if value and value in line else most
    cut = line.rfind(" ", 0, max(end + 40, 60))
    return line[: cut if cut > end else end].rstrip() + " …"
