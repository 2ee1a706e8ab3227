"""Time the hypervisor took from this virtual machine's CPUs, and a timer that does not count it.

On a virtual machine, Linux counts as *steal* the time a virtual CPU was ready to run but the host
ran something else (``/proc/stat``, the 8th number of the ``cpu`` line, in clock ticks of
``SC_CLK_TCK``, usually 10 ms). A fill timed across such a pause measures the host, not fastinit:
on the 2-core VM of bench/reference/epyc-zen2-2core-2026-12-05.txt, transposed 11585^2 float16
``normal`` on 2 threads took 1.21x the C-order time in rounds without steal and 1.80x and 2.01x in
rounds during which the host took 200 and 270 ms.

``steady_median_seconds`` retimes such rounds; the layout and thread-scaling rows (test_throughput.py)
use it.
"""

from __future__ import annotations

import os
import statistics
import time
from dataclasses import dataclass
from typing import Callable

__all__ = ["Timing", "steady_median_seconds", "steal_seconds"]


def steal_seconds(path: str = "/proc/stat") -> float | None:
    """Steal time of all CPUs since boot, in seconds; None where the OS does not count it (not
    Linux, or a kernel whose ``cpu`` line has no steal field)."""
    try:
        with open(path) as f:
            fields = f.readline().split()
        return int(fields[8]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


@dataclass(frozen=True)
class Timing:
    """A median and how it was reached: ``retimed`` rounds overlapped steal and were left out;
    ``steady`` is False when no round was free of it (the median is then of every round)."""

    seconds: float
    retimed: int
    steady: bool

    def note(self) -> str:
        """What a result row should say of its rounds: "" when none overlapped steal."""
        if not self.steady:
            return "host steal in every round"
        return f"{self.retimed} round(s) with host steal retimed" if self.retimed else ""


def steady_median_seconds(fn: Callable[[], object], repeat: int,
                          steal: Callable[[], float | None] = steal_seconds,
                          clock: Callable[[], float] = time.perf_counter) -> Timing:
    """Median wall time of ``repeat`` calls of ``fn`` during which the host stole no CPU time,
    after one untimed call (as fastinit.core.timing.median_seconds). A round that overlapped steal
    is timed again, up to ``3 * repeat`` calls in all; without any steady round, the median of all
    of them. Where ``steal()`` is None, every round counts as steady. ``steal`` and ``clock`` are
    for tests.

    Example:
        >>> t = steady_median_seconds(lambda: sum(range(1000)), 3)
        >>> t.seconds > 0 and t.steady
        True
    """
    if repeat < 1:
        raise ValueError(f"repeat must be at least 1, got {repeat}")
    fn()
    steady: list[float] = []
    every: list[float] = []
    while len(steady) < repeat and len(every) < 3 * repeat:
        before = steal()
        t0 = clock()
        fn()
        seconds = clock() - t0
        after = steal()
        every.append(seconds)
        if before is None or after is None or after == before:
            steady.append(seconds)
    if not steady:
        return Timing(statistics.median(every), len(every), False)
    return Timing(statistics.median(steady), len(every) - len(steady), True)
