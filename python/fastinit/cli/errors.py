"""The command's errors: bad usage, and the one stderr line and exit code of any failure.

Exit codes: 2 for bad usage (:class:`UsageError`, and the TypeError/ValueError/OverflowError of
a parameter check), 1 for I/O and data problems (OSError, MemoryError, a damaged table).
"""

from __future__ import annotations

__all__ = ["UsageError", "error_line"]


class UsageError(Exception):
    """Bad usage: message for stderr, exit code 2."""


def error_line(command: str, exc: BaseException, table: str | None) -> tuple[int, str]:
    """The exit code and the one line for an error (usage 2; I/O and data problems 1)."""
    from ..outofcore import TableDataError, TableError

    one = " ".join(str(exc).split("\n"))
    if isinstance(exc, UsageError):
        return 2, f"fastinit {command}: error: {one} (see `fastinit {command} --help`)"
    if isinstance(exc, TableDataError):
        return 1, f"fastinit {command}: error: {one}"
    if isinstance(exc, (TableError, TypeError, ValueError, OverflowError)):
        return 2, f"fastinit {command}: error: {one}"
    if isinstance(exc, MemoryError):
        return 1, f"fastinit {command}: error: not enough memory{f' for {table}' if table else ''}: lower --chunk-mb"
    assert isinstance(exc, OSError)
    where = exc.filename if isinstance(exc.filename, str) else table
    cause = exc.strerror or str(exc)
    return 1, f"fastinit {command}: error: {f'{where}: ' if where else ''}{cause}"
