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
through unchanged.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.fills import normal, truncated_normal, uniform
from ..core.layout import Index, Shape
from ..core.seed import Seed, Stream

__all__ = ["random_uniform", "random_normal", "random_truncated_normal"]


def random_uniform(
    out: Any,
    minval: float = -0.05,
    maxval: float = 0.05,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with U(minval, maxval) (Keras ``RandomUniform``, same defaults).

    :func:`fastinit.uniform` with ``low=minval, high=maxval``. ``out`` is an array filled in place
    or a shape to allocate (``dtype``, default float32). Returns the filled array.
    """
    return uniform(out, minval, maxval, seed=seed, stream=stream, full_shape=full_shape, index=index, dtype=dtype)


def random_normal(
    out: Any,
    mean: float = 0.0,
    stddev: float = 0.05,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with N(mean, stddev**2) (Keras ``RandomNormal``, same defaults).

    :func:`fastinit.normal` with ``std=stddev``. ``out`` is an array filled in place or a shape to
    allocate (``dtype``, default float32). Returns the filled array.
    """
    return normal(out, mean, stddev, seed=seed, stream=stream, full_shape=full_shape, index=index, dtype=dtype)


def random_truncated_normal(
    out: Any,
    mean: float = 0.0,
    stddev: float = 0.05,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with N(mean, stddev**2) truncated to [mean - 2 stddev, mean + 2 stddev]
    (Keras ``TruncatedNormal``, same defaults).

    ``stddev`` is the standard deviation *before* truncation, as in Keras (the values' own
    standard deviation is 0.8796 stddev). :func:`fastinit.truncated_normal` with ``std=stddev,
    a=-2, b=2``. ``out`` is an array filled in place or a shape to allocate (``dtype``, default
    float32). Returns the filled array.
    """
    return truncated_normal(out, mean, stddev, -2.0, 2.0, seed=seed, stream=stream, full_shape=full_shape,
                            index=index, dtype=dtype)
