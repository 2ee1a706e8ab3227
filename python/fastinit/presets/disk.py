"""Complex samplers in polar form (JAX's complex variance scaling): a uniform disk and a complex
normal whose modulus is truncated.

Both fill a complex64/complex128 ``out`` from two uniforms per element, taken from the complex
stream layout (docs/stream-v1.md, "Complex elements (extension)"): ``u1`` (radius) is the ``u01``
of the element's real slot, ``u2`` (angle) the ``u01`` of its imaginary slot, i.e. the values of
``fastinit.uniform(parts, 0, 1)`` on the ``(..., 2)`` parts view. The rest is float64 arithmetic
with correctly rounded operations only (sqrt, the project's own log and cos/sin of a turn), then
one rounding to float32 for complex64: bit-identical everywhere, and a shard equals the same
slice of a whole fill.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.checks import finite_real, real
from ..core.complex import complex_target, cos_sin_turns, exp64, log64
from ..core.fills import uniform
from ..core.layout import Index, Shape
from ..core.seed import Seed, Stream

__all__ = ["uniform_disk", "truncated_normal_disk"]


def _uniforms(out: Any, dtype: Any, seed: Seed, stream: Stream, full_shape: Shape | None,
              index: Index | None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(the complex array, its parts view, u1, u2) with u1, u2 float64."""
    c = complex_target(out, dtype, full_shape, index)
    uniform(c.parts, 0.0, 1.0, seed=seed, stream=stream, full_shape=c.full_shape, index=c.index)
    u = c.parts.astype(np.float64)
    return c.array, c.parts, u[..., 0], u[..., 1]


def _write_polar(parts: np.ndarray, rho: np.ndarray, u2: np.ndarray) -> None:
    """``parts = (rho * cos(2*pi*u2), rho * sin(2*pi*u2))``, rounded once to the parts' format."""
    cos, sin = cos_sin_turns(u2)
    parts[..., 0] = rho * cos
    parts[..., 1] = rho * sin


def uniform_disk(
    out: Any,
    radius: float = 1.0,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill the complex ``out`` uniformly on the disk ``|z| <= radius`` (JAX's complex "uniform").

    ``z = (radius * sqrt(u1)) * (cos(2*pi*u2) + i*sin(2*pi*u2))`` (float64; ``E|z|**2 =
    radius**2 / 2``). JAX's ``variance_scaling(..., "uniform")`` with a complex dtype is
    ``radius = sqrt(2 * scale / n)``.

    Args:
        out: a complex64/complex128 array to fill in place, or a shape (``dtype`` complex64 or
            complex128; default complex64).
        radius: finite, >= 0.
        seed, stream, full_shape, index: as for every fill.
        dtype: element type when ``out`` is a shape.

    Returns:
        The filled array.
    """
    radius = finite_real(radius, "radius", minimum=0.0)
    array, parts, u1, u2 = _uniforms(out, dtype, seed, stream, full_shape, index)
    _write_polar(parts, radius * np.sqrt(u1), u2)
    return array


def truncated_normal_disk(
    out: Any,
    std: float = 1.0,
    bound: float = 2.0,
    *,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Shape | None = None,
    index: Index | None = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill the complex ``out`` with a centred complex normal of standard deviation ``std``
    (``E|z|**2 = std**2``, each part ``std / sqrt(2)``) whose modulus is truncated to
    ``bound * std`` (JAX's complex truncated normal).

    ``|z|**2 / std**2`` is an exponential variable truncated to ``[0, bound**2]``, by inverse CDF:
    ``c = 1 - exp(-(bound * bound))``; ``rho = std * sqrt(0 - log(1 - c * u1))``; ``z = rho *
    (cos(2*pi*u2) + i*sin(2*pi*u2))`` (float64, the stream's own ``exp`` and ``log``). JAX's
    ``variance_scaling(..., "truncated_normal")`` with a complex dtype is ``std =
    sqrt(scale / n) / 0.95311164380491208``, ``bound = 2``.

    Args:
        out: a complex64/complex128 array to fill in place, or a shape (``dtype`` complex64 or
            complex128; default complex64).
        std: finite, >= 0: the standard deviation before truncation.
        bound: > 0, in units of ``std``; ``inf`` for no truncation.
        seed, stream, full_shape, index: as for every fill.
        dtype: element type when ``out`` is a shape.

    Returns:
        The filled array.
    """
    std = finite_real(std, "std", minimum=0.0)
    bound = real(bound, "bound", allow_nan=False)
    if not bound > 0:
        raise ValueError(f"bound must be > 0 (in units of std; inf for no truncation), got {bound!r}")
    c = 1.0 - exp64(-(bound * bound))
    array, parts, u1, u2 = _uniforms(out, dtype, seed, stream, full_shape, index)
    s = 0.0 - log64(1.0 - c * u1)
    _write_polar(parts, std * np.sqrt(s), u2)
    return array
