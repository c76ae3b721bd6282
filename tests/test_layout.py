"""The package's layout: no import cycles between rag's modules, and the stages import only downwards
(store <- indexing <- retrieval <- answering <- evaluation/web/cli). Imports are read from the source (function-level
imports included), so a lazy import cannot hide a cycle."""
import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "rag"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PKG.rglob("*.py")}


def imports(name: str) -> set[str]:
    """The rag modules `name` imports (`from pkg import sub` counts as importing pkg.sub when that is a module)."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(parts + ([node.module] if node.module else []))
            for a in node.names:
                out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base)
    return {m for m in out if m in MODULES and m != name}


GRAPH = {name: imports(name) for name in MODULES}


def cycles() -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in GRAPH[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert GRAPH["rag.answering.assistant"], "the import walk found nothing: it is broken"
    assert cycles() == []


def test_a_cycle_is_found():
    """The checker itself: a two-module cycle added to the graph is reported."""
    GRAPH["rag.store.files"].add("rag.indexing.indexer")
    try:
        assert any("rag.store.files" in c for c in cycles())
    finally:
        GRAPH["rag.store.files"].discard("rag.indexing.indexer")


# stage -> stages it must never import
FORBIDDEN = {
    "rag.meta": ("rag.store", "rag.indexing", "rag.retrieval", "rag.answering", "rag.evaluation", "rag.web", "rag.cli"),
    "rag.store": ("rag.indexing", "rag.retrieval", "rag.answering", "rag.evaluation", "rag.web", "rag.cli"),
    "rag.indexing": ("rag.retrieval", "rag.answering", "rag.evaluation", "rag.web", "rag.cli"),
    "rag.retrieval": ("rag.answering", "rag.evaluation", "rag.web", "rag.cli"),
    "rag.answering": ("rag.evaluation", "rag.web", "rag.cli"),
}


@pytest.mark.parametrize("stage", sorted(FORBIDDEN))
def test_stages_import_only_downwards(stage):
    members = [m for m in MODULES if m == stage or m.startswith(stage + ".")]
    assert len(members) > 1
    bad = {(m, dep) for m in members for dep in GRAPH[m] for f in FORBIDDEN[stage] if dep == f or dep.startswith(f + ".")}
    assert bad == set()


def test_top_level_and_sizes():
    """At most 8 modules beside the stage subpackages; no module over 350 lines, no class over 200."""
    top = sorted(p.name for p in PKG.glob("*.py"))
    assert len(top) <= 8, top
    for path in MODULES.values():
        text = path.read_text(encoding="utf-8")
        assert text.count("\n") <= 350, path
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ClassDef):
                assert node.end_lineno - node.lineno + 1 <= 200, (path, node.name)
