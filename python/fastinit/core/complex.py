"""Complex outputs (docs/stream-v1.md, section "Complex elements (extension)").

A complex64 (complex128) tensor of logical shape ``S`` is, for the stream, the float32 (float64)
tensor of shape ``S + (2,)``: the real part of element ``e`` is real element ``2e``, the imaginary
part real element ``2e + 1``. A complex fill is a real fill of that *parts view* with
``full_shape + (2,)`` and ``index + (slice(None),)``, so shards, strides and slices of complex
tensors work exactly as for real ones and no existing bit changes.

Also here: the project's own float64 elementary functions for the complex samplers, written with
IEEE-754 correctly rounded operations only (``+ - * /``, ``sqrt``, no fma, no libm), so their
results are bit-identical on every machine and NumPy SIMD path:

- :func:`cos_sin_turns`: ``(cos(2*pi*u), sin(2*pi*u))``, exact argument reduction in turns and
  fixed Taylor polynomials;
- :func:`log64`: the stream's float64 ``log`` (section 8.2), vectorized;
- :func:`exp64`: the stream's float64 ``exp`` (section 9.5), for one Python float.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any

import numpy as np

from .dtypes import resolve_dtype
from .layout import Index, Shape, as_shape, resolve_target

__all__ = ["COMPLEX_PARTS", "ComplexTarget", "complex_target", "complex_value", "cos_sin_turns", "exp64",
           "is_complex", "log64", "SIN_TURN", "COS_TURN"]

#: Each complex dtype fastinit writes, and the real dtype of its parts.
COMPLEX_PARTS: dict[np.dtype, np.dtype] = {
    np.dtype(np.complex64): np.dtype(np.float32),
    np.dtype(np.complex128): np.dtype(np.float64),
}
_COMPLEX_FORMATS = {dt: dt.name for dt in COMPLEX_PARTS}


def is_complex(out: Any, dtype: Any) -> bool:
    """Whether a fill of ``out`` (an array, or a shape with ``dtype``) writes complex values."""
    if isinstance(out, np.ndarray):
        return out.dtype in COMPLEX_PARTS
    return dtype is not None and resolve_dtype(dtype) in COMPLEX_PARTS


@dataclass(frozen=True)
class ComplexTarget:
    """A complex output and its parts view, placed in the logical parts tensor."""

    array: np.ndarray  # the complex array (what the caller gets back)
    parts: np.ndarray  # the same memory as reals, shape array.shape + (2,)
    full_shape: tuple[int, ...]  # the logical complex shape + (2,)
    index: tuple[Any, ...]  # the index, one entry per complex axis, + (slice(None),)


def complex_target(out: Any, dtype: Any, full_shape: Shape | None, index: Index | None) -> ComplexTarget:
    """``out`` (a complex64/complex128 array, or a shape to allocate) checked against
    ``full_shape``/``index`` as every fill checks it, and its parts view."""
    t = resolve_target(out, dtype, np.complex64, _COMPLEX_FORMATS, full_shape, index)
    array = t.array
    parts = array[..., np.newaxis].view(COMPLEX_PARTS[array.dtype])
    full = array.shape if full_shape is None else as_shape(full_shape, "full_shape")
    entries: tuple[Any, ...] = () if index is None else (index if isinstance(index, tuple) else (index,))
    entries = entries + (slice(None),) * (len(full) - len(entries))
    return ComplexTarget(array, parts, full + (2,), entries + (slice(None),))


def complex_value(value: object, name: str) -> complex:
    """``value`` (a real or complex number, NumPy scalars included; not bool) as a Python complex."""
    if not isinstance(value, numbers.Complex) or isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real or complex number, got {type(value).__name__} {value!r}")
    return complex(value)


# ---------------------------------------------------------------- cos and sin of a turn

#: sin(2*pi*r) = r * (S0 + r2*(S1 + ... + r2*S8)), r2 = r*r: (-1)**k (2*pi)**(2k+1) / (2k+1)!,
#: each rounded to nearest float64 (Taylor coefficients; |2*pi*r| <= pi/4).
SIN_TURN: tuple[float, ...] = tuple(float.fromhex(h) for h in (
    "0x1.921fb54442d18p+2", "-0x1.4abbce625be53p+5", "0x1.466bc6775aae2p+6", "-0x1.32d2cce62bd86p+6",
    "0x1.50783487ee782p+5", "-0x1.e3074fde8871fp+3", "0x1.e8f434d018d63p+1", "-0x1.6fadb9f155744p-1",
    "0x1.aaec32af93359p-4"))
#: cos(2*pi*r) = 1 + r2*(C1 + r2*(C2 + ... + r2*C9)): (-1)**k (2*pi)**(2k) / (2k)!, k = 1..9.
COS_TURN: tuple[float, ...] = tuple(float.fromhex(h) for h in (
    "-0x1.3bd3cc9be45dep+4", "0x1.03c1f081b5ac4p+6", "-0x1.55d3c7e3cbffap+6", "0x1.e1f506891babbp+5",
    "-0x1.a6d1f2a204a8cp+4", "0x1.f9d38a3763cc3p+2", "-0x1.b6e24f44b128fp+0", "0x1.20c62c2f2d7f5p-2",
    "-0x1.2a0c591af8314p-5"))


def _horner(coefficients: tuple[float, ...], v: np.ndarray) -> np.ndarray:
    """``c[0] + v*(c[1] + v*(...))``, highest degree first, each ``*`` and ``+`` rounded (no fma)."""
    acc = np.full_like(v, coefficients[-1])
    for c in reversed(coefficients[:-1]):
        acc = acc * v + c
    return acc


def cos_sin_turns(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(cos(2*pi*u), sin(2*pi*u))`` in float64, for float64 ``u`` in [0, 1).

    ``n = rint(4*u)`` (ties to even) and ``r = u - n/4`` in [-1/8, 1/8] (both exact); then
    ``S = r * P(r*r)``, ``C = 1 + (r*r) * Q(r*r)`` (:data:`SIN_TURN`, :data:`COS_TURN`, Horner, no
    fma) and the quadrant ``n mod 4`` maps ``(C, S)`` to ``(C, S)``, ``(-S, C)``, ``(-C, -S)``,
    ``(S, -C)``. Every step is an IEEE-754 correctly rounded float64 operation (or exact), so the
    result is the same on every machine; it is within a few units in the last place of the exact
    values.
    """
    u = np.asarray(u, dtype=np.float64)
    n = np.rint(u * 4.0)
    r = u - n * 0.25
    r2 = r * r
    s = r * _horner(SIN_TURN, r2)
    c = 1.0 + r2 * _horner(COS_TURN, r2)
    quadrant = n.astype(np.int64) & 3
    cos = np.choose(quadrant, (c, -s, -c, s))
    sin = np.choose(quadrant, (s, c, -s, -c))
    return cos, sin


# ---------------------------------------------------------------- log and exp (sections 8.2, 9.5)

_LOG = {name: float.fromhex(h) for name, h in (
    ("L1", "0x1.5555555555593p-1"), ("L2", "0x1.999999997fa04p-2"), ("L3", "0x1.2492494229359p-2"),
    ("L4", "0x1.c71c51d8e78afp-3"), ("L5", "0x1.7466496cb03dep-3"), ("L6", "0x1.39a09d078c69fp-3"),
    ("L7", "0x1.2f112df3e5244p-3"), ("LN2_HI", "0x1.62e42fee00000p-1"), ("LN2_LO", "0x1.a39ef35793c76p-33"))}


def log64(t: np.ndarray) -> np.ndarray:
    """The stream's float64 ``log`` (docs/stream-v1.md section 8.2) of positive normal ``t``."""
    c = _LOG
    bits = np.asarray(t, dtype=np.float64).view(np.uint64) + np.uint64((0x3FF00000 - 0x3FE6A09E) << 32)
    dk = ((bits >> np.uint64(52)) | np.uint64(0x4330000000000000)).view(np.float64) - (2.0**52 + 1023)
    f = ((bits & np.uint64(0x000FFFFFFFFFFFFF)) + np.uint64(0x3FE6A09E << 32)).view(np.float64) - 1.0
    hfsq = (0.5 * f) * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (c["L2"] + w * (c["L4"] + w * c["L6"]))
    t2 = z * (c["L1"] + w * (c["L3"] + w * (c["L5"] + w * c["L7"])))
    y = s * (hfsq + (t2 + t1)) + dk * c["LN2_LO"]
    y = (y - hfsq) + f
    result: np.ndarray = y + dk * c["LN2_HI"]
    return result


_EXP = {name: float.fromhex(h) for name, h in (
    ("O_THRESHOLD", "0x1.62e42fefa39efp+9"), ("U_THRESHOLD", "-0x1.74910d52d3051p+9"),
    ("LN2_HI", "0x1.62e42fee00000p-1"), ("LN2_LO", "0x1.a39ef35793c76p-33"), ("INVLN2", "0x1.71547652b82fep+0"),
    ("P1", "0x1.555555555553ep-3"), ("P2", "-0x1.6c16c16bebd93p-9"), ("P3", "0x1.1566aaf25de2cp-14"),
    ("P4", "-0x1.bbd41c5d26bf1p-20"), ("P5", "0x1.6376972bea4d0p-25"))}


def _pow2(k: int) -> float:
    """2**k exactly, -1022 <= k <= 1023."""
    return float(np.array((k + 1023) << 52, dtype=np.uint64).view(np.float64))


def _exp_reduce(x: float) -> tuple[int, float, float, float]:
    """``(k, hi, lo, x - k*ln2)`` of section 9.5 for 0.5*ln2 < |x|."""
    e = _EXP
    if abs(x) < 1.03972077083991796413e00:
        k = -1 if x < 0 else 1
    else:
        k = int(e["INVLN2"] * x + (-0.5 if x < 0 else 0.5))
    hi = x - k * e["LN2_HI"]
    lo = k * e["LN2_LO"]
    return k, hi, lo, hi - lo


def _exp_scale(y: float, k: int) -> float:
    """``y * 2**k`` as section 9.5 does it."""
    if k > 1023:
        return (y * 2.0) * _pow2(k - 1)
    if k >= -1021:
        return y * _pow2(k)
    return (y * _pow2(k + 1000)) * _pow2(-1000)


def exp64(x: float) -> float:
    """The stream's float64 ``exp`` (docs/stream-v1.md section 9.5) of one Python float."""
    e = _EXP
    if x != x or x > e["O_THRESHOLD"] or x < e["U_THRESHOLD"]:
        return x if x != x else (float("inf") if x > 0 else 0.0)
    k, hi, lo = 0, 0.0, 0.0
    if abs(x) > 3.46573590279972654709e-01:
        k, hi, lo, x = _exp_reduce(x)
    elif abs(x) < 2.0**-28:
        return 1.0 + x
    t = x * x
    c = x - t * (e["P1"] + t * (e["P2"] + t * (e["P3"] + t * (e["P4"] + t * e["P5"]))))
    if k == 0:
        return 1.0 - ((x * c) / (c - 2.0) - x)
    return _exp_scale(1.0 - ((lo - (x * c) / (2.0 - c)) - hi), k)
