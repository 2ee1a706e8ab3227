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

from .common import TableError

__all__ = ["PLACEHOLDER_MAGIC", "npy_header", "placeholder", "preallocate", "read_npy_header"]

PLACEHOLDER_MAGIC = b"\x93FASTINIT"
"""How an incomplete table's placeholder header starts (``numpy.load`` refuses it)."""


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


def placeholder(length: int, sidecar: str) -> bytes:
    """``length`` bytes that stand in for the header of an incomplete table and name its record."""
    text = PLACEHOLDER_MAGIC + b" incomplete table: do not use; see " + os.path.basename(sidecar).encode(
        "utf-8", "replace")
    text = text[:length - 1]
    return text + b" " * (length - 1 - len(text)) + b"\n"


def preallocate(fd: int, offset: int, length: int, path: str) -> None:
    """Reserve the table's blocks up front (Linux ``fallocate``): writes through the memory map
    then skip the file system's per-page block allocation (several times faster on ext4), and a
    full disk is reported now rather than as a crash mid-run. Elsewhere, or on a file system
    without ``fallocate``, the file stays sparse (no slow emulation that writes zeros)."""
    if length <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fallocate = libc.fallocate
    except (OSError, AttributeError):
        return
    fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    fallocate.restype = ctypes.c_int
    if fallocate(fd, 0, offset, length) != 0:
        err = ctypes.get_errno()
        if err == errno.ENOSPC:
            free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
            raise TableError(f"not enough disk space for {path}: the table needs {length / 1e9:,.2f} GB, "
                             f"{free / 1e9:,.2f} GB are free")


def read_npy_header(path: str) -> tuple[tuple[int, ...], np.dtype[Any], int]:
    """``(shape, dtype, data offset)`` of a C-order ``.npy`` file (TableError otherwise)."""
    with open(path, "rb") as f:
        head = f.read(16)
        if head.startswith(PLACEHOLDER_MAGIC):
            raise TableError(f"{path} is an incomplete fastinit table (its header is a placeholder); "
                             f"finish it with `fastinit init ... --resume` or rewrite it with --force")
        f.seek(0)
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        except ValueError as exc:
            raise TableError(f"{path} is not a .npy file: {exc}") from None
        offset = f.tell()
    if fortran and len(shape) > 1:
        raise TableError(f"{path} is in Fortran order; fastinit writes and verifies C-order tables")
    return tuple(shape), np.dtype(dtype), offset
