"""Date and outlet filters, applied inside both retrievers: a Chroma `where` on chunk metadata and the set of files
the keyword index may rank (from the manifest), never a cut of an unfiltered top k.

Dates are yyyymmdd ranges (rag/meta.date_range): an article passes when the range it can be from overlaps the
filter's, so a month-only date passes a filter that covers part of that month. An article whose year is unknown
(a partial date such as "20 أكتوبر", or no date) cannot be placed in time: any date filter leaves it out.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from llama_index.core.schema import QueryBundle

from rag.meta import date_range, filter_day, outlet_key


@dataclass(frozen=True)
class Filters:
    since: int = 0                  # yyyymmdd, 0 = open
    until: int = 0                  # yyyymmdd, 0 = open
    outlets: tuple[str, ...] = ()   # as typed: any alias or spelling of an outlet ("Al Jazeera", "الجزيرة")

    @classmethod
    def parse(cls, since: str = "", until: str = "", outlet: str = "") -> "Filters":
        """From the settings' strings: dates as YYYY, YYYY-MM or YYYY-MM-DD; outlets separated by commas."""
        outlets = tuple(o.strip() for o in re.split(r"[,،]", outlet or "") if o.strip())
        f = cls(filter_day(since, "since", last=False), filter_day(until, "until", last=True), outlets)
        return f

    @classmethod
    def from_settings(cls, settings) -> "Filters":
        return cls.parse(settings.since, settings.until, settings.outlet)

    @property
    def active(self) -> bool:
        return bool(self.since or self.until or self.outlets)

    def outlet_keys(self, known: dict[str, str]) -> list[str] | None:
        """The indexed outlets the typed names mean (same key, else a key containing the name); None = any outlet."""
        if not self.outlets:
            return None
        keys: list[str] = []
        for name in self.outlets:
            key = outlet_key(name)
            same = [k for k in known if k == key]
            keys += same or [k for k in known if key and key in k]
        return sorted(set(keys))

    def scope(self, manifest) -> "Scope":
        keys = self.outlet_keys(manifest.articles.outlets())
        return Scope(self, chroma_where(self, keys), manifest.articles.sources_where(self.since, self.until, keys))


@dataclass(frozen=True)
class Scope:
    """Filters resolved against one index: the Chroma where clause and the files the keyword side may rank."""
    filters: Filters
    where: dict | None
    sources: list[str]


@dataclass
class FilteredQuery(QueryBundle):
    """A llama-index QueryBundle carrying the resolved filters to the retrievers' _retrieve."""
    scope: Scope | None = None


def chroma_where(f: Filters, outlet_keys: list[str] | None) -> dict | None:
    conds: list[dict] = []
    if f.since or f.until:
        conds.append({"date_lo": {"$gt": 0}})
    if f.since:
        conds.append({"date_hi": {"$gte": f.since}})
    if f.until:
        conds.append({"date_lo": {"$lte": f.until}})
    if outlet_keys is not None:
        conds.append({"outlet_key": {"$in": outlet_keys or ["\x00none"]}})
    if not conds:
        return None
    return conds[0] if len(conds) == 1 else {"$and": conds}


def date_key(hit) -> tuple[int, int]:
    """Oldest first; articles whose year is unknown go last."""
    lo, _ = date_range(hit.date, hit.date_precision or ("day" if hit.date else "none"))
    return (0, lo) if lo else (1, 0)


def by_date(hits: list) -> list:
    return sorted(hits, key=date_key)
