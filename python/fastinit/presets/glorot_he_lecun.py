"""The Keras/JAX presets of variance scaling: glorot (Xavier), he (Kaiming) and lecun, uniform and
truncated normal. Each is :func:`fastinit.presets.variance_scaling.variance_scaling` with a fixed
scale, mode and distribution; each has a plan (``glorot_uniform_plan`` ...: a pure function of the
whole tensor's shape, in :mod:`fastinit.presets.glorot_he_lecun_plans`, see
:mod:`fastinit.presets.plans`) and fills ``out`` with that plan's one fill call. A
complex64/complex128 ``out`` gets JAX's complex form (:func:`complex_variance_scaling`).
"""

from typing import Any, Optional

import numpy as np

from ..core.complex import is_complex
from ..core.docstrings import shared_docs
from ..core.layout import Index, Shape
from ..core.seed import Seed, Stream
from .args import prepare
from .fans import Axis
from .glorot_he_lecun_plans import (
    glorot_normal_plan,
    glorot_uniform_plan,
    he_normal_plan,
    he_uniform_plan,
    lecun_normal_plan,
    lecun_uniform_plan,
)
from .plans import fill
from .variance_scaling import complex_variance_scaling

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


@shared_docs
def glorot_uniform(
    out: Any,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Optional[Shape] = None,
    index: Optional[Index] = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)) (Keras/JAX ``glorot_uniform``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_avg", distribution="uniform"``.
    Keras ``GlorotUniform``, JAX ``glorot_uniform`` (= JAX ``xavier_uniform``); PyTorch's
    ``xavier_uniform_`` gives the same numbers in its own layout (see :func:`xavier_uniform`).

    Args:
        out: {out}
        layout: {layout}
        in_axis: {in_axis}
        out_axis: {out_axis}
        batch_axis: {batch_axis}
        groups: {groups}
        seed: {seed}
        stream: {stream}
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    Returns:
        The filled array (``out`` itself when it is an array).

    Raises:
        TypeError: {preset_type_errors}
        ValueError: {fan_value_errors}

    Example:
        >>> import fastinit
        >>> w = fastinit.glorot_uniform((64, 32), seed=0, stream="dense.kernel")
        >>> bool(abs(w).max() <= (6 / (64 + 32)) ** 0.5)
        True
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 1.0, "fan_avg", "uniform", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = glorot_uniform_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                               groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


@shared_docs
def glorot_normal(
    out: Any,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Optional[Shape] = None,
    index: Optional[Index] = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with a normal truncated at +-2 std whose std is sqrt(2 / (fan_in + fan_out))
    (Keras/JAX ``glorot_normal``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_avg", distribution="truncated_normal"``.
    Keras ``GlorotNormal``, JAX ``glorot_normal`` (= JAX ``xavier_normal``). Truncated, unlike
    PyTorch's ``xavier_normal_`` (see :func:`xavier_normal`).

    Args:
        out: {out}
        layout: {layout}
        in_axis: {in_axis}
        out_axis: {out_axis}
        batch_axis: {batch_axis}
        groups: {groups}
        seed: {seed}
        stream: {stream}
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    Returns:
        The filled array (``out`` itself when it is an array).

    Raises:
        TypeError: {preset_type_errors}
        ValueError: {fan_value_errors}

    Example:
        >>> import fastinit
        >>> w = fastinit.glorot_normal((200, 200), seed=0, stream="dense.kernel")
        >>> round(float(w.std()), 2)  # sqrt(2 / (200 + 200))
        0.07
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 1.0, "fan_avg", "truncated_normal", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = glorot_normal_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                              groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


@shared_docs
def he_uniform(
    out: Any,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Optional[Shape] = None,
    index: Optional[Index] = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with U(-limit, limit), limit = sqrt(6 / fan_in) (Keras/JAX ``he_uniform``).

    :func:`variance_scaling` with ``scale=2.0, mode="fan_in", distribution="uniform"``.
    Keras ``HeUniform``, JAX ``he_uniform`` (= JAX ``kaiming_uniform``); PyTorch's
    ``kaiming_uniform_(nonlinearity='relu')`` gives the same numbers in its own layout.

    Args:
        out: {out}
        layout: {layout}
        in_axis: {in_axis}
        out_axis: {out_axis}
        batch_axis: {batch_axis}
        groups: {groups}
        seed: {seed}
        stream: {stream}
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    Returns:
        The filled array (``out`` itself when it is an array).

    Raises:
        TypeError: {preset_type_errors}
        ValueError: {fan_value_errors}

    Example:
        >>> import fastinit
        >>> w = fastinit.he_uniform((3, 3, 16, 32), seed=0)  # Conv2D kernel: fan_in = 3 * 3 * 16
        >>> bool(abs(w).max() <= (6 / 144) ** 0.5)
        True
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 2.0, "fan_in", "uniform", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = he_uniform_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                           groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


@shared_docs
def he_normal(
    out: Any,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Optional[Shape] = None,
    index: Optional[Index] = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with a normal truncated at +-2 std whose std is sqrt(2 / fan_in) (Keras/JAX ``he_normal``).

    :func:`variance_scaling` with ``scale=2.0, mode="fan_in", distribution="truncated_normal"``.
    Keras ``HeNormal``, JAX ``he_normal`` (= JAX ``kaiming_normal``). Truncated, unlike
    PyTorch's ``kaiming_normal_`` (see :func:`kaiming_normal`).

    Args:
        out: {out}
        layout: {layout}
        in_axis: {in_axis}
        out_axis: {out_axis}
        batch_axis: {batch_axis}
        groups: {groups}
        seed: {seed}
        stream: {stream}
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    Returns:
        The filled array (``out`` itself when it is an array).

    Raises:
        TypeError: {preset_type_errors}
        ValueError: {fan_value_errors}

    Example:
        >>> import fastinit
        >>> w = fastinit.he_normal((256, 128), seed=0, stream="dense.kernel")
        >>> round(float(w.std()), 2)  # sqrt(2 / 256)
        0.09
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 2.0, "fan_in", "truncated_normal", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = he_normal_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                          groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


@shared_docs
def lecun_uniform(
    out: Any,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Optional[Shape] = None,
    index: Optional[Index] = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with U(-limit, limit), limit = sqrt(3 / fan_in) (Keras/JAX ``lecun_uniform``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_in", distribution="uniform"``.
    Keras ``LecunUniform``, JAX ``lecun_uniform``.

    Args:
        out: {out}
        layout: {layout}
        in_axis: {in_axis}
        out_axis: {out_axis}
        batch_axis: {batch_axis}
        groups: {groups}
        seed: {seed}
        stream: {stream}
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    Returns:
        The filled array (``out`` itself when it is an array).

    Raises:
        TypeError: {preset_type_errors}
        ValueError: {fan_value_errors}

    Example:
        >>> import fastinit
        >>> w = fastinit.lecun_uniform((300, 10), seed=0)
        >>> bool(abs(w).max() <= (3 / 300) ** 0.5)
        True
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 1.0, "fan_in", "uniform", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = lecun_uniform_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                              groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


@shared_docs
def lecun_normal(
    out: Any,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Optional[Shape] = None,
    index: Optional[Index] = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with a normal truncated at +-2 std whose std is sqrt(1 / fan_in) (Keras/JAX ``lecun_normal``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_in", distribution="truncated_normal"``.
    Keras ``LecunNormal``, JAX ``lecun_normal``.

    Args:
        out: {out}
        layout: {layout}
        in_axis: {in_axis}
        out_axis: {out_axis}
        batch_axis: {batch_axis}
        groups: {groups}
        seed: {seed}
        stream: {stream}
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    Returns:
        The filled array (``out`` itself when it is an array).

    Raises:
        TypeError: {preset_type_errors}
        ValueError: {fan_value_errors}

    Example:
        >>> import fastinit
        >>> w = fastinit.lecun_normal((400, 100), seed=0)
        >>> round(float(w.std()), 2)  # sqrt(1 / 400)
        0.05
    """
    if is_complex(out, dtype):  # JAX's complex form of the same variance scaling
        return complex_variance_scaling(out, 1.0, "fan_in", "truncated_normal", layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = lecun_normal_plan(shape, layout=layout, in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis,
                             groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)
