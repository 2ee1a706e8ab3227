"""Where a view of a tensor sits in that tensor's logical (C-order) element numbering.

:func:`view_layout` maps a view (a slice, ``narrow``, ``select``, a transpose, a step slice, a
``reshape`` of a contiguous tensor, any ``as_strided`` window ...) to ``(logical_strides,
origin)``: element ``i`` of the view is element ``origin + sum_k i_k * logical_strides[k]`` of
the base tensor in C order, which is what fastinit's fills key their values on. Views whose
positions are not of that form (rare: windows that cross the rows of a non-contiguous base) raise
:class:`UnmappableViewError`. :func:`global_layout` carries such a layout in a DTensor's local
shard over to the global tensor (what :class:`fastinit.torch.seeded` keys a sharded draw on).
"""

from __future__ import annotations

from typing import Any

from .checks import Tensor

__all__ = ["UnmappableViewError", "view_layout", "contains", "global_layout", "is_whole"]


class UnmappableViewError(ValueError):
    """A view whose elements are not an affine family of the base's logical positions."""


def _c_strides(shape: tuple[int, ...]) -> list[int]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return strides[::-1]


def _decompose(offset: int, axes: list[tuple[int, int, int]]) -> list[int] | None:
    """Base multi-index of the element at memory ``offset`` (elements, relative to the base's first
    element), ``axes`` = (axis, stride, size) by decreasing stride; None if no element is there."""
    index = [0] * (max((a for a, _, _ in axes), default=-1) + 1)
    rest = offset
    for axis, stride, size in axes:
        j = rest // stride
        if not 0 <= j < size:
            return None
        index[axis] = j
        rest -= j * stride
    return index if rest == 0 else None


def _general(view: Tensor, base: Tensor, rel: int) -> tuple[list[int], int]:
    """Layout of ``view`` in a non-contiguous (but non-overlapping) ``base``."""
    shape = tuple(base.shape)
    axes = sorted(((d, st, n) for d, (st, n) in enumerate(zip(base.stride(), shape)) if n > 1),
                  key=lambda x: -x[1])
    c = _c_strides(shape)
    j0 = _decompose(rel, axes)
    if j0 is None:
        raise UnmappableViewError("the view does not start on an element of its base tensor")
    j0 += [0] * (len(shape) - len(j0))
    strides: list[int] = []
    lo, hi = list(j0), list(j0)
    for s, n in zip(view.stride(), view.shape):
        if n <= 1:
            strides.append(0)
            continue
        j1 = _decompose(rel + s, axes)
        if j1 is None:
            raise UnmappableViewError(f"a step of {s} elements does not land on an element of the base tensor")
        j1 += [0] * (len(shape) - len(j1))
        delta = [b - a for a, b in zip(j0, j1)]
        for d, dd in enumerate(delta):
            lo[d] += min(0, (n - 1) * dd)
            hi[d] += max(0, (n - 1) * dd)
        strides.append(sum(dd * cd for dd, cd in zip(delta, c)))
    if any(a < 0 for a in lo) or any(b >= n for b, n in zip(hi, shape)):
        raise UnmappableViewError("the view's axes cross the rows of its non-contiguous base tensor")
    return strides, sum(j * cd for j, cd in zip(j0, c))


def view_layout(view: Tensor, base: Tensor) -> tuple[list[int], int]:
    """``(logical_strides, origin)`` of ``view`` in ``base``'s C-order element numbering.

    Both must share storage and dtype and ``view``'s elements must lie inside ``base``'s. For a
    contiguous base the logical position of an element is its memory offset from the base's first
    element; otherwise the base's strides are inverted (greedy, largest stride first) and each view
    axis must step by a constant base multi-index without leaving the base. Logical strides are
    >= 0 (a negative one is refused), 0 on axes of size 1.

    Raises:
        UnmappableViewError: the view's positions are not ``origin + sum_k i_k * stride_k`` with
            non-negative strides.
    """
    if view.dtype != base.dtype:
        raise UnmappableViewError(f"the view has dtype {view.dtype} but its base tensor {base.dtype} "
                                  "(a .view(dtype) reinterpretation)")
    rel = int(view.storage_offset()) - int(base.storage_offset())
    if base.is_contiguous():
        strides = [st if n > 1 else 0 for st, n in zip(view.stride(), view.shape)]
        origin = rel
    else:
        strides, origin = _general(view, base, rel)
    if any(st < 0 for st in strides):
        raise UnmappableViewError("the view runs backwards through its base tensor's logical order")
    last = origin + sum((n - 1) * st for st, n in zip(strides, view.shape) if n > 0)
    if view.numel() and not (0 <= origin and last < base.numel()):
        raise UnmappableViewError("the view reaches outside its base tensor")
    return strides, origin


def contains(base: Tensor, view: Tensor) -> bool:
    """Whether ``view``'s memory lies inside ``base``'s (same storage assumed)."""
    if view.numel() == 0 or base.numel() == 0:
        return False
    def extent(t: Tensor) -> tuple[int, int]:
        lo = int(t.storage_offset()) * t.element_size()
        span = int(sum((n - 1) * st for st, n in zip(t.stride(), t.shape) if n > 0))
        return lo, lo + (span + 1) * t.element_size()
    b0, b1 = extent(base)
    v0, v1 = extent(view)
    return b0 <= v0 and v1 <= b1



def _unravel(flat: int, shape: tuple[int, ...]) -> list[int]:
    """The C-order multi-index of element ``flat`` of a tensor of ``shape``."""
    index = []
    for n in reversed(shape):
        flat, j = divmod(flat, n) if n else (flat, 0)
        index.append(j)
    return index[::-1]


def global_layout(view_shape: tuple[int, ...], strides: list[int], origin: int, local_shape: tuple[int, ...],
                  full_shape: tuple[int, ...], index: tuple[Any, ...]) -> tuple[list[int], int]:
    """``(strides, origin)`` of a view in the *global* tensor's C order, from its layout in a local
    shard (``strides``/``origin`` from :func:`view_layout` on the shard) and the shard's place in
    the global tensor (``index``: one step-1 slice or int64 array of global ids per dimension, as
    :func:`fastinit.torch.dtensor_index` gives).

    Each view axis must step by a constant multi-index of the shard without leaving it; an axis of
    the shard given by an array of ids must stay fixed over the view (its global position is then
    one id). Raises :class:`UnmappableViewError` otherwise, and for a global stride < 0.
    """
    j0 = _unravel(origin, local_shape)
    lo, hi = list(j0), list(j0)
    deltas: list[list[int]] = []
    for s, n in zip(strides, view_shape):
        if n <= 1 or s == 0:
            deltas.append([0] * len(local_shape))
            continue
        delta = [b - a for a, b in zip(j0, _unravel(origin + s, local_shape))]
        for d, dd in enumerate(delta):
            lo[d] += min(0, (n - 1) * dd)
            hi[d] += max(0, (n - 1) * dd)
        deltas.append(delta)
    if any(a < 0 for a in lo) or any(b >= n for b, n in zip(hi, local_shape)):
        raise UnmappableViewError("the view's axes cross the rows of the local shard, whose rows are apart in "
                                  "the global tensor")
    g = _c_strides(full_shape)
    start = []
    for d, entry in enumerate(index):
        if isinstance(entry, slice):
            start.append(int(entry.start or 0))
            continue
        if any(delta[d] for delta in deltas):
            raise UnmappableViewError(f"the view moves along dimension {d}, whose local rows are not one block of "
                                      "the global tensor (a _StridedShard)")
        start.append(int(entry[j0[d]]) - j0[d])
    global_strides = [sum(dd * gd for dd, gd in zip(delta, g)) for delta in deltas]
    if any(st < 0 for st in global_strides):
        raise UnmappableViewError("the view runs backwards through the global tensor's logical order")
    return global_strides, sum((s + j) * gd for s, j, gd in zip(start, j0, g))


def is_whole(view: Tensor, base: Tensor) -> bool:
    """Whether ``view`` is ``base`` itself in C order (same first element, shape and logical order)."""
    if tuple(view.shape) != tuple(base.shape) or view.storage_offset() != base.storage_offset():
        return False
    try:
        strides, origin = view_layout(view, base)
    except UnmappableViewError:
        return False
    c = _c_strides(tuple(base.shape))
    return origin == 0 and all(s == cs or n <= 1 for s, cs, n in zip(strides, c, base.shape))
