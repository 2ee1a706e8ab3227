"""Initializers by name, with parameters by name: what the command line, the out-of-core writer
(:mod:`fastinit.outofcore`) and :mod:`fastinit.dask` share.

A name is first one of fastinit's own functions (``uniform``, ``normal``, ``truncated_normal``,
``constant``, ``zeros``, ``ones``, ``variance_scaling``, ``glorot_uniform`` ... ``kaiming_normal``,
``orthogonal``, ``identity``, ``eye``, ``dirac``, ``sparse``), with fastinit's parameters and
defaults (``normal`` is N(0, 1), ``uniform`` is U(0, 1)); any other name goes to
:func:`fastinit.get` (Keras and PyTorch names: ``RandomNormal``, ``TruncatedNormal``,
``GlorotUniform``, ``kaiming_normal_``, ``trunc_normal_`` ...), with those frameworks' parameter
names and defaults.

Parameters given as text (the command line) are converted to the preset's types: numbers for
``float``/``int`` parameters (``inf`` allowed), strings for ``mode``, ``distribution``, ``layout``,
``nonlinearity``, comma-separated ints for axes (``in_axis``, ``batch_axis`` ...).
"""

from __future__ import annotations

import inspect
import math
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..core import fills as _fills
from ..core.dtypes import bfloat16
from ..core.suggest import closest
from .registry import Initializer, _lookup, _Spec

__all__ = ["NamedInit", "resolve", "own_names", "all_parameter_names", "Expected", "expected_of"]

_OWN = ("uniform", "normal", "truncated_normal", "constant", "zeros", "ones", "variance_scaling",
        "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
        "random_uniform", "random_normal", "random_truncated_normal", "xavier_uniform", "xavier_normal",
        "kaiming_uniform", "kaiming_normal", "orthogonal", "identity", "eye", "dirac", "sparse")
#: Presets whose values are not elementwise and need the whole tensor (orthogonal) or whole
#: columns (sparse) for every part they fill.
GLOBAL = ("orthogonal", "sparse")
_STRUCTURED = ("identity", "eye", "dirac")
_DETERMINISTIC = ("constant", "zeros", "ones", "identity", "eye", "dirac")


def own_names() -> tuple[str, ...]:
    """fastinit's own initializer names, in the order they are listed to users."""
    return _OWN


def _own_spec(name: str) -> _Spec:
    import fastinit

    return _Spec(name, getattr(fastinit, name))


def _spec_for(name: str) -> _Spec:
    key = name.strip().replace("-", "_")
    if key in _OWN:
        return _own_spec(key)
    if key.lower() in _OWN:
        return _own_spec(key.lower())
    return _lookup(key)  # ValueError naming the closest known names


def _accepted(spec: _Spec) -> list[str]:
    names = set(spec.parameters()) | set(spec.rename)
    if spec.keras_axes:
        names |= {"input_axes", "output_axes"}
    return sorted(names)


def _annotation(spec: _Spec, key: str) -> str:
    param = spec.rename.get(key, key)
    if key in ("input_axes", "output_axes"):
        return "Axis"
    p = inspect.signature(spec.fn).parameters.get(param)
    if p is None:
        return ""
    ann = p.annotation
    if ann is inspect.Parameter.empty:
        if p.default is not inspect.Parameter.empty and p.default is not None:
            return type(p.default).__name__
        return ""
    return ann if isinstance(ann, str) else getattr(ann, "__name__", str(ann))


def _to_number(text: str, key: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"--{key.replace('_', '-')} expects a number, got {text!r}") from None


def convert(spec: _Spec, key: str, text: str) -> Any:
    """The value of parameter ``key`` of ``spec`` written as ``text`` (command-line form)."""
    ann = _annotation(spec, key)
    t = text.strip()
    optional = "Optional" in ann or "None" in ann
    if optional and t.lower() in ("none", "null"):
        return None
    if "Axis" in ann:
        parts = [p for p in t.replace(" ", "").split(",") if p != ""]
        try:
            values = tuple(int(p) for p in parts)
        except ValueError:
            raise ValueError(f"--{key.replace('_', '-')} expects an axis or comma-separated axes "
                             f"(e.g. 0 or 0,1), got {text!r}") from None
        return values[0] if len(values) == 1 and "," not in t else values
    if "float" in ann:
        return _to_number(t, key)
    if "int" in ann:
        try:
            return int(t)
        except ValueError:
            raise ValueError(f"--{key.replace('_', '-')} expects an integer, got {text!r}") from None
    if "str" in ann:
        return t
    for kind in (int, float):  # untyped: the most specific number, else the text
        try:
            return kind(t)
        except ValueError:
            pass
    return t


def all_parameter_names() -> list[str]:
    """Every parameter name of every initializer a name can resolve to (for the command line)."""
    from .registry import _BY_NORM, _TORCH_INPLACE

    names = set()
    specs = [_own_spec(n) for n in _OWN] + list(_BY_NORM.values()) + list(_TORCH_INPLACE.values())
    for spec in specs:
        names |= set(_accepted(spec))
    return sorted(names)


@dataclass
class NamedInit:
    """An initializer resolved from a name and parameters; call it like a preset:
    ``init(out, seed=..., stream=..., full_shape=..., index=...)``."""

    name: str  # as given
    canonical: str  # the function's or the registry entry's name
    params: dict[str, Any]
    spec: _Spec = field(repr=False)
    initializer: Initializer = field(repr=False)

    @property
    def fn(self) -> Callable[..., np.ndarray]:
        return self.spec.fn

    @property
    def fn_name(self) -> str:
        return getattr(self.spec.fn, "__name__", self.canonical)

    @property
    def is_random(self) -> bool:
        return self.fn_name not in _DETERMINISTIC

    @property
    def is_global(self) -> bool:
        """True for orthogonal and sparse: each part they fill costs the whole tensor's (or the
        whole columns') work."""
        return self.fn_name in GLOBAL

    def accepted(self) -> list[str]:
        return _accepted(self.spec)

    def __call__(self, out: np.ndarray, *, seed: int | None, stream: Any = 0,
                 full_shape: tuple[int, ...] | None = None, index: Any = None) -> np.ndarray:
        return self.initializer(out, seed=seed, stream=stream, full_shape=full_shape, index=index)

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in sorted(self.params.items()))
        return f"{self.canonical}({args})"


def parameters_of(name: str, given: Iterable[str] = ()) -> tuple[str, list[str], list[str]]:
    """``(canonical name, accepted parameters, required parameters missing from ``given``)`` of the
    initializer ``name`` (ValueError naming the closest names for an unknown one)."""
    spec = _spec_for(name)
    return spec.name, _accepted(spec), _missing(spec, set(given))


def _missing(spec: _Spec, given: set[str]) -> list[str]:
    return [p for p in _required(spec) if p not in given and not any(spec.rename.get(k) == p for k in given)]


def _required(spec: _Spec) -> list[str]:
    sig = inspect.signature(spec.fn).parameters
    return [p for p, v in sig.items()
            if v.default is inspect.Parameter.empty and v.kind != inspect.Parameter.VAR_KEYWORD
            and p not in ("out",) and p not in spec.defaults]


def resolve(name: Any, params: Mapping[str, Any] | None = None, *, text: bool = False) -> NamedInit:
    """``name`` (a str, or one of fastinit's functions) with ``params`` bound.

    ``text=True``: ``params`` values are command-line strings, converted to the parameter types.
    Raises ValueError for an unknown name (with the closest names) and TypeError for a parameter
    the initializer does not take (with the closest accepted one) or a missing required one.
    """
    params = dict(params or {})
    if callable(name) and not isinstance(name, str):
        fn_name = getattr(name, "__name__", "")
        if fn_name not in _OWN:
            raise TypeError(f"init must be an initializer name or one of fastinit's functions "
                            f"({', '.join(_OWN)}), got {name!r}")
        name = fn_name
    if not isinstance(name, str):
        raise TypeError(f"init must be an initializer name (str), got {type(name).__name__} {name!r}")
    name = name.strip().replace("-", "_")
    spec = _spec_for(name)
    accepted = _accepted(spec)
    for key in params:
        if key not in accepted:
            near = closest(key, accepted)
            hint = (" Did you mean " + " or ".join(repr(n) for n in near) + "?") if near else ""
            takes = ", ".join(accepted) if accepted else "no parameters"
            raise TypeError(f"{spec.name} has no parameter {key!r}.{hint} It takes: {takes}")
    if text:
        params = {k: convert(spec, k, v) if isinstance(v, str) else v for k, v in params.items()}
    missing = _missing(spec, set(params))
    if missing:
        raise TypeError(f"{spec.name} needs {', '.join(repr(m) for m in missing)} "
                        f"(e.g. {missing[0]}=...)")
    return NamedInit(name, spec.name, params, spec, Initializer(spec, params))


# --- what an initializer should give: the one fill call a preset makes -------------------------

@dataclass(frozen=True)
class Expected:
    """The distribution an elementwise initializer fills with, and its moments and bounds."""

    distribution: str  # "uniform", "normal", "truncated_normal", "constant"
    params: dict[str, float]
    mean: float
    std: float
    min: float | None  # None: unbounded
    max: float | None

    def describe(self) -> str:
        args = ", ".join(f"{k}={v:.7g}" for k, v in self.params.items())
        return f"{self.distribution}({args})"


_FORMATS: dict[str, np.dtype] = {
    "float32": np.dtype(np.float32), "float64": np.dtype(np.float64), "float16": np.dtype(np.float16),
    "bfloat16": bfloat16,
}


class _Recorder:
    """Stands in for the compiled core during one probe call: records the probing thread's fill
    calls (which still run, on one element, so the core checks the parameters); calls from any
    other thread go to the real core untouched."""

    def __init__(self, core: Any, owner: int):
        self._core = core
        self._owner = owner
        self.calls: list[tuple[str, dict[str, float]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._core, name)

    def _mine(self) -> bool:
        return threading.get_ident() == self._owner

    def fill_uniform(self, out: np.ndarray, fmt: str, seed: int, stream: int, strides: Sequence[int], origin: int,
                     low: float, high: float) -> None:
        if self._mine():
            self.calls.append(("uniform", {"low": low, "high": high}))
        self._core.fill_uniform(out, fmt, seed, stream, strides, origin, low, high)

    def fill_normal(self, out: np.ndarray, fmt: str, seed: int, stream: int, strides: Sequence[int], origin: int,
                    mean: float, std: float) -> None:
        if self._mine():
            self.calls.append(("normal", {"mean": mean, "std": std}))
        self._core.fill_normal(out, fmt, seed, stream, strides, origin, mean, std)

    def fill_truncated_normal(self, out: np.ndarray, fmt: str, seed: int, stream: int, strides: Sequence[int],
                              origin: int, mean: float, std: float, a: float, b: float) -> None:
        if self._mine():
            self.calls.append(("truncated_normal", {"mean": mean, "std": std, "a": a, "b": b}))
        self._core.fill_truncated_normal(out, fmt, seed, stream, strides, origin, mean, std, a, b)

    def fill_constant(self, out: np.ndarray, fmt: str, pattern: bytes) -> None:
        if self._mine():
            self.calls.append(("constant", {"value": float(np.frombuffer(pattern, dtype=_FORMATS[fmt])[0])}))
        self._core.fill_constant(out, fmt, pattern)


_PROBE_LOCK = threading.Lock()


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def _moments(dist: str, p: dict[str, float]) -> Expected:
    if dist == "uniform":
        lo, hi = p["low"], p["high"]
        return Expected(dist, p, (lo + hi) / 2, (hi - lo) / math.sqrt(12), lo, hi)
    if dist == "normal":
        return Expected(dist, p, p["mean"], p["std"], None, None)
    if dist == "constant":
        v = p["value"]
        return Expected(dist, p, v, 0.0, v, v)
    mean, std, a, b = p["mean"], p["std"], p["a"], p["b"]
    if a > 0:  # mirror to the lower side, where the cdf is small and precise
        z = _cdf(-a) - _cdf(-b)
        shift = (_phi(a) - _phi(b)) / z
        var_term = ((a * _phi(a) if math.isfinite(a) else 0.0) - (b * _phi(b) if math.isfinite(b) else 0.0)) / z
    else:
        z = _cdf(b) - _cdf(a)
        shift = (_phi(a) - _phi(b)) / z
        var_term = ((a * _phi(a) if math.isfinite(a) else 0.0) - (b * _phi(b) if math.isfinite(b) else 0.0)) / z
    var = max(0.0, 1.0 + var_term - shift * shift)
    lower = mean + a * std if math.isfinite(a) else None
    upper = mean + b * std if math.isfinite(b) else None
    return Expected(dist, p, mean + std * shift, std * math.sqrt(var), lower, upper)


def check_and_expect(init: NamedInit, full_shape: tuple[int, ...], dtype: Any, seed: int,
                     stream: int) -> Expected | None:
    """Call ``init`` once on one element of ``full_shape`` (checking every parameter against the
    real shape before anything is written) and return the distribution it fills with (None for
    the structured initializers). The probe fills one element; its core call is recorded."""
    dt = np.dtype(dtype)
    if init.is_global:
        # the real call costs the whole tensor: check the parameters on a small stand-in
        small = tuple(min(d, 2) for d in full_shape) or ()
        if init.fn_name == "orthogonal" and len(small) < 2:
            small = small + (2,) * (2 - len(small))
        init(np.empty(small, dt), seed=seed, stream=stream)
        return None
    one = np.empty((), dt)
    index = tuple(0 for _ in full_shape)
    if any(d == 0 for d in full_shape):
        init(np.empty(full_shape, dt), seed=seed, stream=stream, full_shape=full_shape, index=None)
        return None
    if init.fn_name in _STRUCTURED:
        init(one, seed=seed, stream=stream, full_shape=full_shape, index=index)
        return None
    with _PROBE_LOCK:
        real = _fills._core
        recorder = _Recorder(real, threading.get_ident())
        _fills._core = recorder  # type: ignore[assignment]
        try:
            init(one, seed=seed, stream=stream, full_shape=full_shape, index=index)
        finally:
            _fills._core = real
    if len(recorder.calls) != 1:
        return None
    dist, p = recorder.calls[0]
    return _moments(dist, p)


def expected_of(init: NamedInit, full_shape: tuple[int, ...], dtype: Any = np.float32,
                seed: int = 0, stream: int = 0) -> Expected | None:
    """The distribution (and its mean, std and bounds) ``init`` fills ``full_shape`` with."""
    return check_and_expect(init, full_shape, dtype, seed, stream)
