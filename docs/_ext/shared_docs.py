"""A griffe extension for the API reference: fills the shared parameter texts into docstrings.

``fastinit.core.docstrings.shared_docs`` fills placeholders such as ``seed: {seed}`` when the
package is imported; the reference reads the source statically (nothing is imported), so this
extension applies the same ``fill_placeholders`` to every docstring griffe loads. The module is
loaded from its file alone: it imports nothing of fastinit, so the compiled core is not needed.
"""

from __future__ import annotations

import ast
import importlib.util
import inspect
import pathlib
import re
from typing import Any

import griffe

# A Sphinx role as the docstrings write cross-references (``:func:`fastinit.get```); Markdown shows it
# as code. ``~`` keeps the last component, as in Sphinx.
_ROLE = re.compile(r":(?:py:)?(?:func|class|mod|data|meth|attr|exc|obj):`(?P<tilde>~?)(?P<target>[^`]+)`")
_SOURCE = pathlib.Path(__file__).resolve().parents[2] / "python" / "fastinit" / "core" / "docstrings.py"


def _load_fill_placeholders() -> Any:
    spec = importlib.util.spec_from_file_location("_fastinit_shared_docs", _SOURCE)
    assert spec is not None and spec.loader is not None, f"cannot load {_SOURCE}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fill_placeholders


class SharedDocs(griffe.Extension):
    """Replace ``name: {key}`` lines in docstrings with the shared text for ``key``, and Sphinx
    roles with code spans."""

    def __init__(self) -> None:
        super().__init__()
        self._fill = _load_fill_placeholders()

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is None:
            return
        if "{" in obj.docstring.value:
            obj.docstring.value = self._fill(obj.docstring.value)
        obj.docstring.value = _ROLE.sub(_code_span, obj.docstring.value)


def _code_span(m: re.Match[str]) -> str:
    target = m.group("target")
    return f"``{target.rsplit('.', 1)[-1] if m.group('tilde') else target}``"


class CommentDocs(griffe.Extension):
    """Give an undocumented module-level constant the ``#:`` comment lines right above it as its
    docstring (the package documents its constants that way), so the reference shows it."""

    def on_attribute(self, *, attr: griffe.Attribute, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if attr.docstring is not None or not attr.lineno or attr.filepath not in loader.lines_collection:
            return
        lines = loader.lines_collection[attr.filepath]
        comment: list[str] = []
        i = attr.lineno - 2
        while i >= 0 and lines[i].strip().startswith("#:"):
            comment.insert(0, lines[i].strip()[2:].strip())
            i -= 1
        if comment:
            attr.docstring = griffe.Docstring(" ".join(comment), lineno=i + 2, parent=attr)


class JaxPresetFactories(griffe.Extension):
    """``fastinit.jax.variance`` makes its variance-scaling presets by calls, ``glorot_uniform =
    _preset("glorot_uniform", alias)`` (the row of ``ROWS`` in ``fastinit.presets.glorot_he_lecun``),
    and names JAX's aliases by assignment (``xavier_uniform = glorot_uniform``); ``fastinit.jax``
    re-exports them. Static analysis sees attributes; this turns each into the function ``_preset``
    returns, with its signature (written in ``fastinit.jax.variance._preset``; keep them in step)
    and the docstring ``_preset`` gives it: ``fastinit.jax.variance._PRESET_DOC``, formatted with the
    call's arguments and the row, its shared texts filled."""

    def __init__(self) -> None:
        super().__init__()
        self._fill = _load_fill_placeholders()

    SIGNATURE = (("in_axis", "Axis", "-2"), ("out_axis", "Axis", "-1"), ("batch_axis", "Axis", "()"),
                 ("dtype", "Any", "None"))

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.name != "fastinit" or "jax" not in pkg.members or "variance" not in pkg.members["jax"].members:
            return
        module = pkg.members["jax"].members["variance"]
        rows = _rows(str(pkg.members["presets"].members["glorot_he_lecun"].members["ROWS"].value))
        made: dict[str, griffe.Function] = {}
        for name, member in list(module.members.items()):
            if isinstance(member, griffe.Attribute) and isinstance(member.value, griffe.ExprCall):
                call = member.value
                if str(call.function) == "_preset":
                    made[name] = self._factory(module, member, [str(a) for a in call.arguments], rows)
        for member in list(module.members.values()):
            if isinstance(member, griffe.Attribute) and str(member.value) in made:
                target = made[str(member.value)]
                alias = self._factory(module, member, [], rows)
                alias.parameters = target.parameters
                alias.docstring = griffe.Docstring(f"JAX's other name for :func:`{target.name}`: the same function.",
                                                   parent=alias)

    def _factory(self, module: griffe.Module, attr: griffe.Attribute, args: list[str],
                 rows: dict[str, tuple[Any, ...]]) -> griffe.Function:
        params = griffe.Parameters(*(griffe.Parameter(n, annotation=a, default=d,
                                                      kind=griffe.ParameterKind.positional_or_keyword)
                                     for n, a, d in self.SIGNATURE))
        func = griffe.Function(attr.name, lineno=attr.lineno, endlineno=attr.endlineno, parameters=params,
                               returns="Initializer")
        if args:
            name = ast.literal_eval(args[0])
            alias = ast.literal_eval(args[1]) if len(args) > 1 else ""
            scale, mode, distribution = rows[name]
            template = ast.literal_eval(str(module.members["_PRESET_DOC"].value))
            text = template.format(name=name, alias=alias, scale=scale, mode=mode, distribution=distribution)
            func.docstring = griffe.Docstring(_ROLE.sub(_code_span, self._fill(inspect.cleandoc(text))), parent=func)
        module.set_member(attr.name, func)
        return func


class KerasPresetClasses(griffe.Extension):
    """``fastinit.keras._variance_scaling`` writes each Glorot/He/LeCun class as its first docstring
    line and a decorator naming its row, ``@_preset("glorot_uniform")``; the decorator completes the
    docstring at import with ``_PRESET_DOC``, formatted with the class name, the row's name and the
    row of ``ROWS`` in ``fastinit.presets.glorot_he_lecun``. Static analysis sees the first line
    only; this completes it the same way, shared texts filled."""

    def __init__(self) -> None:
        super().__init__()
        self._fill = _load_fill_placeholders()

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if pkg.name != "fastinit" or "_variance_scaling" not in getattr(pkg.members.get("keras"), "members", {}):
            return
        module = pkg.members["keras"].members["_variance_scaling"]
        template = ast.literal_eval(str(module.members["_PRESET_DOC"].value))
        rows = _rows(str(pkg.members["presets"].members["glorot_he_lecun"].members["ROWS"].value))
        for cls in module.classes.values():
            calls = [d.value for d in cls.decorators if isinstance(d.value, griffe.ExprCall)]
            names = [ast.literal_eval(str(c.arguments[0])) for c in calls if str(c.function) == "_preset"]
            if names and cls.docstring is not None:
                name = names[0]
                scale, mode, distribution = rows[name]
                text = cls.docstring.value + template.format(cls=cls.name, name=name, scale=scale, mode=mode,
                                                             distribution=distribution)
                cls.docstring.value = _ROLE.sub(_code_span, self._fill(inspect.cleandoc(text)))


def _rows(source: str) -> dict[str, tuple[Any, ...]]:
    """The table ``{"name": Row(scale, mode, distribution), ...}`` of ``source`` (``ROWS``'s value)."""
    table = next(node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Dict))
    rows: dict[str, tuple[Any, ...]] = {}
    for key, value in zip(table.keys, table.values):
        assert key is not None and isinstance(value, ast.Call), f"not a row: {ast.unparse(value)}"
        rows[ast.literal_eval(key)] = tuple(ast.literal_eval(a) for a in value.args)
    return rows
