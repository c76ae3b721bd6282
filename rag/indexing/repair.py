"""Repairs at the start of each `rag index`: the keyword index and the vector store checked against the manifest's
chunk rows (orphans deleted, files with missing chunks re-embedded), and a corrupt manifest rebuilt from the vector store."""
from __future__ import annotations

from collections import defaultdict


def reconcile(manifest, collection) -> list[str]:
    """Cheap count check each run; on a mismatch, delete orphans and forget files whose chunks went missing."""
    notes = ["keyword index did not match the chunk rows: rebuilt from them"] if manifest.keywords.check() else []
    if collection.count() == manifest.files.count_chunks():
        return notes
    stored = set(collection.get(include=[])["ids"])
    wanted = set(manifest.files.chunk_ids())
    orphans = sorted(stored - wanted)
    for i in range(0, len(orphans), 500):
        collection.delete(ids=orphans[i:i + 500])
    missing_sources = {cid.rsplit("#", 1)[0] for cid in wanted - stored}
    for source in missing_sources:
        manifest.files.remove_file(source)  # re-added (and re-embedded) below as a new file
    if orphans:
        notes.append(f"deleted {len(orphans)} orphan chunks left by an interrupted run")
    if missing_sources:
        notes.append(f"re-embedding {len(missing_sources)} files whose chunks were missing")
    return notes


def recover_manifest(manifest, collection) -> None:
    """Rebuild manifest rows from chunk metadata, keeping only files whose chunks are all there and agree."""
    got = collection.get(include=["metadatas", "documents"])
    by_source = defaultdict(list)
    for cid, meta, doc in zip(got["ids"], got["metadatas"], got["documents"]):
        by_source[meta.get("source", "")].append((cid, meta, doc))
    for source, rows in by_source.items():
        hashes = {m.get("file_sha256") for _, m, _ in rows}
        n = rows[0][1].get("n_chunks")
        if not source or len(hashes) != 1 or n != len(rows):
            continue
        rows.sort(key=lambda r: r[1].get("position", 0))
        meta = rows[0][1]
        manifest.files.replace_file(source, hashes.pop(), meta.get("title", ""), meta.get("date", ""),
                                         [(cid, m.get("position", 0), doc or "") for cid, m, doc in rows])
