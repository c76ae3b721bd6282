"""Trained weights as JSON: the numpy application equals scikit-learn's, and bad files give a clear error."""
from __future__ import annotations

import json

import numpy as np
import pytest

from rag.retrieval import model as M
from rag.errors import ConfigError


def test_numpy_model_matches_sklearn(tmp_path):
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4)) * [1, 10, 0.1, 3] + [0, 5, 0, -2]
    y = (x[:, 0] + 0.1 * x[:, 1] - 5 * x[:, 2] > 0.5).astype(int)
    scaler = StandardScaler().fit(x)
    clf = LogisticRegression().fit(scaler.transform(x), y)
    m = M.LogisticModel.from_sklearn("toy", ["a", "b", "c", "d"], scaler, clf, {"seed": 0})
    m.save(tmp_path / "toy.json")
    loaded = M.load("toy", str(tmp_path))
    assert loaded.features == ("a", "b", "c", "d")
    np.testing.assert_allclose(loaded.predict(x), clf.predict_proba(scaler.transform(x))[:, 1], rtol=1e-9)
    with pytest.raises(ValueError, match="expects 4 features"):
        loaded.predict(x[:, :3])


def test_missing_and_damaged_model_files_name_the_script(tmp_path):
    with pytest.raises(ConfigError, match="train_nothing.py"):
        M.load("nothing", str(tmp_path))
    (tmp_path / "broken.json").write_text(json.dumps({"name": "broken"}))
    with pytest.raises(ConfigError, match="damaged"):
        M.load("broken", str(tmp_path))


@pytest.mark.parametrize("name", ["reranker-ar", "reranker-en", "selector", "gate"])
def test_shipped_models_match_the_code(name):
    from rag.retrieval import rerank
    from rag.answering import select
    expected = {"selector": select.SENTENCE_FEATURES, "gate": select.GATE_FEATURES}.get(name, rerank.FEATURES)
    m = M.load(name)
    assert m.features == expected, f"rag/models/{name}.json is stale: run python eval/{M._script(name)}"
    assert np.all(np.isfinite(m.coef)) and np.all(m.scale > 0)
    assert "dev" in m.meta  # every shipped model records its dev numbers
