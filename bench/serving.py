"""A serving process's memory and the local engine's speed, measured in a fresh process (bench/serve_probe.py)."""
from __future__ import annotations

import json
import subprocess
import sys

from bench.common import pct
from bench.corpus import ROOT


def bench_serving(settings, qs: list[str], gguf: str, n_local: int, timeout: float) -> dict:
    arg = json.dumps({"corpus_dir": str(settings.corpus_dir), "index_dir": str(settings.index_dir), "questions": qs,
                      "gguf": gguf, "local_questions": n_local})
    p = subprocess.run([sys.executable, "-m", "bench.serve_probe", arg], cwd=ROOT, capture_output=True, text=True,
                       timeout=timeout)
    if p.returncode != 0:
        return {"error": p.stderr[-2000:]}
    res = json.loads(p.stdout.strip().splitlines()[-1])
    runs = [r for r in res.get("local_runs", []) if r.get("ttft_s") is not None]
    if runs:
        res["local"] = {
            "n": len(runs), "model_load_s": res.get("local_model_load_s"),
            "ttft_p50_s": round(pct([r["ttft_s"] for r in runs], 50), 2),
            "ttft_max_s": round(max(r["ttft_s"] for r in runs), 2),
            "ttft_after_retrieval_p50_s": round(pct([r["ttft_after_retrieval_s"] for r in runs], 50), 2),
            "prompt_tokens_p50": pct([r["prompt_tokens"] for r in runs], 50),
            # a rate over a handful of tokens (a short refusal) says little: only answers of 16+ tokens count
            "tokens_per_s_p50": (pct(rates, 50) if (rates := [r["tokens_per_s"] for r in runs
                                                              if r["tokens_per_s"] and r["generated_tokens"] >= 16])
                                 else None),
            "generated_tokens_p50": pct([r["generated_tokens"] for r in runs], 50),
            "outcomes": {o: sum(r["outcome"] == o for r in runs) for o in {r["outcome"] for r in runs}},
        }
    return res


def find_gguf() -> str:
    try:
        import llama_cpp  # noqa: F401
        from rag.answering.gguf import assemble
        return str(assemble("qwen2.5-coder-0.5b"))
    except Exception as exc:  # the [local] extra or the model part packages missing
        print(f"local engine skipped: {exc}", file=sys.stderr)
        return ""
