"""BM25 over Arabic-normalised tokens: llama-index's BM25Retriever fed pre-normalised text, persisted beside the index."""
from __future__ import annotations

import fcntl
import json
import logging
import shutil
from pathlib import Path

from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from llama_index.retrievers.bm25 import BM25Retriever

from .arabic import tokens
from .faults import checkpoint
from .store import Manifest

log = logging.getLogger(__name__)
# The default \b\w\w+\b drops one-letter tokens; our tokens are already normalised, so keep numbers like "9".
TOKEN_PATTERN = r"(?u)[^\s]+"


class ArabicBM25Retriever(BM25Retriever):
    """BM25Retriever whose corpus and queries go through rag.arabic.tokens (no English stemmer, no diacritic splits)."""

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        keys = " ".join(tokens(query_bundle.query_str))
        if not keys:
            return []
        hits = super()._retrieve(QueryBundle(query_str=keys))
        return [h for h in hits if h.score > 0]


def build(manifest: Manifest, top_k: int) -> ArabicBM25Retriever | None:
    rows = manifest.search_keys()
    if not rows:
        return None
    nodes = [TextNode(id_=cid, text=keys or "_", metadata={"source": source}) for cid, source, keys in rows]
    return ArabicBM25Retriever(nodes=nodes, similarity_top_k=min(top_k, len(nodes)), skip_stemming=True,
                               language=[], token_pattern=TOKEN_PATTERN)


def save(retriever: ArabicBM25Retriever | None, folder: Path, version: str) -> None:
    """Write to a temporary folder, then swap it in, so a crash leaves either the old or the new index."""
    tmp, old = folder.with_name(folder.name + ".tmp"), folder.with_name(folder.name + ".old")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    if retriever is not None:
        retriever.persist(str(tmp))
    (tmp / "version.json").write_text(json.dumps({"version": version}), encoding="utf-8")
    checkpoint("bm25.tmp_written")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    checkpoint("bm25.mid_swap")
    tmp.rename(folder)
    checkpoint("bm25.swapped")
    shutil.rmtree(old, ignore_errors=True)


def load(folder: Path, version: str, top_k: int) -> tuple[ArabicBM25Retriever | None, bool]:
    """(retriever, ok): ok is False when the files are missing, corrupt or built from another chunk set."""
    if not (folder / "version.json").exists():
        return None, False
    try:
        saved = json.loads((folder / "version.json").read_text(encoding="utf-8"))["version"]
        if saved != version:
            return None, False
        if not (folder / "params.index.json").exists() and not any(folder.glob("*.npy")):
            return None, True  # an empty corpus
        retriever = ArabicBM25Retriever.from_persist_dir(str(folder), show_progress=False)
        retriever.similarity_top_k = min(top_k, int(retriever.bm25.scores.get("num_docs", top_k)))
        return retriever, True
    except Exception as exc:  # corrupt or half-written files: the caller rebuilds from the manifest
        log.warning("BM25 index at %s unusable (%s); rebuilding it", folder, exc)
        return None, False


def ensure(manifest: Manifest, folder: Path, top_k: int) -> ArabicBM25Retriever | None:
    """Load the persisted index, rebuilding and saving it first when it is stale or damaged."""
    retriever, ok = load(folder, manifest.version, top_k)
    if ok:
        return retriever
    # One rebuilder at a time (threads of the web app, `rag index`, other processes): the others wait, then load
    # what the first one saved instead of deleting its temporary files under it.
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(folder.with_name(folder.name + ".lock"), "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            version = manifest.version
            retriever, ok = load(folder, version, top_k)
            if ok:
                return retriever
            retriever = build(manifest, top_k)
            save(retriever, folder, version)
            return retriever
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)
