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
import importlib.util
import inspect
import os
import pathlib
import re
import sys

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
    "fastinit.torchrec.init",
    "fastinit.torchrec.fingerprint",
    "fastinit.torchrec.admitted",
]

#: Modules that need an optional package, by that package (their doctests are skipped without it).
NEEDS = {"fastinit.dask": "dask.array", "fastinit.torchrec.init": "torchrec",
         "fastinit.torchrec.fingerprint": "torchrec", "fastinit.torchrec.admitted": "torchrec"}

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


# ---------------------------------------------------------------- the framework adapters

#: The adapters' public modules, by the framework each needs: their ``__all__`` callables are checked
#: as ``API_MODULES``' are (exception classes aside); without the framework the test is skipped.
ADAPTERS = {"fastinit.torch": "torch", "fastinit.keras": "keras", "fastinit.jax": "jax", "fastinit.cupy": "torch"}

#: The adapter modules whose docstring examples run, by the framework they need.
ADAPTER_DOCTESTS = {
    "fastinit.torch.functions": "torch",
    "fastinit.torch.fan_scaled": "torch",
    "fastinit.torch.deterministic": "torch",
    "fastinit.torch.rows": "torch",
    "fastinit.torch.fingerprint": "torch",
    "fastinit.torch.module_init": "torch",
    "fastinit.torch.seeding": "torch",
    "fastinit.torch.checks": "torch",
    "fastinit.torch.dtensor": "torch",
    "fastinit.keras": "keras",
    "fastinit.jax.keys": "jax",
    "fastinit.jax.variance": "jax",
    "fastinit.jax.elementwise": "jax",
    "fastinit.jax.matrices": "jax",
    "fastinit.jax.constants": "jax",
}

def _import_adapter(module_name, framework):
    """The adapter module, or a skip naming the missing framework. Keras reads its backend at its
    first import: without ``KERAS_BACKEND`` an installed torch or JAX is chosen (not keras.json's)."""
    if framework == "keras" and "keras" not in sys.modules and "KERAS_BACKEND" not in os.environ:
        backend = next((b for b in ("torch", "jax") if importlib.util.find_spec(b) is not None), None)
        if backend is not None:
            os.environ["KERAS_BACKEND"] = backend
    pytest.importorskip(framework, reason=f"{module_name} needs {framework}, which is not installed (or its backend)")
    return importlib.import_module(module_name)


def _api(module):
    for name in module.__all__:
        obj = getattr(module, name)
        if callable(obj) and not (inspect.isclass(obj) and issubclass(obj, BaseException)):
            yield f"{module.__name__}.{name}", obj


@pytest.mark.parametrize("module_name", sorted(ADAPTER_DOCTESTS))
def test_adapter_examples_run(module_name):
    _import_adapter(module_name, ADAPTER_DOCTESTS[module_name])
    test_examples_run(module_name)


@pytest.mark.parametrize("module_name", sorted(ADAPTERS))
def test_adapter_docstrings_teach(module_name):
    module = _import_adapter(module_name, ADAPTERS[module_name])
    failures = []
    for name, obj in _api(module):
        try:
            test_docstring_teaches(obj)
        except AssertionError as exc:
            failures.append(f"{name}: {exc}")
        for what, doc, _ in _checked_functions(obj):
            if re.search(r"\{[a-z_]+\}", doc or ""):
                failures.append(f"{what} has an unfilled placeholder")
    assert not failures, "\n".join(failures)


def test_adapter_init_functions_document_their_contract():
    """What fastinit.jax's factories return is documented too: (key, shape, dtype, out_sharding)."""
    fj = _import_adapter("fastinit.jax", "jax")
    for init in (fj.glorot_uniform(), fj.normal(), fj.orthogonal(), fj.constant(1.0)):
        args = _documented(_sections(init.__doc__).get("Args", ""))
        assert set(inspect.signature(init).parameters) <= args, f"{init.__name__}: {init.__doc__}"
        assert not re.search(r"\{[a-z_]+\}", init.__doc__), init.__doc__


def test_shared_sections_expand_and_name_unknown_keys():
    """A ``{key}`` line becomes the section's lines at its indentation, sections inside sections
    and ``name: {key}`` lines included; an unknown key is a KeyError naming it."""
    from fastinit.core.docstrings import SECTIONS, SHARED, fill_placeholders

    doc = fill_placeholders("Summary.\n\n    Args:\n        out: {out}\n        {fill_args}\n\n    {returns_filled}\n")
    entries = re.findall(r"^        (\w+): ", doc, flags=re.MULTILINE)
    assert entries == ["out", "seed", "stream", "full_shape", "index", "dtype"], doc
    assert "\n    Returns:\n        The filled array" in doc, doc
    assert " ".join(SHARED["dtype"].split()) in " ".join(doc.split())
    assert not re.search(r"\{\w+\}", doc), doc
    for key in SECTIONS:  # every section fills completely
        assert not re.search(r"\{\w+\}", fill_placeholders(f"    {{{key}}}\n")), key
    with pytest.raises(KeyError, match="no shared docstring section named 'fil_args'"):
        fill_placeholders("    Args:\n        {fil_args}\n")
