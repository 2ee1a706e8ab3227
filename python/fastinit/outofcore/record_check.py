"""Checking a resume record before anything trusts it: every field present, of its type and in
its range, and the fields consistent with each other. A record is a file anybody can edit (or
that a disk can damage): a bad one is refused with a message naming the file and the field."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from .common import TableDataError, prod

__all__ = ["RECORD_VERSION", "check_record", "check_stats"]

RECORD_VERSION = 1
"""The record format this version writes and understands (its ``fastinit_sidecar`` field)."""

_STATS_NUMBERS = ("shift", "s1", "s2")
_STATS_BOUNDS = ("min", "max")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return (isinstance(v, (int, float)) and not isinstance(v, bool)) and math.isfinite(v)


def _bad(path: str, what: str) -> TableDataError:
    return TableDataError(f"the resume record {path} is damaged: {what}; start over with --force")


def _field(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...], path: str) -> Any:
    """``data[key]``, which must be of type ``kind`` (an int never a bool)."""
    v = data.get(key)
    ok = _is_int(v) if kind is int else isinstance(v, kind) and not isinstance(v, bool)
    if not ok:
        name = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _bad(path, f"{key} must be {'an' if name[0] in 'aeiou' else 'a'} {name}, got {v!r}")
    return v


def check_stats(stats: Any, done: int, path: str) -> None:
    """The running statistics in a record: None or {} (none kept), or every sum a finite number,
    the bounds numbers or None, and a count of at most the elements done."""
    if stats is None or stats == {}:
        return
    if not isinstance(stats, dict):
        raise _bad(path, f"stats must be an object, got {stats!r}")
    count = stats.get("count")
    if not (isinstance(count, int) and _is_int(count) and 0 <= count <= done):
        raise _bad(path, f"stats.count must be an integer in [0, {done:,}], got {count!r}")
    for key in _STATS_NUMBERS:
        if not _is_number(stats.get(key)):
            raise _bad(path, f"stats.{key} must be a finite number, got {stats.get(key)!r}")
    for key in _STATS_BOUNDS:
        v = stats.get(key)
        if v is not None and not _is_number(v):
            raise _bad(path, f"stats.{key} must be a finite number or null, got {v!r}")


def _check_shape(data: Mapping[str, Any], path: str) -> int:
    """The shape (a list of sizes) and the element count it implies; returns that count."""
    shape = _field(data, "shape", list, path)
    if not all(_is_int(d) and d >= 0 for d in shape):
        raise _bad(path, f"shape must be a list of sizes >= 0, got {shape!r}")
    total = _field(data, "elements_total", int, path)
    if total != prod(tuple(shape)):
        raise _bad(path, f"elements_total {total!r} is not the number of elements of shape {shape}")
    return int(total)


def check_record(data: Any, path: str) -> None:
    """TableDataError naming ``path`` and the field unless ``data`` is a record this version can
    resume from: its version, every setting of its type, the counts in range and consistent."""
    if not isinstance(data, dict) or data.get("fastinit_sidecar") != RECORD_VERSION:
        raise TableDataError(f"{path} is not a fastinit resume record this version understands; start over "
                             "with --force")
    for key in ("format", "dtype", "init"):
        _field(data, key, str, path)
    _field(data, "params", dict, path)
    for key in ("seed", "stream", "stream_version"):
        _field(data, key, int, path)
    total = _check_shape(data, path)
    done = _field(data, "elements_done", int, path)
    if not 0 <= done <= total:
        raise _bad(path, f"elements_done {done:,} is not in [0, {total:,}]")
    rows = data.get("zarr_chunk_rows", 0)
    if not _is_int(rows) or rows < 0:
        raise _bad(path, f"zarr_chunk_rows must be an integer >= 0, got {rows!r}")
    check_stats(data.get("stats"), done, path)
