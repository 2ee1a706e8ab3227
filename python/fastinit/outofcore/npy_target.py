"""A ``.npy`` table on disk: created exclusively (never through a symbolic link) with a
placeholder header, its disk blocks reserved, reopened (and checked) to resume, and given its
real header only once every element is written.

Chunks are written through a memory map of one chunk at a time when the blocks are reserved.
Where the file system cannot reserve blocks (ext2, some network file systems), a memory-mapped
write to a full disk would kill the process (SIGBUS): there each chunk is filled in a buffer and
written with ``pwrite``, which reports a full disk as an error.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Mapping
from typing import IO, Any

import numpy as np
import numpy.typing as npt

from .common import TableDataError
from .npy import is_placeholder, npy_header, placeholder, preallocate
from .plan import TablePlan

__all__ = ["NpyTarget"]

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)


def _open_fd(path: str, flags: int) -> IO[bytes]:
    """``path`` opened with ``flags`` (never through a link) as a binary file, a regular file."""
    try:
        fd = os.open(path, flags | _NOFOLLOW, 0o644)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise TableDataError(f"{path} is a symbolic link: fastinit writes tables only as regular files") from None
        if exc.errno == errno.EEXIST:
            raise TableDataError(f"{path} appeared while this run was starting: something else writes there") from None
        raise
    f = os.fdopen(fd, "r+b")
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        f.close()
        raise TableDataError(f"{path} is not a regular file")
    return f


def _reopen(plan: TablePlan, header: bytes) -> IO[bytes]:
    """Open the table of an interrupted run, after checking its size and header."""
    offset, nbytes = len(header), plan.total * plan.itemsize
    f = _open_fd(plan.path, os.O_RDWR)
    try:
        size = os.fstat(f.fileno()).st_size
        if size != offset + nbytes:
            raise TableDataError(f"{plan.path} has {size:,} bytes, not the {offset + nbytes:,} this table "
                                 "needs: it changed since; start over with --force")
        head = f.read(offset)
        if head != header and not (len(head) == offset and is_placeholder(head)):
            raise TableDataError(f"{plan.path}'s header is not the one this table needs: start over with --force")
    except BaseException:
        f.close()
        raise
    return f


def _create(plan: TablePlan, header: bytes) -> IO[bytes]:
    """Create the table (exclusively): a placeholder header (so it cannot pass for complete) and
    its full size. On failure the file is removed again."""
    offset, nbytes = len(header), plan.total * plan.itemsize
    f = _open_fd(plan.path, os.O_RDWR | os.O_CREAT | os.O_EXCL)
    try:
        f.write(placeholder(offset))
        f.flush()
        try:
            os.ftruncate(f.fileno(), offset + nbytes)
        except OSError as exc:
            if exc.errno != errno.EFBIG:
                raise
            raise TableDataError(f"{plan.path}: the file system cannot hold a file of {offset + nbytes:,} bytes "
                                 "(File too large): choose another disk") from None
    except BaseException:
        f.close()
        with contextlib.suppress(OSError):
            os.remove(plan.path)
        raise
    return f


class NpyTarget:
    """A ``.npy`` table being written: each chunk mapped, filled in place and unmapped (blocks
    reserved), or filled in a buffer and written with ``pwrite`` (blocks not reservable)."""

    def __init__(self, plan: TablePlan, existing: bool, done: int = 0):
        """Open the table (``existing``: the one an interrupted run left, ``done`` elements
        written) or create it; reserve the blocks of what is still to write."""
        self.path = plan.path
        self.header = npy_header(plan.shape, plan.dtype)
        self.offset = len(self.header)
        self.dtype = plan.dtype
        self.max_elements = max(1, min(plan.max_elements, plan.total))
        self.file = _reopen(plan, self.header) if existing else _create(plan, self.header)
        self.fd: int | None = self.file.fileno()
        self._buf: npt.NDArray[Any] | None = None
        start = self.offset + done * plan.itemsize
        try:
            self.mapped = preallocate(self.file.fileno(), start, plan.total * plan.itemsize - done * plan.itemsize,
                                      plan.path)
        except BaseException:
            self.file.close()
            if not existing:
                with contextlib.suppress(OSError):
                    os.remove(plan.path)
            raise

    def block(self, p: int, count: int, index: tuple[Any, ...], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """The chunk of ``count`` elements from flat position ``p``: mapped (unmapped when
        dropped), or a buffer that :meth:`store` writes."""
        if not self.mapped:
            if self._buf is None:
                self._buf = np.empty(self.max_elements, self.dtype)
            return self._buf[:count].reshape(shape)
        arr: npt.NDArray[Any] = np.memmap(self.file, dtype=self.dtype, mode="r+",
                                          offset=self.offset + p * self.dtype.itemsize, shape=shape or (1,))
        if not shape:
            arr = arr.reshape(())
        return arr

    def store(self, p: int, index: tuple[Any, ...], arr: npt.NDArray[Any]) -> None:
        """Write a buffered chunk (``pwrite``: a full disk is an OSError); nothing for a mapped one."""
        if self.mapped:
            return
        view = np.ascontiguousarray(arr).reshape(-1).view(np.uint8).data
        pos = self.offset + p * self.dtype.itemsize
        while len(view):
            n = os.pwrite(self.file.fileno(), view, pos)
            view, pos = view[n:], pos + n

    def read(self, p: int, count: int, index: tuple[Any, ...], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """The ``count`` elements from flat position ``p``, as written (a copy)."""
        data = os.pread(self.file.fileno(), count * self.dtype.itemsize, self.offset + p * self.dtype.itemsize)
        return np.frombuffer(data, self.dtype, count=len(data) // self.dtype.itemsize).reshape(-1)

    def abandon(self) -> None:
        """Close the table, incomplete (its header stays a placeholder)."""
        self.file.close()

    def complete(self, record: Mapping[str, Any], durable: bool) -> None:
        """Give the table its real header (flushed to disk when ``durable``) and close it."""
        os.pwrite(self.file.fileno(), self.header, 0)
        if durable:
            os.fsync(self.file.fileno())
        self.file.close()
