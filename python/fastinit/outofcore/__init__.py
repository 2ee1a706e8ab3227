"""Tables larger than memory (see :mod:`fastinit.outofcore.writer`)."""

from __future__ import annotations

from .writer import (  # noqa: F401
    TableError,
    TableSummary,
    VerifyResult,
    _as_float,
    _open_for_reading,
    _table_format,
    blocks,
    read_npy_header,
    sidecar_path,
    verify_table,
    write_table,
)

__all__ = ["TableError", "TableSummary", "VerifyResult", "write_table", "verify_table", "sidecar_path",
           "blocks", "read_npy_header"]
