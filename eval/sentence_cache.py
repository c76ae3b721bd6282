"""Sentence embeddings of a benchmark corpus, computed once for the selector's trainer (eval/cache/sentences-<set>.pkl).

    python eval/sentence_cache.py --set arcd

Sentences are split from each chunk exactly as the extractive engine splits them; the cache is keyed by sentence text,
so a sentence the trainer meets that is not in it is embedded on demand.
"""
from __future__ import annotations

import argparse
import pickle
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))
import datasets  # noqa: E402
from rag.indexing.chunk import chunk_article, split_sentences  # noqa: E402
from rag.config import Settings  # noqa: E402
from rag.indexing.embed import make_embedder  # noqa: E402
from rag.indexing.ingest import scan  # noqa: E402

CACHE = REPO / "eval" / "cache"


def load(name: str) -> dict:
    path = CACHE / f"sentences-{name}.pkl"
    if not path.exists():
        return {}
    with open(path, "rb") as fh:
        return pickle.load(fh)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--set", choices=datasets.NAMES, required=True)
    args = ap.parse_args()
    settings = Settings.from_env(env={})
    articles, _ = scan(datasets.bench_dir(args.set) / "corpus")
    sentences = list(dict.fromkeys(s for a in articles for node in chunk_article(a, settings.chunk_size,
                                                                                  settings.chunk_overlap)
                                   for s in split_sentences(node.get_content())))
    cache = load(args.set)
    todo = [s for s in sentences if s not in cache]
    print(f"{len(sentences)} sentences, {len(todo)} to embed", flush=True)
    embedder = make_embedder(settings)
    started = time.time()
    for i in range(0, len(todo), 256):
        batch = todo[i:i + 256]
        for s, v in zip(batch, embedder.passages(batch)):
            cache[s] = v
        CACHE.mkdir(parents=True, exist_ok=True)
        with open(CACHE / f"sentences-{args.set}.pkl", "wb") as fh:
            pickle.dump(cache, fh)
        print(f"{i + len(batch)}/{len(todo)} {time.time() - started:.0f}s", flush=True)


if __name__ == "__main__":
    main()
