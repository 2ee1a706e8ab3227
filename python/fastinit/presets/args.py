"""What every preset does before its one fill: check ``out`` against ``full_shape``/``index``, find
the logical (whole-tensor) shape that fans are computed from, and check real-valued parameters."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..core.checks import finite_real
from ..core.dtypes import FLOAT_FORMATS
from ..core.layout import Index, Shape, as_shape, resolve_target

__all__ = ["prepare", "real_param"]


def prepare(out: Any, dtype: Any, full_shape: Shape | None, index: Index | None) -> tuple[np.ndarray, tuple[int, ...]]:
    """(the array to fill, the shape of the whole logical tensor).

    ``out`` is checked exactly as the fills check it (and a shape is allocated here, once); the
    logical shape is ``full_shape`` when given, never the shard's shape.
    """
    t = resolve_target(out, dtype, np.float32, FLOAT_FORMATS, full_shape, index)
    logical = t.array.shape if full_shape is None else as_shape(full_shape, "full_shape")
    return t.array, logical


def real_param(value: Any, name: str, *, minimum: float | None = None, strict: bool = False) -> float:
    """``value`` as a finite float, >= ``minimum`` (> when ``strict``), else TypeError/ValueError
    (:func:`fastinit.core.checks.finite_real`)."""
    return finite_real(value, name, minimum=minimum, strict=strict)
