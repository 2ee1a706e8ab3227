"""A ``.npy`` table on disk, written through a memory map of one chunk at a time: created with a
placeholder header and its blocks reserved, reopened (and checked) to resume, and given its real
header only once every element is written."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from .common import TableError
from .npy import npy_header, placeholder, preallocate
from .plan import TablePlan

__all__ = ["NpyTarget"]


def _reopen(plan: TablePlan, header: bytes) -> IO[bytes]:
    """Open the table of an interrupted run, after checking its size and header."""
    offset, nbytes = len(header), plan.total * plan.itemsize
    size = os.path.getsize(plan.path)
    if size != offset + nbytes:
        raise TableError(f"{plan.path} has {size:,} bytes, not the {offset + nbytes:,} this table "
                         "needs: it changed since; start over with --force")
    f = open(plan.path, "r+b")
    try:
        head = f.read(offset)
        if head not in (header, placeholder(offset, plan.sidecar)):
            raise TableError(f"{plan.path}'s header is not the one this table needs: start over with --force")
    except BaseException:
        f.close()
        raise
    return f


def _create(plan: TablePlan, header: bytes) -> IO[bytes]:
    """Create the table: a placeholder header (so it cannot pass for complete), its full size,
    and its disk blocks reserved where the file system can."""
    offset, nbytes = len(header), plan.total * plan.itemsize
    f = open(plan.path, "w+b")
    try:
        f.write(placeholder(offset, plan.sidecar))
        f.truncate(offset + nbytes)
        f.flush()
        preallocate(f.fileno(), offset, nbytes, plan.path)
    except BaseException:
        f.close()
        raise
    return f


class NpyTarget:
    """A ``.npy`` table being written: each chunk is mapped, filled in place and unmapped."""

    def __init__(self, plan: TablePlan, existing: bool):
        """Open the table (``existing``: the one an interrupted run left) or create it."""
        self.header = npy_header(plan.shape, plan.dtype)
        self.offset = len(self.header)
        self.dtype = plan.dtype
        self.file = _reopen(plan, self.header) if existing else _create(plan, self.header)
        self.fd: int | None = self.file.fileno()

    def block(self, p: int, count: int, index: tuple[Any, ...], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """The chunk of ``count`` elements from flat position ``p``, mapped (unmapped when dropped)."""
        arr: npt.NDArray[Any] = np.memmap(self.file, dtype=self.dtype, mode="r+",
                                          offset=self.offset + p * self.dtype.itemsize, shape=shape or (1,))
        if not shape:
            arr = arr.reshape(())
        return arr

    def store(self, index: tuple[Any, ...], arr: npt.NDArray[Any]) -> None:
        """Nothing to do: the chunk was filled in place."""

    def abandon(self) -> None:
        """Close the table, incomplete (its header stays a placeholder)."""
        self.file.close()

    def complete(self, record: Mapping[str, Any], durable: bool) -> None:
        """Give the table its real header (flushed to disk when ``durable``) and close it."""
        self.file.seek(0)
        self.file.write(self.header)
        self.file.flush()
        if durable:
            os.fsync(self.file.fileno())
        self.file.close()
