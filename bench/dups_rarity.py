"""Would rare title words tell templated wires apart? Re-judges the seed-23 sample offline (#22's dup precision).

    python -m bench.saudinewsnet dups --sample 110 --seed 23 --out W/s23.json
    python bench/dups_rarity.py --sample W/s23.json      # verdicts: bench/dups-judged-seed23.jsonl

A pair kept by `same_event` is dropped when each title has at least k words (>= 3 letters, document frequency over
the archive's titles + first chunks <= maxdf) absent from the other article's title + first chunk (or whole text).
Prints the sample's precision and how many right / wrong pairs stay, per variant. Designed after reading the seed-23
verdicts' reasons: a measurement of an idea, not of a shipped rule.
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from bench.saudinewsnet import _records  # noqa: E402
from rag.arabic import tokens  # noqa: E402
from rag.config import Settings  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sample", type=Path, required=True)
    ap.add_argument("--verdicts", type=Path, default=REPO / "bench" / "dups-judged-seed23.jsonl")
    args = ap.parse_args()
    sample = json.loads(args.sample.read_text(encoding="utf-8"))["sample"]
    verdict = {v["pair"]: v["verdict"] for v in map(json.loads, args.verdicts.read_text(encoding="utf-8").splitlines())}
    recs = {r["url"]: r for r in _records(None)}
    size = Settings().chunk_size
    df = collections.Counter()
    for r in recs.values():
        df.update(set(tokens((r.get("title") or "") + " " + r["content"][:size])))

    def only(title: str, other: str, maxdf: int) -> list[str]:
        seen = set(tokens(other))
        return [w for w in set(tokens(title)) if w not in seen and len(w) >= 3 and df[w] <= maxdf]

    print("text\tk\tmaxdf\tprecision\tright kept\twrong kept")
    for full in (False, True):
        for k in (1, 2):
            for maxdf in (50, 100, 400, 1000):
                c = collections.Counter()
                for n, p in enumerate(sample):
                    a, b = recs[p["a"]], recs[p["b"]]
                    ta, tb = " ".join((a.get("title") or "").split()), " ".join((b.get("title") or "").split())
                    ha, hb = (a["content"], b["content"]) if full else (a["content"][:size], b["content"][:size])
                    differ = bool(ta and tb and len(only(ta, tb + " " + hb, maxdf)) >= k
                                  and len(only(tb, ta + " " + ha, maxdf)) >= k)
                    c[(p["same_event"] and not differ, verdict[n])] += 1
                kept = c[(True, "right")] + c[(True, "wrong")]
                print(f"{'whole' if full else 'head'}\t{k}\t{maxdf}\t{c[(True, 'right')] / max(1, kept):.3f}\t"
                      f"{c[(True, 'right')]}\t{c[(True, 'wrong')]}")


if __name__ == "__main__":
    main()
