"""Plans: what an elementwise preset fills with, worked out without touching an array.

A plan is one of the fills of :mod:`fastinit.core.fills` with its parameters, e.g.
``Plan("truncated_normal", mean=0.0, std=0.05, a=-2.0, b=2.0)``. Every elementwise preset has a
pure plan function (``glorot_uniform_plan(shape, ...)``: the whole tensor's shape and the preset's
parameters in, a :class:`Plan` out) and makes its one fill call with that plan (:func:`fill`), so
what the out-of-core summary and :mod:`fastinit.dask` read from the plan is exactly what the
preset passes to the compiled core.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Callable, TypeVar

import numpy as np

from ..core.checks import real
from ..core.fills import constant, normal, truncated_normal, uniform
from ..core.layout import Index, Shape
from ..core.seed import Seed, Stream
from ..core.suggest import unknown_choice
from .args import prepare

__all__ = ["DISTRIBUTIONS", "Plan", "constant_plan", "fill", "fill_preset", "named", "normal_plan", "ones_plan",
           "truncated_normal_plan", "uniform_plan", "zeros_plan"]

F = TypeVar("F", bound=Callable[..., Any])

#: Each fill a plan can name, with its parameters in the order the fill takes them.
DISTRIBUTIONS: Mapping[str, tuple[str, ...]] = MappingProxyType({
    "uniform": ("low", "high"),
    "normal": ("mean", "std"),
    "truncated_normal": ("mean", "std", "a", "b"),
    "constant": ("value",),
})


class Plan:
    """A fill and its parameters: ``Plan("uniform", low=-0.1, high=0.1)``.

    Args:
        distribution: "uniform", "normal", "truncated_normal" (bounds ``a``, ``b`` in standard
            deviations) or "constant".
        **params: exactly that fill's parameters (see :data:`DISTRIBUTIONS`), real numbers; they
            are kept as floats, in the fill's order.

    Raises:
        ValueError for an unknown distribution; TypeError for missing or extra parameters, or one
        that is not a real number (named as the fill names it: ``low``, ``std`` ...).
    """

    __slots__ = ("distribution", "params")

    distribution: str
    params: Mapping[str, float]

    def __init__(self, distribution: str, **params: Any) -> None:
        names = DISTRIBUTIONS.get(distribution)
        if names is None:
            raise unknown_choice("distribution", distribution, DISTRIBUTIONS)
        if set(params) != set(names):
            raise TypeError(f"a {distribution} plan takes exactly {', '.join(names)}; got {', '.join(sorted(params))}")
        object.__setattr__(self, "distribution", distribution)
        object.__setattr__(self, "params", MappingProxyType({k: real(params[k], k) for k in names}))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a Plan is immutable")

    def __getitem__(self, name: str) -> float:
        return self.params[name]

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Plan):
            return NotImplemented
        return self.distribution == other.distribution and dict(self.params) == dict(other.params)

    def __hash__(self) -> int:
        return hash((self.distribution, tuple(self.params.items())))

    def __repr__(self) -> str:
        args = "".join(f", {k}={v!r}" for k, v in self.params.items())
        return f"Plan({self.distribution!r}{args})"


def fill(
    out: Any,
    plan: Plan,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with ``plan``: ONE call to the fill it names, with ``seed``, ``stream``,
    ``full_shape``, ``index`` and ``dtype`` passed through unchanged.

    Args:
        out: array to fill in place, or a shape to allocate (``dtype``, default float32).
        plan: the fill and its parameters.
        seed, stream, full_shape, index: passed to the plan's fill unchanged (a constant plan
            ignores ``seed`` and ``stream`` but still checks ``out`` against ``full_shape``/``index``).
        dtype: element type when ``out`` is a shape.

    Returns:
        The filled array.
    """
    p = plan.params
    if plan.distribution == "uniform":
        return uniform(out, p["low"], p["high"], seed=seed, stream=stream, full_shape=full_shape, index=index,
                       dtype=dtype)
    if plan.distribution == "normal":
        return normal(out, p["mean"], p["std"], seed=seed, stream=stream, full_shape=full_shape, index=index,
                      dtype=dtype)
    if plan.distribution == "truncated_normal":
        return truncated_normal(out, p["mean"], p["std"], p["a"], p["b"], seed=seed, stream=stream,
                                full_shape=full_shape, index=index, dtype=dtype)
    array, _ = prepare(out, dtype, full_shape, index)
    return constant(array, p["value"])


def fill_preset(out: Any, plan_of: Callable[[tuple[int, ...]], Plan], *, seed: Seed = None, stream: Stream = 0,
                full_shape: Shape | None = None, index: Index | None = None, dtype: Any = None) -> np.ndarray:
    """The body of an elementwise preset, after its parameters are checked: ``out`` checked against
    ``full_shape``/``index`` (a shape allocated), the plan ``plan_of`` gives for the whole tensor's
    shape, and that plan's one fill (:func:`fill`)."""
    array, shape = prepare(out, dtype, full_shape, index)
    return fill(array, plan_of(shape), seed=seed, stream=stream, full_shape=full_shape, index=index)


def named(func: F, name: str) -> F:
    """``func`` (a function a factory made for one row of a table, e.g. a preset's plan) named
    ``name`` everywhere Python shows a name: ``__name__``, ``__qualname__`` (so pickle finds it as
    this module's ``name``) and its code's, which Python's own TypeError messages quote."""
    code = func.__code__.replace(co_name=name)
    if sys.version_info >= (3, 11):
        code = code.replace(co_qualname=name)
    func.__code__ = code
    func.__name__ = func.__qualname__ = name
    return func


# --- the fills' own plans (what fastinit.uniform, ... fill with), for the by-name table ----------

def uniform_plan(shape: Shape, low: float = 0.0, high: float = 1.0) -> Plan:
    """:func:`fastinit.uniform`'s fill: ``Plan("uniform", low=low, high=high)`` (``shape`` unused)."""
    return Plan("uniform", low=low, high=high)


def normal_plan(shape: Shape, mean: float = 0.0, std: float = 1.0) -> Plan:
    """:func:`fastinit.normal`'s fill: ``Plan("normal", mean=mean, std=std)`` (``shape`` unused)."""
    return Plan("normal", mean=mean, std=std)


def truncated_normal_plan(shape: Shape, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                          b: float = 2.0) -> Plan:
    """:func:`fastinit.truncated_normal`'s fill: ``Plan("truncated_normal", mean=mean, std=std,
    a=a, b=b)`` (``shape`` unused)."""
    return Plan("truncated_normal", mean=mean, std=std, a=a, b=b)


def constant_plan(shape: Shape, value: float) -> Plan:
    """:func:`fastinit.constant`'s fill: ``Plan("constant", value=value)`` (``shape`` unused; the
    values written are ``value`` rounded to the dtype)."""
    return Plan("constant", value=value)


def zeros_plan(shape: Shape) -> Plan:
    """:func:`fastinit.zeros`'s fill: ``Plan("constant", value=0.0)``."""
    return Plan("constant", value=0.0)


def ones_plan(shape: Shape) -> Plan:
    """:func:`fastinit.ones`'s fill: ``Plan("constant", value=1.0)``."""
    return Plan("constant", value=1.0)
