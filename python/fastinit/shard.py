"""Shards: which slice of a logical tensor each of ``world_size`` ranks owns.

``shard_index(full_shape, rank, world_size, axis)`` splits one axis into ``world_size``
contiguous, balanced ranges (sizes differ by at most one, the larger ones first) and returns the
index of rank ``rank``'s part, made of step-1 slices. Pass it, with ``full_shape``, to any fill or
preset: N ranks filling their shards write the whole tensor bit for bit, fans come from the full
shape::

    idx = fastinit.shard_index((10**9, 128), rank, world_size)          # row shard (embeddings)
    part = fastinit.he_normal(fastinit.shard_shape((10**9, 128), rank, world_size),
                              seed=0, stream="emb", full_shape=(10**9, 128), index=idx)

    idx = fastinit.shard_index((8192, 32768), rank, world_size, axis=1)  # column shard (tensor parallel)
"""

from typing import Any

from .core.checks import integer
from .core.layout import as_shape

__all__ = ["shard_index", "shard_shape", "shard_range"]


def shard_range(n: int, rank: int, world_size: int) -> tuple[int, int]:
    """``(start, stop)`` of rank ``rank``'s part when ``n`` items are split over ``world_size``
    ranks: ``n // world_size`` items each, one more for the first ``n % world_size`` ranks.
    Ranks past ``n`` (when ``world_size > n``) get an empty range."""
    n = integer(n, "n")
    world_size = integer(world_size, "world_size")
    rank = integer(rank, "rank")
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    if world_size < 1:
        raise ValueError(f"world_size must be >= 1, got {world_size}")
    if not 0 <= rank < world_size:
        raise ValueError(f"rank must be in [0, world_size) = [0, {world_size}), got {rank}")
    base, extra = divmod(n, world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (1 if rank < extra else 0)


def _checked(full_shape: Any, axis: Any) -> tuple[tuple[int, ...], int]:
    shape = as_shape(full_shape, "full_shape")
    axis = integer(axis, "axis")
    if not shape:
        raise ValueError("full_shape is () (a scalar): there is nothing to shard; fill it whole")
    if not -len(shape) <= axis < len(shape):
        raise ValueError(f"axis={axis} is out of range for full_shape {shape}; use an axis in "
                         f"[{-len(shape)}, {len(shape)})")
    return shape, axis % len(shape)


def shard_index(full_shape: Any, rank: int, world_size: int, axis: int = 0) -> tuple[slice, ...]:
    """The index (one step-1 slice per axis) of the part of ``full_shape`` that rank ``rank`` of
    ``world_size`` owns when the tensor is split along ``axis``.

    Parts are contiguous and balanced: with ``n = full_shape[axis]``, every rank gets
    ``n // world_size`` entries and the first ``n % world_size`` ranks one more; ranks beyond
    ``n`` get an empty part. Every other axis is whole (``slice(None)``).

    ``fill(part, ..., full_shape=full_shape, index=shard_index(...))`` on every rank writes exactly
    the tensor one whole fill would write, bit for bit; so does ``full[shard_index(...)]``.

    Args:
        full_shape: The shape of the whole logical tensor (rank >= 1).
        rank: This process's rank, in ``[0, world_size)``.
        world_size: The number of ranks, >= 1.
        axis: The axis to split: 0 (the default) for row (embedding, data) sharding, 1 or -1 for column
            (tensor-parallel) sharding; negative values count from the end.

    Returns:
        A tuple of slices, one per axis of ``full_shape``: pass it as ``index=`` to a fill.

    Raises:
        TypeError: an argument is not an int (``full_shape``: not a shape).
        ValueError: a rank outside ``[0, world_size)``, ``world_size < 1``, an axis out of range
            or a 0-d ``full_shape``.

    Example:
        >>> import numpy as np, fastinit
        >>> fastinit.shard_index((10, 4), rank=1, world_size=3)  # rows 4, 5, 6 of 10
        (slice(4, 7, None), slice(None, None, None))
        >>> whole = fastinit.normal((10, 4), seed=0, stream="emb")
        >>> parts = [fastinit.normal(fastinit.shard_shape((10, 4), r, 3), seed=0, stream="emb",
        ...                          full_shape=(10, 4), index=fastinit.shard_index((10, 4), r, 3))
        ...          for r in range(3)]
        >>> np.array_equal(np.concatenate(parts), whole)
        True
    """
    shape, ax = _checked(full_shape, axis)
    start, stop = shard_range(shape[ax], rank, world_size)
    return tuple(slice(start, stop) if a == ax else slice(None) for a in range(len(shape)))


def shard_shape(full_shape: Any, rank: int, world_size: int, axis: int = 0) -> tuple[int, ...]:
    """The shape of rank ``rank``'s part of ``full_shape`` (see :func:`shard_index`).

    Args:
        full_shape: The shape of the whole logical tensor (rank >= 1).
        rank: This process's rank, in ``[0, world_size)``.
        world_size: The number of ranks, >= 1.
        axis: The axis to split (default 0); negative values count from the end.

    Returns:
        ``full_shape`` with ``full_shape[axis]`` replaced by the size of the part: allocate the
        part with it.

    Raises:
        TypeError: an argument is not an int (``full_shape``: not a shape).
        ValueError: as :func:`shard_index`.

    Example:
        >>> import fastinit
        >>> fastinit.shard_shape((10, 4), rank=1, world_size=3)
        (3, 4)
        >>> fastinit.shard_shape((8, 6), rank=0, world_size=4, axis=1)  # a column shard
        (8, 2)
    """
    shape, ax = _checked(full_shape, axis)
    start, stop = shard_range(shape[ax], rank, world_size)
    return shape[:ax] + (stop - start,) + shape[ax + 1:]
