"""Initializers by name, with parameters by name: what the command line, the out-of-core writer
(:mod:`fastinit.outofcore`) and :mod:`fastinit.dask` share.

A name is first one of fastinit's own functions (``uniform``, ``normal``, ``truncated_normal``,
``constant``, ``zeros``, ``ones``, ``variance_scaling``, ``glorot_uniform`` ... ``kaiming_normal``,
``orthogonal``, ``delta_orthogonal``, ``identity``, ``eye``, ``dirac``, ``sparse``, ``stft``), with
fastinit's parameters and defaults (``normal`` is N(0, 1), ``uniform`` is U(0, 1)); any other name goes to
:func:`fastinit.get` (Keras and PyTorch names: ``RandomNormal``, ``TruncatedNormal``,
``GlorotUniform``, ``kaiming_normal_``, ``trunc_normal_`` ...), with those frameworks' parameter
names and defaults.

Parameters given as text (the command line) are converted to the preset's types: numbers for
``float``/``int`` parameters (``inf`` allowed), strings for ``mode``, ``distribution``, ``layout``,
``nonlinearity``, ``side``, ``window``, comma-separated ints for axes (``in_axis``, ``batch_axis``
...), true/false for ``periodic``: the types
declared in :mod:`fastinit.names.specs`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..core.layout import Shape
from ..core.suggest import closest
from ..presets.plans import Plan
from .expected import Expected, check_and_expect, expected_of
from .lookup import Binding, all_bindings, by_name, own_names
from .registry import Initializer
from .specs import Kind

__all__ = ["NamedInit", "resolve", "own_names", "all_parameter_names", "parameters_of", "binding_for", "convert",
           # re-exported from .expected, where they live:
           "Expected", "expected_of", "check_and_expect"]


def binding_for(name: str) -> Binding:
    """The initializer ``name`` means on the command line and in Dask: fastinit's own names first,
    then :func:`fastinit.get`'s (ValueError naming the closest names for an unknown one)."""
    return by_name(name)


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _number(t: str, text: str, key: str) -> float:
    try:
        return float(t)
    except ValueError:
        raise ValueError(f"{_flag(key)} expects a number, got {text!r}") from None


def _integer(t: str, text: str, key: str) -> int:
    try:
        return int(t)
    except ValueError:
        raise ValueError(f"{_flag(key)} expects an integer, got {text!r}") from None


def _axes(t: str, text: str, key: str) -> int | tuple[int, ...]:
    parts = [p for p in t.replace(" ", "").split(",") if p != ""]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"{_flag(key)} expects an axis or comma-separated axes (e.g. 0 or 0,1), "
                         f"got {text!r}") from None
    return values[0] if len(values) == 1 and "," not in t else values


def _word(t: str, text: str, key: str) -> str:
    return t


_TRUTH = {"true": True, "yes": True, "on": True, "1": True, "false": False, "no": False, "off": False, "0": False}


def _truth(t: str, text: str, key: str) -> bool:
    try:
        return _TRUTH[t.lower()]
    except KeyError:
        raise ValueError(f"{_flag(key)} expects true or false (yes/no, 1/0), got {text!r}") from None


def _untyped(t: str) -> Any:
    """The most specific number ``t`` spells, else ``t``."""
    for kind in (int, float):
        try:
            return kind(t)
        except ValueError:
            pass
    return t


_CONVERTERS: dict[str, Callable[[str, str, str], Any]] = {"float": _number, "int": _integer, "axis": _axes,
                                                           "str": _word, "bool": _truth}


def convert(spec: Binding, key: str, text: str) -> Any:
    """The value of parameter ``key`` of ``spec`` written as ``text`` (command-line form), by the
    parameter's declared type; ``none``/``null`` is None where the parameter takes None."""
    param = spec.param(key)
    t = text.strip()
    if param is None:
        return _untyped(t)
    if param.optional and t.lower() in ("none", "null"):
        return None
    return _CONVERTERS[param.type](t, text, key)


def all_parameter_names() -> list[str]:
    """Every parameter name of every initializer a name can resolve to (for the command line)."""
    names: set[str] = set()
    for binding in all_bindings():
        names |= set(binding.accepted())
    return sorted(names)


@dataclass
class NamedInit:
    """An initializer resolved from a name and parameters; call it like a preset:
    ``init(out, seed=..., stream=..., full_shape=..., index=...)``."""

    name: str  # as given
    canonical: str  # the function's or the registry entry's name
    params: dict[str, Any]
    spec: Binding = field(repr=False)
    initializer: Initializer = field(repr=False)

    @property
    def fn(self) -> Callable[..., np.ndarray]:
        return self.spec.fn

    @property
    def fn_name(self) -> str:
        """fastinit's name of the initializer (its function's name)."""
        return self.spec.spec.name

    @property
    def kind(self) -> Kind:
        """"elementwise", "structured" or "whole" (see :data:`fastinit.names.specs.Kind`)."""
        return self.spec.spec.kind

    @property
    def is_random(self) -> bool:
        return self.spec.spec.random

    @property
    def is_global(self) -> bool:
        """True for orthogonal and sparse: each part they fill costs the whole tensor's (or the
        whole columns') work."""
        return self.kind == "whole"

    def accepted(self) -> list[str]:
        return self.spec.accepted()

    def plan(self, full_shape: Shape) -> Plan | None:
        """The one fill it makes in a tensor of ``full_shape``; None unless elementwise."""
        return self.initializer.plan(full_shape)

    def __call__(self, out: np.ndarray, *, seed: int | None, stream: Any = 0,
                 full_shape: tuple[int, ...] | None = None, index: Any = None) -> np.ndarray:
        return self.initializer(out, seed=seed, stream=stream, full_shape=full_shape, index=index)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"{self.canonical}({args})"


def parameters_of(name: str, given: Iterable[str] = ()) -> tuple[str, list[str], list[str]]:
    """``(canonical name, accepted parameters, required parameters missing from ``given``)`` of the
    initializer ``name`` (ValueError naming the closest names for an unknown one)."""
    binding = by_name(name)
    return binding.name, binding.accepted(), binding.missing(given)


def _name_of(init: Any) -> str:
    """``init`` (a name, or one of fastinit's own functions) as a name; TypeError otherwise."""
    if callable(init) and not isinstance(init, str):
        fn_name = getattr(init, "__name__", "")
        if fn_name not in own_names():
            raise TypeError(f"init must be an initializer name or one of fastinit's functions "
                            f"({', '.join(own_names())}), got {init!r}")
        return str(fn_name)
    if not isinstance(init, str):
        raise TypeError(f"init must be an initializer name (str), got {type(init).__name__} {init!r}")
    return init.strip().replace("-", "_")


def _check_keys(binding: Binding, params: Mapping[str, Any]) -> None:
    accepted = binding.accepted()
    for key in params:
        if key not in accepted:
            near = closest(key, accepted)
            hint = (" Did you mean " + " or ".join(repr(n) for n in near) + "?") if near else ""
            takes = ", ".join(accepted) if accepted else "no parameters"
            raise TypeError(f"{binding.name} has no parameter {key!r}.{hint} It takes: {takes}")


def resolve(name: Any, params: Mapping[str, Any] | None = None, *, text: bool = False) -> NamedInit:
    """``name`` (a str, or one of fastinit's functions) with ``params`` bound.

    ``text=True``: ``params`` values are command-line strings, converted to the parameter types.
    Raises ValueError for an unknown name (with the closest names) and TypeError for a parameter
    the initializer does not take (with the closest accepted one) or a missing required one.
    """
    params = dict(params or {})
    name = _name_of(name)
    binding = by_name(name)
    _check_keys(binding, params)
    if text:
        params = {k: convert(binding, k, v) if isinstance(v, str) else v for k, v in params.items()}
    missing = binding.missing(params)
    if missing:
        raise TypeError(f"{binding.name} needs {', '.join(repr(m) for m in missing)} "
                        f"(e.g. {missing[0]}=...)")
    return NamedInit(name, binding.name, params, binding, Initializer(binding, params))
