"""The Keras/JAX presets of variance scaling: glorot (Xavier), he (Kaiming) and lecun, uniform and
truncated normal. Each is :func:`fastinit.presets.variance_scaling.variance_scaling` with a fixed
scale, mode and distribution; each has a plan (``glorot_uniform_plan`` ...: a pure function of the
whole tensor's shape, see :mod:`fastinit.presets.plans`) and fills ``out`` with that plan's one
fill call. A complex64/complex128 ``out`` gets JAX's complex form (:func:`complex_variance_scaling`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.complex import is_complex
from ..core.layout import Index, Shape
from ..core.seed import Seed, Stream
from .args import prepare
from .fans import Axis
from .plans import Plan, fill
from .variance_scaling import complex_variance_scaling, variance_scaling_plan

__all__ = [
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "glorot_uniform_plan",
    "glorot_normal_plan",
    "he_uniform_plan",
    "he_normal_plan",
    "lecun_uniform_plan",
    "lecun_normal_plan",
]


def glorot_uniform_plan(
    shape: Shape,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`glorot_uniform` makes for a tensor of ``shape`` (a pure function):
    ``Plan("uniform", low=-limit, high=limit)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 1.0, "fan_avg", "uniform", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def glorot_uniform(
    out: Any,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)) (Keras/JAX ``glorot_uniform``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_avg", distribution="uniform"``.
    Keras ``GlorotUniform``, JAX ``glorot_uniform`` (= JAX ``xavier_uniform``); PyTorch's
    ``xavier_uniform_`` gives the same numbers in its own layout (see :func:`xavier_uniform`).

    Args:
        out: array to fill in place, or a shape to allocate (``dtype``, default float32).
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans` (default Keras/JAX layout: input axis -2, output axis
            -1); from ``full_shape`` when filling a shard.
        seed, stream, full_shape, index: as for every fill, passed to it unchanged.
        dtype: element type when ``out`` is a shape.

    Returns:
        The filled array.
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 1.0, "fan_avg", "uniform", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = glorot_uniform_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                               groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


def glorot_normal_plan(
    shape: Shape,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`glorot_normal` makes for a tensor of ``shape`` (a pure function):
    ``Plan("truncated_normal", mean=0, std=sqrt(2 / (fan_in + fan_out)) / 0.8796..., a=-2, b=2)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 1.0, "fan_avg", "truncated_normal", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def glorot_normal(
    out: Any,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with a normal truncated at +-2 std whose std is sqrt(2 / (fan_in + fan_out))
    (Keras/JAX ``glorot_normal``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_avg", distribution="truncated_normal"``.
    Keras ``GlorotNormal``, JAX ``glorot_normal`` (= JAX ``xavier_normal``). Truncated, unlike
    PyTorch's ``xavier_normal_`` (see :func:`xavier_normal`).

    Args:
        out: array to fill in place, or a shape to allocate (``dtype``, default float32).
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans` (default Keras/JAX layout: input axis -2, output axis
            -1); from ``full_shape`` when filling a shard.
        seed, stream, full_shape, index: as for every fill, passed to it unchanged.
        dtype: element type when ``out`` is a shape.

    Returns:
        The filled array.
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 1.0, "fan_avg", "truncated_normal", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = glorot_normal_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                              groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


def he_uniform_plan(
    shape: Shape,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`he_uniform` makes for a tensor of ``shape`` (a pure function):
    ``Plan("uniform", low=-limit, high=limit)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 2.0, "fan_in", "uniform", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def he_uniform(
    out: Any,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with U(-limit, limit), limit = sqrt(6 / fan_in) (Keras/JAX ``he_uniform``).

    :func:`variance_scaling` with ``scale=2.0, mode="fan_in", distribution="uniform"``.
    Keras ``HeUniform``, JAX ``he_uniform`` (= JAX ``kaiming_uniform``); PyTorch's
    ``kaiming_uniform_(nonlinearity='relu')`` gives the same numbers in its own layout.

    Args:
        out: array to fill in place, or a shape to allocate (``dtype``, default float32).
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans` (default Keras/JAX layout: input axis -2, output axis
            -1); from ``full_shape`` when filling a shard.
        seed, stream, full_shape, index: as for every fill, passed to it unchanged.
        dtype: element type when ``out`` is a shape.

    Returns:
        The filled array.
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 2.0, "fan_in", "uniform", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = he_uniform_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                           groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


def he_normal_plan(
    shape: Shape,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`he_normal` makes for a tensor of ``shape`` (a pure function):
    ``Plan("truncated_normal", mean=0, std=sqrt(2 / fan_in) / 0.8796..., a=-2, b=2)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 2.0, "fan_in", "truncated_normal", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def he_normal(
    out: Any,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with a normal truncated at +-2 std whose std is sqrt(2 / fan_in) (Keras/JAX ``he_normal``).

    :func:`variance_scaling` with ``scale=2.0, mode="fan_in", distribution="truncated_normal"``.
    Keras ``HeNormal``, JAX ``he_normal`` (= JAX ``kaiming_normal``). Truncated, unlike
    PyTorch's ``kaiming_normal_`` (see :func:`kaiming_normal`).

    Args:
        out: array to fill in place, or a shape to allocate (``dtype``, default float32).
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans` (default Keras/JAX layout: input axis -2, output axis
            -1); from ``full_shape`` when filling a shard.
        seed, stream, full_shape, index: as for every fill, passed to it unchanged.
        dtype: element type when ``out`` is a shape.

    Returns:
        The filled array.
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 2.0, "fan_in", "truncated_normal", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = he_normal_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                          groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


def lecun_uniform_plan(
    shape: Shape,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`lecun_uniform` makes for a tensor of ``shape`` (a pure function):
    ``Plan("uniform", low=-limit, high=limit)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 1.0, "fan_in", "uniform", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def lecun_uniform(
    out: Any,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with U(-limit, limit), limit = sqrt(3 / fan_in) (Keras/JAX ``lecun_uniform``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_in", distribution="uniform"``.
    Keras ``LecunUniform``, JAX ``lecun_uniform``.

    Args:
        out: array to fill in place, or a shape to allocate (``dtype``, default float32).
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans` (default Keras/JAX layout: input axis -2, output axis
            -1); from ``full_shape`` when filling a shard.
        seed, stream, full_shape, index: as for every fill, passed to it unchanged.
        dtype: element type when ``out`` is a shape.

    Returns:
        The filled array.
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 1.0, "fan_in", "uniform", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = lecun_uniform_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                              groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


def lecun_normal_plan(
    shape: Shape,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`lecun_normal` makes for a tensor of ``shape`` (a pure function):
    ``Plan("truncated_normal", mean=0, std=sqrt(1 / fan_in) / 0.8796..., a=-2, b=2)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 1.0, "fan_in", "truncated_normal", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def lecun_normal(
    out: Any,
    *,
    layout: str | None = None,
    in_axis: Axis | None = None,
    out_axis: Axis | None = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with a normal truncated at +-2 std whose std is sqrt(1 / fan_in) (Keras/JAX ``lecun_normal``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_in", distribution="truncated_normal"``.
    Keras ``LecunNormal``, JAX ``lecun_normal``.

    Args:
        out: array to fill in place, or a shape to allocate (``dtype``, default float32).
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans` (default Keras/JAX layout: input axis -2, output axis
            -1); from ``full_shape`` when filling a shard.
        seed, stream, full_shape, index: as for every fill, passed to it unchanged.
        dtype: element type when ``out`` is a shape.

    Returns:
        The filled array.
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 1.0, "fan_in", "truncated_normal", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = lecun_normal_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                             groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)
