"""Picks the answer engine a question goes to: extractive, local (GGUF via llama.cpp) or openai (any compatible server)."""
from __future__ import annotations

from rag.answering.answer import Engine
from rag.answering.extractive import ExtractiveEngine
from rag.answering.llm import LLMEngine, llama_cpp, openai_llm
from rag.config import Settings
from rag.errors import ModelError
from rag.indexing.embed import Embedder


def make_engine(settings: Settings, embedder: Embedder, name: str | None = None,
                extractive: ExtractiveEngine | None = None) -> Engine:
    name = name or settings.resolved_engine
    extractive = extractive or ExtractiveEngine(settings, embedder)
    if name == "extractive":
        return extractive
    if name == "local":
        if not settings.llm_gguf:
            raise ModelError("the local engine needs a GGUF model: set RAG_LLM_GGUF=/path/model.gguf (or --gguf)")
        return LLMEngine("local", settings, embedder,
                         lambda: llama_cpp(settings.llm_gguf, 4096, settings.llm_max_tokens, settings.embed_threads),
                         extractive)
    if name == "openai":
        if not settings.llm_url:
            raise ModelError("the openai engine needs a server: set RAG_LLM_URL=http://host:port/v1 (or --llm-url)")

        return LLMEngine("openai", settings, embedder, lambda: openai_llm(settings), extractive)
    raise ModelError(f"unknown engine {name!r}")
