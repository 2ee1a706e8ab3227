"""Where ``out`` sits in the logical tensor: ``out`` holds ``full[index]`` of a tensor of shape
``full_shape``, and element values depend only on their flat C-order index in that tensor."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Union

import numpy as np

from .checks import is_integer
from .dtypes import format_of, resolve_dtype

__all__ = ["Shape", "Index", "Target", "as_shape", "resolve_target"]

Shape = Union[int, Sequence[int]]
Index = Union[int, slice, tuple[Union[int, slice], ...]]

_MAX_ELEMENTS = 1 << 63


@dataclass(frozen=True)
class Target:
    """An output array (as the core sees it) and its place in the logical tensor."""

    array: np.ndarray  # what the caller gets back
    core_array: np.ndarray  # the same memory, viewed as the core's dtype (bfloat16 as uint16)
    format: str
    logical_strides: tuple[int, ...]
    origin: int


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


def _check_no_overlap(a: np.ndarray) -> None:
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


def _resolve_index(full_shape: tuple[int, ...], index: Index) -> tuple[tuple[int, ...], tuple[int, ...], int]:
    """(shape of full[index], logical strides of its axes, element index of its first element)."""
    if not isinstance(index, tuple):
        index = (index,)
    if len(index) > len(full_shape):
        raise ValueError(f"index has {len(index)} entries but full_shape {full_shape} has only "
                         f"{len(full_shape)} dimensions")
    index = index + (slice(None),) * (len(full_shape) - len(index))
    full_strides = _c_strides(full_shape)
    shape, strides, origin = [], [], 0
    for axis, (entry, n, stride) in enumerate(zip(index, full_shape, full_strides)):
        if isinstance(entry, slice):
            start, stop, step = entry.indices(n)
            if step != 1:
                raise ValueError(f"index entries must be step-1 slices or ints; axis {axis} has step {entry.step}")
            length = max(0, stop - start)
            shape.append(length)
            strides.append(stride)
            if length:
                origin += start * stride
        elif is_integer(entry):
            i = int(entry)
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {axis} of full_shape {full_shape}")
            origin += (i % n) * stride
        else:
            raise TypeError(f"index entries must be ints or slices, got {type(entry).__name__} {entry!r} "
                            f"on axis {axis}")
    return tuple(shape), tuple(strides), origin


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
        _check_no_overlap(out)
    else:
        if out is None:
            raise TypeError("out must be a numpy.ndarray to fill in place, or a shape to allocate; got None")
        if hasattr(out, "__array__") and not isinstance(out, (tuple, list)):
            raise TypeError(
                f"out must be a numpy.ndarray (filled in place) or a shape, got {type(out).__name__}; "
                "for torch tensors use fastinit.torch, or pass tensor.numpy()")
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
        part_shape, strides, origin = full, _c_strides(full), 0
    else:
        full = as_shape(full_shape, "full_shape")
        _check_size(full)
        part_shape, strides, origin = _resolve_index(full, () if index is None else index)
        if part_shape != array.shape:
            raise ValueError(
                f"out has shape {array.shape} but full[index] has shape {part_shape} "
                f"(full_shape={full}, index={index!r})")
    _check_size(full)
    core_array = array.view(np.uint16) if fmt == "bfloat16" else array
    return Target(array, core_array, fmt, strides, origin)
