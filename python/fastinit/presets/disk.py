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

from typing import Any, Optional

import numpy as np

from ..core.checks import finite_real, real
from ..core.complex import complex_target, cos_sin_turns, exp64, log64
from ..core.docstrings import shared_docs
from ..core.fills import uniform
from ..core.layout import Index, Shape
from ..core.seed import Seed, Stream

__all__ = ["uniform_disk", "truncated_normal_disk"]


def _uniforms(out: Any, dtype: Any, seed: Seed, stream: Stream, full_shape: Optional[Shape],
              index: Optional[Index]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
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


@shared_docs
def uniform_disk(out: Any, radius: float = 1.0, *, seed: Seed = None, stream: Stream = 0,
                 full_shape: Optional[Shape] = None, index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill the complex ``out`` uniformly on the disk ``|z| <= radius`` (JAX's complex "uniform").

    ``z = (radius * sqrt(u1)) * (cos(2*pi*u2) + i*sin(2*pi*u2))`` (float64; ``E|z|**2 =
    radius**2 / 2``). JAX's ``variance_scaling(..., "uniform")`` with a complex dtype is
    ``radius = sqrt(2 * scale / n)``.

    Args:
        out: A complex64/complex128 array to fill in place (any shape and strides), or a shape
            to allocate.
        radius: The disk's radius, a finite real number >= 0 (default 1.0).
        {where_args}
        dtype: complex64 (the default when ``out`` is a shape) or complex128.

    {returns_filled}

    Raises:
        TypeError: ``out`` or ``dtype`` is not complex, or ``radius`` is not a real number.
        ValueError: ``radius`` is negative or not finite, ``seed``/``stream`` out of range, or
            ``index`` does not fit ``full_shape``.

    Example:
        >>> import fastinit
        >>> z = fastinit.uniform_disk(1000, 2.0, seed=0)
        >>> z.dtype, bool(abs(z).max() <= 2.0)
        (dtype('complex64'), True)
    """
    radius = finite_real(radius, "radius", minimum=0.0)
    array, parts, u1, u2 = _uniforms(out, dtype, seed, stream, full_shape, index)
    _write_polar(parts, radius * np.sqrt(u1), u2)
    return array


@shared_docs
def truncated_normal_disk(out: Any, std: float = 1.0, bound: float = 2.0, *, seed: Seed = None, stream: Stream = 0,
                          full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                          dtype: Any = None) -> np.ndarray:
    """Fill the complex ``out`` with a centred complex normal of standard deviation ``std``
    (``E|z|**2 = std**2``, each part ``std / sqrt(2)``) whose modulus is truncated to
    ``bound * std`` (JAX's complex truncated normal).

    ``|z|**2 / std**2`` is an exponential variable truncated to ``[0, bound**2]``, by inverse CDF:
    ``c = 1 - exp(-(bound * bound))``; ``rho = std * sqrt(0 - log(1 - c * u1))``; ``z = rho *
    (cos(2*pi*u2) + i*sin(2*pi*u2))`` (float64, the stream's own ``exp`` and ``log``). JAX's
    ``variance_scaling(..., "truncated_normal")`` with a complex dtype is ``std =
    sqrt(scale / n) / 0.95311164380491208``, ``bound = 2``.

    Args:
        out: A complex64/complex128 array to fill in place (any shape and strides), or a shape
            to allocate.
        std: The standard deviation before truncation, a finite real number >= 0 (default 1.0).
        bound: The largest modulus in units of ``std``, > 0 (default 2.0); ``inf`` for no
            truncation.
        {where_args}
        dtype: complex64 (the default when ``out`` is a shape) or complex128.

    {returns_filled}

    Raises:
        TypeError: ``out`` or ``dtype`` is not complex, or ``std``/``bound`` is not a real number.
        ValueError: ``std`` negative or not finite, ``bound <= 0`` or NaN, ``seed``/``stream`` out
            of range, or ``index`` does not fit ``full_shape``.

    Example:
        >>> import fastinit
        >>> z = fastinit.truncated_normal_disk(1000, std=1.0, bound=2.0, seed=0)
        >>> z.dtype, bool(abs(z).max() <= 2.0)
        (dtype('complex64'), True)
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
