"""Host-side parameters of the device fills, computed once per fill exactly as the C++ core does.

The C++ core prepares each distribution's parameters in float64 (cpp/distribution.cpp) and rounds
them to float32 for the float32/float16/bfloat16 paths; the device kernels take those values bit
for bit. Validation (finite parameters, ``low <= high``, ``std >= 0``, formats that would overflow,
truncation intervals too small to sample) is the core's own: :func:`check` runs the core's
parameter builder on an empty output, so a refused fill raises the same ``ValueError`` before the
device is touched.

Section numbers refer to docs/stream-v1.md. Python floats are IEEE-754 binary64 with every ``+ - *
/`` correctly rounded and no fused multiply-add, which is what Sections 9.4 and 9.5 ask for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from .. import _core
from ..core.complex import exp64
from ..core.dtypes import FLOAT_DTYPES

__all__ = ["Params", "check", "constant_bits", "normal_params", "phi", "truncated_normal_params", "uniform_params"]

# Table C (Section 9.4): Cody's ANORM coefficients as R's pnorm writes them.
_A = (2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582, 18154.981253343561249,
      0.065682337918207449113)
_B = (47.20258190468824187, 976.09855173777669322, 10260.932208618978205, 45507.789335026729956)
_C = (0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979, 597.27027639480026226,
      2494.5375852903726711, 6848.1904505362823326, 11602.651437647350124, 9842.7148383839780218,
      1.0765576773720192317e-8)
_D = (22.266688044328115691, 235.38790178262499861, 1519.377599407554805, 6485.558298266760755,
      18615.571640885098091, 34900.952721145977266, 38912.003286093271411, 19685.429676859990727)
_P = (0.21589853405795699, 0.1274011611602473639, 0.022235277870649807, 0.001421619193227893466,
      2.9112874951168792e-5, 0.02307344176494017303)
_Q = (1.28426009614491121, 0.468238212480865118, 0.0659881378689285515, 0.00378239633202758244,
      7.29751555083966205e-5)
_SQRT32 = 5.656854249492380195206754896838
_ONE_OVER_SQRT_2PI = 0.398942280401432677939946059934


@dataclass(frozen=True)
class Params:
    """One fill's parameters as the kernels read them: float64 values (``f64``) and float32 values
    (``f32``), each in the order the kernel expects, and whether a float32-format truncated normal
    takes the float64 path of Section 9.2 (``via64``)."""

    f64: tuple[float, ...] = ()
    f32: tuple[float, ...] = ()
    via64: bool = False


def check(dist: str, fmt: str, values: tuple[float, ...]) -> None:
    """Run the core's parameter checks for ``dist`` on format ``fmt`` (ValueError as the CPU fill)."""
    out = np.empty(0, dtype=np.uint16 if fmt == "bfloat16" else FLOAT_DTYPES[fmt])
    _core.transform_words(np.empty(0, dtype=np.uint32), out, fmt, dist, list(values))


def _e(y: float) -> float:
    """exp(-y*y/2) for y >= 0, split as Section 9.4 writes it."""
    yc = float(int(y * 16.0)) / 16.0
    d = (y - yc) * (y + yc)
    return exp64(((-yc) * yc) * 0.5) * exp64((-d) * 0.5)


def phi(x: float) -> float:
    """The standard normal CDF of Section 9.4, in float64, bit for bit as the C++ core."""
    if x != x:
        return x
    y = abs(x)
    if y <= 0.67448975:
        xsq = x * x
        num, den = _A[4] * xsq, xsq
        for i in range(3):
            num = (num + _A[i]) * xsq
            den = (den + _B[i]) * xsq
        return 0.5 + (x * (num + _A[3])) / (den + _B[3])
    if x >= 8.2924:
        return 1.0
    if x <= -38.5:
        return 0.0
    if y <= _SQRT32:
        num, den = _C[8] * y, y
        for i in range(7):
            num = (num + _C[i]) * y
            den = (den + _D[i]) * y
        r = (num + _C[7]) / (den + _D[7])
    else:
        xsq = 1.0 / (x * x)
        num, den = _P[5] * xsq, xsq
        for i in range(4):
            num = (num + _P[i]) * xsq
            den = (den + _Q[i]) * xsq
        r = (_ONE_OVER_SQRT_2PI - (xsq * (num + _P[4])) / (den + _Q[4])) / y
    lower = _e(y) * r
    return lower if x < 0 else 1.0 - lower


def _f32(x: float) -> float:
    """``x`` rounded to float32 (nearest, ties to even), as a Python float."""
    return float(np.float32(x))


def _inward(x: float, up: bool, fmt: str) -> float:
    """The smallest value of ``fmt`` >= x (up) or the largest <= x, as a float32 value (Section 9.2)."""
    f = np.float32(x)
    if up and float(f) < x:
        f = np.nextafter(f, np.float32(np.inf))
    if not up and float(f) > x:
        f = np.nextafter(f, np.float32(-np.inf))
    if fmt not in ("float16", "bfloat16") or not np.isfinite(f):
        return float(f)
    h = np.asarray(f).astype(FLOAT_DTYPES[fmt])
    if up and float(h) < float(f):
        h = np.nextafter(h, np.asarray(np.inf, h.dtype))
    if not up and float(h) > float(f):
        h = np.nextafter(h, np.asarray(-np.inf, h.dtype))
    return float(h)


def uniform_params(low: float, high: float, fmt: str) -> Params:
    """(low, span, high) of Section 7 in the format's arithmetic."""
    check("uniform", fmt, (low, high))
    if fmt == "float64":
        return Params(f64=(low, high - low, high))
    lo, hi = np.float32(low), np.float32(high)
    return Params(f32=(float(lo), float(hi - lo), float(hi)))  # a float32 subtraction


def normal_params(mean: float, std: float, fmt: str) -> Params:
    """(mean, std) of Section 8 in the format's arithmetic."""
    check("normal", fmt, (mean, std))
    if fmt == "float64":
        return Params(f64=(mean, std))
    return Params(f32=(_f32(mean), _f32(std)))


def truncated_normal_params(mean: float, std: float, a: float, b: float, fmt: str) -> Params:
    """(W, PA, QB, mean, std, LO, HI) of Section 9.1-9.2: float64 for float64 output and for the
    float64 path of a float32 format (then ``f32`` holds the float32 ``LO``, ``HI``), else float32."""
    check("truncated_normal", fmt, (mean, std, a, b))
    pa, qb = phi(a), phi(-b)
    if b <= 0:
        w = phi(b) - pa
    elif a >= 0:
        w = phi(-a) - qb
    else:
        w = (0.5 - pa) + (0.5 - qb)
    lo = mean if std == 0 else mean + a * std
    hi = mean if std == 0 else mean + b * std
    full = (w, pa, qb, mean, std, lo, hi)
    if fmt == "float64":
        return Params(f64=full)
    bound_fmt = fmt if std > 0 else "float32"
    lo32, hi32 = _inward(lo, True, bound_fmt), _inward(hi, False, bound_fmt)
    tiny = 2.0**-100
    if w >= tiny and (pa == 0 or pa >= tiny) and (qb == 0 or qb >= tiny):
        return Params(f32=(_f32(w), _f32(pa), _f32(qb), _f32(mean), _f32(std), lo32, hi32))
    return Params(f64=full, f32=(lo32, hi32), via64=True)


def constant_bits(value: float, fmt: str) -> int:
    """The bit pattern of ``value`` rounded once to ``fmt`` (Section 6), as an unsigned int."""
    with np.errstate(over="ignore"):
        cast = np.asarray(value, dtype=FLOAT_DTYPES[fmt])
    if math.isfinite(value) and not np.isfinite(cast.astype(np.float64)):
        raise ValueError(f"value={value!r} overflows {fmt}; use a wider dtype")
    return int(cast.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[cast.itemsize]))
