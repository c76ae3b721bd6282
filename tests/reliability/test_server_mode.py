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


NEW = "005_oman_turtles.txt"
NEW_TEXT = """سلاحف البحر الخضراء تعود إلى شاطئ رأس الجنز في سلطنة عمان

مسقط - 3 مارس 2025

سجلت محمية رأس الجنز في سلطنة عمان هذا الموسم وصول 6200 سلحفاة خضراء إلى الشاطئ لوضع بيضها.
وقال مدير المحمية إن عدد أعشاش السلاحف الخضراء ارتفع بنسبة 12 في المئة مقارنة بالموسم الماضي.
"""
NEW_Q = "كم سلحفاة خضراء وصلت إلى شاطئ رأس الجنز في سلطنة عمان؟"


def _serve(common, port, log):
    proc = subprocess.Popen([PY, "-m", "rag", "serve", *common, "--port", str(port), "--engine", "extractive"],
                            env=cli_env(), stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"rag serve exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as r:
                if r.status == 200:
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.kill()
    raise AssertionError("rag serve did not answer within 180 s")


def _ask(port, question):
    """(answer text, cited sources) from one serving process through its `ask` API."""
    from gradio_client import Client

    chat, sources = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(question, [], api_name="/ask")[:2]
    content = chat[-1]["content"]
    text = content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
    return text, sources


def test_two_serving_processes_share_one_chroma_server_and_see_each_others_index_runs(tmp_path):
    """Many users: two `rag serve` processes on one `chroma run` server, one corpus and one index folder (manifest +
    FTS5 keyword index). Index runs from a third process (`rag index`, also `--rebuild`) are seen by both at once."""
    corpus = copy_corpus(tmp_path / "corpus", SMALL)
    store, data = tmp_path / "store", tmp_path / "chroma-data"
    port = _free_port()
    common = ["--corpus", str(corpus), "--store", str(store), "--chroma-url", f"http://127.0.0.1:{port}"]
    log = open(tmp_path / "servers.log", "wb")
    server = _start(data, port, log)
    serving = []
    try:
        r = _rag("index", "--json", *common, timeout=300)
        assert r.returncode == 0, r.stderr
        ports = [_free_port(), _free_port()]
        serving = [_serve(common, p, log) for p in ports]
        first = [_ask(p, QUESTION) for p in ports]
        assert first[0] == first[1] and LAVROV in first[0][1], first
        assert NEW not in _ask(ports[0], NEW_Q)[1]

        (corpus / NEW).write_text(NEW_TEXT, encoding="utf-8")
        r = _rag("index", "--json", *common, timeout=300)
        assert r.returncode == 0 and json.loads(r.stdout)["files"]["added"] == [NEW], r.stderr
        after = [_ask(p, NEW_Q) for p in ports]  # no restart: both see the new article (vectors and keywords)
        assert after[0] == after[1] and NEW in after[0][1] and "6200" in after[0][0], after
        r = _rag("retrieve", NEW_Q, "--json", "--retrieval", "bm25", *common)
        assert r.returncode == 0 and json.loads(r.stdout)[0]["source"] == NEW, r.stderr

        (corpus / NEW).unlink()
        r = _rag("index", "--json", "--rebuild", *common, timeout=300)  # new collection, new manifest file
        assert r.returncode == 0, r.stderr
        rebuilt = [_ask(p, QUESTION) for p in ports]
        assert rebuilt[0] == rebuilt[1] == first[0], rebuilt
        gone = [_ask(p, NEW_Q) for p in ports]
        assert gone[0] == gone[1] and NEW not in gone[0][1], gone
    finally:
        for proc in serving:
            _stop(proc)
        _stop(server)
        log.close()
