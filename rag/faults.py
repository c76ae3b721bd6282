"""Fault injection for the crash tests: RAG_FAULT_KILL_AT=<point>[:<n>] kills the process (SIGKILL) at that point.

`checkpoint(name)` is called at the few places where a crash must be survivable. With the variable unset it is one
dictionary lookup. `<n>` picks the n-th time the point is reached (default 1), e.g. `indexer.after_vectors:2` dies
between the vector write and the manifest write of the second file. Points:

  indexer.after_delete    a batch's old chunks deleted from the vector store, the new ones not yet added
  indexer.after_vectors   a batch's chunks written to the vector store, the manifest not yet updated
  manifest.before_commit  a batch's manifest rows and keyword-index rows written, the transaction not yet committed
                          (also reached when a removed file's rows are deleted)
  manifest.fts_upgrade    an old manifest's FTS5 keyword index built, the upgrade transaction not yet committed
"""
from __future__ import annotations

import os
import signal
from collections import Counter

_reached: Counter[str] = Counter()


def checkpoint(name: str) -> None:
    spec = os.environ.get("RAG_FAULT_KILL_AT")
    if spec:
        _maybe_kill(name, spec)


def _maybe_kill(name: str, spec: str) -> None:
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
