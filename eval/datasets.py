"""Benchmark sets for training and measuring: fixed 80/20 splits by article, English questions, NoMIRACL-style removals.

    python eval/datasets.py build          # writes eval/sets/{arcd,mlqa}-{train,dev}.jsonl (Arabic + English questions)
    python eval/datasets.py nomiracl --set arcd --split dev --out /tmp/arcd-dev-nm
        # a corpus copy without the gold paragraphs of half of the split's paragraphs (and every paragraph holding
        # their answers) + gold.jsonl where those questions are unanswerable and the others answerable

The split is by article (`arcd-<article>-<paragraph>.txt`): sha1 of the article id, 1 in 5 go to dev. It never changes.
English questions (eval/sets/*-en-questions.jsonl) were translated from the Arabic ones by the team, not by
professional translators; their gold answers are the Arabic spans (a quote must hold them).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
from rag.evaluation import normalize_answer  # noqa: E402

BENCH = REPO.parent / "shared" / "benchmarks"
SETS = REPO / "eval" / "sets"
NAMES = ("arcd", "mlqa")


def article_of(source: str) -> str:
    return source.rsplit("-", 1)[0]


def split_of(source: str) -> str:
    return "dev" if hashlib.sha1(article_of(source).encode()).digest()[0] % 5 == 0 else "train"


def bench_dir(name: str) -> Path:
    return BENCH / name


def load_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def questions(name: str, split: str | None = None, langs: tuple[str, ...] = ("ar", "en")) -> list[dict]:
    """Gold items of one benchmark (Arabic, and English translations as `<id>-en`), optionally one split."""
    items = load_jsonl(SETS / f"{name}-{split}.jsonl") if split else (
        load_jsonl(SETS / f"{name}-train.jsonl") + load_jsonl(SETS / f"{name}-dev.jsonl"))
    return [q for q in items if q["lang"] in langs]


def build() -> None:
    SETS.mkdir(parents=True, exist_ok=True)
    for name in NAMES:
        gold = load_jsonl(bench_dir(name) / "gold.jsonl")
        english = {r["id"]: r["question_en"] for r in load_jsonl(SETS / f"{name}-en-questions.jsonl")}
        out = {"train": [], "dev": []}
        for item in gold:
            split = split_of(item["source"])
            base = {"answers": item["answers"], "source": item["source"], "answerable": True}
            out[split].append({"id": item["id"], "lang": "ar", "question": item["question"], **base})
            if item["id"] in english:
                out[split].append({"id": item["id"] + "-en", "lang": "en", "question": english[item["id"]],
                                   **base, "answers_ar": item["answers"]})
        for split, items in out.items():
            with open(SETS / f"{name}-{split}.jsonl", "w", encoding="utf-8") as fh:
                for item in items:
                    fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            print(f"{name}-{split}: {len(items)} questions, "
                  f"{len({i['source'] for i in items})} paragraphs, {len({article_of(i['source']) for i in items})} articles")


def holders(corpus: Path, answers: list[str]) -> set[str]:
    """Files whose normalised text contains one of the (normalised) answers."""
    keys = [f" {normalize_answer(a)} " for a in answers if normalize_answer(a)]
    out = set()
    for f in corpus.glob("*.txt"):
        text = f" {normalize_answer(f.read_text(encoding='utf-8'))} "
        if any(k in text for k in keys):
            out.add(f.name)
    return out


def removals(name: str, items: list[dict], seed: int = 0, share: float = 0.5) -> tuple[set[str], set[str]]:
    """(questions made unanswerable, files removed): a seeded `share` of the split's gold paragraphs, and for each of
    their questions every paragraph that holds its answer (NoMIRACL)."""
    corpus = bench_dir(name) / "corpus"
    paragraphs = sorted({i["source"] for i in items})
    chosen = set(random.Random(seed).sample(paragraphs, int(len(paragraphs) * share)))
    removed, unanswerable = set(chosen), set()
    for item in items:
        if item["source"] in chosen:
            unanswerable.add(item["id"])
            removed |= holders(corpus, item["answers"])
    # a question whose paragraph stayed but whose answer only lived in removed files is unanswerable too
    for item in items:
        if item["id"] not in unanswerable and item["source"] in removed:
            unanswerable.add(item["id"])
    return unanswerable, removed


def nomiracl(name: str, split: str, out: Path, seed: int = 0) -> None:
    items = questions(name, split)
    unanswerable, removed = removals(name, [i for i in items if i["lang"] == "ar"], seed)
    corpus = out / "corpus"
    if out.exists():
        shutil.rmtree(out)
    corpus.mkdir(parents=True)
    for f in sorted((bench_dir(name) / "corpus").glob("*.txt")):
        if f.name not in removed:
            shutil.copy(f, corpus / f.name)
    with open(out / "gold.jsonl", "w", encoding="utf-8") as fh:
        for item in items:
            base_id = item["id"].removesuffix("-en")
            fh.write(json.dumps({**item, "answerable": base_id not in unanswerable}, ensure_ascii=False) + "\n")
    n_un = sum(1 for i in items if i["id"].removesuffix("-en") in unanswerable)
    print(f"{out}: {len(removed)} of {len(list((bench_dir(name) / 'corpus').glob('*.txt')))} files removed; "
          f"{n_un} unanswerable and {len(items) - n_un} answerable questions")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=("build", "nomiracl"))
    ap.add_argument("--set", choices=NAMES, default="arcd")
    ap.add_argument("--split", choices=("train", "dev"), default="dev")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.command == "build":
        build()
    else:
        nomiracl(args.set, args.split, args.out or Path(f"/tmp/{args.set}-{args.split}-nomiracl"), args.seed)


if __name__ == "__main__":
    main()
