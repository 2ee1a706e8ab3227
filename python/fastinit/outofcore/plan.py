"""The settings of a write, checked and worked out before anything touches the disk: format,
shape, element type, initializer, seed and stream, and the chunk sizes the memory budget allows."""

from __future__ import annotations

import importlib
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..core import runtime as _runtime
from ..core.checks import is_real
from ..core.dtypes import FLOAT_FORMATS, format_of, resolve_dtype
from ..core.layout import as_shape
from ..core.seed import resolve_seed, resolve_stream
from ..names.expected import Expected, check_and_expect
from ..names.named import NamedInit, resolve
from .common import DTYPE_NAMES, TableDataError, TableError, prod, sidecar_path, table_format

__all__ = ["TablePlan", "make_plan", "named_init", "table_seed"]


@dataclass
class TablePlan:
    """What to write where, and in what pieces: everything :func:`make_plan` checked."""

    path: str
    fmt: str  # "npy" or "zarr"
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    dtname: str
    named: NamedInit
    seed: int
    stream: int
    stream_arg: Any  # the stream as given (an int, or the name it was hashed from), for the command
    expected: Expected | None  # the distribution, for the summary (None for structured initializers)
    chunk_bytes: int  # the memory budget
    total: int  # elements
    row_elements: int
    max_elements: int  # per chunk
    zarr_chunk_rows: int = 0
    prefilled: Any = None  # a global initializer's whole table, computed while checking the settings

    @property
    def itemsize(self) -> int:
        """Bytes per element."""
        return self.dtype.itemsize

    @property
    def sidecar(self) -> str:
        """The path of the table's resume record."""
        return sidecar_path(self.path)

    def set_zarr_chunk_rows(self, rows: int) -> None:
        """Use zarr chunks of ``rows`` rows, and write as many whole zarr chunks at once as the
        memory budget holds (at least one)."""
        row_bytes = self.row_elements * self.itemsize
        rows_per_write = max(rows, (self.chunk_bytes // max(1, row_bytes)) // rows * rows)
        self.zarr_chunk_rows = rows
        # never more than the table: the write buffer is this big
        self.max_elements = max(1, min(rows_per_write, max(1, self.shape[0])) * self.row_elements)


def named_init(init: Any, params: Mapping[str, Any]) -> NamedInit:
    """``init`` as a :class:`NamedInit` (a name or one of fastinit's functions, with ``params``)."""
    return init if isinstance(init, NamedInit) else resolve(init, params)


def table_seed(named: NamedInit, seed: int | None, advice: str) -> int:
    """The seed to fill with: ``seed``, or 0 for a deterministic initializer; a random one without
    a seed is a TableError (``advice`` says what to pass)."""
    if seed is None:
        if named.is_random:
            raise TableError(f"{named.canonical} is random: {advice}")
        seed = 0
    return resolve_seed(seed)


def _check_mib(name: str, v: Any) -> None:
    if not is_real(v) or not v > 0 or not math.isfinite(v):
        raise TableError(f"{name} must be a positive number of MiB, got {v!r}")


#: Why an initializer that computes the whole tensor cannot be written chunk by chunk, and the bytes
#: per element it needs while computing (None: the table's own element size).
_WHOLE = {
    "orthogonal": ("orthogonal needs the whole matrix (a float64 QR, about 3 x 8 bytes per element)", 24),
    "delta_orthogonal": ("delta_orthogonal computes its whole kernel (float64, with a QR of the centre "
                         "matrix)", 24),
    "stft": ("stft is computed whole (its window and scaling need every frame)", None),
    "sparse": ("sparse picks each column's zeros from the whole column, so every chunk would redo the "
               "whole table's work", None),
}


def _check_chunkable(named: NamedInit, total: int, itemsize: int, chunk_bytes: int) -> None:
    """Initializers computed whole (orthogonal, delta_orthogonal, stft, sparse): refuse a table
    bigger than one chunk."""
    why, per_element = _WHOLE.get(named.fn_name, ("it is computed whole", None))
    need = total * (per_element or itemsize)
    if not named.is_global or need <= chunk_bytes:
        return
    raise TableError(f"{named.canonical} cannot be written chunk by chunk: {why}. This table needs "
                     f"one chunk of {need / 2**20:,.0f} MiB: pass chunk_mb/--chunk-mb >= "
                     f"{math.ceil(need / 2**20)} if that fits in memory, or use the Python API "
                     f"(fastinit.{named.fn_name}).")


MAX_FILE_BYTES = 2**63 - 2**20
"""No file can be larger (a file's size is a signed 64-bit number; a header comes first)."""


def _check_size(path: str, total: int, itemsize: int) -> None:
    """Refuse a table no file can hold."""
    if total * itemsize > MAX_FILE_BYTES:
        raise TableError(f"{path}: a table of {total:,} elements ({total * itemsize:,} bytes) is larger than any "
                         "file can be (2**63 bytes): check --shape")


def _have_zarr() -> bool:
    """Can zarr be imported?"""
    try:
        importlib.import_module("zarr")
    except ImportError:
        return False
    return True


def _check_target(path: str, fmt: str) -> None:
    """What the table needs before anything is created: its folder, zarr for ``.zarr``, and no
    directory where a ``.npy`` file must go."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise TableDataError(f"{path}: the folder {folder} does not exist")
    if fmt == "npy" and os.path.isdir(path) and not os.path.islink(path):
        raise TableError(f"{path} is a directory; remove it or choose another path")
    if fmt == "zarr" and not _have_zarr():
        raise TableError("writing .zarr needs zarr (pip install 'fastinit[dask]' or pip install zarr); "
                         "or write TABLE.npy")


def _prefill(plan: TablePlan) -> None:
    """A global initializer (orthogonal, sparse) computes the whole table at once and the table
    fits in one chunk: compute it now, so that its errors come before anything is written or
    deleted; the write stores it."""
    if plan.named.is_global:
        full: Any = np.empty(plan.shape, plan.dtype)
        plan.named(full, seed=plan.seed, stream=plan.stream, full_shape=plan.shape, index=None)
        plan.prefilled = full


def _plan_zarr_chunks(plan: TablePlan, zarr_chunk_mb: float) -> None:
    """zarr chunks of whole rows, about ``zarr_chunk_mb`` MiB; a row must fit the memory budget."""
    if plan.fmt != "zarr":
        return
    row_bytes = plan.row_elements * plan.itemsize
    if plan.shape and row_bytes > plan.chunk_bytes:
        raise TableError(f"one row of {plan.shape} is {row_bytes / 2**20:,.1f} MiB, more than the chunk budget: "
                         f"pass --chunk-mb >= {math.ceil(row_bytes / 2**20)}, or write .npy")
    if plan.shape:
        plan.set_zarr_chunk_rows(max(1, min(plan.shape[0], int(zarr_chunk_mb * 2**20) // max(1, row_bytes))))


def make_plan(path: Any, shape: Any, init: Any, *, seed: int | None, stream: Any, dtype: Any, chunk_mb: float,
              zarr_chunk_mb: float, threads: int | None, params: Mapping[str, Any]) -> TablePlan:
    """Check the settings of :func:`~fastinit.outofcore.write_table` (every initializer parameter
    against the full shape included) and work out the chunks; sets the thread count."""
    path = os.fspath(path)
    fmt = table_format(path)
    shape = as_shape(shape, "shape")
    dt = resolve_dtype(dtype)
    _check_size(path, prod(shape), dt.itemsize)
    format_of(dt, FLOAT_FORMATS)
    dtname = DTYPE_NAMES[dt]
    if fmt == "zarr" and dtname == "bfloat16":
        raise TableError("zarr has no bfloat16 data type: write bfloat16 tables as .npy, or use float16/float32")
    named = named_init(init, params)
    seed_int = table_seed(named, seed, "pass a seed (e.g. seed=0 / --seed 0); a table is only reproducible, "
                                       "resumable and verifiable with a fixed seed")
    stream_int = resolve_stream(stream)
    _check_mib("chunk_mb", chunk_mb)
    _check_mib("zarr_chunk_mb", zarr_chunk_mb)
    if threads is not None:
        _runtime.set_num_threads(threads)
    chunk_bytes = int(chunk_mb * 2**20)
    if chunk_bytes < dt.itemsize:
        raise TableError(f"chunk_mb={chunk_mb} is smaller than one {dtname} element; use at least 0.001")
    total = prod(shape)
    expected = check_and_expect(named, shape, dt, seed_int, stream_int)  # checks every parameter first
    _check_chunkable(named, total, dt.itemsize, chunk_bytes)
    plan = TablePlan(path, fmt, shape, dt, dtname, named, seed_int, stream_int,
                     stream if isinstance(stream, str) else stream_int, expected, chunk_bytes, total,
                     prod(shape[1:]) if shape else 1, max(1, min(total, chunk_bytes // dt.itemsize)))
    _plan_zarr_chunks(plan, zarr_chunk_mb)
    _check_target(path, fmt)
    _prefill(plan)
    return plan
