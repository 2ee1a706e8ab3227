"""What an initializer should give: the distribution of its one fill (its plan, see
:mod:`fastinit.presets.plans`) with that distribution's mean, standard deviation and bounds. The
out-of-core writer prints them next to the table's own statistics; the same check runs every
parameter against the real shape before anything is written (the writer, :mod:`fastinit.dask`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from ..presets.plans import Plan
from .lookup import Binding

__all__ = ["Expected", "check_and_expect", "expected_of", "moments", "stand_in"]


class Checkable(Protocol):
    """What the checks here call: an initializer resolved by name (:class:`fastinit.names.named.NamedInit`,
    which imports this module, so it is named here by what it does)."""

    @property
    def spec(self) -> Binding: ...

    @property
    def is_global(self) -> bool: ...

    def plan(self, full_shape: tuple[int, ...]) -> Plan | None: ...

    def __call__(self, out: np.ndarray, *, seed: int | None, stream: Any = 0,
                 full_shape: tuple[int, ...] | None = None, index: Any = None) -> np.ndarray: ...


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


def _phi(x: float) -> float:
    return math.exp(-0.5 * x * x) / math.sqrt(2 * math.pi) if math.isfinite(x) else 0.0


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2))


def _x_phi(x: float) -> float:
    return x * _phi(x) if math.isfinite(x) else 0.0


def _truncated_normal(p: dict[str, float]) -> Expected:
    mean, std, a, b = p["mean"], p["std"], p["a"], p["b"]
    # the mass between the bounds; for a > 0 mirrored to the lower side, where the cdf is precise
    z = _cdf(-a) - _cdf(-b) if a > 0 else _cdf(b) - _cdf(a)
    shift = (_phi(a) - _phi(b)) / z
    var = max(0.0, 1.0 + (_x_phi(a) - _x_phi(b)) / z - shift * shift)
    lower = mean + a * std if math.isfinite(a) else None
    upper = mean + b * std if math.isfinite(b) else None
    return Expected("truncated_normal", p, mean + std * shift, std * math.sqrt(var), lower, upper)


def moments(plan: Plan, dtype: Any) -> Expected:
    """``plan``'s distribution with its mean, std and bounds, for elements of ``dtype`` (a
    constant is the value rounded to ``dtype``, as written)."""
    p = dict(plan.params)
    if plan.distribution == "uniform":
        lo, hi = p["low"], p["high"]
        return Expected("uniform", p, (lo + hi) / 2, (hi - lo) / math.sqrt(12), lo, hi)
    if plan.distribution == "normal":
        return Expected("normal", p, p["mean"], p["std"], None, None)
    if plan.distribution == "constant":
        with np.errstate(over="ignore"):
            v = float(np.asarray(p["value"], dtype=np.dtype(dtype)))
        return Expected("constant", {"value": v}, v, 0.0, v, v)
    return _truncated_normal(p)


def stand_in(full_shape: tuple[int, ...], rank: int = 0) -> tuple[int, ...]:
    """A small shape ordered as ``full_shape`` is: equal sizes stay equal, smaller stay smaller,
    0 and 1 stay themselves, sizes >= 2 stay >= 2 (the k-th smallest distinct size becomes at
    most k + 1), padded with 2s to ``rank`` axes. So a check that compares sizes (delta_orthogonal's
    ``in <= out``, stft's two bins) decides the stand-in as it decides the real shape."""
    ordered = sorted(set(full_shape))
    small = tuple(min(d, ordered.index(d) + 2) for d in full_shape)
    return small + (2,) * max(0, rank - len(small))


def _probe_whole(init: Checkable, full_shape: tuple[int, ...], dt: np.dtype[Any], seed: int, stream: int) -> None:
    """Check a "whole" initializer's parameters on a small stand-in (:func:`stand_in`): the real
    call costs the whole tensor. An error names the stand-in and the real shape."""
    small = stand_in(full_shape, init.spec.spec.probe_rank)
    try:
        init(np.empty(small, dt), seed=seed, stream=stream)
    except (TypeError, ValueError) as exc:
        if small == full_shape:
            raise
        raise type(exc)(f"{exc} (checked on a stand-in of shape {small} for the shape {full_shape})") from None


def check_and_expect(init: Checkable, full_shape: tuple[int, ...], dtype: Any, seed: int,
                     stream: int) -> Expected | None:
    """Call ``init`` once on one element of ``full_shape`` (checking every parameter against the
    real shape before anything is written) and return the distribution it fills with: its plan's
    (None for initializers that are not elementwise, and for an empty shape)."""
    dt = np.dtype(dtype)
    if init.is_global:
        _probe_whole(init, full_shape, dt, seed, stream)
        return None
    if any(d == 0 for d in full_shape):
        init(np.empty(full_shape, dt), seed=seed, stream=stream, full_shape=full_shape, index=None)
        return None
    index = tuple(0 for _ in full_shape)
    init(np.empty((), dt), seed=seed, stream=stream, full_shape=full_shape, index=index)
    plan = init.plan(full_shape)
    return None if plan is None else moments(plan, dt)


def expected_of(init: Checkable, full_shape: tuple[int, ...], dtype: Any = np.float32,
                seed: int = 0, stream: int = 0) -> Expected | None:
    """The distribution (and its mean, std and bounds) ``init`` fills ``full_shape`` with."""
    return check_and_expect(init, full_shape, dtype, seed, stream)
