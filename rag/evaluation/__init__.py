"""Evaluation against a gold JSONL file: run (ask every question through the product), score (retrieval, answers,
citations, refusals, latency per language group) and report (table, chart, report.md). Exports the names below."""
from rag.evaluation.report import render_report, table, write_chart
from rag.evaluation.run import (MODES, REPO, RUNS_DIR, Judge, cited_files, default_out_dir, git_commit, hit_files,
                                load_gold, predict, resolve_engine, run, store_for_corpus)
from rag.evaluation.score import (citation_scores, compute_metrics, contains, exact_match, gold_answers, gold_sources,
                                  normalize_answer, rank_of, score_group, token_f1)

__all__ = ["MODES", "REPO", "RUNS_DIR", "Judge", "cited_files", "citation_scores", "compute_metrics", "contains",
           "default_out_dir", "exact_match", "git_commit", "gold_answers", "gold_sources", "hit_files", "load_gold",
           "normalize_answer", "predict", "rank_of", "render_report", "resolve_engine", "run", "score_group",
           "store_for_corpus", "table", "token_f1", "write_chart"]
