"""The seed and stream arguments of every random fill (docs/stream-v1.md, section 2)."""

import hashlib
import secrets
from typing import Optional, Union

from .checks import integer

__all__ = ["Seed", "Stream", "resolve_seed", "resolve_stream", "stream_from_name"]

Seed = Optional[int]
Stream = Union[int, str]

_U64 = 1 << 64


def _as_u64(value: object, name: str) -> int:
    v = integer(value, name, expected="an int in [0, 2**64)")
    if not 0 <= v < _U64:
        raise ValueError(f"{name} must be in [0, 2**64), got {v}")
    return v


def resolve_seed(seed: Seed) -> int:
    """The 64-bit Philox key: ``seed`` itself, or fresh OS entropy when ``seed`` is None."""
    if seed is None:
        return secrets.randbits(64)
    return _as_u64(seed, "seed")


def stream_from_name(name: str) -> int:
    """The stream number that a str ``stream`` stands for in every fill.

    It is the little-endian uint64 of ``blake2b(name.encode("utf-8"), digest_size=8)``
    (docs/stream-v1.md), so ``stream="encoder.weight"`` and
    ``stream=stream_from_name("encoder.weight")`` give the same values. Naming each tensor's stream
    after its parameter keeps tensors independent whatever order they are filled in.

    Args:
        name: Any str, e.g. a parameter's name.

    Returns:
        An int in [0, 2**64).

    Raises:
        TypeError: ``name`` is not a str.

    Example:
        >>> import numpy as np, fastinit
        >>> hex(fastinit.stream_from_name("encoder.weight"))
        '0xfec28ab4d88df0a5'
        >>> a = fastinit.normal(3, seed=0, stream="encoder.weight")
        >>> np.array_equal(a, fastinit.normal(3, seed=0, stream=fastinit.stream_from_name("encoder.weight")))
        True
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__} {name!r}")
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def resolve_stream(stream: Stream) -> int:
    """The 64-bit stream number: an int in [0, 2**64), or a str hashed by :func:`stream_from_name`."""
    if isinstance(stream, str):
        return stream_from_name(stream)
    return _as_u64(stream, "stream")
