"""Evaluation metrics on hand-made predictions with known scores, and one end-to-end `rag eval` run."""
from __future__ import annotations

import json

import pytest

from rag import evaluation as ev
from rag.config import Settings
from rag.errors import ConfigError

from tests.conftest import copy_corpus


def _gold(id_, lang="ar", answers=(), source="a.txt", answerable=True, **extra):
    return {"id": id_, "lang": lang, "question": "q", "answers": list(answers), "source": source,
            "answerable": answerable, **extra}


def _pred(id_, answer="", refused=False, citations=(), retrieved=(), latency=0.1):
    return {"id": id_, "answer": answer, "refused": refused, "citations": list(citations),
            "retrieved": list(retrieved), "latency": latency}


def test_arabic_normalisation_matches_hamza_ta_marbuta_and_diacritics():
    assert ev.exact_match("الأمم المتحدة", ["الامم المتحده"]) == 1.0
    assert ev.exact_match("الأُمَمُ المُتَّحِدَةُ.", ["الامم المتحده"]) == 1.0
    assert ev.exact_match("«إيران»", ["ايران"]) == 1.0
    assert ev.contains("قال إن الأمم المتحدة، رحبت بذلك", ["الامم المتحده"]) == 1.0
    assert ev.contains("الأمم", ["الامم المتحده"]) == 0.0
    assert ev.exact_match("٢٠ أكتوبر", ["20 اكتوبر"]) == 1.0


def test_english_squad_normalisation_and_f1():
    assert ev.normalize_answer("The  Taliban!") == "taliban"
    assert ev.exact_match("the Taliban", ["Taliban"]) == 1.0
    assert ev.token_f1("Abdul Salam", ["Abdul Salam Hanafi"]) == pytest.approx(0.8)
    assert ev.token_f1("nothing", ["Abdul Salam Hanafi"]) == 0.0
    assert ev.contains("It was led by Abdul Salam Hanafi.", ["abdul salam hanafi"]) == 1.0
    assert ev.contains("ten-fold", ["ten"]) == 1.0  # hyphen becomes a space
    assert ev.contains("often", ["ten"]) == 0.0      # word boundaries


def test_english_question_answered_in_arabic_counts():
    gold = [_gold("e1", lang="en", answers=["ten"], answers_ar=["عشر دول"])]
    preds = [_pred("e1", answer="شاركت عشر دول إقليمية", citations=["a.txt"], retrieved=["a.txt"])]
    m = ev.compute_metrics(gold, preds, "extractive")["overall"]
    assert m["contains"] == 1.0 and m["exact_match"] == 0.0
    # answers_ar are not accepted for an Arabic question
    gold_ar = [_gold("a1", lang="ar", answers=["عشرة"], answers_ar=["عشر دول"])]
    m = ev.compute_metrics(gold_ar, [_pred("a1", answer="عشر دول")], "extractive")["overall"]
    assert m["contains"] == 0.0


def test_hit_at_k_and_mrr():
    gold = [_gold("1", source="a.txt"), _gold("2", source="b.txt"), _gold("3", source=["x.txt", "c.txt"]),
            _gold("4", source="d.txt"), _gold("5", source=None, answerable=False)]
    preds = [_pred("1", retrieved=["a.txt", "b.txt"]),
             _pred("2", retrieved=["a.txt", "b.txt"]),
             _pred("3", retrieved=["a.txt", "b.txt", "q.txt", "r.txt", "c.txt"]),
             _pred("4", retrieved=["a.txt"]),
             _pred("5", retrieved=["a.txt"])]
    m = ev.compute_metrics(gold, preds, "retrieval")["overall"]
    assert m["n"] == 5 and m["n_answerable"] == 4
    assert m["hit@1"] == 0.25
    assert m["hit@5"] == 0.75
    assert m["mrr"] == pytest.approx(round((1 + 0.5 + 0.2 + 0) / 4, 4))
    assert m["exact_match"] is None and m["refusal_rate_unanswerable"] is None


def test_refusal_and_citation_metrics():
    gold = [_gold("1", answers=["نعم"], source="a.txt"), _gold("2", answers=["لا"], source="a.txt"),
            _gold("3", source=None, answerable=False), _gold("4", source=None, answerable=False),
            _gold("5", source=None, answerable=False)]
    preds = [_pred("1", answer="نعم", citations=["a.txt", "b.txt"]),
             _pred("2", answer="refused text", refused=True),
             _pred("3", refused=True), _pred("4", refused=True), _pred("5", answer="guess", citations=["c.txt"])]
    m = ev.compute_metrics(gold, preds, "extractive")["overall"]
    assert m["false_refusal_rate"] == 0.5
    assert m["refusal_rate_unanswerable"] == pytest.approx(0.6667)
    assert m["exact_match"] == 0.5  # refused answer scores 0
    assert m["citation_precision"] == 0.5 and m["citation_recall"] == 1.0


def test_by_language_and_latency():
    gold = [_gold("1", lang="ar", answers=["x"]), _gold("2", lang="en", answers=["y"])]
    preds = [_pred("1", answer="x", latency=1.0), _pred("2", answer="z", latency=3.0)]
    m = ev.compute_metrics(gold, preds, "extractive")
    assert m["by_language"]["ar"]["exact_match"] == 1.0 and m["by_language"]["en"]["exact_match"] == 0.0
    assert m["overall"]["latency_p50"] == 2.0 and m["overall"]["latency_p95"] == pytest.approx(2.9)
    assert "| hit@1 |" in ev.table(m)


def test_load_gold_defaults_and_limit(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text('{"id": "1", "question": "q1", "answers": ["a"], "source": "a.txt"}\n\n'
                    '{"id": "2", "question": "q2", "answers": [], "source": null, "answerable": false}\n',
                    encoding="utf-8")
    items = ev.load_gold(path)
    assert [i["answerable"] for i in items] == [True, False] and items[0]["lang"] == "ar"
    assert len(ev.load_gold(path, limit=1)) == 1
    assert ev.gold_sources(items[1]) == []


def test_sample_is_seeded_and_keeps_file_order(tmp_path):
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(f'{{"id": "{i}", "question": "q{i}"}}\n' for i in range(50)), encoding="utf-8")
    a, b = ev.load_gold(path, sample=10), ev.load_gold(path, sample=10)
    assert [i["id"] for i in a] == [i["id"] for i in b] and len(a) == 10
    assert [int(i["id"]) for i in a] == sorted(int(i["id"]) for i in a) and a != ev.load_gold(path, limit=10)
    assert len(ev.load_gold(path, sample=500)) == 50


def test_llm_mode_needs_an_llm():
    with pytest.raises(ConfigError, match="no"):
        ev.resolve_engine(Settings(engine="extractive"), "llm")
    assert ev.resolve_engine(Settings(llm_url="http://127.0.0.1:1/v1"), "llm") == "openai"
    assert ev.resolve_engine(Settings(), "extractive") == "extractive"


def test_store_for_corpus_is_under_eval_runs(tmp_path):
    store = ev.store_for_corpus(tmp_path / "corpus")
    assert store.parent == ev.RUNS_DIR / "stores" and store.name.startswith("corpus-")
    assert ev.store_for_corpus(tmp_path / "corpus") == store


@pytest.mark.slow
def test_rag_eval_retrieval_end_to_end(tmp_path):
    from click.testing import CliRunner

    from rag.cli import main

    corpus = copy_corpus(tmp_path / "corpus")
    gold = tmp_path / "gold.jsonl"
    lines = [l for l in (ev.REPO / "eval" / "gold.jsonl").read_text(encoding="utf-8").splitlines() if l.strip()]
    items = [json.loads(l) for l in lines]
    picked = [i for i in items if i.get("answerable", True)][:2] + [i for i in items if not i.get("answerable", True)][:1]
    gold.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in picked), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--corpus", str(corpus),
                                       "--store", str(tmp_path / "store"), "--out", str(out), "--mode", "retrieval"])
    assert result.exit_code == 0, result.output
    assert "hit@1" in result.output
    preds = [json.loads(l) for l in (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [p["id"] for p in preds] == [i["id"] for i in picked]
    assert all(p["answer"] == "" and 1 <= len(p["retrieved"]) <= 5 for p in preds)
    assert all(p["citations"] == p["retrieved"] for p in preds)  # the contract's field scores retrieval too
    assert all(set(p["stages"]) == {"dense", "bm25", "fused", "reranked"} for p in preds)
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"]["n"] == 3 and metrics["overall"]["hit@5"] == 1.0
    for stage in ("dense", "bm25", "fused", "reranked"):  # every stage measured in the same run, per language
        assert metrics["overall"][f"hit@5_{stage}"] is not None and f"hit@1_{stage}" in result.output
    assert metrics["by_language"]["ar"]["hit@1_reranked"] is not None
    assert metrics["run"]["mode"] == "retrieval" and "prompt_fingerprints" in metrics["run"]
    assert (out / "report.md").exists() and (out / "metrics.png").exists()
    assert (tmp_path / "store").exists()


def test_faithfulness_is_the_share_of_judged_answers_the_judge_accepts():
    gold = [{"id": "a", "lang": "ar", "question": "q", "answers": ["x"], "source": "s.txt", "answerable": True},
            {"id": "b", "lang": "en", "question": "q", "answers": ["y"], "source": "s.txt", "answerable": True},
            {"id": "c", "lang": "en", "question": "q", "answers": ["z"], "source": "s.txt", "answerable": True}]
    preds = [{"id": "a", "answer": "x", "refused": False, "citations": ["s.txt"], "retrieved": ["s.txt"], "faithful": True},
             {"id": "b", "answer": "y", "refused": False, "citations": ["s.txt"], "retrieved": ["s.txt"], "faithful": False},
             {"id": "c", "answer": "", "refused": True, "citations": [], "retrieved": ["s.txt"]}]  # not judged
    m = ev.compute_metrics(gold, preds, "extractive")
    assert m["overall"]["faithfulness"] == 0.5 and m["overall"]["n_judged"] == 2
    assert m["by_language"]["ar"]["faithfulness"] == 1.0 and m["by_language"]["en"]["faithfulness"] == 0.0
    assert ev.compute_metrics(gold, [{**p, "faithful": None} for p in preds], "extractive")["overall"]["faithfulness"] is None


@pytest.mark.slow
def test_rag_eval_asks_the_judge_when_a_server_is_configured(tmp_path):
    """A real HTTP server on 127.0.0.1 acting as the judge (a fake LLM: YES for one answer, NO for the other)."""
    from click.testing import CliRunner

    from rag.cli import main
    from tests.fakes import FakeOpenAIServer

    corpus = copy_corpus(tmp_path / "corpus", ["000_203a56a6419ab15d.txt"])
    gold = tmp_path / "gold.jsonl"
    items = [{"id": "k", "lang": "ar", "question": "من هو مبعوث الكرملين إلى أفغانستان؟", "answers": ["زامير كابولوف"],
              "source": "000_203a56a6419ab15d.txt"},
             {"id": "t", "lang": "en", "question": "How many regional countries took part in the Moscow talks?",
              "answers": ["ten"], "answers_ar": ["عشر"], "source": "000_203a56a6419ab15d.txt"}]
    gold.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    judge = FakeOpenAIServer(lambda prompt: "NO" if "quoted in Arabic" in prompt else "YES")
    try:
        out = tmp_path / "out"
        result = CliRunner().invoke(main, ["eval", "--gold", str(gold), "--corpus", str(corpus), "--store",
                                           str(tmp_path / "store"), "--out", str(out), "--mode", "extractive",
                                           "--llm-url", judge.url])
        assert result.exit_code == 0, result.output
        prompts_seen = [r["messages"][-1]["content"] for r in judge.requests]
    finally:
        judge.close()
    preds = {p["id"]: p for p in map(json.loads, (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines())}
    assert preds["k"]["faithful"] is True and preds["t"]["faithful"] is False
    assert len(prompts_seen) == 2 and all("كابولوف" in p or "عشر" in p for p in prompts_seen)  # the cited passages
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["overall"]["faithfulness"] == 0.5 and metrics["run"]["judge"]
    assert "faithfulness" in result.output


@pytest.mark.slow
def test_llm_mode_reports_time_to_first_token_and_tokens_per_second(indexed, tmp_path):
    """The named fake server waits 0.4 s, then streams one word every 0.25 s (4 words/s): the time to first token is
    the wait, not the whole answer, and the speed is about 4 words/s (bounds with room for a slow client under load,
    which reads the first word late and the rest from its buffer). A rejected generation ("[1]" alone) is timed too."""
    from tests.fakes import FakeOpenAIServer

    supported = "مبعوث الكرملين إلى أفغانستان هو زامير كابولوف [1]."
    server = FakeOpenAIServer(lambda prompt: supported if "الكرملين" in prompt else "[1]", delay=0.4, word_delay=0.25)
    gold = tmp_path / "gold.jsonl"
    items = [{"id": "k", "lang": "ar", "question": "من هو مبعوث الكرملين إلى أفغانستان؟", "answers": ["زامير كابولوف"],
              "source": "000_203a56a6419ab15d.txt"},
             {"id": "t", "lang": "en", "question": "How many regional countries took part in the Moscow talks?",
              "answers": ["ten"], "source": "000_203a56a6419ab15d.txt"}]
    gold.write_text("".join(json.dumps(i, ensure_ascii=False) + "\n" for i in items), encoding="utf-8")
    try:
        metrics, out = ev.run(indexed.replace(engine="openai", llm_url=server.url), gold, tmp_path / "out", "llm",
                              index=False, judge=False)
    finally:
        server.close()
    preds = {p["id"]: p for p in map(json.loads, (out / "predictions.jsonl").read_text(encoding="utf-8").splitlines())}
    k, t = preds["k"], preds["t"]
    assert k["engine"] == "openai" and k["generation"] == supported + " " and k["tokens"] == 8
    assert 0.4 <= k["ttft"] <= k["latency"] - 1.0     # seven more words, 0.25 s apart (1.75 s), came after the first
    assert 0 < k["tokens_per_s"] < 6
    assert t["notice"] and t["generation"].strip() == "[1]" and t["ttft"] >= 0.4 and t["tokens_per_s"] is None
    overall = metrics["overall"]
    assert overall["n_generated"] == 2 and overall["ttft_p50"] >= 0.4 and overall["tokens_per_s_p50"] == k["tokens_per_s"]
    assert metrics["by_language"]["ar"]["ttft_p50"] == k["ttft"]
    assert "ttft_p50" in ev.table(metrics) and "ttft_p50" not in ev.table(ev.compute_metrics(items, [], "extractive"))


def test_near_duplicates_count_as_retrieved_and_as_cited_only_when_they_hold_the_quote(tmp_path):
    from rag.answering.cite import Citation
    from rag.evaluation import cited_files as _cited, hit_files as _files
    from rag.retrieval.retrieve import Hit
    from rag.store import Manifest

    m = Manifest(tmp_path / "manifest.sqlite")
    lead = "جمال خاشقجي صحفي وإعلامي سعودي ولد في المدينة المنورة."
    m.files.replace_files([("p01.txt", "a", "", "", [("p01.txt#0000", 0, lead)]),
                     ("p02.txt", "b", "", "", [("p02.txt#0000", 0, lead + " ثم عمل مستشارا.")]),
                     ("p03.txt", "c", "", "", [("p03.txt#0000", 0, "نص آخر قريب لكنه لا يحمل الجملة.")])])
    also = ({"source": "p02.txt", "outlet": "", "date": ""}, {"source": "p03.txt", "outlet": "", "date": ""})
    hit = lambda src, dup=(): Hit(src, f"{src}#0000", 1.0, 0.9, "", "", "", "", also=dup)  # noqa: E731
    assert _files([hit("p01.txt", also), hit("x.txt"), hit("p02.txt")]) == ["p01.txt", "p02.txt", "p03.txt", "x.txt"]
    cite = Citation(1, "p01.txt", "p01.txt#0000", lead, 1.0, "", "", lead, also=also)
    assert _cited(m, [cite]) == ["p01.txt", "p02.txt"]  # p03 is a near-duplicate without the quoted sentence
