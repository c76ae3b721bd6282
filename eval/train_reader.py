"""Fine-tune the reader (rag/answering/reader.py): answerability of (question, sentence) and the answer span.

    nice -n 5 python eval/train_reader.py --threads 2          # CPU (quiet 2 cores: ~17 min), writes rag/models/reader-v2.pt
    python eval/train_reader.py --device cuda --threads 8     # the same run on a GPU when one is lent

Data (train splits only, eval/sets/{arcd,mlqa}-train.jsonl: Arabic questions and their English versions; the dev
articles, eval/sets/*-dev.jsonl, are never read): for each question, the sentence of its gold paragraph that holds a
gold answer verbatim is the positive (span = the answer's first occurrence), and the hard negatives are the sentence
of the same paragraph that shares most words with the question (the sibling sentence) and the best such sentence of
another paragraph of the same article (the sibling paragraph, what NoMIRACL removal leaves), plus, for every third
question, a sentence of another article (off-topic). A sentence holding any gold answer is never a negative.
English questions pick their negatives with their Arabic twin's words.

Cheap by construction: inputs are question + one sentence (<= 128 tokens), the lower layers are frozen and run once
(their outputs cached in memory as fp16), and only the top --top-layers layers and the heads train. A tenth of the
train articles (by hash) is held out to print a monitor score; nothing is selected on it (fixed epochs, fixed seed).
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import math
import random
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "eval"))
import datasets  # noqa: E402

from rag.answering import reader as R  # noqa: E402
from rag.arabic import tokens  # noqa: E402

from rag.evaluation import contains, exact_match, token_f1  # noqa: E402
from rag.indexing.chunk import split_sentences  # noqa: E402

SEED = 0
OUT = REPO / "rag" / "models" / "reader-v2.pt"


def monitor_split(source: str) -> bool:
    return hashlib.sha1(("mon" + datasets.article_of(source)).encode()).digest()[0] % 10 == 0


def paragraphs(name: str) -> dict[str, str]:
    return {f.name: f.read_text(encoding="utf-8") for f in sorted((datasets.bench_dir(name) / "corpus").glob("*.txt"))}


def overlap(words: set[str], sentence: str) -> float:
    return len(words & set(tokens(sentence))) + 1e-3 * min(len(sentence), 300) / 300


def examples(rng: random.Random, siblings: int = 1) -> list[dict]:
    out = []
    for name in datasets.NAMES:
        paras = paragraphs(name)
        sents = {src: [s for s in split_sentences(t) if len(tokens(s)) >= 3] for src, t in paras.items()}
        by_article: dict[str, list[str]] = {}
        for src in paras:
            by_article.setdefault(datasets.article_of(src), []).append(src)
        items = datasets.questions(name, "train")
        arabic = {q["id"]: q["question"] for q in items if q["lang"] == "ar"}
        for n, item in enumerate(items):
            src = item["source"]
            assert datasets.split_of(src) == "train", src
            answers = item["answers"]
            pos = None
            for s in sents.get(src, []):
                for a in answers:
                    k = s.find(a.strip())
                    if a.strip() and k >= 0:
                        pos = (s, k, k + len(a.strip()))
                        break
                if pos:
                    break
            if pos is None:
                continue
            words = set(tokens(arabic.get(item["id"].removesuffix("-en"), item["question"])))
            base = {"question": item["question"], "lang": item["lang"], "id": item["id"], "set": name,
                    "monitor": monitor_split(src)}
            out.append({**base, "text": pos[0], "span": (pos[1], pos[2]), "answers": answers})

            def hardest(pool: list[str], n: int = 1) -> list[str]:
                pool = [s for s in pool if not contains(s, answers)]
                return sorted(pool, key=lambda s: -overlap(words, s))[:n]

            negs = [*hardest([s for s in sents.get(src, []) if s != pos[0]], siblings),
                    *hardest([s for o in by_article[datasets.article_of(src)] if o != src for s in sents[o]])]
            if n % 3 == 0:
                other = rng.choice([o for o in paras if datasets.article_of(o) != datasets.article_of(src)
                                    and datasets.split_of(o) == "train"])
                negs.append(rng.choice(sents[other]) if sents[other] else None)
            out.extend({**base, "text": s, "span": None, "answers": answers} for s in negs if s)
    return out


def featurise(tok, ex: dict) -> dict | None:
    w = R.encode_pair(tok, ex["question"], ex["text"], stride=10**6)[0]  # one window: the sentence start
    start = end = 0
    if ex["span"] is not None:
        a, b = ex["span"]
        toks = [i for i, (s, e) in enumerate(w["spans"]) if e > a and s < b]
        if not toks:
            return None  # the answer lies past the window
        start, end = w["offset"] + toks[0], w["offset"] + toks[-1]
        if w["spans"][toks[-1]][1] < b and toks[-1] == len(w["spans"]) - 1:
            return None  # cut by the window
    return {**ex, "ids": w["ids"], "offset": w["offset"], "spans": w["spans"], "start": start, "end": end}


def precompute(model, rows: list[dict], device: str, batch: int = 32) -> None:
    """Run the frozen layers once; each row gets its hidden states after layer `split` as fp16."""
    import torch

    order = sorted(range(len(rows)), key=lambda i: len(rows[i]["ids"]))
    started = time.time()
    for n in range(0, len(order), batch):
        idx = order[n:n + batch]
        t = max(len(rows[i]["ids"]) for i in idx)
        ids = np.full((len(idx), t), model.tok.pad, dtype=np.int64)
        mask = torch.zeros(len(idx), t)
        for r, i in enumerate(idx):
            ids[r, : len(rows[i]["ids"])] = rows[i]["ids"]
            mask[r, : len(rows[i]["ids"])] = 1
        with torch.no_grad():
            x = model.enc.embed(ids).to(device)
            x = model.enc.run(x, mask.to(device), 0, model.split)
        for r, i in enumerate(idx):
            rows[i]["h"] = x[r, : len(rows[i]["ids"])].to(torch.float16).cpu()
        if (n // batch) % 20 == 0:
            print(f"  precompute {n + len(idx)}/{len(rows)} {time.time() - started:.0f}s", flush=True)


def collate(rows: list[dict], device: str):
    import torch

    t = max(len(r["ids"]) for r in rows)
    x = torch.zeros(len(rows), t, rows[0]["h"].shape[-1])
    mask = torch.zeros(len(rows), t)
    for i, r in enumerate(rows):
        x[i, : len(r["ids"])] = r["h"].float()
        mask[i, : len(r["ids"])] = 1
        mask[i, 0] = 1
    passage = torch.zeros(len(rows), t)
    for i, r in enumerate(rows):
        passage[i, r["offset"]: r["offset"] + len(r["spans"])] = 1
    y = torch.tensor([float(r["span"] is not None) for r in rows])
    start = torch.tensor([r["start"] for r in rows])
    end = torch.tensor([r["end"] for r in rows])
    return x.to(device), mask.to(device), passage.to(device), y.to(device), start.to(device), end.to(device)


def forward(model, x, mask, passage):
    import torch

    bias = model.enc.mask_bias(mask)
    for layer in model.top:
        x = layer(x, bias)
    out = model.heads(x)
    neg = (1.0 - passage) * -1e4
    return out[:, 0, 0], out[..., 1] + neg, out[..., 2] + neg


def quantise(state: dict) -> dict:
    """2-D weights -> int8 per output row + fp16 scale; the rest fp16."""
    import torch

    out = {}
    for k, v in state.items():
        v = v.detach().float().cpu()
        if v.dim() == 2:
            scale = v.abs().amax(1).clamp(min=1e-8) / 127.0
            out[k + ".q8"] = torch.round(v / scale[:, None]).to(torch.int8)
            out[k + ".scale"] = scale.to(torch.float16)
        else:
            out[k] = v.to(torch.float16)
    return out


def evaluate(model, rows: list[dict], device: str) -> dict:
    import torch

    from sklearn.metrics import roc_auc_score

    probs, f1s, ems = [], [], []
    model.top.eval()
    with torch.no_grad():
        for n in range(0, len(rows), 32):
            chunk = rows[n:n + 32]
            a, s, e = forward(model, *collate(chunk, device)[:3])
            for r, ai, si, ei in zip(chunk, a.cpu().numpy(), s.cpu().numpy(), e.cpu().numpy()):
                probs.append(1 / (1 + math.exp(-ai)))
                if r["span"] is not None:
                    lo, hi = r["offset"], r["offset"] + len(r["spans"])
                    i, j, _ = R.best_span(si[lo:hi], ei[lo:hi])
                    cs, ce = R.clean(r["text"], r["spans"][i][0], r["spans"][j][1])
                    f1s.append(token_f1(r["text"][cs:ce], r["answers"]))
                    ems.append(exact_match(r["text"][cs:ce], r["answers"]))
    y = [r["span"] is not None for r in rows]
    return {"auc": round(roc_auc_score(y, probs), 4) if len(set(y)) > 1 else None,
            "span_f1": round(float(np.mean(f1s)), 4) if f1s else None,
            "span_em": round(float(np.mean(ems)), 4) if ems else None, "rows": len(rows)}


def main() -> None:
    import torch

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--top-layers", type=int, default=6)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--head-lr", type=float, default=1e-3)
    ap.add_argument("--siblings", type=int, default=1, help="hard negatives from the gold paragraph's other sentences")
    ap.add_argument("--limit", type=int, help="at most this many examples (smoke runs)")
    ap.add_argument("--max-minutes", type=float, default=40.0, help="stop training (not precomputing) after this")
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    torch.set_num_threads(args.threads)
    rng = random.Random(SEED)
    started = time.time()

    f, tok, enc = R.base()
    exs = examples(rng, args.siblings)
    rows = [r for r in (featurise(tok, e) for e in exs) if r is not None]
    rng.shuffle(rows)
    if args.limit:
        rows = rows[: args.limit]
    train = [r for r in rows if not r["monitor"]]
    mon = [r for r in rows if r["monitor"]]
    npos = sum(r["span"] is not None for r in train)
    print(f"{len(exs)} examples, {len(rows)} fit; train {len(train)} ({npos} positive), monitor {len(mon)}; "
          f"mean tokens {np.mean([len(r['ids']) for r in rows]):.1f}; {time.time() - started:.0f}s", flush=True)

    import copy

    class M:
        pass

    model = M()
    model.tok, model.enc = tok, enc
    model.split = len(enc.layers) - args.top_layers
    model.top = torch.nn.ModuleList(copy.deepcopy(enc.layers[model.split:])).to(args.device)
    model.heads = torch.nn.Linear(f.hidden, 3).to(args.device)
    torch.nn.init.normal_(model.heads.weight, std=0.02)
    torch.nn.init.zeros_(model.heads.bias)
    if args.device != "cpu":
        enc.to(args.device)
    precompute(model, rows, args.device)
    print(f"precomputed in {time.time() - started:.0f}s", flush=True)
    print("monitor before:", evaluate(model, mon, args.device), flush=True)

    opt = torch.optim.AdamW([{"params": model.top.parameters(), "lr": args.lr},
                             {"params": model.heads.parameters(), "lr": args.head_lr}], weight_decay=0.01)
    steps = args.epochs * math.ceil(len(train) / args.batch)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, steps // 20)) * max(0.0, 1 - s / steps))
    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss()
    t0, step, stopped = time.time(), 0, False
    for epoch in range(args.epochs):
        model.top.train()
        # batches of similar length (less padding), in a seeded random order
        order = sorted(range(len(train)), key=lambda i: (len(train[i]["ids"]) // 8, rng.random()))
        batches = [order[i:i + args.batch] for i in range(0, len(order), args.batch)]
        rng.shuffle(batches)
        total = 0.0
        for b in batches:
            x, mask, passage, y, start, end = collate([train[i] for i in b], args.device)
            a, s, e = forward(model, x, mask, passage)
            loss = bce(a, y)
            pos = y > 0
            if pos.any():
                loss = loss + 0.5 * (ce(s[pos], start[pos]) + ce(e[pos], end[pos]))
            opt.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], 1.0)
            opt.step()
            sched.step()
            total += float(loss.detach())
            step += 1
            if step % 50 == 0:
                print(f"  epoch {epoch} step {step}/{steps} loss {total / 50:.3f} {time.time() - t0:.0f}s", flush=True)
                total = 0.0
            if time.time() - t0 > args.max_minutes * 60:
                stopped = True
                break
        print(f"epoch {epoch} monitor:", evaluate(model, mon, args.device), flush=True)
        if stopped:
            print(f"stopped at step {step}/{steps}: --max-minutes {args.max_minutes}", flush=True)
            break

    score = evaluate(model, mon, args.device)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    meta = {"version": 1, "top_layers": args.top_layers, "max_len": R.MAX_LEN, "seed": SEED, "commit": commit,
            "epochs": args.epochs, "steps": step, "planned_steps": steps, "lr": args.lr, "head_lr": args.head_lr,
            "batch": args.batch, "siblings": args.siblings, "train_rows": len(train), "train_positive": npos, "monitor": score,
            "data": "eval/sets/arcd-train.jsonl + eval/sets/mlqa-train.jsonl (ar + en questions)",
            "trained": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "minutes": round((time.time() - started) / 60, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"meta": meta, "layers": quantise(model.top.state_dict()), "heads": {k: v.detach().float().cpu() for k, v in model.heads.state_dict().items()}},
               str(args.out))
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB): {meta}", flush=True)


if __name__ == "__main__":
    main()
