"""Near-duplicate articles (a wire story republished with small edits): MinHash over word shingles, found at index
time with an LSH kept beside the manifest, so adding one article compares it with the others without a rescan.
Both files stay indexed; retrieval cites one and lists the others as "also published by"."""
from __future__ import annotations

import dataclasses
import hashlib
import logging
import re
from pathlib import Path

import numpy as np

from rag.arabic import normalize, tokens
from rag.meta.places import apart, mentioned

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
SAME_TEXT = 0.6     # Jaccard at or above which two articles are one story whatever their titles say
LEAD_CHARS = 200    # the lead whose numbers must not disagree (bench/saudinewsnet.md: templated statements)
RULES = "e3"        # version of same_event: stored pairs found by other rules are checked again
_NUMBER = re.compile(r"\d+")


def shingles(text: str) -> set[bytes]:
    words = tokens(text, drop_stopwords=False)
    return {" ".join(words[i:i + SHINGLE]).encode("utf-8") for i in range(max(0, len(words) - SHINGLE + 1))}


class MinHash:
    """An article's MinHash: `hashvalues` (NUM_PERM uint32) and `count` (its number of shingles).

    The values are datasketch 2.0's `MinHash(num_perm=128, seed=1, scheme="affine32")` after `update_batch(shingles)`,
    bit for bit (tests/test_dedup.py pins it), computed here in numpy: importing datasketch imports scipy.integrate
    (for MinHashLSH's parameter search), ~0.4 s on every `rag index` that adds or deletes an article. So signatures
    stored by either are the same and interchangeable."""

    __slots__ = ("hashvalues", "count")

    def __init__(self, hashvalues, count: int) -> None:
        self.hashvalues, self.count = hashvalues, count

    def jaccard(self, other: "MinHash") -> float:
        """Share of equal hash values: the estimated Jaccard similarity of the two shingle sets."""
        return float(np.count_nonzero(self.hashvalues == other.hashvalues)) / float(len(self.hashvalues))


_PERMUTATIONS: tuple | None = None


def _permutations():
    """datasketch's affine32 permutations h -> a*h + b mod 2^32 for seed 1 (a odd), drawn as datasketch draws them."""
    global _PERMUTATIONS
    if _PERMUTATIONS is None:
        gen = np.random.RandomState(1)
        a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
        _PERMUTATIONS = a, b
    return _PERMUTATIONS


def _fmix32(hv):
    """MurmurHash3's 32-bit finalizer (datasketch's pre-mix of the input hashes), wrapping in uint32."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def signature(text: str) -> MinHash | None:
    """The article's MinHash, or None when it has too few shingles to compare."""
    sh = shingles(text)
    if len(sh) < MIN_SHINGLES:
        return None
    # datasketch's default input hash: the first 4 bytes of SHA-1, little-endian
    hv = np.frombuffer(b"".join(hashlib.sha1(s).digest()[:4] for s in sh), dtype="<u4").astype(np.uint32)
    a, b = _permutations()
    return MinHash((_fmix32(hv).reshape(-1, 1) * a + b).min(axis=0), len(sh))


def containment(a, b) -> float:
    """Estimated share of the shorter article's shingles found in the other: |A&B| = J (|A|+|B|) / (1+J)."""
    j = a.jaccard(b)
    return j * (a.count + b.count) / ((1 + j) * min(a.count, b.count))


def same_story(a, b) -> float:
    """The containment when the two are near-duplicates (THRESHOLD, MIN_JACCARD), else 0."""
    c = containment(a, b)
    return c if c >= THRESHOLD and a.jaccard(b) >= MIN_JACCARD else 0.0


def same_event(a: tuple[str, str], b: tuple[str, str], jaccard: float) -> bool:
    """Whether two near-duplicate texts, (title, first chunk) each, report the same event. Templated official statements
    (relief plane 4 vs 5 to Aden, cables to different presidents, executions in different regions) share most of
    their shingles: on SaudiNewsNet they were 8 of the 14 wrong pairs in 100 (bench/saudinewsnet.md). Unless the
    texts are nearly the same (Jaccard >= SAME_TEXT), the titles must share a content word; and the numbers of the
    leads must not disagree: neither lead's numbers found in the other's first chunk (an outlet's own dateline
    numbers only its lead); and each text must not name a place (country, city, region, nationality) the other's
    does not name (rag/meta/places.py). A missing title or a lead without numbers is no evidence either way."""
    (title_a, head_a), (title_b, head_b) = a, b
    if jaccard < SAME_TEXT:
        if title_a and title_b and not set(tokens(title_a)) & set(tokens(title_b)):
            return False
        if apart(mentioned(f"{title_a}\n{head_a}"), mentioned(f"{title_b}\n{head_b}")):
            return False  # each names a place the other does not: القصيم vs جازان, Benin vs Burkina Faso
    head_a, head_b = normalize(head_a), normalize(head_b)
    lead_a, lead_b = (set(_NUMBER.findall(h[:LEAD_CHARS])) for h in (head_a, head_b))
    if not lead_a or not lead_b:
        return True
    return bool(lead_a & set(_NUMBER.findall(head_b)) or lead_b & set(_NUMBER.findall(head_a)))


SCHEME = "affine32"  # datasketch 2's default hashing (what MinHash reproduces); values compare only within a scheme
BANDS, ROWS = 37, 3  # the LSH's banding: datasketch's MinHashLSH(threshold=LSH_THRESHOLD, num_perm=NUM_PERM).b, .r
                     # (its optimum for those two; tests/test_dedup.py pins it; change LSH_THRESHOLD, recompute it)


def to_blob(m) -> bytes:
    """Shingle count, then the hash values (uint32 each)."""
    return np.asarray([m.count, *m.hashvalues], dtype=np.uint32).tobytes()


def from_blob(blob: bytes) -> MinHash:
    values = np.frombuffer(blob, dtype=np.uint32)
    return MinHash(values[1:], int(values[0]))


class DuplicateIndex:
    """The LSH over every article's MinHash, kept in the manifest (table `lsh`: one row per band bucket and article,
    written in the same transactions as the signatures, so the two cannot disagree). Adding or removing one article
    touches its own 37 rows; the whole LSH is never loaded. (It was a pickle beside the manifest: at 24,000 articles
    26 MB, loaded and rewritten on every add and delete, ~4.5 s on the loaded 2-core machine.)"""

    def __init__(self, path: Path) -> None:
        self.path = path  # the pickle of indexes written before the LSH moved into the manifest: removed on update

    @staticmethod
    def _bands() -> tuple[int, int]:
        return BANDS, ROWS

    @staticmethod
    def buckets(hashvalues, b: int, r: int) -> list[int]:
        """The article's bucket in each band (datasketch's banding: b bands of r hash values), as 63-bit integers: the
        band number and its r values hashed together. A collision only adds a candidate, which containment rejects."""
        hv = np.asarray(hashvalues, dtype=np.uint32)
        return [int.from_bytes(hashlib.blake2b(band.to_bytes(2, "little") + hv[band * r:(band + 1) * r].tobytes(),
                                               digest_size=8).digest(), "little") >> 1 for band in range(b)]

    @staticmethod
    def _recheck(manifest) -> None:
        """Pairs recorded by an earlier same_event: the ones it no longer accepts are dropped (rules only tighten)."""
        pairs = manifest.duplicates.pairs()
        sigs = manifest.duplicates.signatures(sorted({s for a, b, _ in pairs for s in (a, b)})) if pairs else {}
        dropped = 0
        with manifest.batch():
            for a, b, _ in pairs:
                if a in sigs and b in sigs:
                    j = from_blob(sigs[a]).jaccard(from_blob(sigs[b]))
                    if not same_event(*manifest.files.heads([a, b]), j):
                        manifest.duplicates.remove_pair(a, b)
                        dropped += 1
            manifest.set("dup_rules", RULES)
        if dropped:
            log.info("near-duplicates: %d recorded pairs are templated statements about different events", dropped)

    def update(self, manifest, changed: dict[str, str], removed: list[str]) -> int:
        """Sign the changed articles (source -> text), forget removed ones, record duplicate pairs; returns pairs."""
        version = f"t{LSH_THRESHOLD}:p{NUM_PERM}:blake2b"  # what the rows were built for (no datasketch import)
        if manifest.get("dup_rules") != RULES:
            self._recheck(manifest)
        if manifest.get("lsh") == version and not changed and not removed:
            return 0
        b, r = self._bands()
        if manifest.get("lsh") != version:  # a manifest from before the LSH lived in it (or banded otherwise)
            with manifest.batch():
                manifest.duplicates.lsh_clear()
                for source, blob in manifest.duplicates.signatures().items():
                    manifest.duplicates.lsh_add(source, self.buckets(from_blob(blob).hashvalues, b, r))
                manifest.set("lsh", version)
            if self.path.exists():
                self.path.unlink()
        if not changed and not removed:
            return 0

        def forget(source: str) -> None:
            old = manifest.duplicates.signatures([source]).get(source)
            if old is not None:
                manifest.duplicates.lsh_remove(source, self.buckets(from_blob(old).hashvalues, b, r))

        with manifest.batch():
            for source in removed:
                forget(source)
                manifest.duplicates.set_signature(source, None, keep=False)
        signed, items = {}, list(changed.items())
        for i in range(0, len(items), SIGN_BATCH):  # one commit per SIGN_BATCH files, not one per file
            with manifest.batch():
                for source, text in items[i:i + SIGN_BATCH]:
                    m = signature(text)
                    forget(source)
                    manifest.duplicates.set_signature(source, to_blob(m) if m is not None else None)
                    if m is not None:
                        signed[source] = m
                        manifest.duplicates.lsh_add(source, self.buckets(m.hashvalues, b, r))
        pairs, items = set(), list(signed.items())
        for i in range(0, len(items), SIGN_BATCH):  # the pairs found: one commit per SIGN_BATCH files (short
            with manifest.batch():                  # transactions: a reader is never locked out for long)
                for source, m in items[i:i + SIGN_BATCH]:
                    for other in sorted(manifest.duplicates.lsh_members(self.buckets(m.hashvalues, b, r))):
                        if other == source or tuple(sorted((source, other))) in pairs:
                            continue
                        theirs = from_blob(manifest.duplicates.signatures([other])[other])
                        c = same_story(m, theirs)
                        if c and same_event(*manifest.files.heads([source, other]), m.jaccard(theirs)):
                            manifest.duplicates.add(source, other, c)
                            pairs.add(tuple(sorted((source, other))))
        return len(pairs)


def collapse(hits: list, manifest) -> list:
    """Hits with each near-duplicate group cited once (its best-ranked article), the others in that hit's `also`."""
    groups = manifest.duplicates.groups([h.source for h in hits])
    if not groups:
        return hits
    others = {m for members in groups.values() for m in members}
    meta = manifest.articles.meta(list(others))
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
