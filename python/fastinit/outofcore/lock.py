"""The table lock: a run holds an exclusive lock on ``TABLE.fastinit.lock`` from before it reads
the record until it is done, so no two runs ever write (or delete) the same table.

The lock is ``flock`` on the lock file, opened without following a symbolic link. The file is
removed by the run that holds the lock, before it lets go; a run that locked a file which is no
longer at the lock's path (removed meanwhile) opens the path again. A process killed with
SIGKILL leaves an empty lock file that holds nothing: the kernel releases its lock, and the next
run on the table takes the file over (and removes it).
"""

from __future__ import annotations

import errno
import os
from typing import Any

from .common import TableDataError, lock_path

__all__ = ["TableLock"]

try:
    import fcntl
except ImportError:  # pragma: no cover - not on Windows
    fcntl = None  # type: ignore[assignment]  # no locking where there is no flock


def _same_file(fd: int, path: str) -> bool:
    """Is ``path`` (not following a link) the file open as ``fd``?"""
    try:
        st = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return False
    mine = os.fstat(fd)
    return (st.st_dev, st.st_ino) == (mine.st_dev, mine.st_ino)


def _open(path: str) -> int:
    """Open (or create) the lock file, never through a symbolic link."""
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        return os.open(path, flags, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise TableDataError(f"{path} is a symbolic link: fastinit does not follow links for its lock "
                                 "file; remove it") from None
        raise TableDataError(f"cannot create the lock file {path}: {exc.strerror}") from None


class TableLock:
    """The exclusive lock of one table, held from :meth:`acquire` to :meth:`release`."""

    def __init__(self, table: str):
        self.table = table
        self.path = lock_path(table)
        self.fd: int | None = None

    def _try(self) -> bool:
        """One attempt: True when locked (self.fd set), False when the file was replaced meanwhile."""
        fd = _open(self.path)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise TableDataError(f"{self.table} is being written by another fastinit run (it holds "
                                     f"{os.path.basename(self.path)}): wait for it to finish, or stop it "
                                     "first") from None
            raise TableDataError(f"cannot lock {self.path}: {exc.strerror}") from None
        if _same_file(fd, self.path):
            self.fd = fd
            return True
        os.close(fd)  # the run before us removed it after we opened it: open the path again
        return False

    def acquire(self) -> TableLock:
        """Take the lock (TableDataError at once if another run holds it)."""
        if fcntl is None:  # pragma: no cover
            return self
        for _ in range(100):
            if self._try():
                return self
        raise TableDataError(f"cannot lock {self.path}: it keeps being replaced")

    def release(self) -> None:
        """Remove the lock file and let go of the lock."""
        if self.fd is None:
            return
        try:
            if _same_file(self.fd, self.path):
                os.remove(self.path)
        except OSError:
            pass  # a lock file left behind holds nothing; the next run takes it over
        finally:
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> TableLock:
        return self.acquire()

    def __exit__(self, *exc: Any) -> None:
        self.release()
