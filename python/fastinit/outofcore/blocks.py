"""The walk over a table: contiguous blocks of the flat C-order range, each a slice of the full
tensor, so that a chunk fills exactly as the same part of an in-memory fill would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["Block", "blocks"]

Block = tuple[int, int, tuple[Any, ...], tuple[int, ...]]
"""``(flat_start, count, index, block_shape)``, as :func:`blocks` yields them."""


def _c_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """Element strides of a C-order tensor of ``shape``."""
    out, step = [], 1
    for d in reversed(shape):
        out.append(step)
        step *= d
    return tuple(reversed(out))


def blocks(shape: tuple[int, ...], start: int, stop: int, max_elements: int) -> Iterator[Block]:
    """Cover the flat C-order range ``[start, stop)`` of a tensor of ``shape`` with contiguous
    blocks of at most ``max_elements`` (>= 1) elements, in order.

    Yields ``(flat_start, count, index, block_shape)``: ``index`` (ints then one step-1 slice) is
    the block's place in the full tensor and ``block_shape`` the shape of ``full[index]``. Blocks
    are whole rows when a row fits, else pieces of a row (and so on down the axes).
    """
    if max_elements < 1:
        raise ValueError("max_elements must be >= 1")
    if not shape:
        if start < stop:
            yield 0, 1, (), ()
        return
    strides = _c_strides(shape)
    p = start
    while p < stop:
        limit = min(stop - p, max_elements)
        k = len(shape) - 1
        for axis, st in enumerate(strides):
            if p % st == 0 and st <= limit:
                k = axis
                break
        coords, rem = [], p
        for st in strides[:k + 1]:
            coords.append(rem // st)
            rem %= st
        m = min(shape[k] - coords[k], limit // strides[k])
        index = tuple(coords[:k]) + (slice(coords[k], coords[k] + m),)
        yield p, m * strides[k], index, (m,) + shape[k + 1:]
        p += m * strides[k]
