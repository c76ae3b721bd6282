"""`rag index`: bring the index in line with the corpus folder, embedding only what was added or changed."""
from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from dataclasses import asdict, dataclass, field
from stat import S_ISLNK as stat_is_link
from typing import Callable

import numpy as np

from rag.indexing.chunk import FILTER_KEYS, chunk_article, embed_text, sentences as sentence_spans, split_sentences
from rag.config import Settings
from rag.indexing.embed import Embedder, make_embedder
from rag.faults import checkpoint
from rag.indexing.dedup import DuplicateIndex
from rag.indexing.ingest import Article, corpus_sources, read_article
from rag.indexing.repair import reconcile, recover_manifest
from rag.meta import META_VERSION, values
from rag.store import Store

log = logging.getLogger(__name__)
Progress = Callable[[int, int, str], None]  # (chunks done, chunks to do, current file)


@dataclass
class IndexReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    chunks_embedded: int = 0
    total_articles: int = 0
    total_chunks: int = 0
    seconds: float = 0.0
    repaired: list[str] = field(default_factory=list)  # what was found broken and fixed on the way
    duplicates: int = 0   # near-duplicate pairs found among the added or changed articles (rag/indexing/dedup.py)
    sentence_vectors: int = 0  # chunks of an older index whose sentence vectors were computed in this run

    def to_dict(self) -> dict:
        return asdict(self)


class Indexer:
    def __init__(self, settings: Settings, embedder: Embedder | None = None, store: Store | None = None) -> None:
        self.settings = settings
        self.embedder = embedder or make_embedder(settings)
        self.store = store or Store(settings)

    def index(self, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        start = time.perf_counter()
        report = IndexReport()
        with self.store.lock(self.settings.lock_timeout):
            if rebuild:
                self.store.drop()
            manifest = self.store.manifest
            manifest.db  # open it now: a corrupt file is found and set aside before the repaired check below
            collection = self.store.collection(self.embedder, create=True)
            if manifest.repaired:
                recover_manifest(manifest, collection)
                report.repaired.append("manifest was corrupt: rebuilt from the vector store")
            if self.store.remove_old_bm25():
                log.info("the keyword index now lives in the manifest (SQLite FTS5): old bm25 files removed")
            report.repaired += reconcile(manifest, collection)

            known = manifest.files.hashes()
            articles, skipped, same, stats = self._scan(manifest.files.stats())
            report.skipped = [{"source": s.source, "reason": s.reason} for s in skipped]
            current = {a.source: a for a in articles} | {source: None for source in same}
            todo: list[Article] = []
            touched: dict[str, tuple[int, int]] = {}
            for article in articles:
                if article.source not in known:
                    report.added.append(article.source)
                    todo.append(article)
                elif known[article.source] != article.sha256:
                    report.updated.append(article.source)
                    todo.append(article)
                else:
                    touched[article.source] = stats[article.source]
            report.unchanged = sorted(same + list(touched))
            manifest.files.set_stats(touched)
            # A file that is still there but now skipped (emptied, made binary) loses its chunks too.
            report.removed = sorted(s for s in known if s not in current)

            for source in report.removed:
                collection.delete(where={"source": source})
                manifest.files.remove_file(source)
            report.chunks_embedded = self._embed(todo, collection, progress, stats)
            if self.settings.sentence_vectors:
                report.sentence_vectors = self._fill_sentence_vectors()
            self._refresh_meta([a for a in map(lambda src: self._article(src, current),
                                               sorted(manifest.articles.stale(META_VERSION))) if a is not None],
                               collection)

            # Near-duplicates: the changed files (and any indexed before signatures existed) against all others.
            unsigned = [a for a in (self._article(src, current) for src in manifest.duplicates.unsigned()) if a is not None]
            changed = {a.source: a.text for a in todo} | {a.source: a.text for a in unsigned}
            report.duplicates = DuplicateIndex(self.store.root / "dedup.lsh").update(manifest, changed, report.removed)
            stats = self.store.status()
            report.total_articles, report.total_chunks = stats["articles"], stats["chunks"]
            manifest.mark_clean()  # checked (or found as last known clean) at open; since then only our commits
        report.seconds = round(time.perf_counter() - start, 3)
        return report

    def _scan(self, recorded: dict[str, tuple[int, int]]):
        """(articles read, skipped, sources not read because size and mtime are as recorded, stats of those read).
        The stat is taken before reading, so a file changed while it is read is read again next time."""
        corpus = self.settings.corpus_dir
        articles, skipped, same, stats = [], [], [], {}
        for source in corpus_sources(corpus):
            try:
                st = os.lstat(os.path.join(corpus, source))  # a symlink's own stat: never matches, always read
                stat = (st.st_size, st.st_mtime_ns) if not stat_is_link(st.st_mode) else None
            except OSError:
                stat = None
            if stat is not None and recorded.get(source) == stat:
                same.append(source)
                continue
            item = read_article(corpus / source, corpus)
            if isinstance(item, Article):
                articles.append(item)
                if stat is not None:
                    stats[source] = stat
            else:
                skipped.append(item)
                log.info("skipped %s: %s", item.source, item.reason)
        return articles, skipped, same, stats

    def _embed(self, articles: list[Article], collection, progress: Progress | None,
               stats: dict[str, tuple[int, int]] | None = None) -> int:
        """Articles go in batches of about `index_batch` chunks: one embedding call, one Chroma delete and add, one
        manifest transaction per batch (a full build pays those fixed costs once per batch, not once per article)."""
        if not articles:
            return 0
        s = self.settings
        plans = [(a, chunk_article(a, s.chunk_size, s.chunk_overlap)) for a in articles]
        total, done = sum(len(nodes) for _, nodes in plans), 0
        from llama_index.vector_stores.chroma import ChromaVectorStore  # here: a no-op or delete never imports it

        vector_store = ChromaVectorStore.from_collection(collection)
        if progress and total:
            progress(0, total, "")  # the clock starts before the first file, not after it
        batches: list[list[tuple[Article, list]]] = [[]]
        for i, (article, nodes) in enumerate(plans):
            batches[-1].append((article, nodes))
            if sum(len(n) for _, n in batches[-1]) >= s.index_batch and i + 1 < len(plans):
                batches.append([])
        for batch, sentences in _embedded(batches, self._vectors, getattr(self.embedder, "remote", False)):
            done = self._write_batch(batch, sentences, collection, vector_store, done, total, progress, stats or {})
        return done

    def _vectors(self, batch) -> dict:
        """Embed a batch's chunks (set on the nodes) and, with sentence vectors on, their sentences (returned)."""
        nodes = [n for _, article_nodes in batch for n in article_nodes]
        texts = [embed_text(n, self.settings.embed_title) for n in nodes]
        # Similar lengths side by side, so the embedder's fixed-size batches pad less; vectors go back in order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        if self.settings.sentence_vectors and self._pooled():
            return pooled_sentence_vectors(self.embedder, nodes, texts, order)  # one pass, not two (#22)
        vectors = self.embedder.passages([texts[i] for i in order]) if texts else []
        for i, vec in zip(order, vectors):
            nodes[i].embedding = vec.tolist()
        return self._sentence_vectors([n.text for n in nodes]) if self.settings.sentence_vectors else {}

    def _pooled(self) -> bool:
        return self.settings.sentence_pool == "chunk" and hasattr(self.embedder, "passages_with_spans")

    def _write_batch(self, batch, sentences: dict, collection, vector_store, done: int, total: int,
                     progress: Progress | None, stats: dict[str, tuple[int, int]]) -> int:
        nodes = [n for _, article_nodes in batch for n in article_nodes]
        # Vector store first, manifest second: a crash in between leaves the manifest's old hashes, so the next run
        # redoes these files, and the delete-by-source below (or the orphan check) clears whatever was half-written.
        collection.delete(where={"source": {"$in": [a.source for a, _ in batch]}})
        checkpoint("indexer.after_delete")
        if nodes:
            vector_store.add(nodes)
        checkpoint("indexer.after_vectors")
        manifest = self.store.manifest
        with manifest.batch():  # rows, keyword index and article metadata of the whole batch: one commit
            manifest.files.replace_files([(a.source, a.sha256, a.title, a.date,
                                     [(n.node_id, n.metadata["position"], n.text, sentences.get(n.text))
                                      for n in article_nodes])
                                    for a, article_nodes in batch], stats)
            for article, _ in batch:
                if article.meta:
                    manifest.articles.set(article.source, values(article.meta), META_VERSION)
        for article, article_nodes in batch:
            done += len(article_nodes)
            if progress:
                progress(done, total, article.source)
        return done

    def _sentence_vectors(self, texts: list[str]) -> dict:
        return sentence_vectors(self.embedder, texts, self._pooled())

    def _fill_sentence_vectors(self) -> int:
        """Chunks indexed before sentence vectors were stored (or with them off) get them now, batch by batch."""
        manifest, done = self.store.manifest, 0
        while rows := manifest.sentences.missing(self.settings.index_batch):
            if not done:
                log.info("computing the sentence vectors of chunks indexed without them")
            found = self._sentence_vectors([text for _, text in rows])
            manifest.sentences.set([(cid, found[text]) for cid, text in rows])
            done += len(rows)
        return done

    def _article(self, source: str, current: dict) -> Article | None:
        """An indexed file as an Article: from this run's scan, or read now when the scan skipped it as unchanged."""
        if source not in current:
            return None
        article = current[source]
        if article is None:
            item = read_article(Path(self.settings.corpus_dir) / source, Path(self.settings.corpus_dir))
            article = item if isinstance(item, Article) else None
        return article

    def _refresh_meta(self, articles: list[Article], collection) -> None:
        """Files indexed before rag/meta/ last changed: new metadata into the manifest and onto their chunks in
        Chroma (what date/outlet filters read), without embedding anything again."""
        for article in articles:
            if article.meta is None:
                continue
            news = values(article.meta)
            ids = self.store.manifest.files.chunk_ids(article.source)
            if ids:
                got = collection.get(ids=ids, include=["metadatas"])
                metas = [{**(m or {}), **{k: news[k] for k in FILTER_KEYS}} for m in got["metadatas"]]
                collection.update(ids=got["ids"], metadatas=metas)
            self.store.manifest.articles.set(article.source, news, META_VERSION)
        if articles:
            log.info("refreshed the metadata of %d files", len(articles))


def _embedded(batches: list, embed: Callable, ahead: bool):
    """(batch, its sentence vectors) in order, each batch embedded by `embed` just before it is yielded; with `ahead`
    (an embeddings server, #22) the next batch is embedded while the caller writes this one, so a build runs at the
    slower of the two instead of their sum. An embedding error surfaces before anything of its batch is written."""
    if not ahead:
        for batch in batches:
            yield batch, embed(batch)
        return
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="embed-ahead")
    try:
        future = pool.submit(embed, batches[0])
        for k, batch in enumerate(batches):
            sentences = future.result()
            if k + 1 < len(batches):
                future = pool.submit(embed, batches[k + 1])
            yield batch, sentences
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def sentence_vectors(embedder: Embedder, texts: list[str], pooled: bool = False) -> dict:
    """text -> (sentences x dim) vectors of its sentences, as split at answer time: each sentence embedded once, or
    (pooled) read from the text's own pass (without its title: what is stored is the text)."""
    if pooled:
        texts = sorted(set(texts), key=len)
        _, parts = embedder.passages_with_spans(texts, [sentence_spans(t) for t in texts])
        return {t: p if len(p) else np.zeros((0, 1), np.float32) for t, p in zip(texts, parts)}
    split = {t: split_sentences(t) for t in texts}
    unique = sorted({s for sents in split.values() for s in sents}, key=len)
    found = dict(zip(unique, embedder.passages(unique))) if unique else {}
    return {t: np.vstack([found[s] for s in sents]) if sents else np.zeros((0, 1), np.float32)
            for t, sents in split.items()}


def pooled_sentence_vectors(embedder: Embedder, nodes, texts: list[str], order: list[int]) -> dict:
    """Embeds the chunks (`texts` as the embedder reads them, title line included) in `order`, setting each node's
    embedding, and returns text -> its sentences' vectors pooled from the same pass."""
    spans = []
    for node, text in zip(nodes, texts):
        shift = len(text) - len(node.text)  # the title line in front of the chunk, when embedded with it
        spans.append([(s + shift, e + shift) for s, e in sentence_spans(node.text)])
    vectors, parts = embedder.passages_with_spans([texts[i] for i in order], [spans[i] for i in order])
    out = {}
    for i, vec, part in zip(order, vectors, parts):
        nodes[i].embedding = vec.tolist()
        out[nodes[i].text] = part if len(part) else np.zeros((0, 1), np.float32)
    return out
