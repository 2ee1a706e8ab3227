"""Element formats: the NumPy dtypes fastinit writes and the core's name for each.

One table, :data:`FLOAT_DTYPES` (name -> dtype); :data:`FLOAT_FORMATS` is its inverse. A format's
name is the dtype's name, the string the compiled core takes, the name records and summaries
write, and the name Keras, JAX and the command line use.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ml_dtypes
import numpy as np

__all__ = ["FLOAT_DTYPES", "FLOAT_FORMATS", "bfloat16", "format_of", "resolve_dtype"]

bfloat16: np.dtype = np.dtype(ml_dtypes.bfloat16)

#: The element types fastinit writes, by name ("bfloat16" is ``ml_dtypes.bfloat16``).
FLOAT_DTYPES: dict[str, np.dtype] = {
    "float32": np.dtype(np.float32),
    "float64": np.dtype(np.float64),
    "float16": np.dtype(np.float16),
    "bfloat16": bfloat16,
}

#: The same table inverted: each dtype's name (= the compiled core's format string).
FLOAT_FORMATS: dict[np.dtype, str] = {dt: name for name, dt in FLOAT_DTYPES.items()}


def resolve_dtype(dtype: Any) -> np.dtype:
    """``dtype`` as a NumPy dtype; "bfloat16" names ml_dtypes.bfloat16."""
    if isinstance(dtype, str) and dtype == "bfloat16":
        return bfloat16
    try:
        dt: np.dtype = np.dtype(dtype)
    except TypeError as exc:
        raise TypeError(f"dtype {dtype!r} is not a NumPy dtype") from exc
    return dt


def format_of(dtype: np.dtype, allowed: Mapping[np.dtype, str]) -> str:
    """The core's format name for ``dtype``, or TypeError listing what is allowed."""
    dt = np.dtype(dtype)
    if not dt.isnative:
        raise ValueError(f"dtype {dt} is not in native byte order; convert with .astype({dt.newbyteorder('=')})")
    name = allowed.get(dt)
    if name is None:
        names = ", ".join(str(d) for d in allowed)
        raise TypeError(f"dtype {dt} is not supported here; use one of: {names}")
    return name
