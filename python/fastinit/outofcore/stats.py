"""Running statistics of what is written (mean, std, min, max), computed chunk by chunk in one
pass, in parallel, and kept in the resume record so that a resumed run reports the whole table."""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["STATS_PART", "Stats", "as_float"]

STATS_PART = 1 << 18
"""Elements per statistics task."""

_F16_SCALE = np.float32(2.0**112)

PartStats = tuple[int, float, float, float, float]
"""``(count, sum, sum of squares, min, max)`` of one part of a chunk."""


def as_float(x: npt.NDArray[Any], dtname: str) -> npt.NDArray[Any]:
    """``x`` as float32 (float32/float64 unchanged), exactly, for the statistics."""
    if dtname == "bfloat16":
        a = x.view(np.uint16).astype(np.uint32)
        np.left_shift(a, 16, out=a)
        return a.view(np.float32)
    if dtname == "float16":
        # 3x faster than x.astype(np.float32): move sign, exponent and mantissa into float32's
        # places and rescale by 2**112 (exact for every finite value, subnormals included)
        a = x.view(np.uint16).astype(np.uint32)
        sign = np.bitwise_and(a, 0x8000)
        np.left_shift(sign, 16, out=sign)
        np.bitwise_and(a, 0x7FFF, out=a)
        np.left_shift(a, 13, out=a)
        np.bitwise_or(a, sign, out=a)
        f = a.view(np.float32)
        np.multiply(f, _F16_SCALE, out=f)
        return f
    return x


def _part_stats(x: npt.NDArray[Any], dtname: str, shift: float) -> PartStats:
    """Statistics of one flat part; the sums are of ``x - shift``."""
    f = as_float(x, dtname)
    lo, hi = float(f.min()), float(f.max())
    if shift:
        f = f - f.dtype.type(shift)
    return f.size, float(f.sum()), float(np.dot(f, f)), lo, hi


@dataclass
class Stats:
    """Running mean/std/min/max of what was written, in one pass, chunk by chunk. Sums are of
    ``x - shift`` (the expected mean), so they stay accurate when the mean is large."""

    shift: float = 0.0
    count: int = 0
    s1: float = 0.0
    s2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def add(self, block: npt.NDArray[Any], dtname: str, pool: ThreadPoolExecutor | None) -> None:
        """Add the elements of ``block`` (of the table's type ``dtname``), in parts on ``pool``."""
        flat = block.reshape(-1)
        if flat.size == 0:
            return
        parts = [flat[i:i + STATS_PART] for i in range(0, flat.size, STATS_PART)]
        if pool is not None and len(parts) > 1:
            results = list(pool.map(lambda x: _part_stats(x, dtname, self.shift), parts))
        else:
            results = [_part_stats(x, dtname, self.shift) for x in parts]
        for n, s1, s2, lo, hi in results:
            self.count += n
            self.s1 += s1
            self.s2 += s2
            self.min = min(self.min, lo)
            self.max = max(self.max, hi)

    @property
    def mean(self) -> float:
        """The mean of the elements added (NaN before any)."""
        return self.shift + self.s1 / self.count if self.count else math.nan

    @property
    def std(self) -> float:
        """The (population) standard deviation of the elements added (NaN before any)."""
        if not self.count:
            return math.nan
        m = self.s1 / self.count
        return math.sqrt(max(0.0, self.s2 / self.count - m * m))

    def to_json(self) -> dict[str, Any]:
        """The state, as the resume record keeps it (infinite bounds as None)."""
        return {"shift": self.shift, "count": self.count, "s1": self.s1, "s2": self.s2,
                "min": self.min if math.isfinite(self.min) else None,
                "max": self.max if math.isfinite(self.max) else None}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Stats:
        """The state :meth:`to_json` recorded."""
        return cls(float(d["shift"]), int(d["count"]), float(d["s1"]), float(d["s2"]),
                   math.inf if d.get("min") is None else float(d["min"]),
                   -math.inf if d.get("max") is None else float(d["max"]))
