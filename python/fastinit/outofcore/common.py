"""What every part of the out-of-core writer shares: its error types, the names of a table's resume
record and lock file, a table's format (from its name) and the element types a table can hold."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from ..core.dtypes import FLOAT_FORMATS

__all__ = ["DTYPE_NAMES", "LOCK_SUFFIX", "SIDECAR_SUFFIX", "TableDataError", "TableError", "lock_path", "prod",
           "sidecar_path", "size_text", "table_format"]

SIDECAR_SUFFIX = ".fastinit.json"
"""Appended to a table's path to name its resume record (the *sidecar*)."""

LOCK_SUFFIX = ".fastinit.lock"
"""Appended to a table's path to name the lock file a run holds while it writes the table."""

DTYPE_NAMES: dict[np.dtype[Any], str] = FLOAT_FORMATS
"""The element types a table can hold, and the name the record and the summary give each (the
table of :mod:`fastinit.core.dtypes`)."""


class TableError(ValueError):
    """A table cannot be written or verified as asked (the message says how to fix it). Raised
    as such for settings that cannot work (the command exits 2); see :class:`TableDataError`."""


class TableDataError(TableError):
    """The files are not as they must be, or the disk failed: a missing, truncated or corrupt
    table or record, a full disk, another run holding the table (the command exits 1)."""


def sidecar_path(path: Any) -> str:
    """Where the record of an incomplete table lives: ``TABLE`` + ``.fastinit.json``."""
    p: str = os.fspath(path)
    return p + SIDECAR_SUFFIX


def lock_path(path: Any) -> str:
    """The lock file a run holds while it writes the table: ``TABLE`` + ``.fastinit.lock``."""
    p: str = os.fspath(path)
    return p + LOCK_SUFFIX


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


def size_text(nbytes: int) -> str:
    """A byte count for people: ``123 kB``, ``4.5 MB``, ``1.23 GB`` (powers of 1000)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if nbytes >= scale:
            return f"{nbytes / scale:,.2f} {unit}"
    return f"{nbytes:,} bytes"
