"""Reporting an evaluation: the printed table (one row per language group, then by question type), the chart and
report.md."""
from __future__ import annotations

from pathlib import Path

TABLE_KEYS = ("n", "hit@1", "hit@5", "mrr", "exact_match", "f1", "contains", "contains_en", "answer_en_contains",
              "citation_precision", "citation_recall",
              "short_answer_rate", "short_em", "short_f1", "refusal_rate_unanswerable", "false_refusal_rate",
              "faithfulness", "latency_p50", "latency_p95", "ttft_p50", "tokens_per_s_p50")
STAGES = ("dense", "bm25", "fused", "reranked")
CHART_KEYS = ("hit@1", "hit@5", "mrr", "exact_match", "f1", "contains", "citation_precision",
              "refusal_rate_unanswerable", "false_refusal_rate")


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.3f}"
    return str(v)


def table(metrics: dict) -> str:
    """Markdown table: one row per metric, columns overall and each language."""
    groups = [("overall", metrics["overall"])] + list(metrics["by_language"].items())
    lines = ["| metric | " + " | ".join(name for name, _ in groups) + " |",
             "|---|" + "---|" * len(groups)]
    keys = [k for k in TABLE_KEYS if k in metrics["overall"]]  # ttft/tokens only in llm mode
    for stage in STAGES:  # retrieval mode: every stage of the ranking, measured in the same run
        keys += [k for k in (f"hit@1_{stage}", f"hit@5_{stage}", f"mrr_{stage}") if metrics["overall"].get(k) is not None]
    for key in keys:
        lines.append(f"| {key} | " + " | ".join(_fmt(m.get(key)) for _, m in groups) + " |")
    return "\n".join(lines)


def write_chart(metrics: dict, path: Path) -> Path | None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    groups = [("overall", metrics["overall"])] + list(metrics["by_language"].items())
    keys = [k for k in CHART_KEYS if any(m.get(k) is not None for _, m in groups)]
    if not keys:
        return None
    fig, ax = plt.subplots(figsize=(max(6, 1.1 * len(keys)), 4))
    width = 0.8 / len(groups)
    for j, (name, m) in enumerate(groups):
        xs = [i + (j - (len(groups) - 1) / 2) * width for i in range(len(keys))]
        ax.bar(xs, [m.get(k) or 0.0 for k in keys], width, label=f"{name} (n={m['n']})")
    ax.set_xticks(range(len(keys)))
    ax.set_xticklabels(keys, rotation=30, ha="right")
    ax.set_ylim(0, 1.05)
    ax.legend()
    run_info = metrics.get("run", {})
    ax.set_title(f"{Path(run_info.get('gold', '')).parent.name or 'gold'} - {run_info.get('mode', '')} "
                 f"({run_info.get('settings', {}).get('retrieval', '')})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def render_report(metrics: dict, chart: Path | None) -> str:
    r = metrics.get("run", {})
    s = r.get("settings", {})
    lines = [f"# Evaluation: {r.get('gold')} ({r.get('mode')})", "",
             f"- time: {r.get('time')}; commit: {r.get('git_commit')}",
             f"- questions: {r.get('questions')} (limit {r.get('limit')}); engine: {r.get('engine')}; "
             f"retrieval: {s.get('retrieval')}; embedder: {s.get('embed_backend')}; seconds: {r.get('seconds')}",
             f"- relevance_floor {s.get('relevance_floor')}, gate thresholds ar {s.get('gate_threshold_ar')} / "
             f"en {s.get('gate_threshold_en')}, rerank {s.get('rerank')}",
             f"- prompts: {', '.join(f'{k}={v}' for k, v in (r.get('prompt_fingerprints') or {}).items())}",
             "", table(metrics), ""]
    if chart:
        lines += [f"![metrics by language]({chart.name})", ""]
    return "\n".join(lines)
