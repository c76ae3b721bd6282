"""The Chroma collection (embedded, or a `chroma run` server) and the index folder: opened lazily, checked against
the configured embedder, dropped for --rebuild, and the one-writer lock."""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

from rag.config import Settings
from rag.errors import EmbedderMismatchError, IndexLockedError, IndexMissingError, StoreUnavailableError
from rag.store.manifest import Manifest

log = logging.getLogger(__name__)
SERVER_TIMEOUT = 20.0  # seconds before a Chroma server call is given up
OLD_BM25 = ("bm25", "bm25.tmp", "bm25.old", "bm25.lock")  # the bm25s keyword index before FTS5, removed on upgrade


class Store:
    """Opens the Chroma collection lazily; checks that the index was built with the configured embedder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.root = Path(settings.index_dir)
        self.manifest = Manifest(self.root / "manifest.sqlite")
        self._client = None
        self._collection = None
        self._generation = 0

    @property
    def server_mode(self) -> bool:
        return bool(self.settings.chroma_url)

    @property
    def client(self):
        if self._client is None:
            import chromadb
            from chromadb.config import Settings as ChromaSettings

            chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
            try:
                if self.server_mode:
                    url = urlparse(self.settings.chroma_url if "//" in self.settings.chroma_url
                                   else f"http://{self.settings.chroma_url}")
                    self._client = chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                                       ssl=url.scheme == "https", settings=chroma_settings)
                    _set_http_timeout(self._client, SERVER_TIMEOUT)
                else:
                    self.root.mkdir(parents=True, exist_ok=True)
                    self._client = chromadb.PersistentClient(path=str(self.root / "chroma"), settings=chroma_settings)
            except Exception as exc:
                raise _friendly(exc, self.settings) from exc
        return self._client

    def exists(self) -> bool:
        return self.manifest.path.exists() and (self.server_mode or (self.root / "chroma").exists())

    def collection(self, embedder=None, create: bool = False):
        """The collection; with `embedder`, raises EmbedderMismatchError when the index was built with another."""
        self.manifest.refresh()
        if self._generation != self.manifest.generation:
            # The manifest was replaced: another process rebuilt the index, deleting the collection and making it again.
            self._collection, self._generation = None, self.manifest.generation
        if self._collection is None:
            if not create and not self.exists():
                raise IndexMissingError(f"no index at {self.root}/ yet: run `rag index` first")
            try:
                if create:
                    meta = {"hnsw:space": "cosine"}
                    if embedder is not None:
                        meta.update(embed_backend=embedder.backend, embed_model=embedder.model, embed_dim=embedder.dim)
                    self._collection = self.client.get_or_create_collection(self.settings.collection, metadata=meta)
                else:
                    self._collection = self.client.get_collection(self.settings.collection)
            except IndexMissingError:
                raise
            except Exception as exc:
                raise _friendly(exc, self.settings) from exc
        if embedder is not None:
            self.check_embedder(embedder)
        return self._collection

    def check_embedder(self, embedder) -> None:
        meta = self._collection.metadata or {}
        built = (meta.get("embed_backend"), meta.get("embed_model"))
        if built[0] and built != (embedder.backend, embedder.model):
            raise EmbedderMismatchError(
                f"the index was built with {built[0]}:{built[1]} but the configured embedder is "
                f"{embedder.backend}:{embedder.model}; run `rag index --rebuild` to re-embed with it")

    def drop(self) -> None:
        """Forget everything: the collection and the manifest with its keyword index (for --rebuild)."""
        self.manifest.close()
        self._collection = None
        try:
            self.client.delete_collection(self.settings.collection)
        except Exception as exc:  # missing collection, or an embedded index too damaged to open
            log.info("could not delete collection (%s)", exc)
            if not self.server_mode:
                from chromadb.api.client import SharedSystemClient

                self._client = None
                SharedSystemClient.clear_system_cache()
                shutil.rmtree(self.root / "chroma", ignore_errors=True)
        for name in ("manifest.sqlite", "manifest.sqlite-journal", "manifest.sqlite.checked", "dedup.lsh", *OLD_BM25):
            path = self.root / name
            shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)

    def remove_old_bm25(self) -> bool:
        """Delete the bm25s files of indexes written before the FTS5 keyword index; True if there were any."""
        found = False
        for name in OLD_BM25:
            path = self.root / name
            if path.exists():
                found = True
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
        return found

    @contextlib.contextmanager
    def lock(self, wait: float = 60.0):
        """One writer at a time: a second `rag index` waits up to `wait` seconds, then refuses."""
        self.root.mkdir(parents=True, exist_ok=True)
        path = self.root / ".lock"
        with open(path, "a+") as fh:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        fh.seek(0)
                        holder = fh.read().strip() or "another process"
                        raise IndexLockedError(f"the index at {self.root}/ is being updated by {holder}; "
                                               "try again when it finishes") from None
                    time.sleep(0.2)
            fh.seek(0)
            fh.truncate()
            fh.write(f"rag index (pid {os.getpid()})")
            fh.flush()
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    def status(self) -> dict:
        rows = self.manifest.files.rows() if self.manifest.path.exists() else []
        return {"articles": len(rows), "chunks": sum(r[2] for r in rows)}


def _set_http_timeout(client, seconds: float) -> None:
    # chromadb's HTTP client is created with timeout=None, so a hung server would hang every query forever.
    import httpx

    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(seconds)


def _friendly(exc: Exception, settings: Settings) -> Exception:
    text = f"{type(exc).__name__}: {exc}"
    if settings.chroma_url:
        return StoreUnavailableError(f"cannot reach the Chroma server at {settings.chroma_url} ({text}); "
                                     "is `chroma run` up?")
    if "does not exist" in text or "NotFound" in text:
        return IndexMissingError(f"no index at {settings.index_dir}/ yet: run `rag index` first")
    return IndexMissingError(f"the index at {settings.index_dir}/ cannot be opened ({text}); "
                             "run `rag index --rebuild` to rebuild it")
