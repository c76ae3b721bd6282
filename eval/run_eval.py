"""Thin wrapper: `python eval/run_eval.py --gold eval/gold.jsonl --corpus corpus --mode extractive` == `rag eval ...`."""
import sys

from rag.cli import main

if __name__ == "__main__":
    sys.exit(main(["eval", *sys.argv[1:]]))
