"""Where a view of a tensor sits in that tensor's logical (C-order) element numbering.

:func:`view_layout` maps a view (a slice, ``narrow``, ``select``, a transpose, a step slice, a
``reshape`` of a contiguous tensor, any ``as_strided`` window ...) to ``(logical_strides,
origin)``: element ``i`` of the view is element ``origin + sum_k i_k * logical_strides[k]`` of
the base tensor in C order, which is what fastinit's fills key their values on. Views whose
positions are not of that form (rare: windows that cross the rows of a non-contiguous base) raise
:class:`UnmappableViewError`.
"""

from __future__ import annotations

from .checks import Tensor

__all__ = ["UnmappableViewError", "view_layout", "contains"]


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

