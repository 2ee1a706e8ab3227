"""The ``.npy`` file format as the writer uses it: the real header, the placeholder that stands in
for it while the table is incomplete, reserving the file's disk blocks, and reading a header."""

from __future__ import annotations

import errno
import io
import os
import shutil
import sys
from typing import Any

import numpy as np

from .common import TableDataError, prod, size_text

__all__ = ["PLACEHOLDER_MAGIC", "is_placeholder", "npy_header", "placeholder", "preallocate", "read_npy_header"]

PLACEHOLDER_MAGIC = b"\x93FASTINIT"
"""How an incomplete table's placeholder header starts (``numpy.load`` refuses it)."""


def is_placeholder(head: bytes) -> bool:
    """Is ``head`` (a header's bytes) the placeholder of an incomplete table (this version's, or
    an earlier one's that named the record)?"""
    return head.startswith(PLACEHOLDER_MAGIC) and head.endswith(b"\n")


def npy_header(shape: tuple[int, ...], dtype: np.dtype[Any]) -> bytes:
    """The ``.npy`` header of a C-order array (format 1.0, or 2.0 when 1.0 cannot hold it)."""
    d = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
    buf = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(buf, d)
    except ValueError:  # header too long for version 1.0
        buf = io.BytesIO()
        np.lib.format.write_array_header_2_0(buf, d)
    return buf.getvalue()


def placeholder(length: int) -> bytes:
    """``length`` bytes that stand in for the header of an incomplete table. They do not name the
    record, so a table and its record can be moved (or renamed) together and still resumed."""
    text = PLACEHOLDER_MAGIC + b" incomplete table: do not use; see its .fastinit.json record"
    text = text[:length - 1]
    return text + b" " * (length - 1 - len(text)) + b"\n"


def _fallocate() -> Any:
    """libc's ``fallocate`` (None where there is none)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        fn = ctypes.CDLL(None, use_errno=True).fallocate
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    fn.restype = ctypes.c_int
    return fn


_UNSUPPORTED = {errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL, getattr(errno, "ENOTSUP", errno.EOPNOTSUPP)}
_PUNCH_HOLE_KEEP_SIZE = 0x02 | 0x01  # FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE


def preallocate(fd: int, offset: int, length: int, path: str) -> bool:
    """Reserve the disk blocks of bytes ``[offset, offset + length)`` of the table (Linux
    ``fallocate``). Writes through a memory map are only safe where the blocks are reserved:
    a memory-mapped write that needs a block on a full disk kills the process (SIGBUS).

    Returns True when reserved, False where the file system cannot reserve (then the caller
    writes with ``pwrite``, which reports a full disk as an error). When there is not room,
    gives the blocks it got back and raises TableDataError saying how much is needed and how
    much is free (measured after giving them back)."""
    fallocate = _fallocate()
    if length <= 0:
        return True
    if fallocate is None:
        return False
    if fallocate(fd, 0, offset, length) == 0:
        return True
    err = ctypes_errno()
    if err in _UNSUPPORTED:
        return False
    fallocate(fd, _PUNCH_HOLE_KEEP_SIZE, offset, length)  # give back what the failed call got
    if err in (errno.ENOSPC, errno.EDQUOT):
        free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
        raise TableDataError(f"not enough disk space for {path}: the table needs {size_text(length)} more, "
                             f"{size_text(free)} are free; free some space (or choose another disk) and run "
                             "again")
    if err == errno.EFBIG:
        raise TableDataError(f"{path}: the file system cannot hold a file of {size_text(offset + length)} "
                             "(File too large): choose another disk")
    raise TableDataError(f"cannot reserve disk space for {path}: {os.strerror(err)}")


def ctypes_errno() -> int:
    """The ``errno`` libc set on the last ``ctypes`` call."""
    import ctypes

    return ctypes.get_errno()


def read_npy_header(path: str) -> tuple[tuple[int, ...], np.dtype[Any], int]:
    """``(shape, dtype, data offset)`` of a C-order ``.npy`` file whose size is the one its
    header implies (TableDataError naming the file otherwise: incomplete, not ``.npy``, in
    Fortran order, truncated or with bytes beyond its data)."""
    with open(path, "rb") as f:
        head = f.read(16)
        if head.startswith(PLACEHOLDER_MAGIC):
            raise TableDataError(f"{path} is an incomplete fastinit table (its header is a placeholder); "
                                 f"finish it with `fastinit init ... --resume` or rewrite it with --force")
        f.seek(0)
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        except ValueError as exc:
            raise TableDataError(f"{path} is not a .npy file: {exc}") from None
        offset = f.tell()
        size = os.fstat(f.fileno()).st_size
    if fortran and len(shape) > 1:
        raise TableDataError(f"{path} is in Fortran order; fastinit writes and verifies C-order tables")
    dt = np.dtype(dtype)
    need = offset + prod(tuple(shape)) * dt.itemsize
    if size != need:
        what = "is truncated" if size < need else "has bytes beyond its data"
        raise TableDataError(f"{path} {what}: it has {size:,} bytes, its header ({tuple(shape)} {dt}) needs "
                             f"{need:,}")
    return tuple(shape), dt, offset
