"""`rag` command line: a thin client of the library; library errors become friendly messages here only."""
from __future__ import annotations

import dataclasses
import functools
import json
import logging
import sys

import click

from rag.config import EMBED_BACKENDS, EMBED_RUNTIMES, ENGINES, SENTENCE_POOLS, TRANSLITERATIONS, Settings, field_help
from rag.errors import RagError


# Flag spellings that differ from --<field-name>; every other setting gets --<field-name> automatically.
FLAG_NAMES = {"corpus_dir": ("--corpus",), "index_dir": ("--store", "--index-dir"), "llm_gguf": ("--gguf", "--llm-gguf"),
              "top_k": ("-k", "--top-k")}
CHOICES = {"engine": ENGINES, "embed_backend": EMBED_BACKENDS, "embed_runtime": EMBED_RUNTIMES, "retrieval": ("hybrid", "dense", "bm25"),
           "transliteration": TRANSLITERATIONS, "sentence_pool": SENTENCE_POOLS}


def _setting_option(f: dataclasses.Field, help_text: str):
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    names = FLAG_NAMES.get(f.name, (f"--{f.name.replace('_', '-')}",))
    variable = f"RAG_{f.name.upper()}"
    help_text = f"{help_text} [{variable}; default {f.default if f.default != '' else 'empty'}]"
    if kind == "bool":
        flag = names[0]
        return click.option(f"{flag}/--no-{flag[2:]}", f.name, default=None, help=help_text)
    if f.name in CHOICES:
        type_ = click.Choice(CHOICES[f.name])
    else:
        type_ = {"int": int, "float": float, "Path": click.Path(file_okay=False)}.get(kind, str)
    return click.option(*names, f.name, type=type_, default=None, help=help_text)


def configure_logging(level: int) -> None:
    """Messages at `level` and above on stderr. The level is set on the handler too: a library that sets its own
    logger to DEBUG on import (bm25s did: `DEBUG bm25s: Building index ...` in the middle of `rag index`) is not
    stopped by the root level alone."""
    root = logging.getLogger()
    if not root.handlers:  # like basicConfig: leave an already configured process (tests, the web app) alone
        handler = logging.StreamHandler()
        handler.setLevel(level)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(level)
    logging.captureWarnings(True)


def settings_options(fn):
    """One flag per setting, shared by every command; each also reads its RAG_* variable (flag > variable > default)."""
    helps = field_help()
    keys = [f.name for f in dataclasses.fields(Settings)]
    options = [_setting_option(f, helps.get(f.name, "")) for f in dataclasses.fields(Settings)]
    options.append(click.option("-v", "--verbose", is_flag=True, help="Log what happens."))
    for option in reversed(options):
        fn = option(fn)

    @functools.wraps(fn)
    def wrapper(*args, verbose=False, **kwargs):
        configure_logging(logging.INFO if verbose else logging.WARNING)
        overrides = {k: kwargs.pop(k) for k in keys}
        try:
            settings = Settings.from_env(**overrides)
            return fn(*args, settings=settings, **kwargs)
        except RagError as exc:
            raise click.ClickException(str(exc)) from None
        except KeyboardInterrupt:
            raise click.Abort() from None
    return wrapper


def _print_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="arabic-news-rag")
def main():
    """Cited question answering over Arabic news articles."""


@main.command("index")
@click.option("--rebuild", is_flag=True, help="Start from an empty index.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (no progress bar).")
@settings_options
def index_cmd(settings: Settings, rebuild: bool, as_json: bool):
    """Bring the index in line with the corpus folder, embedding only new or changed articles.

    Example: rag index --corpus corpus/
    """
    from rag.indexing.indexer import Indexer

    bar = None

    def progress(done: int, total: int, source: str) -> None:
        nonlocal bar
        if as_json or total == 0:
            return
        if bar is None:  # the indexer reports 0 before the first file, so the rate counts embedded chunks only
            from tqdm import tqdm
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)
        if source:
            bar.set_postfix_str(source[-30:])

    try:
        report = Indexer(settings).index(rebuild=rebuild, progress=progress)
    finally:
        if bar is not None:
            bar.close()
    data = report.to_dict()
    if as_json:
        _print_json({**{k: len(v) if k in ("added", "updated", "removed", "unchanged") else v
                        for k, v in data.items()}, "files": {k: data[k] for k in ("added", "updated", "removed")}})
        return
    click.echo(f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
               f"unchanged {len(report.unchanged)}, skipped {len(report.skipped)}; "
               f"{report.chunks_embedded} chunks embedded in {report.seconds:.2f} s"
               f"{f' ({report.chunks_embedded / report.seconds:.1f} chunks/s)' if report.chunks_embedded else ''}; "
               f"index holds {report.total_articles} articles, {report.total_chunks} chunks")
    for s in report.skipped:
        click.echo(f"  skipped {s['source']}: {s['reason']}")
    for note in report.repaired:
        click.echo(f"  repaired: {note}")


@main.command("import")
@click.argument("archive", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--limit", type=click.IntRange(1, None), default=None, help="Stop after this many articles.")
@click.option("--outlets", default="", help="Only these archive outlet ids, comma-separated (e.g. okaz,was).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@settings_options
def import_cmd(settings: Settings, archive: tuple[str, ...], limit: int | None, outlets: str, as_json: bool):
    """Turn a JSON news archive (SaudiNewsNet's zips or .json arrays) into one corpus file per article, with front
    matter for what the archive states (outlet, url, title, author, the crawl day as date). Run it again: files
    that would not change are left alone. Then `rag index`.

    Example: rag import ../shared/benchmarks/saudinewsnet --corpus corpus/saudinewsnet --limit 500
    """
    from pathlib import Path

    from rag.indexing.archive import import_archive

    report = import_archive([Path(a) for a in archive], settings.corpus_dir, limit=limit, outlets=outlets.split(","))
    if as_json:
        _print_json(report.to_dict())
        return
    click.echo(f"{report.articles} articles read from {report.files} archive files: {report.written} written, "
               f"{report.unchanged} unchanged, {len(report.skipped)} skipped; corpus {settings.corpus_dir}")
    for s in report.skipped[:20]:
        click.echo(f"  skipped {s['record']}: {s['reason']}")
    if len(report.skipped) > 20:
        click.echo(f"  ... and {len(report.skipped) - 20} more (--json lists them all)")


@main.command("retrieve")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@settings_options
def retrieve_cmd(settings: Settings, question: str, as_json: bool):
    """Show the chunks that best match QUESTION, best first.

    Example: rag retrieve "متى رفعت روسيا الحظر عن طالبان؟" -k 3
    """
    from rag.answering.assistant import Assistant, check_question

    question = check_question(question, settings.max_question_chars)
    hits = Assistant(settings).search(question)
    if as_json:
        _print_json([h.to_dict() for h in hits])
        return
    for i, h in enumerate(hits, start=1):
        meta = "  ".join(x for x in (h.outlet, h.shown_date) if x)
        click.echo(f"[{i}] {h.source}  {h.chunk_id}  score={h.score:.3f}  {meta}\n    {h.title}\n    {h.snippet}")


@main.command("ask")
@click.argument("question")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (no streaming).")
@settings_options
def ask_cmd(settings: Settings, question: str, as_json: bool):
    """Answer QUESTION from the articles, in its language, with citations.

    Example: rag ask "Who is Russia's foreign minister?" --json
    """
    from rag.answering.answer import Answer
    from rag.answering.assistant import Assistant
    from rag.answering.english import isolate
    from rag.arabic import detect_language
    from rag.meta import shown_date

    assistant = Assistant(settings)
    final = None
    streamed = False
    for event in assistant.stream(question):
        if isinstance(event, Answer):
            final = event
        elif isinstance(event, str) and not as_json:
            click.echo(event, nl=False)
            streamed = True
    if as_json:
        _print_json(final.to_dict())
        return
    if not streamed:
        click.echo(final.answer, nl=False)
    click.echo(f"\n\n[engine: {final.engine}]")
    for c in final.citations:
        meta = "  ".join(x for x in (c.outlet, c.author, shown_date(c.date, c.date_text, c.date_precision)) if x)
        # an Arabic snippet under an English answer: a right-to-left isolate (#21)
        snippet = isolate(c.snippet) if final.language == "en" and detect_language(c.snippet) == "ar" else c.snippet
        click.echo(f"[{c.n}] {c.source} ({c.chunk_id}) {meta}\n    {snippet}")
        for a in c.also:
            click.echo(f"    also published by {a.get('outlet') or '?'}: {a['source']} {a.get('date') or ''}")


@main.command("serve")
@settings_options
def serve_cmd(settings: Settings):
    """Open the web chat.

    Example: rag serve --port 7860
    """
    import importlib.util
    from pathlib import Path

    app_path = Path(__file__).resolve().parent.parent / "app.py"
    spec = importlib.util.spec_from_file_location("rag_app", app_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.launch(settings)


@main.command("eval")
@click.option("--gold", "gold_path", required=True, type=click.Path(exists=True, dir_okay=False), help="Gold JSONL file.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False), default=None,
              help="Output folder (default eval/runs/<timestamp>/).")
@click.option("--mode", type=click.Choice(["retrieval", "extractive", "llm"]), default="retrieval", show_default=True,
              help="What to evaluate.")
@click.option("--limit", type=click.IntRange(1, None), default=None, help="Only the first N questions.")
@click.option("--sample", type=click.IntRange(1, None), default=None,
              help="A seeded random N questions (the same N gives the same questions), e.g. for slow LLM runs.")
@click.option("--judge/--no-judge", default=True, show_default=True,
              help="Score faithfulness with the OpenAI-compatible server of --llm-url, when one is set.")
@settings_options
def eval_cmd(settings: Settings, gold_path: str, out_dir: str | None, mode: str, limit: int | None, judge: bool,
             sample: int | None):
    """Score retrieval, answers, citations and refusals against a gold JSONL file.

    With --corpus and no --store, the corpus is indexed into eval/runs/stores/<name>/ first.

    Example: rag eval --gold eval/gold.jsonl --corpus corpus --mode extractive
    """
    from rag import evaluation as evaluate

    params = click.get_current_context().params
    index = False
    if params.get("corpus_dir"):
        index = True
        if not params.get("index_dir"):
            settings = settings.replace(index_dir=evaluate.store_for_corpus(settings.corpus_dir))
    evaluate.resolve_engine(settings, mode)  # fail before indexing when no LLM is configured
    click.echo(f"corpus {settings.corpus_dir}, store {settings.index_dir}, mode {mode}", err=True)

    def progress(done: int, total: int) -> None:
        if done % 25 == 0 or done == total:
            click.echo(f"  {done}/{total}", err=True)

    metrics, out = evaluate.run(settings, gold_path, out_dir, mode, limit, index=index, progress=progress,
                                judge=judge, sample=sample)
    click.echo(evaluate.table(metrics))
    click.echo(f"\nwritten to {out}/ (predictions.jsonl, metrics.json, report.md)")


if __name__ == "__main__":
    main()
