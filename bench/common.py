"""Shared by the measurements: percentiles, timing sections with load averages, questions, profiles."""
from __future__ import annotations

import contextlib
import cProfile
import json
import os
import pstats
import resource
import sys
import time
from pathlib import Path

from bench.corpus import ARCD

TARGETS = {"noop_1000_s": 2.0, "add_one_1000_s": 5.0, "hybrid_100k_p50_ms": 100.0, "extractive_p50_ms": 1000.0,
           "local_ttft_s": 8.0, "serving_rss_gib": 1.5}


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    if not xs:
        return float("nan")
    i = min(len(xs) - 1, max(0, round(p / 100 * (len(xs) - 1))))
    return xs[i]


def ms(xs: list[float]) -> dict:
    return {"p50_ms": round(pct(xs, 50) * 1000, 1), "p95_ms": round(pct(xs, 95) * 1000, 1), "n": len(xs)}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Sections:
    """Wall time and load average (1/5/15 min) at the start and end of each part of the run."""

    def __init__(self) -> None:
        self.rows: list[dict] = []

    @contextlib.contextmanager
    def __call__(self, name: str):
        row = {"name": name, "load_start": load()}
        print(f"[{time.strftime('%H:%M:%S')}] {name} (load {row['load_start'][0]}) ...", file=sys.stderr, flush=True)
        t = time.perf_counter()
        try:
            yield row
        finally:
            row["seconds"] = round(time.perf_counter() - t, 1)
            row["load_end"] = load()
            self.rows.append(row)


def questions(n: int, used: set[str] | None = None, arcd: Path = ARCD) -> list[str]:
    """n ARCD questions spread over the gold file, preferring those whose paragraph is in the generated corpus."""
    rows = [json.loads(l) for l in (arcd / "gold.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    if used:
        rows = [r for r in rows if r["source"] in used] or rows
    step = max(1, len(rows) // n)
    return [r["question"] for r in rows[::step][:n]]


def profile_top(prof: cProfile.Profile, n: int = 15) -> list[dict]:
    st = pstats.Stats(prof)
    rows = []
    for (file, line, fn), (cc, nc, tt, ct, _) in st.stats.items():
        rows.append({"function": f"{Path(file).name}:{line}({fn})", "calls": nc, "tottime_s": round(tt, 3),
                     "cumtime_s": round(ct, 3)})
    rows.sort(key=lambda r: -r["cumtime_s"])
    return rows[:n]
