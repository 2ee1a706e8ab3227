"""A zarr v3 table (a ``.zarr`` directory; needs ``zarr``): uncompressed chunks of whole rows,
filled in a buffer of one write's rows and stored chunk by chunk."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from .common import TableDataError, TableError
from .plan import TablePlan
from .record import jsonable

__all__ = ["ZarrTarget", "zarr_open"]

_ATTRS = ("init", "params", "seed", "stream", "stream_arg", "stream_version")
"""The record fields a complete zarr table keeps in its ``fastinit`` attribute."""


def _open_existing(zarr: Any, plan: TablePlan) -> Any:
    """The array an interrupted run left, checked against the plan."""
    path = plan.path
    try:
        za = zarr.open_array(store=path, mode="r+")
    except Exception as exc:  # zarr raises its own types for a missing or damaged array
        raise TableDataError(f"cannot open the zarr array {path}: {exc}; start over with --force") from None
    if tuple(za.shape) != plan.shape or np.dtype(za.dtype) != plan.dtype:
        raise TableDataError(f"{path} holds a {za.shape} {za.dtype} array, not {plan.shape} {plan.dtype}: "
                             "start over with --force")
    if plan.shape and za.chunks[0] != plan.zarr_chunk_rows:
        raise TableDataError(f"{path} has chunks of {za.chunks[0]} rows, the record says {plan.zarr_chunk_rows}: "
                             "start over with --force")
    return za


def zarr_open(plan: TablePlan, existing: bool) -> Any:
    """The zarr array of ``plan``: the one an interrupted run left (``existing``, checked against
    the plan), or a new one marked incomplete (removed again if creating it fails)."""
    try:
        import zarr
    except ImportError:
        raise TableError("writing .zarr needs zarr (pip install 'fastinit[dask]' or pip install zarr); "
                         "or write TABLE.npy") from None
    if existing:
        return _open_existing(zarr, plan)
    if os.path.lexists(plan.path):
        raise TableDataError(f"{plan.path} appeared while this run was starting: something else writes there")
    chunks = ((plan.zarr_chunk_rows,) + tuple(max(1, d) for d in plan.shape[1:])) if plan.shape else ()
    try:
        za = zarr.create_array(store=plan.path, shape=plan.shape, chunks=chunks, dtype=plan.dtype,
                               compressors=None, fill_value=0, zarr_format=3, overwrite=False)
        za.attrs["fastinit"] = {"complete": False}
    except BaseException:
        shutil.rmtree(plan.path, ignore_errors=True)
        raise
    return za


class ZarrTarget:
    """A zarr table being written: each chunk is filled in a buffer, then stored."""

    fd: int | None = None  # nothing to flush before a checkpoint: zarr writes whole files

    def __init__(self, plan: TablePlan, existing: bool, done: int = 0):
        """Open the array (``existing``: the one an interrupted run left) or create it."""
        self.array = zarr_open(plan, existing)
        self.dtype = plan.dtype
        self.max_elements = plan.max_elements
        self._buf: npt.NDArray[Any] | None = None

    def block(self, p: int, count: int, index: tuple[Any, ...], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """A buffer for the chunk of ``count`` elements (the buffer is allocated once)."""
        if self._buf is None:
            self._buf = np.empty(self.max_elements, self.dtype)
        return self._buf[:count].reshape(shape)

    def store(self, p: int, index: tuple[Any, ...], arr: npt.NDArray[Any]) -> None:
        """Write the filled chunk to its place in the array."""
        self.array[index] = arr

    def read(self, p: int, count: int, index: tuple[Any, ...], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """The elements at ``index``, as stored (flat)."""
        return np.asarray(self.array[index]).astype(self.dtype, copy=False).reshape(-1)

    def abandon(self) -> None:
        """Nothing to close: what is stored stays, the array stays marked incomplete."""

    def complete(self, record: Mapping[str, Any], durable: bool) -> None:
        """Mark the array complete, with the settings it was written with."""
        self.array.attrs["fastinit"] = dict(jsonable({k: record[k] for k in _ATTRS}), complete=True)
