"""The summary of a write: what was written, how fast, with how much memory, and the table's
statistics next to the ones its initializer should give."""

from __future__ import annotations

import resource
import sys
from dataclasses import dataclass

from ..names.expected import Expected
from .stats import Stats

__all__ = ["TableSummary", "peak_rss"]


def peak_rss() -> int:
    """This process's peak resident memory, in bytes."""
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


def _g(x: float | None) -> str:
    """A statistic for the table: 4 significant digits, ``-`` for none."""
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.4g}"


@dataclass
class TableSummary:
    """What :func:`write_table` did (``str(summary)`` is the text the command line prints)."""

    path: str
    format: str
    shape: tuple[int, ...]
    dtype: str
    init: str
    seed: int
    stream: int
    elements: int
    nbytes: int
    elements_written: int  # by this run (less than ``elements`` after a resume)
    resumed_from: int  # elements already done when this run started
    seconds: float
    complete: bool
    interrupted: str | None
    stats: Stats | None
    expected: Expected | None
    peak_rss: int
    threads: int
    chunk_bytes: int
    resume_command: str = ""

    @property
    def throughput(self) -> float:
        """Bytes per second written by this run."""
        return self.elements_written * (self.nbytes // max(1, self.elements)) / self.seconds if self.seconds else 0.0

    def _stats_lines(self) -> list[str]:
        """The table's mean/std/min/max (and the expected ones), when there are statistics."""
        st = self.stats
        if st is None or not st.count:
            return []
        note = "" if st.count == self.elements else f" ({st.count:,} elements written so far)"
        lines = [f"               {'mean':>11} {'std':>11} {'min':>11} {'max':>11}",
                 f"  table        {_g(st.mean):>11} {_g(st.std):>11} {_g(st.min):>11} {_g(st.max):>11}{note}"]
        ex = self.expected
        if ex is not None:
            lines.append(f"  expected     {_g(ex.mean):>11} {_g(ex.std):>11} {_g(ex.min):>11} {_g(ex.max):>11}")
        return lines

    def __str__(self) -> str:
        shape = " x ".join(f"{d:,}" for d in self.shape) or "scalar"
        state = "wrote" if self.complete else "stopped writing"
        lines = [f"fastinit: {state} {self.path} ({shape} {self.dtype}, {self.elements:,} elements, "
                 f"{self.nbytes / 1e9:.3g} GB)"]
        lines.append(f"  init         {self.init}, seed={self.seed}, stream={self.stream}")
        if self.expected is not None:
            lines.append(f"               = {self.expected.describe()} (fans from the full shape)")
        eps = self.elements_written / self.seconds if self.seconds else 0.0
        lines.append(f"  time         {self.seconds:.2f} s for {self.elements_written:,} elements: "
                     f"{eps / 1e6:,.0f} M elements/s, {self.throughput / 1e9:.2f} GB/s "
                     f"({self.threads} threads, chunks of {self.chunk_bytes / 2**20:g} MiB)")
        if self.resumed_from:
            lines.append(f"  resumed      at element {self.resumed_from:,}")
        lines.append(f"  peak memory  {self.peak_rss / 2**20:,.0f} MiB resident (this process)")
        lines += self._stats_lines()
        if not self.complete and self.resume_command:
            lines.append(f"  continue with: {self.resume_command}")
        return "\n".join(lines)
