"""Small trained models as versioned JSON files (standardised logistic regression), applied with numpy at run time."""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.errors import ConfigError

MODELS = Path(__file__).resolve().parents[1] / "models"


@dataclass(frozen=True)
class LogisticModel:
    """p = sigmoid(((x - mean) / scale) . coef + intercept); `features` names the columns the caller must supply."""
    name: str
    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    meta: dict

    def predict(self, rows: np.ndarray) -> np.ndarray:
        rows = np.atleast_2d(np.asarray(rows, dtype=np.float64))
        if rows.shape[1] != len(self.features):
            raise ValueError(f"{self.name} expects {len(self.features)} features, but got {rows.shape[1]}")
        z = ((rows - self.mean) / self.scale) @ self.coef + self.intercept
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def to_dict(self) -> dict:
        return {"name": self.name, "features": list(self.features), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "intercept": self.intercept, "meta": self.meta}

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def from_sklearn(cls, name: str, features: list[str], scaler, classifier, meta: dict) -> "LogisticModel":
        return cls(name, tuple(features), np.asarray(scaler.mean_, float), np.asarray(scaler.scale_, float),
                   np.asarray(classifier.coef_[0], float), float(classifier.intercept_[0]), meta)


@lru_cache(maxsize=None)
def load(name: str, folder: str | None = None) -> LogisticModel:
    """The model `name` from rag/models/<name>.json (or `folder`); a clear error when missing or damaged."""
    path = Path(folder or MODELS) / f"{name}.json"
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        return LogisticModel(d["name"], tuple(d["features"]), np.asarray(d["mean"], float),
                             np.asarray(d["scale"], float), np.asarray(d["coef"], float), float(d["intercept"]),
                             d.get("meta", {}))
    except FileNotFoundError:
        raise ConfigError(f"model file {path} is missing: run python eval/{_script(name)}") from None
    except (KeyError, ValueError, TypeError) as exc:
        raise ConfigError(f"model file {path} is damaged ({exc}): run python eval/{_script(name)}") from None


def _script(name: str) -> str:
    base = name.split("-")[0]
    return "train_reranker.py" if base == "reranker" else "train_selector.py" if base in ("selector", "gate") \
        else f"train_{base}.py"
