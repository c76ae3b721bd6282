"""Against a real `chroma run` server: index and retrieve, fail fast and clearly when it dies, recover on restart."""
from __future__ import annotations

import json
from pathlib import Path
import shutil
import sys
import socket
import subprocess
import time
import urllib.request

import pytest

from reliability_helpers import LAVROV, PY, SMALL, cli_env, copy_corpus

pytestmark = pytest.mark.slow
QUESTION = "ماذا قال لافروف عن منظمة معاهدة الأمن الجماعي؟"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(path, port, log):
    beside = Path(sys.executable).parent / "chroma"  # the venv's CLI, even when the venv is not activated
    exe = str(beside) if beside.exists() else shutil.which("chroma")
    assert exe, "chroma CLI not on PATH"
    proc = subprocess.Popen([exe, "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"chroma exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/heartbeat", timeout=1) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise AssertionError("chroma server did not answer its heartbeat within 60 s")


def _stop(proc):
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


def _rag(*args, timeout=120):
    return subprocess.run([PY, "-m", "rag", *args], env=cli_env(), capture_output=True, text=True, timeout=timeout)


def test_server_index_retrieve_die_restart(tmp_path):
    corpus = copy_corpus(tmp_path / "corpus", SMALL)
    store, data = tmp_path / "store", tmp_path / "chroma-data"
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    common = ["--corpus", str(corpus), "--store", str(store), "--chroma-url", url]
    log = open(tmp_path / "chroma.log", "wb")
    server = _start(data, port, log)
    try:
        r = _rag("index", "--json", *common, timeout=300)
        assert r.returncode == 0, r.stderr
        report = json.loads(r.stdout)
        assert report["total_articles"] == 2 and report["chunks_embedded"] == report["total_chunks"] > 0
        assert not (store / "chroma").exists()  # vectors live in the server, not in the store folder

        r = _rag("retrieve", QUESTION, "--json", *common)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)[0]["source"] == LAVROV

        _stop(server)
        t0 = time.monotonic()
        r = _rag("retrieve", QUESTION, "--json", *common, timeout=120)
        elapsed = time.monotonic() - t0
        assert elapsed < 30, f"retrieve took {elapsed:.1f} s against a dead server"
        assert r.returncode == 1, (r.returncode, r.stdout, r.stderr)
        assert "Traceback" not in r.stderr
        assert "Chroma server" in r.stderr, r.stderr

        server = _start(data, port, log)
        r = _rag("retrieve", QUESTION, "--json", *common)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)[0]["source"] == LAVROV
        r = _rag("index", "--json", *common, timeout=300)
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["chunks_embedded"] == 0
    finally:
        _stop(server)
        log.close()
