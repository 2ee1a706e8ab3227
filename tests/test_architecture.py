"""The package's layers, as docs/architecture.md draws them, hold in the source: every import goes
down the layers (or stays inside its own package), packages of one layer do not import each other,
no module imports itself back through a circle, and no file of the package is over 450 lines.

The import graph is read from the source (Python's ``ast``), without importing anything: every
``import`` and ``from ... import`` counts, at module level, inside functions and under
``TYPE_CHECKING`` alike (a circle through a function-level import is still a circle in the design).
"""

from __future__ import annotations

import ast
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCE = ROOT / "python"
PACKAGE = SOURCE / "fastinit"
MAX_LINES = 450

#: Bottom to top. A module may import modules of its own unit (a subpackage or top-level module of
#: fastinit) and of units in layers below its own, never above, never a sibling unit of its layer.
LAYERS: list[tuple[str, ...]] = [
    ("fastinit._core", "fastinit._version"),  # the compiled core's stub, the version
    ("fastinit.core",),  # the core's Python face: fills, checks, layouts, seeds, runtime
    ("fastinit.presets", "fastinit.gpu"),  # every initializer as a typed function; the device kernels
    ("fastinit.names",),  # initializers by name, fastinit.get
    ("fastinit.rows", "fastinit.shard", "fastinit.fingerprint", "fastinit.outofcore"),  # parts of tensors
    ("fastinit.torch", "fastinit.keras", "fastinit.jax", "fastinit.dask", "fastinit.cupy",
     "fastinit.cli"),  # adapters, command
    ("fastinit.torchrec",),  # adapters built on an adapter: TorchRec's tables through fastinit.torch
    ("fastinit", "fastinit.__main__"),  # the public API (re-exports), python -m fastinit
]

Graph = dict[str, set[str]]


def _module_name(path: pathlib.Path) -> str:
    parts = path.relative_to(SOURCE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, pathlib.Path]:
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) + sorted(PACKAGE.rglob("*.pyi"))}


def _imported(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, known: set[str]) -> list[str]:
    """The fastinit modules ``node`` (in ``module``) imports: for ``from P import x``, ``P.x`` where
    that is a module, else ``P``."""
    if isinstance(node, ast.Import):
        names = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module if is_package else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
    found = []
    for name in names:
        while name not in known and "." in name:  # `import fastinit.torch.functions.x`: the module part
            name = name.rpartition(".")[0]
        if name in known and name != module:
            found.append(name)
    return found


def import_graph() -> Graph:
    """Each module of the package -> the modules of the package it imports."""
    modules = _modules()
    known = set(modules)
    graph: Graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.stem == "__init__"
        graph[name] = {dep for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom))
                       for dep in _imported(name, is_package, node, known)}
    return graph


def _reach(graph: Graph, start: str) -> set[str]:
    """Every module ``start`` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.get(node, ()))
    return seen


def circles(graph: Graph) -> list[list[str]]:
    """The groups of modules that import each other around a circle (strongly connected components
    of more than one module): a and b are in one when each reaches the other."""
    reach = {node: _reach(graph, node) for node in graph}
    groups = {tuple(sorted({node} | {other for other in reach[node] if node in reach[other]})) for node in graph}
    return sorted(list(group) for group in groups if len(group) > 1)


def unit_of(module: str, layers: list[tuple[str, ...]]) -> str | None:
    """The most specific unit of ``layers`` that ``module`` is or lies in (the root package, a name
    without a dot, holds only itself: a new subpackage must be given its layer)."""
    units = [u for layer in layers for u in layer if module == u or ("." in u and module.startswith(u + "."))]
    return max(units, key=len) if units else None


def layer_breaks(graph: Graph, layers: list[tuple[str, ...]]) -> list[str]:
    """Every import that goes up the layers or across to a sibling unit, and every module no layer holds."""
    level = {unit: i for i, layer in enumerate(layers) for unit in layer}
    breaks = []
    for module in sorted(graph):
        unit = unit_of(module, layers)
        if unit is None:
            breaks.append(f"{module} is in no layer: add its unit to LAYERS and to docs/architecture.md")
            continue
        for dep in sorted(graph[module]):
            dep_unit = unit_of(dep, layers)
            if dep_unit is None or dep_unit == unit:
                continue
            if level[dep_unit] > level[unit]:
                breaks.append(f"{module} imports {dep}: up from layer {level[unit]} to {level[dep_unit]}")
            elif level[dep_unit] == level[unit]:
                breaks.append(f"{module} imports {dep}: {unit} and {dep_unit} share layer {level[unit]} "
                              "and must not import each other")
    return breaks


# --- the checks can fail: each finds what it looks for in a graph made to have it ---

def test_circles_are_found():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert circles(graph) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_upward_and_sibling_imports_are_found():
    layers = [("p.low",), ("p.mid1", "p.mid2"), ("p",)]
    graph = {"p.low.x": {"p.mid1.y"}, "p.mid1.y": {"p.low.x", "p.mid2"}, "p.mid2": {"p"}, "p": {"p.mid1.y"},
             "p.other": set()}
    assert layer_breaks(graph, layers) == [
        "p.low.x imports p.mid1.y: up from layer 0 to 1",
        "p.mid1.y imports p.mid2: p.mid1 and p.mid2 share layer 1 and must not import each other",
        "p.mid2 imports p: up from layer 1 to 2",
        "p.other is in no layer: add its unit to LAYERS and to docs/architecture.md",
    ]


def test_the_graph_is_read_from_the_source():
    """Imports of each form are found (relative, from a package, inside a function)."""
    graph = import_graph()
    assert "fastinit.names.expected" in graph["fastinit.names.named"]  # from .expected import ...
    assert "fastinit._core" in graph["fastinit.core.fills"]  # from .. import _core
    assert "fastinit.outofcore" in graph["fastinit.cli.commands"]  # from ..outofcore import ... in a function
    assert "fastinit.cli" in graph["fastinit.__main__"]  # from fastinit.cli import main


# --- the package ---

def test_no_import_circles():
    found = circles(import_graph())
    assert not found, ("modules that import each other, directly or around a circle (move what both need "
                       "into a module below them, or pass it in):\n" + "\n".join(map(str, found)))


def test_imports_go_down_the_layers():
    breaks = layer_breaks(import_graph(), LAYERS)
    assert not breaks, ("imports against the layers of docs/architecture.md (import the lower module "
                        "directly, never the package root):\n" + "\n".join(breaks))


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_files_fit_the_line_limit(path):
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(ROOT)} has {lines} lines (at most {MAX_LINES}): split it by concept"


def test_the_architecture_page_draws_these_layers():
    """docs/architecture.md's table of layers ('| N | `unit`, ... | what |') is LAYERS."""
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| ([^|]*) \|", page, re.MULTILINE)
    drawn = {int(n): tuple(re.findall(r"`([\w.]+)`", units)) for n, units in rows}
    assert drawn == dict(enumerate(LAYERS)), (f"docs/architecture.md's table of layers {drawn} is not "
                                              f"tests/test_architecture.py's LAYERS {dict(enumerate(LAYERS))}")
