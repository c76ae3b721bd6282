"""Several processes open an index written before FTS5 at once (web workers after an upgrade): one upgrades it, the
others wait for it and use the result; none fails and the index is built once."""
from __future__ import annotations

import sqlite3
import subprocess

import pytest

from rag.store import Manifest
from reliability_helpers import PY, REPO, cli_env

pytestmark = pytest.mark.slow

OPEN_AND_SEARCH = """
import sys
from rag.retrieval.bm25 import KeywordRetriever
from rag.store import Manifest
m = Manifest(__import__("pathlib").Path(sys.argv[1]))
hits = KeywordRetriever(m, 5).search("لافروف منظمة معاهدة", 5)
print(int(m.upgraded), hits[0].node.node_id if hits else "")
"""


def test_parallel_first_opens_of_an_old_manifest_all_succeed(tmp_path):
    path = tmp_path / "manifest.sqlite"
    m = Manifest(path)
    m.files.replace_files([(f"{i:03d}.txt", "x", "", "", [(f"{i:03d}.txt#0000", 0, f"خبر رقم {i} عن موسكو وكابول")])
                     for i in range(2000)])
    m.files.replace_file("lavrov.txt", "x", "", "", [("lavrov.txt#0000", 0, "قال لافروف إن منظمة معاهدة الأمن تتشاور")])
    m.close()
    for _ in range(3):
        with sqlite3.connect(path) as db:
            for name in ("chunk_fts_insert", "chunk_fts_delete", "chunk_fts_update"):
                db.execute(f"DROP TRIGGER {name}")
            db.execute("DROP TABLE chunk_fts")
        procs = [subprocess.Popen([PY, "-c", OPEN_AND_SEARCH, str(path)], cwd=REPO, env=cli_env(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
        outs = [p.communicate(timeout=120) for p in procs]
        assert all(p.returncode == 0 for p in procs), [err[-1500:] for _, err in outs]
        results = [out.split() for out, _ in outs]
        assert sum(int(upgraded) for upgraded, _ in results) == 1, results
        assert {hit for _, hit in results} == {"lavrov.txt#0000"}
        check = Manifest(path)
        assert check.db.execute("SELECT COUNT(*) FROM chunk_fts_docsize").fetchone()[0] == 2001
        check.close()
