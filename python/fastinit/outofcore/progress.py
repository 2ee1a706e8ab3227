"""Progress of a write or a verification: rows done, GB/s and ETA, as a bar or as plain lines."""

from __future__ import annotations

import math
import time
from typing import TextIO

from .common import TableError

__all__ = ["Progress"]


def _fmt_seconds(s: float) -> str:
    """``M:SS`` or ``H:MM:SS`` (``?`` when not finite)."""
    if not math.isfinite(s):
        return "?"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


def _isatty(stream: TextIO | None) -> bool:
    """Is ``stream`` a terminal (False for None, or a closed stream)?"""
    try:
        return bool(getattr(stream, "isatty", lambda: False)())
    except (OSError, ValueError):
        return False


class Progress:
    """Rows done, GB/s and ETA on ``stream``: a bar redrawn in place (``"bar"``, a terminal), a
    plain line every ``interval`` seconds (``"lines"``), or nothing (``"none"``)."""

    def __init__(self, mode: str, total: int, done: int, row_elements: int, itemsize: int,
                 stream: TextIO | None, interval: float | None = None, label: str = "rows"):
        if mode == "auto":
            mode = "bar" if _isatty(stream) else "lines"
        if mode not in ("bar", "lines", "none"):
            raise TableError(f"progress must be 'auto', 'bar', 'lines' or 'none', got {mode!r}")
        self.mode = mode if stream is not None else "none"  # no stream (sys.stderr is None when closed)
        self.total, self.start_done, self.done = total, done, done
        self.row_elements = max(1, row_elements)
        self.itemsize = itemsize
        self.stream = stream
        self.interval = (0.1 if mode == "bar" else 10.0) if interval is None else interval
        self.label = label
        self.t0 = time.perf_counter()
        self.last = -math.inf
        self.width = 0

    def begin(self, done: int) -> None:
        """The write starts now, with ``done`` elements already done (a resumed run)."""
        self.start_done = self.done = done
        self.t0 = time.perf_counter()

    def _write(self, text: str) -> None:
        """Show ``text``; a stream that cannot be written (closed, a full disk) stops the
        progress, never the work it reports on."""
        try:
            assert self.stream is not None
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):
            self.mode = "none"

    def _line(self, now: float) -> str:
        """The text shown at time ``now``."""
        rows, total_rows = self.done // self.row_elements, self.total // self.row_elements
        frac = self.done / self.total if self.total else 1.0
        elapsed = now - self.t0
        written = (self.done - self.start_done) * self.itemsize
        rate = written / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) * self.itemsize / rate if rate > 0 else math.inf
        text = (f"{100 * frac:5.1f}%  {rows:,}/{total_rows:,} {self.label}  {rate / 1e9:.2f} GB/s  "
                f"ETA {_fmt_seconds(eta)}")
        if self.mode == "bar":
            n = 24
            filled = int(frac * n)
            return f"[{'#' * filled}{'-' * (n - filled)}] {text}"
        return f"fastinit: {text}"

    def update(self, done: int, force: bool = False) -> None:
        """``done`` elements are done; show it if ``interval`` has passed (or ``force``)."""
        self.done = done
        if self.mode == "none":
            return
        now = time.perf_counter()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        line = self._line(now)
        if self.mode == "bar":
            pad = max(0, self.width - len(line))
            self._write("\r" + line + " " * pad)
            self.width = len(line)
        else:
            self._write(line + "\n")

    def finish(self) -> None:
        """Show the final state (and end the bar's line)."""
        if self.mode == "none":
            return
        self.update(self.done, force=True)
        if self.mode == "bar":
            self._write("\n")
