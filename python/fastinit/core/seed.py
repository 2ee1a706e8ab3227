"""The seed and stream arguments of every random fill (docs/stream-v1.md, section 2)."""

from __future__ import annotations

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
    """A named stream: the little-endian uint64 of ``blake2b(name.encode("utf-8"), digest_size=8)``."""
    digest = hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def resolve_stream(stream: Stream) -> int:
    """The 64-bit stream number: an int in [0, 2**64), or a str hashed by :func:`stream_from_name`."""
    if isinstance(stream, str):
        return stream_from_name(stream)
    return _as_u64(stream, "stream")
