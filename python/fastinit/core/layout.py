"""Where ``out`` sits in the logical tensor: ``out`` holds ``full[index]`` of a tensor of shape
``full_shape``, and element values depend only on their flat C-order index in that tensor.

``index`` is one entry, or a tuple of entries, one per leading axis of ``full_shape`` (missing
trailing axes are whole). An entry is

- an int (NumPy integer scalars too): that position, the axis dropped; negative counts from the end;
- a step-1 slice: that range, the axis kept;
- a 1-D array of ints (a NumPy integer array, or a list, tuple, range or object array of ints of
  any kind, Python ints and NumPy integer scalars mixed, each read exactly; see
  :mod:`fastinit.core.ids`): those positions, in that order, duplicates allowed, negatives
  counting from the end; the axis kept, of the array's length. Arrays on several axes combine as
  an *outer* product, as ``np.ix_`` does: ``full[np.ix_(rows, cols)]``, not NumPy's
  element-by-element pairing of several index arrays.

A tuple is always the container of entries (``(3, 5)`` is two ints, as in NumPy), so inside a tuple
an array entry is a list, a range or an ndarray; a bare list, range or ndarray as the whole
``index`` is one array entry for axis 0, as ``full[[3, 5]]`` is in NumPy. Boolean arrays (NumPy's
masks) are refused: pass ``np.flatnonzero(mask)``. Every entry is checked (TypeError for a
non-integer array or item, a float even when whole, ValueError for a multi-dimensional one,
IndexError naming the axis and the first value out of range) before anything is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from .checks import is_integer
from .dtypes import format_of, resolve_dtype
from .ids import first_outside, int_ids

__all__ = ["Shape", "Index", "IndexEntry", "Target", "as_shape", "check_no_overlap", "index_entries", "outer_take",
           "resolve_target"]

Shape = Union[int, Sequence[int]]
#: One entry of an index: an int, a step-1 slice, or a 1-D array of ints (ndarray, list, range).
IndexEntry = Union[int, slice, Sequence[int], range, npt.NDArray[np.integer[Any]]]
#: An index: one entry (a bare list/ndarray is one array entry for axis 0) or a tuple of entries.
Index = Union[IndexEntry, tuple[IndexEntry, ...]]

_MAX_ELEMENTS = 1 << 63


@dataclass(frozen=True)
class Target:
    """An output array (as the core sees it) and its place in the logical tensor."""

    array: np.ndarray  # what the caller gets back
    core_array: np.ndarray  # the same memory, viewed as the core's dtype (bfloat16 as uint16)
    format: str
    logical_strides: tuple[int, ...]
    origin: int
    #: None, or one entry per axis of ``out``: None, or the uint64 logical offsets of that axis's
    #: positions (an index array's ids times the full tensor's C-order stride of that axis).
    axis_offsets: list[np.ndarray | None] | None = None

    def core_keywords(self) -> dict[str, Any]:
        """``{"axis_offsets": ...}`` for the core fills when ``index`` has arrays, else ``{}``."""
        return {} if self.axis_offsets is None else {"axis_offsets": self.axis_offsets}


def as_shape(shape: Any, name: str = "shape") -> tuple[int, ...]:
    """``shape`` as a tuple of non-negative ints (an int is a 1-d shape)."""
    if is_integer(shape):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(f"{name} must be an int or a sequence of ints, got {type(shape).__name__}") from None
    for d in dims:
        if not is_integer(d):
            raise TypeError(f"{name} must contain ints, got {type(d).__name__} {d!r} in {shape!r}")
        if d < 0:
            raise ValueError(f"{name} must not contain negative dimensions, got {dims}")
        if d >= _MAX_ELEMENTS:
            raise ValueError(f"{name} has a dimension of {d}; fastinit supports fewer than 2**63 elements per "
                             "dimension (and in all)")
    return tuple(int(d) for d in dims)


def _is_buffer(x: Any) -> bool:
    """True for objects with the buffer protocol (memoryview, bytes, bytearray, array.array, ...)."""
    try:
        memoryview(x)
    except TypeError:
        return False
    return True


def check_no_overlap(a: np.ndarray) -> None:
    """Refuse arrays whose elements share memory (a zero stride, overlapping or interleaved strides):
    threads would write them in an order that depends on timing. Sorted by |stride|, each stride
    must reach past everything the smaller axes span; exact overlap detection is not attempted."""
    if a.size == 0:
        return
    reach = a.itemsize
    for stride, n in sorted((abs(st), n) for n, st in zip(a.shape, a.strides) if n > 1):
        if stride < reach:
            raise ValueError(
                f"out: elements of this array overlap in memory, or may (shape {a.shape}, strides {a.strides}): "
                "a zero stride (np.broadcast_to, as_strided) or strides that overlap or interleave; values "
                "written there would depend on thread timing; fill an array with one slot per element "
                "(np.empty(shape)) and copy or broadcast from it")
        reach += (n - 1) * stride


def _c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    strides = []
    step = 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


_ARRAY_TYPES = (np.ndarray, list, tuple, range)


def _is_array_entry(entry: Any) -> bool:
    """True for an entry that is an index array (ndarray of rank >= 1, list, tuple, range)."""
    if isinstance(entry, np.ndarray):
        return entry.ndim > 0
    return isinstance(entry, _ARRAY_TYPES)


def _as_entries(index: Index | None) -> tuple[Any, ...]:
    """``index`` as a tuple of entries (a bare list, range or ndarray is one entry, as in NumPy)."""
    if index is None:
        return ()
    if isinstance(index, tuple):
        return index
    return (index,)


def _array_ids(entry: Any, axis: int, n: int, full_shape: tuple[int, ...]) -> np.ndarray:
    """Entry ``entry`` (an index array) as int64 positions in [0, n), checked by the one rule of
    :mod:`fastinit.core.ids` (TypeError for floats or booleans, ValueError for an array not 1-d),
    IndexError naming the first value out of range."""
    raw = int_ids(entry, f"index on axis {axis}")
    bad = first_outside(raw, -n, n)
    if bad is not None:
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n} "
                         f"(index array, full_shape {full_shape})")
    if raw.size == 0 or int(raw.min()) >= 0:
        return raw.astype(np.int64, copy=False)
    ids = raw.astype(np.int64, copy=True)
    ids[ids < 0] += n
    return ids


def index_entries(full_shape: tuple[int, ...], index: Index | None) -> tuple[int | slice | np.ndarray, ...]:
    """``index`` checked against ``full_shape``, as one entry per axis: a non-negative int, a
    step-1 slice, or an int64 array of positions in [0, n) (negatives resolved)."""
    entries = _as_entries(index)
    if len(entries) > len(full_shape):
        raise ValueError(f"index has {len(entries)} entries but full_shape {full_shape} has only "
                         f"{len(full_shape)} dimensions")
    entries = entries + (slice(None),) * (len(full_shape) - len(entries))
    result: list[int | slice | np.ndarray] = []
    for axis, (entry, n) in enumerate(zip(entries, full_shape)):
        if isinstance(entry, slice):
            if entry.indices(n)[2] != 1:
                raise ValueError(f"index entries must be step-1 slices, ints or 1-d int arrays; axis {axis} has "
                                 f"step {entry.step} (for a strided pick pass np.arange(start, stop, step))")
            result.append(entry)
        elif is_integer(entry) or (isinstance(entry, np.ndarray) and entry.ndim == 0 and entry.dtype.kind in "iu"):
            i = int(entry)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} of full_shape {full_shape}")
            result.append(i % n)
        elif _is_array_entry(entry):
            result.append(_array_ids(entry, axis, n, full_shape))
        else:
            raise TypeError(f"index entries must be ints or slices, or 1-d arrays of ints; got "
                            f"{type(entry).__name__} {entry!r} on axis {axis}")
    return tuple(result)


def outer_take(full: np.ndarray, entries: Sequence[int | slice | np.ndarray]) -> np.ndarray:
    """``full[index]`` with index arrays combined as an outer product (``np.ix_``), for
    ``entries`` from :func:`index_entries`: what a shard with index arrays must hold."""
    basic = tuple(slice(None) if isinstance(e, np.ndarray) else e for e in entries)
    part = full[basic]
    if not any(isinstance(e, np.ndarray) for e in entries):
        return part
    kept = [e for e in entries if not is_integer(e)]
    picks = [e if isinstance(e, np.ndarray) else np.arange(n) for e, n in zip(kept, part.shape)]
    taken: np.ndarray = part[np.ix_(*picks)]
    return taken


def _resolve_index(full_shape: tuple[int, ...], index: Index | None) -> tuple[tuple[int, ...], tuple[int, ...], int,
                                                                       list[np.ndarray | None] | None]:
    """(shape of full[index], logical strides of its axes, element index of its first element,
    per-axis offsets of index arrays or None)."""
    full_strides = _c_strides(full_shape)
    shape, strides, origin = [], [], 0
    offsets: list[np.ndarray | None] = []
    for entry, n, stride in zip(index_entries(full_shape, index), full_shape, full_strides):
        if isinstance(entry, slice):
            start, stop, _ = entry.indices(n)
            length = max(0, stop - start)
            shape.append(length)
            strides.append(stride)
            offsets.append(None)
            if length:
                origin += start * stride
        elif isinstance(entry, np.ndarray):
            shape.append(len(entry))
            strides.append(stride)
            offset = entry.astype(np.uint64)
            offset *= np.uint64(stride)
            offsets.append(offset)
        else:
            origin += entry * stride
    has_arrays = any(o is not None for o in offsets)
    return tuple(shape), tuple(strides), origin, offsets if has_arrays else None


def _check_size(full: tuple[int, ...]) -> None:
    count = 1
    for n in full:
        count *= n
    if count >= _MAX_ELEMENTS:
        raise ValueError(f"the logical tensor {full} has {count} elements; fastinit supports fewer than 2**63")


def resolve_target(
    out: Any,
    dtype: Any,
    default_dtype: Any,
    allowed: Mapping[np.dtype, str],
    full_shape: Shape | None,
    index: Index | None,
) -> Target:
    """Check ``out`` (an array, or a shape to allocate) against ``full_shape``/``index``."""
    if isinstance(out, np.ndarray):
        if dtype is not None and resolve_dtype(dtype) != out.dtype:
            raise TypeError(f"dtype={dtype!r} does not match out.dtype={out.dtype}; omit dtype when passing out")
        array = out
        fmt = format_of(out.dtype, allowed)
        if not out.flags.writeable:
            raise ValueError("out is read-only; pass a writable array (e.g. out.copy())")
        check_no_overlap(out)
    else:
        if out is None:
            raise TypeError("out must be a numpy.ndarray to fill in place, or a shape to allocate; got None")
        if (hasattr(out, "__array__") or hasattr(out, "__dlpack__")) and not isinstance(out, (tuple, list)):
            raise TypeError(
                f"out must be a numpy.ndarray (filled in place) or a shape, got {type(out).__name__}; "
                "for torch tensors use fastinit.torch, or pass tensor.numpy(); for CuPy arrays (GPU arrays "
                "exporting DLPack) use fastinit.cupy")
        if not is_integer(out) and _is_buffer(out):
            raise TypeError(
                f"out must be a numpy.ndarray (filled in place) or a shape (an int or a tuple/list of ints), "
                f"got {type(out).__name__}: a buffer is not a shape; to fill its memory, pass "
                "np.frombuffer(buf, dtype).reshape(shape) (a writable buffer such as bytearray)")
        shape = as_shape(out, "shape")
        dt = resolve_dtype(default_dtype if dtype is None else dtype)
        fmt = format_of(dt, allowed)
        array = np.empty(shape, dtype=dt)

    if full_shape is None:
        if index is not None:
            raise ValueError("index needs full_shape: pass the shape of the whole logical tensor")
        full = array.shape
        part_shape, strides, origin, offsets = full, _c_strides(full), 0, None
    else:
        full = as_shape(full_shape, "full_shape")
        _check_size(full)
        part_shape, strides, origin, offsets = _resolve_index(full, index)
        if part_shape != array.shape:
            raise ValueError(
                f"out has shape {array.shape} but full[index] has shape {part_shape} "
                f"(full_shape={full}, index={index!r})")
    _check_size(full)
    core_array = array.view(np.uint16) if fmt == "bfloat16" else array
    return Target(array, core_array, fmt, strides, origin, offsets)
