"""The distributions: fill an array in place (or allocate one) with stream version 1's values.

Every random fill takes the keywords ``seed``, ``stream``, ``full_shape`` and ``index``, each
described once in :mod:`fastinit.core.docstrings` and shown in every function's ``help()``. A
shard, or any gather of rows and columns by ID, equals the same elements of a whole fill, bit for
bit.

The value of an element depends only on (seed, stream, its index in the full tensor, the
parameters, the dtype): not on threads, SIMD path, strides or memory order.

Complex outputs (complex64, complex128; not ``random_bits``): a complex tensor of shape ``S`` is
filled as the real tensor of shape ``S + (2,)`` over the same memory (real part at ``[..., 0]``,
imaginary at ``[..., 1]``, see :mod:`fastinit.core.complex`), with the same real parameters for
both parts, except that the normal family's ``std`` is the complex value's (``E|z - mean|**2 =
std**2``), so each part has ``std / sqrt(2)``: torch's ``normal_``/``uniform_`` on complex tensors
and JAX's complex normal.
"""

import math
from typing import Any, Optional

import numpy as np

from .. import _core as _core  # explicit re-export: _named swaps it for a recorder in its probe
from .checks import real
from .complex import complex_target, complex_value, is_complex
from .docstrings import shared_docs
from .dtypes import FLOAT_FORMATS
from .layout import Index, Shape, resolve_target
from .seed import Seed, Stream, resolve_seed, resolve_stream

__all__ = ["random_bits", "uniform", "normal", "truncated_normal", "constant", "zeros", "ones"]

_UINT32 = {np.dtype(np.uint32): "uint32"}
#: std of each part of a complex normal of std 1: sqrt(2)'s float64 (0x1.6a09e667f3bcdp+0) divides std.
_SQRT2 = math.sqrt(2.0)


@shared_docs
def random_bits(out: Any, *, seed: Seed = None, stream: Stream = 0, full_shape: Optional[Shape] = None,
                index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with the raw 32-bit words of the stream: element ``e`` gets word ``e``.

    These are the words every other fill is computed from (docs/stream-v1.md): useful to test
    another implementation against fastinit, or to derive your own distribution.

    Args:
        out: A uint32 array to fill in place (any shape and strides), or a shape to allocate.
        {where_args}
        dtype: uint32 or omitted: the words have no other dtype.

    Returns:
        The filled uint32 array (``out`` itself when it is an array).

    Raises:
        TypeError: ``out`` is not a uint32 array or a shape, or ``dtype`` is not uint32.
        ValueError: ``seed`` or ``stream`` is out of range, or ``index`` does not fit
            ``full_shape``.

    Example:
        >>> import fastinit
        >>> fastinit.random_bits(3, seed=0)
        array([1713891541, 3781805453, 3159862348], dtype=uint32)
    """
    t = resolve_target(out, dtype, np.uint32, _UINT32, full_shape, index)
    _core.fill_bits(t.core_array, resolve_seed(seed), resolve_stream(stream), t.logical_strides, t.origin,
                    **t.core_keywords())
    return t.array


@shared_docs
def uniform(out: Any, low: float = 0.0, high: float = 1.0, *, seed: Seed = None, stream: Stream = 0,
            full_shape: Optional[Shape] = None, index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with values uniform on [low, high): ``low + (high - low) * u``.

    ``u = (w >> 8) * 2**-24`` in [0, 1) from one 32-bit word ``w``; float64 uses 53-bit uniforms
    from two words. float32 and float64 results lie in [low, high]; float16/bfloat16 are the
    float32 values rounded to nearest even. A complex64/complex128 ``out`` gets real and
    imaginary parts each U(low, high), as torch's ``uniform_`` on a complex tensor.

    Args:
        out: {out}
        low: The lower bound, a real number (default 0.0).
        high: The upper bound, a real number (default 1.0).
        {fill_args}

    {returns_filled}

    Raises:
        TypeError: ``low``/``high`` are not real numbers, ``out`` is not an array or a shape, or
            its dtype is not supported.
        ValueError: ``seed`` or ``stream`` is out of range, or ``index`` does not fit
            ``full_shape``; nothing is written.

    Example:
        >>> import fastinit
        >>> fastinit.uniform((2, 2), -1.0, 1.0, seed=7).round(4)
        array([[ 0.9092,  0.5003],
               [-0.7716, -0.8287]], dtype=float32)
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


@shared_docs
def normal(out: Any, mean: float = 0.0, std: float = 1.0, *, seed: Seed = None, stream: Stream = 0,
           full_shape: Optional[Shape] = None, index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with normal values N(mean, std**2): ``mean + std * z``.

    ``z`` is the inverse normal CDF of one open uniform: one word (float64: two) per element, no
    rejection, so any element can be computed alone. A complex64/complex128 ``out`` gets real and
    imaginary parts each N(mean, std**2 / 2) (torch's ``normal_`` on a complex tensor; JAX's
    complex normal for ``mean=0``).

    Args:
        out: {out}
        mean: The mean, a real number (default 0.0).
        std: The standard deviation, a real number (default 1.0).
        {fill_args}

    {returns_filled}

    Raises:
        TypeError: ``mean``/``std`` are not real numbers, ``out`` is not an array or a shape, or
            its dtype is not supported.
        ValueError: ``std < 0``, ``seed`` or ``stream`` out of range, or ``index`` does not fit
            ``full_shape``; nothing is written.

    Example:
        >>> import numpy as np, fastinit
        >>> w = fastinit.normal((4, 3), seed=0, stream="w")
        >>> w.shape, w.dtype
        ((4, 3), dtype('float32'))

        A shard of rows 2 and 3 equals the same rows of the whole tensor, bit for bit:

        >>> part = fastinit.normal((2, 3), seed=0, stream="w", full_shape=(4, 3), index=(slice(2, 4),))
        >>> np.array_equal(part, w[2:])
        True
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


@shared_docs
def truncated_normal(out: Any, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0, *,
                     seed: Seed = None, stream: Stream = 0, full_shape: Optional[Shape] = None,
                     index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with a normal(mean, std) truncated to [mean + a*std, mean + b*std].

    Inverse-CDF sampling, one word per element, precise in far tails; results always lie inside
    the interval. A complex64/complex128 ``out`` gets real and imaginary parts each this fill with
    ``std / sqrt(2)`` (bounds in units of that part std); for JAX's complex truncated normal (the
    modulus truncated) see :func:`fastinit.truncated_normal_disk`.

    Args:
        out: {out}
        mean: The mean of the normal before truncation (default 0.0).
        std: The standard deviation before truncation (default 1.0); the values' own is smaller.
        a: The lower bound in standard deviations from the mean, as in ``scipy.stats.truncnorm``
            (default -2.0; ``-inf`` for no lower bound).
        b: The upper bound in standard deviations (default 2.0; ``inf`` for none); ``a < b``.
        {fill_args}

    {returns_filled}

    Raises:
        TypeError: a parameter is not a real number, or ``out`` is not an array or a shape.
        ValueError: ``a >= b``, a NaN bound, ``std < 0``, ``seed``/``stream`` out of range, or ``index``
            does not fit ``full_shape``; nothing is written.

    Example:
        >>> import fastinit
        >>> t = fastinit.truncated_normal(1000, mean=0.0, std=1.0, a=-2.0, b=2.0, seed=1)
        >>> bool(abs(t).max() <= 2.0)
        True
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


@shared_docs
def constant(out: Any, value: complex, *, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with ``value`` rounded to its dtype (nearest, ties to even).

    Args:
        out: {out}
        value: The value, a real number; a complex number too for a complex64/complex128 ``out``
            (each part rounded to the part format).
        dtype: {dtype}

    {returns_filled}

    Raises:
        TypeError: ``value`` is not a number (or complex for a real ``out``).
        ValueError: a finite ``value`` overflows the dtype (e.g. 1e6 in float16).

    Example:
        >>> import fastinit
        >>> float(fastinit.constant(2, 0.1, dtype="bfloat16")[0])  # 0.1 rounded to bfloat16
        0.10009765625
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


@shared_docs
def zeros(out: Any, *, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with 0, as :func:`constant` with ``value=0``.

    {fixed_fill}

    Example:
        >>> import fastinit
        >>> fastinit.zeros((2, 2))
        array([[0., 0.],
               [0., 0.]], dtype=float32)
    """
    return constant(out, 0.0, dtype=dtype)


@shared_docs
def ones(out: Any, *, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with 1 (complex: 1 + 0j), as :func:`constant` with ``value=1``.

    {fixed_fill}

    Example:
        >>> import fastinit
        >>> fastinit.ones(3, dtype="float64")
        array([1., 1., 1.])
    """
    return constant(out, 1.0, dtype=dtype)
