"""The rebuilt multilingual-e5-small encoder (rag/indexing/e5_rebuild.py) run by ONNX Runtime: the same weights, the
same vectors (cosine >= 0.9999997 with torch's on news chunks), 2-2.5x faster on these CPUs (#22, bench/README.md).

The torch module's layers are exported once per process, in memory (~1 s, ~85 MB; nothing written to disk), and
loaded into an `onnxruntime.InferenceSession` with the embedder's threads. The 4-bit word table stays in numpy: the
session takes the embedded tokens and the attention mask and returns the token states, as the torch encoder does."""
from __future__ import annotations

import functools
import io
import warnings

from rag.errors import ModelError


class OnnxEncoder:
    """Callable like e5_rebuild's encoder, `enc(ids, mask) -> token states [b, t, hidden]` (a torch tensor)."""

    def __init__(self, enc, threads: int) -> None:
        self.enc = enc
        self.session = _session(enc, threads)

    def __call__(self, ids, mask):
        import torch

        x = self.enc.embed(ids).numpy()
        states = self.session.run(None, {"x": x, "mask": mask.numpy()})[0]
        return torch.from_numpy(states)


@functools.lru_cache(maxsize=2)
def _session(enc, threads: int):
    try:
        import onnxruntime as ort
        import torch
    except ImportError as exc:
        raise ModelError("embed_runtime onnx needs onnxruntime and onnx (pip install onnxruntime onnx); "
                         "or set RAG_EMBED_RUNTIME=torch") from exc

    class Layers(torch.nn.Module):
        def __init__(self, encoder) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, x, mask):
            return self.encoder.run(x, mask)

    buf, hidden = io.BytesIO(), enc.ln.weight.shape[0]
    axes = {"b": 0, "t": 1}
    with warnings.catch_warnings(), torch.inference_mode(False), torch.no_grad():
        warnings.simplefilter("ignore")  # the tracer's notes on Python-side shapes: the exported graph is dynamic
        try:
            torch.onnx.export(Layers(enc).eval(), (torch.randn(2, 16, hidden), torch.ones(2, 16)), buf,
                              input_names=["x", "mask"], output_names=["h"], opset_version=17, dynamo=False,
                              dynamic_axes={n: {i: a for a, i in axes.items()} for n in ("x", "mask", "h")})
        except ImportError as exc:
            raise ModelError("embed_runtime onnx needs the onnx package (pip install onnx); "
                             "or set RAG_EMBED_RUNTIME=torch") from exc
    options = ort.SessionOptions()
    options.intra_op_num_threads = max(1, threads)
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(buf.getvalue(), options, providers=["CPUExecutionProvider"])
