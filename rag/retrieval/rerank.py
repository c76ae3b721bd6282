"""Second-stage reranker: cheap per-chunk signals from every retriever and the question, combined by a trained model."""
from __future__ import annotations

import numpy as np

from rag.retrieval import features as F
from rag.retrieval import translit
from rag.indexing.chunk import split_sentences
from rag.config import Settings
from rag.retrieval.model import load

FEATURES = (
    "dense", "dense_gap", "dense_rr", "keyword_rel", "keyword_rr", "prf_rel", "prf_rr", "fused", "fused_rr",
    "cover_idf", "cover", "sent_cover_idf", "sent_bm25", "chunk_bm25", "type_match", "same_file", "file_dense_gap",
    "keyword_peak", "dense_peak", "keyword_rel_x_peak", "en", "en_dense", "en_dense_gap", "en_cover_idf",
    "sent_cos", "sent_cos_gap", "en_sent_cos", "en_translit",
    *(f"q_{t}" for t in F.QTYPES),
)


# The features coordinate ascent may move (eval/train_reranker.py); the others stay at weight 0 (measured: they overfit).
SEARCHED = ("dense", "dense_gap", "keyword_rel", "keyword_rr", "prf_rel", "prf_rr", "sent_cover_idf", "cover_idf",
            "sent_bm25", "type_match", "same_file", "file_dense_gap", "fused", "sent_cos", "sent_cos_gap", "en_sent_cos",
            "en_translit")


def _rr(rank: int | None) -> float:
    return 0.0 if rank is None else 1.0 / (1.0 + rank)


def chunk_features(q: F.Question, cands: list) -> np.ndarray:
    """One row per candidate (rag.retrieval.retrieve.Candidate, in fused order), columns as FEATURES."""
    if not cands:
        return np.zeros((0, len(FEATURES)))
    texts = [c.node.get_content() for c in cands]
    chunk_keys = [F.keys(t) for t in texts]
    avg_chunk = sum(map(len, chunk_keys)) / len(chunk_keys)
    sentence_keys = [[F.keys(s) for s in split_sentences(t)] or [[]] for t in texts]
    avg_sent = max(1.0, np.mean([len(k) for ks in sentence_keys for k in ks]))
    top_dense = max(c.dense for c in cands)
    top_kw = max(c.keyword for c in cands) or 1.0
    top_prf = max(c.prf for c in cands) or 1.0
    kw_peak = F.peak([c.keyword for c in cands])
    dense_peak = F.peak([c.dense for c in cands])
    per_file: dict[str, list[float]] = {}
    for c in cands:
        per_file.setdefault(c.source, []).append(c.dense)
    en = float(q.lang == "en")
    onehot = F.qtype_onehot(q)
    # best sentence cosine inside the chunk (stored sentence vectors, rag/indexing/indexer.py); the chunk's own cosine without
    sent_cos = [c.extra.get("sent_cos", c.dense) for c in cands]
    top_sent = max(sent_cos)
    names = translit.names(q.text) if en else []  # an English question's names, matched in the Arabic by consonants
    rows = []
    for i, (c, text, ck, sks) in enumerate(zip(cands, texts, chunk_keys, sentence_keys)):
        cover_idf = F.coverage(q, ck)
        others = sorted(per_file[c.source], reverse=True)
        others.remove(c.dense)
        kw_rel = c.keyword / top_kw
        rows.append([
            c.dense, c.dense - top_dense, _rr(c.dense_rank), kw_rel, _rr(c.keyword_rank), c.prf / top_prf,
            _rr(c.prf_rank), c.fused, _rr(i), cover_idf, F.coverage(q, ck, weighted=False),
            max(F.coverage(q, k) for k in sks), max(F.bm25(q, k, avg_sent) for k in sks), F.bm25(q, ck, avg_chunk),
            F.type_match(q.qtype, F.cues(text)), np.log1p(len(others)),
            (max(others) - top_dense) if others else -1.0,
            kw_peak, dense_peak, kw_rel * kw_peak, en, en * c.dense, en * (c.dense - top_dense), en * cover_idf,
            sent_cos[i], sent_cos[i] - top_sent, en * sent_cos[i], translit.cover(names, text),
            *onehot,
        ])
    return np.asarray(rows, dtype=np.float64)


class Reranker:
    """Scores the fused top `rerank_depth` candidates with rag/models/reranker.json; the rest keep their order below."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def model(self, lang: str):
        """One linear model per question language (rag/models/reranker-ar.json, reranker-en.json)."""
        model = load(f"reranker-{lang}", self.settings.models_dir or None)
        if tuple(model.features) != FEATURES:
            from rag.errors import ConfigError
            raise ConfigError(f"rag/models/reranker-{lang}.json was trained on other features: "
                              "run python eval/train_reranker.py")
        return model

    def rerank(self, q: F.Question, cands: list) -> list:
        depth = self.settings.rerank_depth
        head, tail = cands[:depth], cands[depth:]
        model = self.model(q.lang)
        if not model.coef.any():  # trained to keep the fused order (Arabic, measured): no features to compute,
            probs = np.full(len(head), 1.0 / (1.0 + np.exp(-model.intercept)))  # the constant the model would give
        else:
            probs = model.predict(chunk_features(q, head))
        for c, p in zip(head, probs):
            c.score = float(p)
        floor = min((c.score for c in head), default=0.0)
        for c in tail:  # below every reranked candidate, in fused order
            c.score = floor * c.fused
        return sorted(head, key=lambda c: -c.score) + tail  # stable: ties keep the fused order
