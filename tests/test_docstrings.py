"""Docstrings that teach: every public callable documents each of its parameters in an ``Args:``
section, has an ``Example:`` whose ``>>>`` lines run (doctest) and give the output shown, shows
real types (not strings) in ``inspect.signature``, and ``dir()`` of a public module lists only its
API.

To cover another public module, add it to ``API_MODULES`` (its ``__all__`` is checked) and the
modules whose examples run to ``DOCTEST_MODULES``.
"""

import ast
import doctest
import importlib
import inspect
import pathlib
import re

import pytest

#: Public modules whose ``__all__`` callables are checked (the rest of ``__all__``, constants, is not).
API_MODULES = ["fastinit"]

#: Modules whose docstring examples run as doctests.
DOCTEST_MODULES = [
    "fastinit",
    "fastinit.core.docstrings",
    "fastinit.core.fills",
    "fastinit.core.runtime",
    "fastinit.core.seed",
    "fastinit.fingerprint",
    "fastinit.shard",
    "fastinit.rows",
    "fastinit.names.registry",
    "fastinit.presets.disk",
    "fastinit.presets.fans",
    "fastinit.presets.glorot_he_lecun",
    "fastinit.presets.orthogonal",
    "fastinit.presets.pytorch",
    "fastinit.presets.random_init",
    "fastinit.presets.stft",
    "fastinit.presets.structured",
    "fastinit.presets.variance_scaling",
    "fastinit.dask",
    "fastinit.outofcore.writer",
    "fastinit.outofcore.verify",
]

#: Modules that need an optional package, by that package (their doctests are skipped without it).
NEEDS = {"fastinit.dask": "dask.array"}

_SECTION = re.compile(r"^(?P<indent>[ \t]*)(?P<name>[A-Z][A-Za-z ]*):[ \t]*$", re.MULTILINE)


def _public_callables():
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if callable(obj):
                yield pytest.param(obj, id=f"{module_name}.{name}")


def _sections(doc):
    """``{section name: its text}`` of a Google-style docstring (cleaned by inspect)."""
    doc = inspect.cleandoc(doc)
    found = list(_SECTION.finditer(doc))
    return {m.group("name"): doc[m.end():found[i + 1].start() if i + 1 < len(found) else len(doc)]
            for i, m in enumerate(found) if not m.group("indent")}


def _documented(args_text):
    """The parameter names an ``Args:`` section describes (``name:``, ``*args:``, ``**kw:``)."""
    return set(re.findall(r"^[ \t]+\*{0,2}(\w+)(?: \([^)]*\))?:", args_text, flags=re.MULTILINE))


def _checked_functions(obj):
    """(what is documented, its docstring, its signature's parameters): a function itself; for a
    class its constructor (class docstring) and its ``__call__`` when it defines one."""
    if not inspect.isclass(obj):
        return [(obj.__qualname__, obj.__doc__, inspect.signature(obj))]
    out = [(obj.__qualname__, obj.__doc__, inspect.signature(obj))]
    if "__call__" in vars(obj):
        call = vars(obj)["__call__"]
        out.append((call.__qualname__, call.__doc__, inspect.signature(call)))
    return out


@pytest.mark.parametrize("module_name", DOCTEST_MODULES)
def test_examples_run(module_name):
    if module_name in NEEDS:
        pytest.importorskip(NEEDS[module_name])
    module = importlib.import_module(module_name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = [t for t in finder.find(module) if t.examples]
    assert tests, f"{module_name} has no examples"
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in tests:
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples of {module_name} failed (see above)"


@pytest.mark.parametrize("obj", list(_public_callables()))
def test_docstring_teaches(obj):
    assert obj.__doc__, f"{obj.__qualname__} has no docstring"
    sections = _sections(obj.__doc__)
    assert "Example" in sections or "Examples" in sections, f"{obj.__qualname__}'s docstring has no Example:"
    assert ">>>" in sections.get("Example", sections.get("Examples", "")), f"{obj.__qualname__}'s Example has no >>>"
    for what, doc, signature in _checked_functions(obj):
        assert doc, f"{what} has no docstring"
        assert "as for every fill" not in doc, f"{what} still says 'as for every fill'"
        params = [p for p in signature.parameters if p != "self"]
        if params:
            args = _sections(doc).get("Args", "")
            missing = [p for p in params if p not in _documented(args)]
            assert not missing, f"{what}'s Args section does not describe {missing}"
        for p in signature.parameters.values():
            assert not isinstance(p.annotation, str), f"{what}: parameter {p.name}'s annotation is a string"
        assert not isinstance(signature.return_annotation, str), f"{what}: the return annotation is a string"


def test_shared_placeholders_filled():
    for obj in (p.values[0] for p in _public_callables()):
        for what, doc, _ in _checked_functions(obj):
            assert not re.search(r"\{[a-z_]+\}", doc or ""), f"{what} has an unfilled placeholder"


@pytest.mark.parametrize("module_name", API_MODULES)
def test_dir_lists_only_the_api(module_name):
    module = importlib.import_module(module_name)
    allowed = set(module.__all__) | {"__version__"} | set(getattr(module, "_LAZY_SUBMODULES", ()))
    extra = sorted(set(dir(module)) - allowed)
    assert not extra, f"dir({module_name}) lists names that are not its API: {extra}"
    assert {"ModuleType", "annotations"}.isdisjoint(dir(module))
    for name in module.__all__:
        assert hasattr(module, name), f"{module_name}.__all__ names {name!r}, which it does not define"


def _annotations(tree):
    """The annotations Python evaluates when it runs ``tree``: of every function's parameters and
    return, and of the variables of modules and classes (not of a function's local variables)."""
    scoped = {id(n) for n in ast.walk(tree) if isinstance(n, (ast.Module, ast.ClassDef))}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            a = node.args
            for arg in (*a.posonlyargs, *a.args, *a.kwonlyargs, a.vararg, a.kwarg):
                if arg is not None and arg.annotation is not None:
                    yield arg.annotation
            if node.returns is not None:
                yield node.returns
            continue
        if id(node) in scoped:
            yield from (n.annotation for n in getattr(node, "body", []) if isinstance(n, ast.AnnAssign))


def test_runtime_annotations_run_on_python_3_9():
    """A module without postponed annotations evaluates its annotations at import: ``X | Y`` there
    raises TypeError on Python 3.9 (the oldest supported), so they use Optional/Union."""
    package = pathlib.Path(importlib.import_module("fastinit").__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if "from __future__ import annotations" in source:
            continue
        for ann in _annotations(ast.parse(source)):
            if any(isinstance(n, ast.BinOp) and isinstance(n.op, ast.BitOr) for n in ast.walk(ann)):
                offenders.append(f"{path.relative_to(package)}:{ann.lineno}")
    assert not offenders, f"X | Y annotations evaluated at runtime (use Optional/Union): {offenders}"
