"""Files that are not articles are skipped with a reason; the good article next to them is still indexed."""
from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from rag.cli import main
from rag.indexing.ingest import Article, read_article
from reliability_helpers import LAVROV, copy_corpus

BOM_TEXT = "خبر قصير عن التعاون الأمني\n\nقال مسؤولون إن التعاون الأمني بين البلدين سيتوسع خلال العام المقبل.\n"


def _make_bad_corpus(root):
    corpus = copy_corpus(root / "corpus", [LAVROV])
    (corpus / "empty.txt").write_bytes(b"")
    (corpus / "whitespace.txt").write_text("   \n\n\t  \n", encoding="utf-8")
    (corpus / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (corpus / "nul.txt").write_bytes("نص عربي".encode() + b"\x00\x00" + "المزيد".encode())
    (corpus / "latin1.txt").write_bytes("Café résumé à Moscou, déclaré hier.".encode("latin-1"))
    (corpus / "cp1256.txt").write_bytes("قال وزير الخارجية الروسي إن التعاون سيستمر.".encode("cp1256"))
    (corpus / "bom.txt").write_bytes(b"\xef\xbb\xbf" + BOM_TEXT.encode("utf-8"))
    (corpus / "huge.txt").write_bytes(("كلمة " * 600_000).encode("utf-8")[:3_000_000])
    (corpus / "boilerplate.txt").write_text("شارك\nاقرأ المزيد\n", encoding="utf-8")
    (corpus / "report.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n")
    outside = root / "outside.txt"
    outside.write_text("سر خارج مجلد المقالات: هذا النص يجب ألا يفهرس أبدا.\n", encoding="utf-8")
    (corpus / "link.txt").symlink_to(outside)
    return corpus


EXPECTED_SKIPS = {
    "empty.txt": "empty",
    "whitespace.txt": "empty",
    "binary.txt": "",
    "nul.txt": "NUL",
    "latin1.txt": "UTF-8",
    "cp1256.txt": "UTF-8",
    "huge.txt": "too large",
    "boilerplate.txt": "boilerplate",
    "report.pdf": "unsupported",
    "link.txt": "symlink",
}


@pytest.mark.slow
def test_bad_files_skipped_with_reasons(tmp_path):
    corpus = _make_bad_corpus(tmp_path)
    store = tmp_path / "store"
    result = CliRunner().invoke(main, ["index", "--json", "--corpus", str(corpus), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.stdout)
    skipped = {s["source"]: s["reason"] for s in report["skipped"]}
    assert set(skipped) == set(EXPECTED_SKIPS), skipped
    for source, needle in EXPECTED_SKIPS.items():
        assert skipped[source].strip(), source
        assert needle.lower() in skipped[source].lower(), (source, skipped[source])
    assert sorted(report["files"]["added"]) == sorted([LAVROV, "bom.txt"])
    assert report["total_articles"] == 2

    from rag.store import Store
    from rag.config import Settings
    settings = Settings.from_env(env={}, corpus_dir=corpus, index_dir=store)
    rows = {r[0]: r for r in Store(settings).manifest.files.rows()}
    assert set(rows) == {LAVROV, "bom.txt"}
    assert not rows["bom.txt"][3].startswith("\ufeff")
    assert rows["bom.txt"][3] == "خبر قصير عن التعاون الأمني"
    texts = " ".join(t for _, _, t in Store(settings).manifest.files.chunks())
    assert "\ufeff" not in texts and "سر خارج" not in texts

    again = CliRunner().invoke(main, ["retrieve", "سر خارج مجلد المقالات", "--json", "--corpus", str(corpus),
                                      "--store", str(store)])
    assert again.exit_code == 0, again.output
    assert all(h["source"] in (LAVROV, "bom.txt") for h in json.loads(again.stdout))


def test_bom_title_clean(tmp_path):
    p = tmp_path / "bom.txt"
    p.write_bytes(b"\xef\xbb\xbf" + BOM_TEXT.encode("utf-8"))
    art = read_article(p, tmp_path)
    assert isinstance(art, Article)
    assert art.title == "خبر قصير عن التعاون الأمني"
    assert not art.text.startswith("\ufeff")
