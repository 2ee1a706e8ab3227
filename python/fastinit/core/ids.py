"""Integer ID arrays: the one rule for reading a 1-d array of IDs (index arrays, ``fastinit.rows``'s
row IDs, hashed IDs, a fingerprint's ``index``).

An ID array is an integer array (NumPy's, of any signed or unsigned dtype, or any array NumPy reads
as one: a JAX array, a buffer), a range, or a list, tuple or object array whose items are integers
of any kind: Python ints and NumPy integer scalars, mixed freely (``[np.uint64(2**64 - 1),
np.int64(-1), 3]``). Each item is read as the exact integer it is: NumPy would make such a mixed
list float64 (rounding values past 2**53), so it is not used for them. Refused with TypeError
naming the parameter and the fix: booleans (``True`` is not an ID; a whole boolean array is a mask:
pass ``np.flatnonzero(mask)``), floats even when whole (``3.0``), strings and anything else. A
multi-dimensional array raises ValueError.

The result is an integer array (the given NumPy array itself when it is one; else int64, or uint64
when every value is in [0, 2**64) and one is at least 2**63), or, when no 64-bit integer type
holds every value, an object array of Python ints: callers check ranges with :func:`first_outside`,
which names the first value out of range, so such arrays are always refused there.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

__all__ = ["first_outside", "int_ids"]

_INT64 = (-(1 << 63), 1 << 63)
_UINT64 = (0, 1 << 64)


def _is_int_type(kind: type) -> bool:
    """True for int and the NumPy integer scalar types (not bool, not np.bool_)."""
    return issubclass(kind, numbers.Integral) and not issubclass(kind, (bool, np.bool_))


def _refuse_item(values: Any, name: str) -> None:
    """TypeError naming the first item of ``values`` that is not an integer (the caller knows one is)."""
    bad = next(v for v in values if not _is_int_type(type(v)))
    kind = type(bad).__name__
    if isinstance(bad, (bool, np.bool_)):
        fix = "booleans are not IDs (for a mask pass np.flatnonzero(mask))"
    elif isinstance(bad, numbers.Real):
        fix = "pass ints (int(v), or .astype(np.int64) of an array, when the values are whole numbers)"
    else:
        fix = "pass ints"
    raise TypeError(f"{name} must contain ints, got {kind} {bad!r}; {fix}")


def _exact(values: Any) -> np.ndarray:
    """Items that are all integers, as int64, uint64 or (no 64-bit type holds them) Python ints."""
    ints = [int(v) for v in values]
    lo, hi = min(ints), max(ints)
    if _INT64[0] <= lo and hi < _INT64[1]:
        return np.array(ints, np.int64)
    if _UINT64[0] <= lo and hi < _UINT64[1]:
        return np.array(ints, np.uint64)
    result = np.empty(len(ints), object)
    result[:] = ints
    return result


def int_ids(values: Any, name: str) -> np.ndarray:
    """``values`` as a 1-d integer array, by the rule of the module docstring.

    Args:
        values: a NumPy array, list, tuple or range of integers.
        name: what the messages call it (``"ids"``, ``"index on axis 0"``).

    Returns:
        The IDs, exactly: a NumPy integer array, or an object array of Python ints when no 64-bit
        integer type holds them all.

    Raises:
        TypeError: not an array of integers (floats, booleans, strings, ragged lists).
        ValueError: an array that is not 1-d.
    """
    try:
        raw = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{name} must be a 1-d array of ints: {exc}") from None
    if raw.dtype.kind == "b":
        raise TypeError(f"{name} is a boolean array (a mask); IDs are ints: pass np.flatnonzero(mask)")
    if raw.ndim != 1:
        raise ValueError(f"{name} must be a 1-d array of ints, got an array of shape {raw.shape}")
    if raw.size == 0:
        return np.empty(0, np.int64)
    listed = isinstance(values, (list, tuple))  # items of any kind, each checked
    if not listed:  # an array (NumPy's, or one NumPy reads: torch, JAX, buffers) or a range
        if raw.dtype.kind in "iu":
            return raw
        if raw.dtype.kind != "O":
            raise TypeError(f"{name} must contain ints, got an array of dtype {raw.dtype}; convert it with "
                            ".astype(np.int64) if its values are whole numbers")
    items = values if listed else raw.tolist()
    if not all(_is_int_type(kind) for kind in set(map(type, items))):
        _refuse_item(items, name)
    if raw.dtype.kind in "iu":  # NumPy found one integer type for them all: exact
        return raw
    return _exact(items)


def first_outside(ids: np.ndarray, lo: int, hi: int) -> int | None:
    """The first value of ``ids`` (from :func:`int_ids`) outside [lo, hi), or None."""
    if ids.size == 0:
        return None
    if ids.dtype.kind == "O":
        return next((int(v) for v in ids.tolist() if not lo <= v < hi), None)
    if lo <= int(ids.min()) and int(ids.max()) < hi:
        return None
    bad = np.flatnonzero((ids < lo) | (ids >= hi))
    return int(ids[bad[0]])
