"""The news features on a real archive (#22): SaudiNewsNet's 31,030 articles against their own fields.

    python -m bench.saudinewsnet meta  [--limit N] [--out F.json]   # outlet, author, date read from the text
    python -m bench.saudinewsnet dups  [--sample 100] [--out F.json] # near-duplicate groups, a sample of pairs to judge

No embeddings: `meta` reads each article as a newsroom file WITHOUT front matter would read (its headline, then the
archive's `content`), through the product's own `ingest.clean` and `meta.extract`, and compares with the archive's
`source`, `author` (the person it names, rag.indexing.archive.author_name) and `date_extracted` (publication day from
2015-08-01 on, its README says). Through `rag import`'s files the product reads all three from front matter; these
numbers are about the text. `dups` signs every article with rag/indexing/dedup.py's MinHash, bands it as the index's LSH does,
and keeps the pairs `same_story` accepts, as `rag index` would.
"""
from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

ARCHIVE = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "saudinewsnet"

# Where the text names its outlet: the archive's own conventions, distinctive spellings only (the bare names الرياض,
# اليوم, الوطن, المدينة, الجزيرة are a city, 'today', 'the nation', 'the city' and a Qatari channel in running text).
NAMED = {
    "3alyoum": r"عين اليوم", "sabq": r"(?<![\w])سبق(?=\s*[-–—:]|[\"”»])|[«\"“]سبق[»\"”]", "alweeam": r"الوئام",
    "aawsat": r"[«\"“{]الشرق الأوسط[»\"”}]", "okaz": r"عكاظ", "was": r"(?<![\w])واس(?![\w])",
    "aleqtisadiya": r"[«\"“]الاقتصادية[»\"”]", "alriyadh": r"[«\"“]الرياض[»\"”]|(?:صحيفة|جريدة) الرياض",
    "aljazirah": r"[«\"“]الجزيرة[»\"”]|(?:صحيفة|جريدة) الجزيرة", "alyaum": r"[«\"“]اليوم[»\"”]|(?:صحيفة|جريدة) اليوم",
    "alwatan": r"[«\"“]الوطن[»\"”]|(?:صحيفة|جريدة) الوطن", "almadina": r"[«\"“]المدينة[»\"”]|(?:صحيفة|جريدة) المدينة",
    "arreyadi": r"[«\"“]الرياضي[»\"”]|(?:صحيفة|جريدة) الرياضي", "arriyadiyah": r"[«\"“]الرياضية[»\"”]|(?:صحيفة|جريدة) الرياضية",
}


def _records(limit: int | None):
    from rag.indexing.archive import load_records

    recs = load_records([ARCHIVE])
    return recs[:limit] if limit else recs


def read_text_only(rec: dict):
    """The product's reading of the article as a file with no front matter: headline line, then the content."""
    from rag.indexing.ingest import clean
    from rag.meta import extract

    title = " ".join((rec.get("title") or "").split())
    raw = f"{title}\n{rec['content']}" if title else rec["content"]
    body = clean(raw)
    return extract(body, {}, "", raw=raw) if body else None


def _norm_name(text: str) -> str:
    from rag.arabic import normalize

    text = re.sub(r"(?<!\w)عبد\s+(?=ال)", "عبد", normalize(text))  # 'عبد الله' and 'عبدالله': one name, two spellings
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def bench_meta(limit: int | None) -> dict:
    from rag.indexing.archive import SOURCES, author_name
    from rag.meta import outlet_key

    recs = _records(limit)
    out = {"articles": len(recs)}
    o = collections.Counter()
    per = collections.defaultdict(collections.Counter)
    wrong_examples, author_examples, date_examples, missed_examples = [], [], [], []
    a = collections.Counter()
    d = collections.Counter()
    for rec in recs:
        if not rec.get("content", "").strip():
            o["no content"] += 1
            continue
        meta = read_text_only(rec)
        gold = SOURCES.get(rec["source"], rec["source"])
        named = bool(re.search(NAMED.get(rec["source"], "^$"), rec["content"]))
        got = meta.outlet if meta else ""
        verdict = "missing" if not got else "right" if outlet_key(got) == outlet_key(gold) else "wrong"
        o[verdict] += 1
        if named:
            o[f"named:{verdict}"] += 1
        per[rec["source"]][f"{'named:' if named else ''}{verdict}"] += 1
        if named and verdict == "missing" and len(missed_examples) < 40:
            missed_examples.append((rec["source"], rec["content"][:200]))
        if verdict == "wrong" and len(wrong_examples) < 60:
            wrong_examples.append((rec["source"], got, meta.outlet_from, rec["content"][:160]))
        # author: the person the archive's field names, read from the text
        person = author_name(rec.get("author", ""), gold, rec["source"])
        if person:
            got_a = meta.author if meta else ""
            ga, gp = _norm_name(got_a), _norm_name(person)
            in_header = any(_norm_name(p) in _norm_name(" ".join(rec["content"].split("\n")[:3])[:300])
                            for p in person.split("، "))
            v = "missing" if not ga else "right" if ga == gp or ga in gp or gp in ga else "wrong"
            a[v] += 1
            if in_header:
                a[f"in_header:{v}"] += 1
                if v != "right" and len(author_examples) < 40:
                    author_examples.append((rec["source"], person, got_a, rec["content"][:120]))
        # date: the crawl day from 2015-08-01 on
        day = rec.get("date_extracted", "")[:10]
        if day >= "2015-08-01":
            got_d = meta.date if meta else ""
            if len(got_d) == 10:
                off = abs((dt.date.fromisoformat(got_d) - dt.date.fromisoformat(day)).days)
                v = "right" if off <= 1 else "wrong"
            else:
                v = "missing" if not got_d else "coarser"
            d[v] += 1
            d[f"from:{meta.date_from if meta else 'unknown'}:{v}"] += 1
            if v == "wrong" and len(date_examples) < 40:
                date_examples.append((rec["source"], day, got_d, meta.date_from, meta.date_text, meta.date_line[:100]))
    share = lambda c, keys: {k: round(c[k] / max(1, sum(c[x] for x in keys)), 4) for k in keys}  # noqa: E731
    out["outlet"] = {"counts": dict(o), "all": share(o, ["right", "wrong", "missing"]),
                     "where_the_text_names_it": share(o, ["named:right", "named:wrong", "named:missing"]),
                     "per_source": {k: dict(v) for k, v in sorted(per.items())}, "wrong_examples": wrong_examples,
                     "named_but_missed_examples": missed_examples}
    out["author"] = {"counts": dict(a), "all_with_archive_author": share(a, ["right", "wrong", "missing"]),
                     "name_in_first_lines": share(a, ["in_header:right", "in_header:wrong", "in_header:missing"]),
                     "examples": author_examples}
    out["date"] = {"counts": dict(d), "after_2015_08_01": share(d, ["right", "wrong", "missing", "coarser"]),
                   "wrong_examples": date_examples}
    return out


def bench_dups(sample: int, seed: int = 22) -> dict:
    from rag.config import Settings
    from rag.indexing.dedup import BANDS, ROWS, DuplicateIndex, same_event, same_story, signature

    recs = [r for r in _records(None) if r.get("content", "").strip()]
    sigs, buckets = {}, collections.defaultdict(list)
    for i, r in enumerate(recs):
        title = " ".join((r.get("title") or "").split())
        m = signature(f"{title}\n{r['content']}")
        if m is None:
            continue
        sigs[i] = m
        for b in DuplicateIndex.buckets(m.hashvalues, BANDS, ROWS):
            buckets[b].append(i)
    pairs = {}
    for members in buckets.values():
        if len(members) < 2:
            continue
        for x in range(len(members)):
            for y in range(x + 1, len(members)):
                key = (members[x], members[y])
                if key in pairs:
                    continue
                c = same_story(sigs[key[0]], sigs[key[1]])
                pairs[key] = c
    found = {k: c for k, c in pairs.items() if c}
    size = Settings().chunk_size  # the product compares each article's title and first chunk: about this much text
    heads = {i: (" ".join((r.get("title") or "").split()), r["content"].strip()[:size]) for i, r in enumerate(recs)}
    events = {k: same_event(heads[k[0]], heads[k[1]], sigs[k[0]].jaccard(sigs[k[1]])) for k in found}
    dup = {k: c for k, c in found.items() if events[k]}
    parent = {}

    def find(i):
        while parent.get(i, i) != i:
            i = parent[i]
        return i
    for i, j in dup:
        parent[find(i)] = find(j)
    groups = collections.Counter(find(i) for i in {i for pair in dup for i in pair})  # articles per group
    cross = sum(1 for i, j in dup if recs[i]["source"] != recs[j]["source"])
    spa = sum(1 for i, j in dup if "was" in (recs[i]["source"], recs[j]["source"])
              or re.search(r"(?<![\w])واس(?![\w])", recs[i]["content"] + recs[j]["content"]))
    rng = random.Random(seed)
    picked = rng.sample(sorted(found), min(sample, len(found)))  # sampled before same_event, so both are judged
    return {"articles_signed": len(sigs), "candidate_pairs": len(pairs), "same_story_pairs": len(found),
            "duplicate_pairs": len(dup), "seed": seed,
            "groups": len(groups), "articles_in_groups": sum(groups.values()),
            "largest_groups": sorted(groups.values(), reverse=True)[:10], "cross_outlet_pairs": cross,
            "pairs_naming_or_from_spa": spa,
            "sample": [{"a": recs[i]["url"], "b": recs[j]["url"], "a_source": recs[i]["source"],
                        "b_source": recs[j]["source"], "containment": round(found[(i, j)], 3),
                        "same_event": events[(i, j)],
                        "jaccard": round(sigs[i].jaccard(sigs[j]), 3),
                        "a_title": recs[i]["title"][:90], "b_title": recs[j]["title"][:90],
                        "a_text": " ".join(recs[i]["content"].split())[:220],
                        "b_text": " ".join(recs[j]["content"].split())[:220]} for i, j in picked]}


def judged(sample: list[dict], verdicts: Path) -> dict:
    """The sample's pairs as same_story found them and as same_event keeps them, against a person's verdicts."""
    verdict = {v["pair"]: v["verdict"] for v in map(json.loads, verdicts.read_text(encoding="utf-8").splitlines())}
    out = {}
    for rule, keep in (("same_story", lambda p: True), ("same_event", lambda p: p["same_event"])):
        kept = [verdict[n] for n, p in enumerate(sample) if keep(p)]
        right = kept.count("right")
        out[rule] = {"kept": len(kept), "right": right, "wrong": len(kept) - right,
                     "precision": round(right / max(1, len(kept)), 3)}
    out["dropped_right"] = [n for n, p in enumerate(sample) if not p["same_event"] and verdict[n] == "right"]
    out["kept_wrong"] = [n for n, p in enumerate(sample) if p["same_event"] and verdict[n] == "wrong"]
    return out


def write_subset(gold: Path, corpus: Path, others: int, seed: int = 22) -> dict:
    """The articles the gold questions come from plus `others` seeded random articles (from 2015-08-01 on), as
    `rag import` writes them: the small indexed subset eval/sets/saudinewsnet-questions.jsonl is answered on."""
    from rag.indexing.archive import _write, article_file

    wanted = set()
    for line in gold.read_text(encoding="utf-8").splitlines():
        src = json.loads(line)["source"]
        wanted.update([src] if isinstance(src, str) else src)
    files = {}
    for rec in _records(None):
        try:
            rel, text = article_file(rec)
        except ValueError:
            continue
        files[rel] = text
    missing = wanted - set(files)
    if missing:
        raise SystemExit(f"gold sources not in the archive: {sorted(missing)}")
    rest = sorted(r for r in files if r not in wanted and "/undated/" not in r and r.split("/")[1] >= "2015-08-01")
    chosen = sorted(wanted) + random.Random(seed).sample(rest, others)
    for rel in chosen:
        _write(corpus / rel, files[rel].encode("utf-8"))
    return {"gold_sources": len(wanted), "others": others, "written_to": str(corpus)}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["meta", "dups", "subset"])
    ap.add_argument("--gold", type=Path, default=Path("eval/sets/saudinewsnet-questions.jsonl"))
    ap.add_argument("--corpus", type=Path, default=Path("/tmp/saudinewsnet-subset"))
    ap.add_argument("--others", type=int, default=200)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--sample", type=int, default=100)
    ap.add_argument("--seed", type=int, default=22, help="dups: the sample's seed (22 was read to design same_event)")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--verdicts", type=Path, default=None,
                    help="dups: a person's verdicts on the sample (bench/dups-judged-seed*.jsonl): precision kept")
    a = ap.parse_args(argv)
    if a.what == "subset":
        print(json.dumps(write_subset(a.gold, a.corpus, a.others)))
        return
    res = bench_meta(a.limit) if a.what == "meta" else bench_dups(a.sample, a.seed)
    if a.verdicts:
        res["judged"] = judged(res["sample"], a.verdicts)
    text = json.dumps(res, ensure_ascii=False, indent=1)
    if a.out:
        a.out.write_text(text, encoding="utf-8")
    print(text if not a.out else json.dumps({k: v for k, v in res.items() if k not in ("sample",)},
                                            ensure_ascii=False)[:3000])


if __name__ == "__main__":
    main()
