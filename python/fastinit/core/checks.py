"""Argument checks shared by every layer, with one meaning of "a number".

A *number* is an instance of :class:`numbers.Real` (Python ``int`` and ``float``, NumPy integer
and floating scalars such as ``np.int64(3)`` or ``np.float32(0.5)``, ``fractions.Fraction``);
an *integer* is an instance of :class:`numbers.Integral` (``int``, NumPy integer scalars). ``bool``
(and ``np.bool_``) is neither: ``True`` as a size or a standard deviation is a mistake.

Messages name the parameter and say what it must be: ``"{where}: {name} must be a real number,
got str '1'"``, where ``where`` (optional) names the function the caller called.
"""

from __future__ import annotations

import math
import numbers
from typing import TYPE_CHECKING

from .suggest import check_choice as choice

if TYPE_CHECKING:  # typing.TypeGuard is Python >= 3.10; annotations are not evaluated at run time
    from typing import TypeGuard

__all__ = ["AxisError", "choice", "finite_real", "integer", "is_integer", "is_real", "real"]


class AxisError(ValueError, IndexError):
    """An axis out of range for the shape: ValueError (fastinit's type, as NumPy's ``AxisError``)
    and IndexError (what JAX's and Keras's initializers raise for it)."""


def is_integer(value: object) -> TypeGuard[int]:
    """True for an int or a NumPy integer scalar, False for bool and everything else. (Type checkers
    then see an ``int``: NumPy integers compare and compute as ints do.)"""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_real(value: object) -> TypeGuard[float]:
    """True for a real number (int, float, NumPy integer or floating scalar), False for bool. (Type
    checkers then see a ``float``: these numbers compare and compute as floats do.)"""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _prefix(where: str | None) -> str:
    return f"{where}: " if where else ""


def real(value: object, name: str, where: str | None = None, *, allow_nan: bool = True) -> float:
    """``value`` as a float (infinities allowed; NaN too unless ``allow_nan=False``).

    Raises TypeError when ``value`` is not a real number, ValueError for a refused NaN or a number
    too large for a float64.
    """
    if not is_real(value):
        raise TypeError(f"{_prefix(where)}{name} must be a real number, got {type(value).__name__} {value!r}")
    try:
        v = float(value)
    except OverflowError:  # an int (or Fraction) beyond float64's range, e.g. 10**400
        raise ValueError(f"{_prefix(where)}{name}={value!r} is too large for a float64") from None
    if not allow_nan and math.isnan(v):
        raise ValueError(f"{_prefix(where)}{name} must not be NaN")
    return v


def finite_real(value: object, name: str, where: str | None = None, *, minimum: float | None = None,
                strict: bool = False) -> float:
    """``value`` as a finite float, ``>= minimum`` (``> minimum`` when ``strict``) when given.

    Raises TypeError when ``value`` is not a real number, ValueError when it is infinite, NaN or
    below the minimum.
    """
    v = real(value, name, where)
    if not math.isfinite(v):
        raise ValueError(f"{_prefix(where)}{name} must be finite, got {value!r}")
    if minimum is not None:
        if strict and not v > minimum:
            raise ValueError(f"{_prefix(where)}{name} must be > {minimum:g}, got {value!r}")
        if not strict and not v >= minimum:
            raise ValueError(f"{_prefix(where)}{name} must be >= {minimum:g}, got {value!r}")
    return v


def integer(value: object, name: str, where: str | None = None, *, minimum: int | None = None,
            expected: str = "an int") -> int:
    """``value`` as a Python int, ``>= minimum`` when given.

    ``expected`` is what the TypeError says ``name`` must be (default "an int"; e.g. "an int >=
    1"). Raises TypeError when ``value`` is not an integer, ValueError when it is below the minimum.
    """
    if not is_integer(value):
        raise TypeError(f"{_prefix(where)}{name} must be {expected}, got {type(value).__name__} {value!r}")
    v = int(value)
    if minimum is not None and v < minimum:
        raise ValueError(f"{_prefix(where)}{name} must be >= {minimum}, got {v}")
    return v
