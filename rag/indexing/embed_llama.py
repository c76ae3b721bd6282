"""Our embedder as a llama-index BaseEmbedding (its own module: importing llama_index.core costs ~0.9 s, which `rag index` need not pay)."""
from __future__ import annotations

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from rag.indexing.embed import Embedder


class LlamaIndexEmbedding(BaseEmbedding):
    """Our embedder as a llama-index BaseEmbedding, for code that wants llama-index's own index classes."""

    _inner: Embedder = PrivateAttr()

    def __init__(self, inner: Embedder, **kwargs) -> None:
        super().__init__(model_name=f"{inner.backend}:{inner.model}", **kwargs)
        self._inner = inner

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._inner.query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._inner.passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._inner.passages(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)
