"""What every part of the out-of-core writer shares: its error type, the name of a table's resume
record, a table's format (from its name) and the element types a table can hold."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..core.dtypes import FLOAT_FORMATS

__all__ = ["DTYPE_NAMES", "SIDECAR_SUFFIX", "TableError", "prod", "sidecar_path", "table_format"]

SIDECAR_SUFFIX = ".fastinit.json"
"""Appended to a table's path to name its resume record (the *sidecar*)."""

DTYPE_NAMES: dict[np.dtype[Any], str] = FLOAT_FORMATS
"""The element types a table can hold, and the name the record and the summary give each (the
table of :mod:`fastinit.core.dtypes`)."""


class TableError(ValueError):
    """A table cannot be written or verified as asked (the message says how to fix it)."""


def sidecar_path(path: Any) -> str:
    """Where the record of an incomplete table lives: ``TABLE`` + ``.fastinit.json``."""
    p: str = os.fspath(path)
    return p + SIDECAR_SUFFIX


def table_format(path: str) -> str:
    """``"npy"`` or ``"zarr"``, from the table's name (TableError for any other name)."""
    p = path.rstrip("/").lower()
    if p.endswith(".npy"):
        return "npy"
    if p.endswith(".zarr"):
        return "zarr"
    raise TableError(f"cannot tell the format of {path!r}: name the table TABLE.npy (a NumPy file) "
                     "or TABLE.zarr (a zarr v3 array)")


def prod(shape: tuple[int, ...]) -> int:
    """The number of elements of a tensor of ``shape`` (1 for a scalar), as a Python int."""
    n = 1
    for d in shape:
        n *= d
    return n
