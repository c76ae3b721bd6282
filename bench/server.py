"""A throwaway `chroma run` server on 127.0.0.1 for the server-mode timings, and copying an index into it."""
from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ChromaServer:
    def __init__(self, path: Path) -> None:
        self.path, self.port, self.proc = path, free_port(), None
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "ChromaServer":
        beside = Path(sys.executable).parent / "chroma"  # the venv's CLI, even when the venv is not activated
        exe = str(beside) if beside.exists() else shutil.which("chroma")
        if not exe:
            raise RuntimeError("the chroma CLI is not installed (it comes with the chromadb package)")
        self.path.mkdir(parents=True, exist_ok=True)
        self.log = open(self.path.parent / "chroma-server.log", "wb")
        self.proc = subprocess.Popen([exe, "run", "--path", str(self.path), "--host", "127.0.0.1",
                                      "--port", str(self.port)], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"chroma run exited with {self.proc.returncode}")
            try:
                with urllib.request.urlopen(f"{self.url}/api/v2/heartbeat", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError("chroma server did not answer its heartbeat within 60 s")

    def __exit__(self, *exc) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=20)
        if getattr(self, "log", None):
            self.log.close()


def copy_index(settings, server_settings, embedder) -> int:
    """The same index in server mode: vectors, documents and metadata copied as they are (nothing re-embedded),
    the manifest (with its FTS5 keyword index) copied beside. Returns the number of vectors copied."""
    from rag.store import Store

    src_root, dst_root = Path(settings.index_dir), Path(server_settings.index_dir)
    dst_root.mkdir(parents=True, exist_ok=True)
    shutil.copy2(src_root / "manifest.sqlite", dst_root / "manifest.sqlite")
    src = Store(settings).collection(embedder)
    got = src.get(include=["embeddings", "documents", "metadatas"])
    dst_store = Store(server_settings)
    dst = dst_store.collection(embedder, create=True)
    batch = min(2000, dst_store.client.get_max_batch_size())
    for i in range(0, len(got["ids"]), batch):
        dst.add(ids=got["ids"][i:i + batch], embeddings=got["embeddings"][i:i + batch],
                documents=got["documents"][i:i + batch], metadatas=got["metadatas"][i:i + batch])
    return dst.count()
