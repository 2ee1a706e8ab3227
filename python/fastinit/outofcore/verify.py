"""Verification: :func:`verify_table` recomputes a sample of a table's rows (or all of them) and
compares them with the file bit for bit; an incomplete table is reported as such."""

import math
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, Optional, TextIO

import numpy as np
import numpy.typing as npt

from ..core.checks import is_integer
from ..core.docstrings import shared_docs
from ..core.dtypes import bfloat16, resolve_dtype
from ..core.seed import resolve_stream
from ..names.named import NamedInit, check_and_expect
from .blocks import Block, blocks
from .common import DTYPE_NAMES, TableDataError, TableError, prod, sidecar_path, table_format
from .npy import read_npy_header
from .plan import named_init, table_seed
from .progress import Progress
from .record import command, read_record

__all__ = ["VerifyResult", "open_for_reading", "verify_table"]

Mismatch = tuple[tuple[int, ...], float, float]
"""``(index, value in the file, value expected)`` of a differing element."""

_UINTS = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


@dataclass
class VerifyResult:
    """What :func:`verify_table` found; ``ok`` is True when every checked element matches."""

    path: str
    ok: bool
    status: str  # "match", "mismatch" or "incomplete"
    checked_elements: int = 0
    checked_rows: int = 0
    total_rows: int = 0
    mismatched_elements: int = 0
    first_mismatch: Optional[Mismatch] = None
    message: str = ""
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


def open_for_reading(path: str, fmt: str) -> tuple[tuple[int, ...], np.dtype[Any], Any]:
    """``(shape, dtype, handle)`` of a table: for ``.npy`` the handle is the data's offset in the
    file, for zarr the array opened read-only (TableError if missing, incomplete or unreadable)."""
    if fmt == "npy":
        if not os.path.isfile(path):
            raise TableDataError(f"{path} does not exist (or is not a file)")
        shape, dt, offset = read_npy_header(path)
        return shape, dt, offset
    try:
        import zarr
    except ImportError:
        raise TableError("reading .zarr needs zarr (pip install zarr)") from None
    if not os.path.exists(path):
        raise TableDataError(f"{path} does not exist")
    try:
        za = zarr.open_array(store=path, mode="r")
    except Exception as exc:  # zarr raises its own types for a damaged array
        raise TableDataError(f"cannot read the zarr array {path}: {exc}") from None
    return tuple(za.shape), np.dtype(za.dtype), za


def _incomplete(path: str) -> Optional[VerifyResult]:
    """The result for a table that still has a resume record (None when it has none)."""
    side = sidecar_path(path)
    old = read_record(side)
    if old is None:
        return None
    msg = (f"{path} is INCOMPLETE: {old['elements_done']:,} of {old['elements_total']:,} "
           f"elements written (record {os.path.basename(side)}). Finish it with:\n  {command(path, old)} --resume")
    return VerifyResult(path, False, "incomplete", message=msg)


def _element_type(path: str, fdt: np.dtype[Any], dtype: Any) -> np.dtype[Any]:
    """The type to read the elements as: ``dtype`` (same size; only a void file type may be
    reinterpreted), else the file's (2-byte void is bfloat16)."""
    dt = fdt
    if dtype is not None:
        want = resolve_dtype(dtype)
        if want.itemsize != fdt.itemsize or (fdt.kind not in "V" and want != fdt):
            raise TableError(f"{path} holds {fdt} elements, not {want}; omit --dtype")
        dt = want
    elif fdt.kind == "V" and fdt.itemsize == 2:
        dt = bfloat16  # how NumPy stores ml_dtypes.bfloat16 in .npy
    if DTYPE_NAMES.get(dt) is None:
        raise TableError(f"{path} holds {dt} elements; fastinit writes float32, float64, float16 and bfloat16")
    return dt


def _row_ranges(n_rows: int, total: int, rows: int, every: bool, sample_seed: int) -> list[tuple[int, int]]:
    """The rows to check, as sorted ``[start, stop)`` runs: all of them, or the first, the last
    and ``rows`` drawn at random with ``sample_seed``."""
    if every or rows >= n_rows:
        return [(0, n_rows)] if total else []
    rng = np.random.default_rng(sample_seed)
    picks = np.unique(np.concatenate([[0, n_rows - 1], rng.integers(0, n_rows, size=rows)]))
    ranges: list[tuple[int, int]] = []
    for r in picks.tolist():
        if ranges and ranges[-1][1] == r:
            ranges[-1] = (ranges[-1][0], r + 1)
        else:
            ranges.append((r, r + 1))
    return ranges


@dataclass
class _Tally:
    """Elements checked, how many differ, and the first that does."""

    checked: int = 0
    bad: int = 0
    first: Optional[Mismatch] = None

    def compare(self, p: int, want: npt.NDArray[Any], got: npt.NDArray[Any], shape: tuple[int, ...],
                uint: Any) -> None:
        """Compare the bits of the block at flat position ``p``: expected ``want``, read ``got``."""
        diff = want.reshape(-1).view(uint) != np.asarray(got).reshape(-1).view(uint)
        n = int(np.count_nonzero(diff))
        if not n:
            return
        self.bad += n
        if self.first is None:
            k = int(np.argmax(diff))
            coords = tuple(int(c) for c in np.unravel_index(p + k, shape)) if shape else ()
            self.first = (coords, float(np.asarray(got).reshape(-1)[k].astype(np.float64)),
                          float(want.reshape(-1)[k].astype(np.float64)))


def _read(f: Optional[IO[bytes]], handle: Any, p: int, index: tuple[Any, ...], bshape: tuple[int, ...],
          dt: np.dtype[Any]) -> npt.NDArray[Any]:
    """The block as the table holds it: mapped from the ``.npy`` file ``f``, or read from zarr."""
    if f is not None:
        got: npt.NDArray[Any] = np.memmap(f, dtype=dt, mode="r", offset=handle + p * dt.itemsize,
                                          shape=bshape or (1,))
        return got.reshape(bshape)
    return np.asarray(handle[index]).astype(dt, copy=False)


def _blocks_of_rows(shape: tuple[int, ...], ranges: list[tuple[int, int]], max_elements: int) -> Iterator[Block]:
    """The blocks covering the rows ``ranges``."""
    row_elements = prod(shape[1:]) if shape else 1
    for r0, r1 in ranges:
        yield from blocks(shape, r0 * row_elements, r1 * row_elements, max_elements)


def _check(path: str, fmt: str, handle: Any, shape: tuple[int, ...], dt: np.dtype[Any], named: NamedInit,
           seed: int, stream: int, ranges: list[tuple[int, int]], max_elements: int, prog: Progress) -> _Tally:
    """Recompute the blocks of ``ranges`` and compare them with the table."""
    uint = _UINTS[dt.itemsize]
    tally = _Tally()
    f = open(path, "rb") if fmt == "npy" else None
    try:
        for p, count, index, bshape in _blocks_of_rows(shape, ranges, max_elements):
            want = np.empty(bshape, dt)
            named(want, seed=seed, stream=stream, full_shape=shape, index=index)
            tally.compare(p, want, _read(f, handle, p, index, bshape, dt), shape, uint)
            tally.checked += count
            prog.update(tally.checked)
    finally:
        if f is not None:
            f.close()
    return tally


def _result(path: str, tally: _Tally, what: str, checked_rows: int, n_rows: int) -> VerifyResult:
    """The verdict and its message."""
    checked, bad = tally.checked, tally.bad
    scope = (f"all {n_rows:,} rows" if checked_rows == n_rows else
             f"{checked_rows:,} of {n_rows:,} rows (first, last and a random sample; --all checks every row)")
    if bad == 0:
        msg = f"{path}: MATCH: {checked:,} elements in {scope} equal {what} bit for bit"
        return VerifyResult(path, True, "match", checked, checked_rows, n_rows, 0, None, msg)
    assert tally.first is not None
    coords, fv, ev = tally.first
    msg = (f"{path}: MISMATCH: {bad:,} of {checked:,} checked elements ({scope}) differ from {what}; "
           f"first at index {coords}: the file has {fv!r}, expected {ev!r}")
    return VerifyResult(path, False, "mismatch", checked, checked_rows, n_rows, bad, tally.first, msg)


@shared_docs
def verify_table(
    path: Any,
    init: Any,
    *,
    seed: Optional[int] = None,
    stream: Any = 0,
    dtype: Any = None,
    rows: int = 1000,
    every_row: bool = False,
    chunk_mb: float = 64.0,
    sample_seed: int = 0,
    progress: str = "none",
    progress_stream: Optional[TextIO] = None,
    **params: Any,
) -> VerifyResult:
    """Recompute ``rows`` rows of ``path`` (always the first and the last, the rest at random;
    every row with ``every_row=True``) with ``init``/``seed``/``stream``/``params`` and compare bits.

    Args:
        path: The table, ``TABLE.npy`` or ``TABLE.zarr``, as :func:`write_table` wrote it.
        init: The initializer it was written with (a name or one of fastinit's functions).
        seed: The seed it was written with.
        stream: {stream}
        dtype: Reinterprets the file's elements (needed for bfloat16, which ``.npy`` stores as
            2-byte void); ``None`` (the default): the file's dtype.
        rows: How many rows to check (default 1000): always the first and the last, the rest
            drawn at random.
        every_row: True to check every row instead.
        chunk_mb: The memory budget in MiB (default 64) for reading and recomputing.
        sample_seed: The seed of the random choice of rows (default 0).
        progress: "bar", "lines", "auto" or "none" (the default), as :func:`write_table`'s.
        progress_stream: Where progress is written (``None``: stderr).
        **params: The initializer's parameters, as given to :func:`write_table`.

    Returns:
        A :class:`VerifyResult`: ``ok`` is True when every checked element matches bit for bit;
        ``message`` says what was checked and the first mismatch.

    Raises:
        TableError: the table is missing or not a table; TypeError/ValueError for bad
            initializer parameters.

    Example:
        >>> import os, tempfile
        >>> from fastinit.outofcore import verify_table, write_table
        >>> path = os.path.join(tempfile.mkdtemp(), "emb.npy")
        >>> _ = write_table(path, (100, 8), "normal", seed=0, std=0.02)
        >>> verify_table(path, "normal", seed=0, std=0.02).ok
        True
        >>> verify_table(path, "normal", seed=1, std=0.02).ok  # another seed: other values
        False
    """
    path = os.fspath(path)
    fmt = table_format(path)
    incomplete = _incomplete(path)
    if incomplete is not None:
        return incomplete
    try:
        shape, fdt, handle = open_for_reading(path, fmt)
    except TableError as exc:
        if "incomplete" in str(exc):
            return VerifyResult(path, False, "incomplete", message=str(exc))
        raise
    dt = _element_type(path, fdt, dtype)
    named = named_init(init, params)
    seed_int = table_seed(named, seed, "pass the seed the table was written with (--seed)")
    stream_int = resolve_stream(stream)
    check_and_expect(named, shape, dt, seed_int, stream_int)
    if not is_integer(rows) or rows < 1:
        raise TableError(f"rows must be an int >= 1, got {rows!r}")
    rows = int(rows)  # a NumPy integer too
    total = prod(shape)
    row_elements = prod(shape[1:]) if shape else 1
    n_rows = shape[0] if shape else 1
    max_elements = max(1, int(chunk_mb * 2**20) // dt.itemsize)
    if named.is_global and total * dt.itemsize > int(chunk_mb * 2**20):
        raise TableError(f"{named.canonical} is computed whole: pass --chunk-mb >= "
                         f"{math.ceil(total * dt.itemsize / 2**20)} to verify this table")
    ranges = _row_ranges(n_rows, total, rows, every_row, sample_seed)
    checked_rows = sum(b - a for a, b in ranges)
    prog = Progress(progress, checked_rows * row_elements, 0, row_elements, dt.itemsize,
                    progress_stream if progress_stream is not None else sys.stderr, label="rows checked")
    tally = _check(path, fmt, handle, shape, dt, named, seed_int, stream_int, ranges, max_elements, prog)
    prog.finish()
    return _result(path, tally, f"{named.describe()}, seed={seed_int}, stream={stream_int}", checked_rows, n_rows)
