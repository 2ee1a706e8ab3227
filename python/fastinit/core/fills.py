"""The distributions: fill an array in place (or allocate one) with stream version 1's values.

Every random fill takes the same keywords:

- ``seed``: int in [0, 2**64), the Philox key; ``None`` draws a fresh one from the OS.
- ``stream``: int in [0, 2**64) or a str (hashed with blake2b); one stream per tensor keeps
  tensors independent of each other and of the order they are filled in.
- ``full_shape``, ``index``: ``out`` holds ``full[index]`` of a logical tensor of shape
  ``full_shape`` (``index``: ints, step-1 slices and 1-D int arrays, the arrays combined as
  ``np.ix_`` combines them; see :mod:`fastinit.core.layout`). A shard, or any gather of rows and
  columns by ID, then equals the same elements of a whole fill, bit for bit.

The value of an element depends only on (seed, stream, its index in the full tensor, the
parameters, the dtype): not on threads, SIMD path, strides or memory order.

Complex outputs (complex64, complex128; not ``random_bits``): a complex tensor of shape ``S`` is
filled as the real tensor of shape ``S + (2,)`` over the same memory (real part at ``[..., 0]``,
imaginary at ``[..., 1]``, see :mod:`fastinit.core.complex`), with the same real parameters for
both parts, except that the normal family's ``std`` is the complex value's (``E|z - mean|**2 =
std**2``), so each part has ``std / sqrt(2)``: torch's ``normal_``/``uniform_`` on complex tensors
and JAX's complex normal.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import _core as _core  # explicit re-export: _named swaps it for a recorder in its probe
from .checks import real
from .complex import complex_target, complex_value, is_complex
from .dtypes import FLOAT_FORMATS
from .layout import Index, Shape, resolve_target
from .seed import Seed, Stream, resolve_seed, resolve_stream

__all__ = ["random_bits", "uniform", "normal", "truncated_normal", "constant", "zeros", "ones"]

_UINT32 = {np.dtype(np.uint32): "uint32"}
#: std of each part of a complex normal of std 1: sqrt(2)'s float64 (0x1.6a09e667f3bcdp+0) divides std.
_SQRT2 = math.sqrt(2.0)


def random_bits(
    out: Any,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` (uint32) with the raw 32-bit words of the stream: element e gets word e.

    ``out`` is a uint32 array filled in place, or a shape to allocate (``dtype`` must then be
    uint32 or omitted). Returns the filled array.
    """
    t = resolve_target(out, dtype, np.uint32, _UINT32, full_shape, index)
    _core.fill_bits(t.core_array, resolve_seed(seed), resolve_stream(stream), t.logical_strides, t.origin,
                    **t.core_keywords())
    return t.array


def uniform(
    out: Any,
    low: float = 0.0,
    high: float = 1.0,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with ``low + (high - low) * u``, ``u = (w >> 8) * 2**-24`` in [0, 1).

    float64 uses 53-bit uniforms from two words. float32 and float64 results lie in
    [low, high]; float16/bfloat16 are the float32 values rounded to nearest even.
    ``out``: a float32/float64/float16/bfloat16 array, or a shape (``dtype`` default float32); a
    complex64/complex128 one gets real and imaginary parts each U(low, high), as torch's
    ``uniform_`` on a complex tensor (the real fill of its ``(..., 2)`` parts view).
    """
    low, high = real(low, "low"), real(high, "high")
    if is_complex(out, dtype):
        c = complex_target(out, dtype, full_shape, index)
        uniform(c.parts, low, high, seed=seed, stream=stream, full_shape=c.full_shape, index=c.index)
        return c.array
    t = resolve_target(out, dtype, np.float32, FLOAT_FORMATS, full_shape, index)
    _core.fill_uniform(t.core_array, t.format, resolve_seed(seed), resolve_stream(stream),
                       t.logical_strides, t.origin, low, high, **t.core_keywords())
    return t.array


def normal(
    out: Any,
    mean: float = 0.0,
    std: float = 1.0,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with ``mean + std * z``, ``z`` the inverse normal CDF of one open uniform.

    One word (float64: two) per element, no rejection, so any element can be computed alone.
    ``out``: a float32/float64/float16/bfloat16 array, or a shape (``dtype`` default float32); a
    complex64/complex128 one gets real and imaginary parts each N(mean, std**2 / 2), i.e. the
    real fill of its ``(..., 2)`` parts view with ``std / sqrt(2)`` (torch's ``normal_`` on a
    complex tensor; JAX's complex normal for ``mean=0``).
    """
    mean, std = real(mean, "mean"), real(std, "std")
    if is_complex(out, dtype):
        c = complex_target(out, dtype, full_shape, index)
        normal(c.parts, mean, std / _SQRT2, seed=seed, stream=stream, full_shape=c.full_shape, index=c.index)
        return c.array
    t = resolve_target(out, dtype, np.float32, FLOAT_FORMATS, full_shape, index)
    _core.fill_normal(t.core_array, t.format, resolve_seed(seed), resolve_stream(stream),
                      t.logical_strides, t.origin, mean, std, **t.core_keywords())
    return t.array


def truncated_normal(
    out: Any,
    mean: float = 0.0,
    std: float = 1.0,
    a: float = -2.0,
    b: float = 2.0,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with a normal(mean, std) truncated to [mean + a*std, mean + b*std].

    ``a`` and ``b`` are in standard deviations, as in ``scipy.stats.truncnorm`` (``a=-inf`` or
    ``b=inf`` for one-sided). Inverse-CDF sampling, one word per element, precise in far tails;
    results always lie inside the interval.
    ``out``: a float32/float64/float16/bfloat16 array, or a shape (``dtype`` default float32); a
    complex64/complex128 one gets real and imaginary parts each this fill with ``std / sqrt(2)``
    (bounds ``a``, ``b`` in units of that part std). For JAX's complex truncated normal (the
    modulus truncated) see :func:`fastinit.truncated_normal_disk`.
    """
    mean, std = real(mean, "mean"), real(std, "std")
    a, b = real(a, "a"), real(b, "b")
    if is_complex(out, dtype):
        c = complex_target(out, dtype, full_shape, index)
        truncated_normal(c.parts, mean, std / _SQRT2, a, b, seed=seed, stream=stream, full_shape=c.full_shape,
                         index=c.index)
        return c.array
    t = resolve_target(out, dtype, np.float32, FLOAT_FORMATS, full_shape, index)
    _core.fill_truncated_normal(t.core_array, t.format, resolve_seed(seed), resolve_stream(stream),
                                t.logical_strides, t.origin, mean, std, a, b,
                                **t.core_keywords())
    return t.array


def constant(out: Any, value: complex, *, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with ``value`` rounded to its dtype (nearest, ties to even).

    ``out``: a float32/float64/float16/bfloat16 array, or a shape (``dtype`` default float32); a
    complex64/complex128 array takes a real or complex ``value`` (each part rounded to the part
    format). A finite ``value`` that overflows the dtype raises ValueError.
    """
    if is_complex(out, dtype):
        z = complex_value(value, "value")
        c = complex_target(out, dtype, None, None)
        constant(c.parts[..., 0], z.real)
        constant(c.parts[..., 1], z.imag)
        return c.array
    value = real(value, "value")
    t = resolve_target(out, dtype, np.float32, FLOAT_FORMATS, None, None)
    with np.errstate(over="ignore"):
        cast = np.asarray(value, dtype=t.array.dtype)
    if math.isfinite(value) and not np.isfinite(cast.astype(np.float64)):
        raise ValueError(f"value={value!r} overflows {t.array.dtype}; use a wider dtype")
    _core.fill_constant(t.core_array, t.format, cast.tobytes())
    return t.array


def zeros(out: Any, *, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with 0 (or allocate zeros of a shape, ``dtype`` default float32; complex too)."""
    return constant(out, 0.0, dtype=dtype)


def ones(out: Any, *, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with 1 (or allocate ones of a shape, ``dtype`` default float32; complex: 1 + 0j)."""
    return constant(out, 1.0, dtype=dtype)
