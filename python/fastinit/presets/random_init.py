"""Keras's fixed-parameter random initializers, with Keras's names, parameter names and defaults:
``RandomUniform(minval=-0.05, maxval=0.05)``, ``RandomNormal(mean=0.0, stddev=0.05)`` and
``TruncatedNormal(mean=0.0, stddev=0.05)`` (cut at +-2 stddev).

The truncated one is :func:`random_truncated_normal` here, because ``fastinit.truncated_normal``
is the general fill (``std=1.0`` by default, bounds ``a``/``b`` in standard deviations);
``fastinit.get("truncated_normal")`` and ``get("TruncatedNormal")`` resolve to the Keras preset.

JAX's ``uniform(scale)`` (U[0, scale)), ``normal(stddev)`` and ``truncated_normal(stddev, lower,
upper)`` are ``random_uniform(minval=0, maxval=scale)``, ``random_normal(stddev=stddev)`` and
``fastinit.truncated_normal(std=stddev, a=lower, b=upper)`` (JAX's bounds are in standard
deviations too); JAX's defaults are scale/stddev 1e-2.

Each is one call to a fill, with ``seed``, ``stream``, ``full_shape`` and ``index`` passed
through unchanged; which fill, with which parameters, is the preset's plan
(``random_uniform_plan`` ...: a pure function, see :mod:`fastinit.presets.plans`).
"""

from typing import Any, Optional

import numpy as np

from ..core.docstrings import shared_docs
from ..core.layout import Index, Shape
from ..core.seed import Seed, Stream
from .plans import Plan, fill

__all__ = ["random_uniform", "random_normal", "random_truncated_normal", "random_uniform_plan", "random_normal_plan",
           "random_truncated_normal_plan"]


def random_uniform_plan(shape: Shape, minval: float = -0.05, maxval: float = 0.05) -> Plan:
    """The fill :func:`random_uniform` makes: ``Plan("uniform", low=minval, high=maxval)``.

    Args:
        shape: the whole tensor's shape (unused: the parameters do not depend on it).
        minval, maxval: as for :func:`random_uniform`; TypeError (naming ``low``/``high``, the
            fill's names) when not real numbers.
    """
    return Plan("uniform", low=minval, high=maxval)


def random_normal_plan(shape: Shape, mean: float = 0.0, stddev: float = 0.05) -> Plan:
    """The fill :func:`random_normal` makes: ``Plan("normal", mean=mean, std=stddev)``.

    Args:
        shape: the whole tensor's shape (unused).
        mean, stddev: as for :func:`random_normal`.
    """
    return Plan("normal", mean=mean, std=stddev)


def random_truncated_normal_plan(shape: Shape, mean: float = 0.0, stddev: float = 0.05) -> Plan:
    """The fill :func:`random_truncated_normal` makes: ``Plan("truncated_normal", mean=mean,
    std=stddev, a=-2, b=2)``.

    Args:
        shape: the whole tensor's shape (unused).
        mean, stddev: as for :func:`random_truncated_normal`.
    """
    return Plan("truncated_normal", mean=mean, std=stddev, a=-2.0, b=2.0)


@shared_docs
def random_uniform(out: Any, minval: float = -0.05, maxval: float = 0.05, *, seed: Seed = None, stream: Stream = 0,
                   full_shape: Optional[Shape] = None, index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with U(minval, maxval) (Keras ``RandomUniform``, same defaults).

    :func:`fastinit.uniform` with ``low=minval, high=maxval``.

    Args:
        out: {out}
        minval: The lower bound (default -0.05).
        maxval: The upper bound (default 0.05).
        {fill_args}

    {returns_filled}

    {fill_preset_raises}

    Example:
        >>> import fastinit
        >>> fastinit.random_uniform(3, seed=0)
        array([-0.01009536,  0.03805202,  0.02357128], dtype=float32)
    """
    plan = random_uniform_plan((), minval, maxval)  # any shape: checks the parameters before ``out``
    return fill(out, plan, seed=seed, stream=stream, full_shape=full_shape, index=index, dtype=dtype)


@shared_docs
def random_normal(out: Any, mean: float = 0.0, stddev: float = 0.05, *, seed: Seed = None, stream: Stream = 0,
                  full_shape: Optional[Shape] = None, index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with N(mean, stddev**2) (Keras ``RandomNormal``, same defaults).

    :func:`fastinit.normal` with ``std=stddev``.

    Args:
        out: {out}
        mean: The mean (default 0.0).
        stddev: The standard deviation (default 0.05).
        {fill_args}

    {returns_filled}

    {fill_preset_raises}

    Example:
        >>> import fastinit
        >>> round(float(fastinit.random_normal(1000, seed=0).std()), 2)
        0.05
    """
    plan = random_normal_plan((), mean, stddev)
    return fill(out, plan, seed=seed, stream=stream, full_shape=full_shape, index=index, dtype=dtype)


@shared_docs
def random_truncated_normal(out: Any, mean: float = 0.0, stddev: float = 0.05, *, seed: Seed = None, stream: Stream = 0,
                            full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                            dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with N(mean, stddev**2) truncated to [mean - 2 stddev, mean + 2 stddev]
    (Keras ``TruncatedNormal``, same defaults).

    ``stddev`` is the standard deviation *before* truncation, as in Keras (the values' own
    standard deviation is 0.8796 stddev). :func:`fastinit.truncated_normal` with ``std=stddev,
    a=-2, b=2``.

    Args:
        out: {out}
        mean: The mean (default 0.0).
        stddev: The standard deviation before truncation (default 0.05).
        {fill_args}

    {returns_filled}

    {fill_preset_raises}

    Example:
        >>> import fastinit
        >>> w = fastinit.random_truncated_normal(1000, stddev=0.05, seed=0)
        >>> bool(abs(w).max() <= 2 * 0.05)
        True
    """
    plan = random_truncated_normal_plan((), mean, stddev)
    return fill(out, plan, seed=seed, stream=stream, full_shape=full_shape, index=index, dtype=dtype)
