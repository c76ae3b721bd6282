"""Run in a fresh process by `python -m bench`: a serving process's memory, and the local engine's speed.

python -m bench.serve_probe '{"corpus_dir": ..., "index_dir": ..., "questions": [...], "gguf": "/path.gguf"}'

1. Assistant(settings) loaded, one extractive question answered: RSS now = serving RSS without the local model.
2. The local GGUF loaded (timed apart), then each question retrieved (Assistant.search) and streamed through the
   local engine (what Assistant.stream runs next): time to first token from the question (retrieval included)
   and from the evidence (prompt evaluation), tokens generated (counted with the model's own tokenizer), tokens/s.
3. A forced 128-token generation on the last prompt: decode speed whatever the answers' lengths.
4. RSS again = with the local model.
Prints one JSON object on the last line of stdout.
"""
from __future__ import annotations

import json
import os
import resource
import sys
import time


def rss() -> dict:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = round(int(line.split()[1]) / 1024, 1)  # KiB -> MiB
    return {"rss_mb": out.get("VmRSS"), "peak_rss_mb": out.get("VmHWM")}


def main(argv: list[str]) -> int:
    args = json.loads(argv[0])
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    from rag.answering.assistant import Assistant
    from rag.config import Settings

    res: dict = {"load": list(os.getloadavg())}
    settings = Settings.from_env(env={}, corpus_dir=args["corpus_dir"], index_dir=args["index_dir"],
                                 engine="extractive", llm_gguf=args.get("gguf") or None)
    res["rss_at_start"] = rss()
    t = time.perf_counter()
    a = Assistant(settings)
    ans = a.ask(args["questions"][0])
    res["first_extractive_question_s"] = round(time.perf_counter() - t, 2)
    res["first_extractive_refused"] = ans.refused
    res["without_local_model"] = rss()

    if args.get("gguf"):
        from rag.answering.answer import _llama_cpp
        from rag.answering.llm import LLMEngine
        from rag.arabic import detect_language
        from rag.errors import ModelError

        t = time.perf_counter()
        llm = _llama_cpp(settings.llm_gguf, 4096, settings.llm_max_tokens, settings.embed_threads)
        res["local_model_load_s"] = round(time.perf_counter() - t, 2)
        engine = a.engine("local")
        assert isinstance(engine, LLMEngine)
        runs = []
        for q in args["questions"][: args.get("local_questions", 5)]:
            # The engine directly (what Assistant.stream runs after retrieval), so that an answer the citation
            # check rejects is still timed as generated instead of being replaced by the extractive fallback.
            t0 = time.perf_counter()
            hits = a.search(q)
            t_hits = time.perf_counter()
            lang = detect_language(q)
            t_first = t_last = None
            parts, final, error = [], None, ""
            try:
                for ev in engine.stream(q, hits, lang):
                    now = time.perf_counter()
                    if isinstance(ev, str):
                        t_first = t_first or now
                        t_last = now
                        parts.append(ev)
                    else:
                        final = ev
            except ModelError as exc:
                error = str(exc)[:200]
            total = time.perf_counter() - t0
            text = "".join(parts)
            n_tok = len(llm._model.tokenize(text.encode("utf-8"), add_bos=False, special=True)) if text else 0
            # The prompt as llama.cpp evaluated it (the engine cuts long passages to llm_context_chars first):
            # its context now holds the prompt tokens followed by the generated ones.
            n_ctx = int(llm._model.n_tokens)
            prompt_tokens = max(0, n_ctx - n_tok)
            prompt_ids = [int(t) for t in llm._model.input_ids[:prompt_tokens]]
            ctx = hits[: settings.llm_context_chunks]
            runs.append({
                "question": q, "total_s": round(total, 2), "retrieval_s": round(t_hits - t0, 3),
                "passages": len(ctx), "passage_chars": sum(len(h.text) for h in ctx),
                "prompt_tokens": prompt_tokens,
                "ttft_s": round(t_first - t0, 2) if t_first else None,
                "ttft_after_retrieval_s": round(t_first - t_hits, 2) if t_first else None,
                "generated_tokens": n_tok,
                "tokens_per_s": round((n_tok - 1) / (t_last - t_first), 1) if n_tok > 1 and t_last > t_first else None,
                "outcome": "unsupported (Assistant falls back to extractive)" if error else
                           ("refused" if final is not None and final.refused else "answered"),
            })
        res["local_runs"] = runs
        # Decode speed on its own: the last prompt again (its prefix is cached), end-of-text suppressed so that
        # exactly `forced_tokens` are generated whatever the model would have said.
        n_forced = args.get("forced_tokens", 128)
        if n_forced and runs:
            model = llm._model
            bias = {model.token_eos(): -1e9}
            im_end = model.tokenize(b"<|im_end|>", add_bos=False, special=True)
            if len(im_end) == 1:
                bias[im_end[0]] = -1e9
            t0 = time.perf_counter()
            stamps, text = [], []
            for ev in model.create_completion(prompt_ids, max_tokens=n_forced, temperature=0.1, stream=True,
                                              logit_bias=bias):
                stamps.append(time.perf_counter())
                text.append(ev["choices"][0]["text"])
            if len(stamps) > 1:
                n = len(model.tokenize("".join(text).encode("utf-8"), add_bos=False, special=True))
                res["forced_decode"] = {"max_tokens": n_forced, "tokens": n, "first_token_s": round(stamps[0] - t0, 2),
                                        "tokens_per_s": round((n - 1) / (stamps[-1] - stamps[0]), 1)}
        res["with_local_model"] = rss()
    res["ru_maxrss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    res["load_end"] = list(os.getloadavg())
    print(json.dumps(res, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
