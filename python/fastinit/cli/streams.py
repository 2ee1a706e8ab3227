"""The command's stdout and stderr: streams that never raise, and descriptors 0-2 kept open.

:class:`Stream` wraps ``sys.stdout``/``sys.stderr`` so that a closed, missing or full stream
never turns into a traceback (``failed`` says why something could not be written);
:func:`guard_std_fds` keeps a table or record this process opens from landing on descriptor 0,
1 or 2.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["Stream", "guard_std_fds"]


class Stream:
    """stdout or stderr as the command writes to them: a stream that is closed, missing (None:
    the descriptor was closed when Python started) or full never raises; ``failed`` says why
    something could not be written."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.failed: str | None = None if stream is not None else "closed"

    def write(self, text: str) -> int:
        """Write ``text`` unless an earlier write failed; returns ``len(text)`` either way."""
        if self.failed is None:
            try:
                self.stream.write(text)
            except (OSError, ValueError) as exc:
                self.failed = getattr(exc, "strerror", None) or str(exc)
        return len(text)

    def flush(self) -> None:
        """Flush unless an earlier write failed; a failure is kept in ``failed``."""
        if self.failed is None:
            try:
                self.stream.flush()
            except (OSError, ValueError) as exc:
                self.failed = getattr(exc, "strerror", None) or str(exc)

    def isatty(self) -> bool:
        """Whether the stream is a terminal (False once it has failed)."""
        try:
            return self.failed is None and bool(self.stream.isatty())
        except (OSError, ValueError, AttributeError):
            return False

    def settle(self) -> None:
        """Flush; when that fails, point the descriptor at /dev/null, so that what is still
        buffered is dropped at exit instead of failing there (Python exits 120 when it cannot
        flush stdout)."""
        self.flush()
        if self.failed is None or self.stream is None:
            return
        try:
            fd = self.stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        except (OSError, ValueError, AttributeError):
            pass


def guard_std_fds() -> None:
    """Open /dev/null on descriptors 0, 1 and 2 if they are closed, so that no file this process
    opens (a table, its record) gets one of them, where something printing could write into it."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)
