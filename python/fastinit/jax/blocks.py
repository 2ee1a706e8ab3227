"""A device's block of a sharded array: its ``(start, stop)`` bounds in each dimension, from the
index JAX gives for it (``Sharding.addressable_devices_indices_map``, ``make_array_from_callback``)."""

from typing import Any

__all__ = ["Bounds", "bounds"]

#: a shard's bounds: ``(start, stop)`` per dimension.
Bounds = tuple[tuple[int, int], ...]


def bounds(index: Any, dims: tuple[int, ...]) -> Bounds:
    """A shard's index from JAX (a tuple of step-1 slices, possibly open) as ``(start, stop)`` pairs."""
    parts = tuple(index) + (slice(None),) * (len(dims) - len(tuple(index)))
    result = []
    for part, n in zip(parts, dims):
        start, stop, step = part.indices(n)
        if step != 1:  # pragma: no cover - JAX's shard indices are contiguous
            raise ValueError(f"a shard index with step {step} (index {index}) is not supported")
        result.append((start, max(start, stop)))
    return tuple(result)
