"""Each English renderer measured on its own, offline, on dev gold (issue #21): the Arabic gold answer is rendered
and compared with the English gold answer (`answers_en`).

    python eval/english_renderers.py                      # MLQA dev English questions (eval/sets/mlqa-dev.jsonl ids)
    python eval/english_renderers.py --method rules       # person names by the letter rules instead of the package
    python eval/english_renderers.py --names              # transliterators on name pairs from dev questions
    python eval/english_renderers.py --show               # every rendering, for reading them by hand
    python eval/english_renderers.py --build-gold         # eval/sets/mlqa-dev-en.jsonl, the gold for `rag eval`

Kinds come from the English question's type (rag's question analysis, as the product knows it). A rendering is
`correct` when its normalised text and a normalised English gold answer contain one another on word boundaries, or
when both state the same number; `contains` is the product's metric (a gold answer inside the rendering)."""
from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from rag.retrieval import features
from rag.answering.english import kind_of, render
from rag.answering.english.persons import question_spellings, romanize, skeletons_ar

from rag.evaluation import contains, normalize_answer

ROOT = Path(__file__).resolve().parent.parent
MLQA_EN = ROOT.parent / "shared" / "benchmarks" / "mlqa" / "english.jsonl"
_EN_NUM = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve".split())}


def dev_items() -> list[dict]:
    """english.jsonl restricted to the ids of eval/sets/mlqa-dev.jsonl."""
    dev = {json.loads(line)["id"].removesuffix("-en") for line in open(ROOT / "eval/sets/mlqa-dev.jsonl")}
    out = []
    for line in open(MLQA_EN, encoding="utf-8"):
        item = json.loads(line)
        if "mlqa-" + item["id"].removeprefix("mlqa-en-") in dev:
            out.append(item)
    return out


def numbers(text: str) -> set[float]:
    norm = normalize_answer(text.replace(",", ""))
    out = {float(x) for x in re.findall(r"\d+(?:\.\d+)?", norm)}
    out |= {float(_EN_NUM[w]) for w in norm.split() if w in _EN_NUM}
    for m in re.finditer(r"(\d+(?:\.\d+)?) (thousand|million|billion)", norm):
        out.add(float(m.group(1)) * {"thousand": 1e3, "million": 1e6, "billion": 1e9}[m.group(2)])
    return out


def correct(rendered: str, golds: list[str], kind: str) -> bool:
    r = f" {normalize_answer(rendered)} "
    for g in golds:
        n = normalize_answer(g)
        if n and (f" {n} " in r or r.strip() and r in f" {n} "):
            return True
        if kind in ("number", "date") and numbers(rendered) and numbers(rendered) <= numbers(g):
            return True
    return False


def measure(method: str, show: bool) -> None:
    rows = defaultdict(lambda: {"n": 0, "rendered": 0, "correct": 0, "contains": 0})
    by_how = defaultdict(lambda: {"rendered": 0, "correct": 0})
    for item in dev_items():
        q = features.analyse(item["question"])
        kind = kind_of(q.qtype)
        r = render(item["answers"][0], kind, item["question"], method)
        row = rows[kind]
        row["n"] += 1
        ok = bool(r) and correct(r.text, item["answers_en"], r.kind)
        if r:
            row["rendered"] += 1
            row["correct"] += ok
            row["contains"] += bool(contains(r.text, item["answers_en"]))
            by_how[r.how]["rendered"] += 1
            by_how[r.how]["correct"] += ok
        if show:
            print(f"{kind:7s} {'OK ' if ok else ('-- ' if r else '   ')}{item['answers'][0]!r} -> "
                  f"{r.text if r else None!r}  gold {item['answers_en']}")
    total = {k: sum(r[k] for r in rows.values()) for k in ("n", "rendered", "correct", "contains")}
    print(f"\nMLQA dev English ({total['n']} questions), person names by {method}\n")
    print("| kind (question type) | n | rendered | correct | precision | gold inside rendering |")
    print("|---|---:|---:|---:|---:|---:|")
    for kind, r in sorted(rows.items()) + [("all", total)]:
        prec = f"{r['correct'] / r['rendered']:.2f}" if r["rendered"] else "-"
        print(f"| {kind} | {r['n']} | {r['rendered']} | {r['correct']} | {prec} | {r['contains']} |")
    print("\n| renderer | rendered | correct | precision |\n|---|---:|---:|---:|")
    for how, r in sorted(by_how.items()):
        print(f"| {how} | {r['rendered']} | {r['correct']} | {r['correct'] / r['rendered']:.2f} |")


def name_pairs() -> list[tuple[str, str]]:
    """(Arabic word, English spelling) pairs: a capitalised word of a dev question's English version whose consonant
    skeleton equals that of a word in its Arabic version (ARCD and MLQA dev)."""
    pairs = []
    for path in ("eval/sets/arcd-dev.jsonl", "eval/sets/mlqa-dev.jsonl"):
        items = {}
        for line in open(ROOT / path, encoding="utf-8"):
            item = json.loads(line)
            items.setdefault(item["id"].removesuffix("-en"), {})[item["lang"]] = item["question"]
        for qs in items.values():
            if "ar" not in qs or "en" not in qs:
                continue
            spellings = question_spellings(qs["en"])
            for w in re.findall(r"[\u0621-\u064a]+", qs["ar"]):
                for sk in skeletons_ar(w):
                    if sk in spellings and len(sk) >= 4:
                        bare = w[2:] if w.startswith("ال") and not spellings[sk].lower().startswith("al") else w
                        pairs.append((bare, spellings[sk]))
                        break
    return sorted(set(pairs))


def compare_names(show: bool) -> None:
    pairs = name_pairs()
    print(f"\n{len(pairs)} distinct (Arabic, English) name pairs from ARCD + MLQA dev question pairs\n")
    print("| transliterator | exact (case-insensitive) | same first 3 letters | mean similarity |\n|---|---:|---:|---:|")
    from difflib import SequenceMatcher

    for method in ("package", "rules"):
        exact = near = 0
        sim = 0.0
        for ar, en in pairs:
            out = romanize(ar, method).lower().replace("-", "").replace(" ", "")
            gold = en.lower().replace("-", "")
            exact += out == gold
            near += out[:3] == gold[:3]
            sim += SequenceMatcher(None, out, gold).ratio()
            if show:
                print(method, ar, romanize(ar, method), en)
        n = len(pairs)
        print(f"| {method} | {exact / n:.3f} | {near / n:.3f} | {sim / n:.3f} |")


def build_gold(path: Path = ROOT / "eval/sets/mlqa-dev-en.jsonl") -> None:
    """The MLQA dev English questions as people wrote them, with their Arabic gold spans (`answers`) and the English
    gold (`answers_en`), in rag eval's gold format."""
    with open(path, "w", encoding="utf-8") as fh:
        for item in dev_items():
            fh.write(json.dumps({"id": item["id"], "lang": "en", "question": item["question"],
                                 "answers": item["answers"], "answers_en": item["answers_en"],
                                 "source": item["source"], "answerable": True}, ensure_ascii=False) + "\n")
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--method", default="package", choices=("package", "rules"))
    ap.add_argument("--names", action="store_true", help="compare the transliterators on dev name pairs")
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--build-gold", action="store_true", help="write eval/sets/mlqa-dev-en.jsonl")
    args = ap.parse_args()
    if args.build_gold:
        build_gold()
    elif args.names:
        compare_names(args.show)
    else:
        measure(args.method, args.show)


if __name__ == "__main__":
    main()
