"""The run's report: machine, targets met or not, and the Markdown table printed at the end."""
from __future__ import annotations

import os
import platform
import subprocess
import time

from bench.common import TARGETS
from bench.corpus import ROOT


def machine() -> dict:
    mem = ""
    try:
        kb = int(next(l for l in open("/proc/meminfo") if l.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except Exception:
        pass
    git = lambda *a: subprocess.run(["git", *a], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    try:
        commit, dirty = git("rev-parse", "--short", "HEAD"), bool(git("status", "--porcelain", "--", "rag", "bench"))
    except Exception:
        commit, dirty = "", False
    return {"nproc": os.cpu_count(), "memory": mem, "python": platform.python_version(), "commit": commit,
            "uncommitted_changes_in_rag_or_bench": dirty, "cpu": platform.processor() or platform.machine(),
            "date": time.strftime("%Y-%m-%d %H:%M")}


def targets(results: dict) -> list[dict]:
    out = []

    def add(name, value, limit, unit, ok=None, note=""):
        ok = (value is not None and value < limit) if ok is None else ok
        out.append({"target": name, "value": value, "limit": limit, "unit": unit,
                    "status": "n/a" if value is None else ("met" if ok else "NOT met"), "note": note})

    idx = {r["articles"]: r for r in results["indexing"]}
    i1k = idx.get(1000)
    add("no-op reindex of 1,000 articles", i1k and i1k["noop"]["seconds"], TARGETS["noop_1000_s"], "s")
    if i1k:
        a = i1k["add_one"]
        only = a["chunks_embedded"] == a["article_chunks"]
        add("add one article to 1,000 (embeds only its chunks)", a["seconds"], TARGETS["add_one_1000_s"], "s",
            ok=only and a["seconds"] < TARGETS["add_one_1000_s"],
            note=f"embedded {a['chunks_embedded']} chunks, the article has {a['article_chunks']}")
    else:
        add("add one article to 1,000 (embeds only its chunks)", None, TARGETS["add_one_1000_s"], "s")
    v = max(results.get("vectors", []), key=lambda v: v["n"], default=None)
    add(f"hybrid p50 at 100,000 chunks, query embedding apart",
        v["hybrid"]["p50_ms"] if v and v["n"] >= 100_000 else None, TARGETS["hybrid_100k_p50_ms"], "ms",
        note=(f"largest measured: {v['n']:,} random-vector chunks, p50 {v['hybrid']['p50_ms']} ms" if v and v["n"] < 100_000
              else "random vectors, real-sentence texts"))
    ans = results.get("answering")
    add("extractive answer p50", ans and ans["p50_ms"], TARGETS["extractive_p50_ms"], "ms")
    loc = results.get("serving", {}).get("local")
    add("local engine first token (p50; max in note)", loc and loc["ttft_p50_s"], TARGETS["local_ttft_s"], "s",
        note=loc and f"max {loc['ttft_max_s']} s")
    srv = results.get("serving", {}).get("without_local_model")
    add("serving RSS without the local model", srv and round(srv["rss_mb"] / 1024, 2), TARGETS["serving_rss_gib"],
        "GiB")
    return out


def table(results: dict) -> str:
    rows = [("metric", "value")]
    for idx in results["indexing"]:
        n = idx["articles"]
        f, c = idx["full"], idx["corpus"]
        rows += [
            (f"[{n} articles] corpus", f"{c['mean_chars']} chars/article, {c['distinct_paragraphs']} distinct paragraph "
                                       f"windows, {f['distinct_ratio']:.0%} of chunk texts distinct"),
            (f"[{n}] full build", f"{f['seconds']} s, {f['chunks']} chunks, {f['chunks_per_s']} chunks/s "
                                  f"(embedding {f['embedding_s']} s = {f['embedding_chunks_per_s']} chunks/s; "
                                  f"Chroma/SQLite/BM25 {f['other_s']} s)"),
            (f"[{n}] no-op reindex", f"{idx['noop']['seconds']} s (chunks_embedded={idx['noop']['chunks_embedded']})"),
            (f"[{n}] add one article", f"{idx['add_one']['seconds']} s ({idx['add_one']['chunks_embedded']} chunks)"),
            (f"[{n}] change one article", f"{idx['change_one']['seconds']} s ({idx['change_one']['chunks_embedded']} chunks)"),
            (f"[{n}] delete one article", f"{idx['delete_one']['seconds']} s"),
        ]
        if "naive" in idx:
            nv = idx["naive"]
            how = "measured" if nv["measured"] else f"ESTIMATED at {nv['vectors_per_s']} vectors/s, not measured"
            rows += [(f"[{n}] naive llama-index full rebuild", f"{nv['seconds']} s ({nv['vectors']} vectors; {how})"),
                     (f"[{n}] naive rebuild / incremental", f"{nv['ratio_over_add_one']}x add-one, "
                                                          f"{nv['ratio_over_change_one']}x change-one")]
        rows.append((f"[{n}] peak RSS after indexing", f"{idx['peak_rss_mb_after_indexing']} MB"))
    if "query_embedding" in results:
        q = results["query_embedding"]
        rows.append((f"query embedding alone (n={q['n']})", f"p50 {q['p50_ms']} ms, p95 {q['p95_ms']} ms"))
    for r in results.get("retrieval", []):
        for k in ("dense", "bm25", "hybrid"):
            rows.append((f"[{r['chunks']} chunks, {r['store']}] {k} (n={r[k]['n']}, excl. query embedding)",
                         f"p50 {r[k]['p50_ms']} ms, p95 {r[k]['p95_ms']} ms"))
    if "answering" in results:
        a = results["answering"]
        rows.append((f"extractive ask() end-to-end (n={a['n']}, {a['chunks']} chunks)",
                     f"p50 {a['p50_ms']} ms, p95 {a['p95_ms']} ms ({a['refused']} refused; retrieval p50 "
                     f"{a['retrieval']['p50_ms']} ms + engine p50 {a['engine']['p50_ms']} ms)"))
    s = results.get("serving", {})
    if "without_local_model" in s:
        rows.append(("serving RSS: Assistant + 1 question, no local model", f"{s['without_local_model']['rss_mb']} MB"))
    if "local" in s:
        l = s["local"]
        rows += [("local 0.5B GGUF: model load", f"{l['model_load_s']} s"),
                 (f"local: time to first token (n={l['n']}, {results['settings']['llm_context_chunks']} passages)",
                  f"p50 {l['ttft_p50_s']} s, max {l['ttft_max_s']} s (after retrieval p50 "
                  f"{l['ttft_after_retrieval_p50_s']} s; prompt p50 {l['prompt_tokens_p50']} tokens)"),
                 ("local: generation speed in the answers",
                  (f"p50 {l['tokens_per_s_p50']} tokens/s over answers of 16+ tokens" if l["tokens_per_s_p50"]
                   else "n/a: no answer reached 16 tokens")
                  + f" (answers {l['generated_tokens_p50']} tokens p50; "
                  + ", ".join(f"{k}: {v}" for k, v in l["outcomes"].items()) + ")")]
    if "forced_decode" in s:
        fd = s["forced_decode"]
        rows.append(("local: decode speed, forced 128-token generation", f"{fd['tokens_per_s']} tokens/s ({fd['tokens']} tokens)"))
    if "with_local_model" in s:
        rows.append(("serving RSS with the local model loaded", f"{s['with_local_model']['rss_mb']} MB"))
    if "error" in s:
        rows.append(("serving probe", "FAILED: " + s["error"].strip().splitlines()[-1][:120]))
    for v in results.get("vectors", []):
        rows += [(f"[{v['n']} random vectors] Chroma add (ChromaVectorStore, texts+metadata)", f"{v['chroma_add_s']} s"),
                 (f"[{v['n']} chunks] manifest + FTS5 keyword index fill", f"{v['manifest_fill_s']} s"),
                 (f"[{v['n']} random vectors] Chroma query top-5 (raw)",
                  f"p50 {v['chroma_query_top5']['p50_ms']} ms, p95 {v['chroma_query_top5']['p95_ms']} ms")]
        for k in ("dense", "bm25", "hybrid"):
            rows.append((f"[{v['n']} random vectors] {k} search (n={v[k]['n']}, excl. query embedding)",
                         f"p50 {v[k]['p50_ms']} ms, p95 {v[k]['p95_ms']} ms"))
        f = v["hybrid_fusion_and_assembly"]
        rows.append((f"[{v['n']} random vectors] of which fusion + hit assembly",
                     f"p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms"))
    rows.append(("peak RSS (benchmark process)", f"{results['peak_rss_mb']} MB"))
    w = max(len(a) for a, _ in rows)
    lines = [f"| {a.ljust(w)} | {b} |" for a, b in rows]
    lines.insert(1, f"|{'-' * (w + 2)}|---|")
    tl = ["", "| target | measured | limit | status |", "|---|---|---|---|"]
    for t in results.get("targets", []):
        val = "not measured" if t["value"] is None else f"{t['value']} {t['unit']}"
        tl.append(f"| {t['target']} | {val}{' (' + t['note'] + ')' if t['note'] else ''} | "
                  f"< {t['limit']} {t['unit']} | {t['status']} |")
    sl = ["", "| section | seconds | load avg (1/5/15 min) start → end |", "|---|---|---|"]
    for r in results.get("sections", []):
        sl.append(f"| {r['name']} | {r['seconds']} | {'/'.join(map(str, r['load_start']))} → "
                  f"{'/'.join(map(str, r['load_end']))} |")
    return "\n".join(lines + tl + sl)
