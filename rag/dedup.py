"""Near-duplicate articles (a wire story republished with small edits): MinHash over word shingles, found at index
time with an LSH kept beside the manifest, so adding one article compares it with the others without a rescan.
Both files stay indexed; retrieval cites one and lists the others as "also published by"."""
from __future__ import annotations

import dataclasses
import logging
import pickle
from pathlib import Path

import numpy as np

from .arabic import tokens

log = logging.getLogger(__name__)

NUM_PERM = 128      # MinHash permutations: Jaccard estimated to about +-0.09 (1/sqrt(128))
SHINGLE = 3         # words per shingle: one edited word changes at most 3 shingles
THRESHOLD = 0.6     # estimated containment (shared shingles / the shorter article's) at or above which two articles
                    # are the same story: a republished copy is often cut, which Jaccard alone punishes (planted
                    # copies: Jaccard 0.53-0.77, containment 0.83-0.97; other articles on the subject <= 0.06)
MIN_JACCARD = 0.25  # and at least this Jaccard: a short piece quoting a few lines of a long one is not a copy
LSH_THRESHOLD = 0.3 # Jaccard the LSH is tuned for: candidates only, each then checked by containment
MIN_SHINGLES = 20   # shorter texts are too small to call duplicates safely
SIGN_BATCH = 256    # signatures written per manifest transaction (a full build: one commit per 256 files)


def shingles(text: str) -> set[bytes]:
    words = tokens(text, drop_stopwords=False)
    return {" ".join(words[i:i + SHINGLE]).encode("utf-8") for i in range(max(0, len(words) - SHINGLE + 1))}


def signature(text: str):
    """The article's MinHash (with its shingle count as `.count`), or None when it has too few shingles to compare."""
    from datasketch import MinHash

    sh = shingles(text)
    if len(sh) < MIN_SHINGLES:
        return None
    m = MinHash(num_perm=NUM_PERM, scheme=SCHEME)
    m.update_batch(list(sh))
    m.count = len(sh)
    return m


def containment(a, b) -> float:
    """Estimated share of the shorter article's shingles found in the other: |A&B| = J (|A|+|B|) / (1+J)."""
    j = a.jaccard(b)
    return j * (a.count + b.count) / ((1 + j) * min(a.count, b.count))


def same_story(a, b) -> float:
    """The containment when the two are near-duplicates (THRESHOLD, MIN_JACCARD), else 0."""
    c = containment(a, b)
    return c if c >= THRESHOLD and a.jaccard(b) >= MIN_JACCARD else 0.0


SCHEME = "affine32"  # datasketch 2's default hashing; stored hash values are only comparable within one scheme


def to_blob(m) -> bytes:
    """Shingle count, then the hash values (uint32 each)."""
    return np.asarray([m.count, *m.hashvalues], dtype=np.uint32).tobytes()


def from_blob(blob: bytes):
    from datasketch import MinHash

    values = np.frombuffer(blob, dtype=np.uint32)
    m = MinHash(num_perm=NUM_PERM, hashvalues=values[1:], scheme=SCHEME)
    m.count = int(values[0])
    return m


class DuplicateIndex:
    """The LSH over every article's MinHash, pickled to `path`; reconciled with the manifest's signatures on load,
    so a crash between the two costs a few inserts, never a wrong answer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lsh = None

    def _load(self, signatures: dict[str, bytes]):
        from datasketch import MinHashLSH

        lsh = None
        if self.path.exists():
            try:
                lsh = pickle.loads(self.path.read_bytes())
            except Exception as exc:  # noqa: BLE001 - a damaged cache is rebuilt from the manifest
                log.warning("duplicate index %s unusable (%s); rebuilding it", self.path, exc)
        fresh = MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM)
        if lsh is None or (getattr(lsh, "b", None), getattr(lsh, "r", None)) != (fresh.b, fresh.r):
            lsh = fresh  # none yet, or tuned differently: rebuilt from the signatures below
        keys = set(lsh.keys.keys()) if hasattr(lsh.keys, "keys") else set()
        for gone in keys - signatures.keys():
            lsh.remove(gone)
        for source in signatures.keys() - keys:
            lsh.insert(source, from_blob(signatures[source]))
        self._lsh = lsh
        return lsh

    def update(self, manifest, changed: dict[str, str], removed: list[str]) -> int:
        """Sign the changed articles (source -> text), forget removed ones, record duplicate pairs; returns pairs."""
        if not changed and not removed and self.path.exists():
            return 0
        with manifest.batch():
            for source in removed:
                manifest.set_signature(source, None, keep=False)
        signed, items = {}, list(changed.items())
        for i in range(0, len(items), SIGN_BATCH):  # one commit per SIGN_BATCH files, not one per file
            with manifest.batch():
                for source, text in items[i:i + SIGN_BATCH]:
                    m = signature(text)
                    manifest.set_signature(source, to_blob(m) if m is not None else None)
                    if m is not None:
                        signed[source] = m
        lsh = self._load(manifest.signatures())
        pairs = set()
        with manifest.batch():  # the pairs found: one commit
            for source, m in signed.items():
                for other in lsh.query(m):
                    if other == source or tuple(sorted((source, other))) in pairs:
                        continue
                    c = same_story(m, from_blob(manifest.signatures([other])[other]))
                    if c:
                        manifest.add_duplicate(source, other, c)
                        pairs.add(tuple(sorted((source, other))))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_bytes(pickle.dumps(lsh))
        tmp.replace(self.path)
        return len(pairs)


def collapse(hits: list, manifest) -> list:
    """Hits with each near-duplicate group cited once (its best-ranked article), the others in that hit's `also`."""
    groups = manifest.duplicate_groups([h.source for h in hits])
    if not groups:
        return hits
    others = {m for members in groups.values() for m in members}
    meta = manifest.article_meta(list(others))
    kept, owner = [], {}
    for h in hits:
        members = groups.get(h.source)
        if not members:
            kept.append(h)
            continue
        first = owner.setdefault(frozenset(members | {h.source}), h.source)
        if first != h.source:
            continue  # another article of the same story is already cited
        also = tuple({"source": s, "outlet": meta.get(s, {}).get("outlet", ""), "date": meta.get(s, {}).get("date", "")}
                     for s in sorted(members))
        kept.append(dataclasses.replace(h, also=also))
    return kept
