"""The package layers hold: lower layers never import higher ones and no import cycle exists.

Imports are read from the source (module level and inside functions; ``if TYPE_CHECKING:``
blocks are skipped because they never run), so the test sees every edge Python could follow.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]
SOURCES = {"daedalus": ROOT / "daedalus", "daedalus.agents": ROOT / "agents",
           "daedalus.graphs": ROOT / "graphs", "daedalus.prompts": ROOT / "prompts",
           "daedalus.profiles": ROOT / "profiles"}

# Lowest first. A module may import its own package and packages of strictly lower layers.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("daedalus.errors", "daedalus.domain"),
    ("daedalus.world",),
    ("daedalus.scenario", "daedalus.provenance", "daedalus.prompts", "daedalus.profiles"),
    ("daedalus.kernel", "daedalus.templates"),
    ("daedalus.state",),
    ("daedalus.validators", "daedalus.portal"),
    ("daedalus.llm",),
    ("daedalus.context", "daedalus.testing", "daedalus.store"),
    ("daedalus.agents",),
    ("daedalus.graphs",),
    ("daedalus.exports",),
    ("daedalus.runs",),
    ("daedalus.batch",),
    ("daedalus.service",),
    ("daedalus.cli",),
)
RANK = {unit: rank for rank, units in enumerate(LAYERS) for unit in units}

# The pure layers: plain values in, plain values out.
PURE = ("daedalus.kernel", "daedalus.provenance", "daedalus.validators", "daedalus.portal")
NOT_IN_PURE = ("langgraph", "langchain_core", "langchain_openai", "openai", "httpx",
               "daedalus.agents", "daedalus.graphs", "daedalus.llm", "daedalus.runs")


def _modules() -> dict[str, Path]:
    found = {}
    for dotted, folder in SOURCES.items():
        for path in folder.rglob("*.py"):
            parts = path.relative_to(folder).with_suffix("").parts
            if dotted == "daedalus" and parts[0] in ("agents", "graphs", "prompts", "profiles"):
                continue
            name = ".".join((dotted, *parts)).removesuffix(".__init__")
            found[name] = path
    return found


MODULES = _modules()


def _runtime_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    for node in body:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from _runtime_nodes(node.orelse)
            continue
        yield node
        for field in ("body", "orelse", "finalbody", "handlers"):
            inner = getattr(node, field, None)
            if isinstance(inner, list):
                yield from _runtime_nodes([n for n in inner if isinstance(n, ast.AST)])


def imports_of(module: str) -> set[str]:
    """Everything ``module`` imports at run time, as dotted names (submodules resolved)."""
    tree = ast.parse(MODULES[module].read_text())
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    names: set[str] = set()
    for node in _runtime_nodes(tree.body):
        if isinstance(node, ast.ExceptHandler):
            continue
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # ``from package import submodule`` loads the submodule; the package itself is only
            # a parent (never counted, as for every import of a submodule).
            subs = {f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in MODULES}
            names.update(subs)
            if len(subs) < len(node.names):
                names.add(base)
    return names


def unit_of(module: str) -> str | None:
    """The layer unit (a package or a top-level module) a daedalus module belongs to."""
    best = None
    for unit in RANK:
        if (module == unit or module.startswith(unit + ".")) and (best is None or len(unit) > len(best)):
            best = unit
    return best


def test_every_module_belongs_to_a_layer():
    strays = [m for m in MODULES if m != "daedalus" and unit_of(m) is None]
    assert not strays, f"modules outside every layer (add them to LAYERS): {strays}"


def test_lower_layers_never_import_higher_ones():
    wrong = []
    for module in MODULES:
        own = unit_of(module)
        if own is None:
            continue
        for target in imports_of(module):
            other = unit_of(target)
            if other is None or other == own:
                continue
            if RANK[other] >= RANK[own]:
                wrong.append(f"{module} imports {target} (layer {RANK[other]} >= {RANK[own]})")
    assert not wrong, "\n".join(wrong)


def test_pure_layers_import_no_framework_model_agent_or_graph():
    wrong = [
        f"{module} imports {target}"
        for module in MODULES
        if module.startswith(PURE)
        for target in imports_of(module)
        if target.startswith(NOT_IN_PURE)
    ]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycle():
    graph = nx.DiGraph()
    for module in MODULES:
        graph.add_node(module)
        graph.add_edges_from((module, target) for target in imports_of(module) if target in MODULES)
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert not cycles, f"import cycles: {cycles}"


def test_top_of_the_package_shows_the_layers():
    entries = sorted(p.name for p in (ROOT / "daedalus").iterdir() if p.name != "__pycache__")
    private = [e for e in entries if e.startswith("_") and e not in ("__init__.py", "__main__.py")]
    assert not private, f"private modules belong inside the package that owns them: {private}"
    assert len(entries) <= 22, entries


@pytest.mark.parametrize("package", sorted(
    m for m, p in MODULES.items() if p.name == "__init__.py" and m != "daedalus"
))
def test_each_package_says_what_it_owns_and_may_import(package):
    doc = ast.get_docstring(ast.parse(MODULES[package].read_text())) or ""
    head = " ".join(doc.split("\n\n")[0].split())
    assert head, f"{package} has no docstring"
    if package in ("daedalus.profiles", "daedalus.profiles.entities"):
        return  # data folders import nothing
    assert "may import" in head.lower(), f"{package}: the first paragraph names what it may import"


def test_the_checker_sees_a_violation(tmp_path, monkeypatch):
    """A planted upward import is reported (the test above can fail)."""
    fake = tmp_path / "fidelity.py"
    fake.write_text("from daedalus.graphs.modes import build_graph\n")
    monkeypatch.setitem(MODULES, "daedalus.kernel.fake", fake)
    assert "daedalus.graphs.modes" in imports_of("daedalus.kernel.fake")
    with pytest.raises(AssertionError, match=re.escape("daedalus.kernel.fake imports daedalus.graphs.modes")):
        test_lower_layers_never_import_higher_ones()
    with pytest.raises(AssertionError, match=re.escape("daedalus.kernel.fake imports daedalus.graphs")):
        test_pure_layers_import_no_framework_model_agent_or_graph()
