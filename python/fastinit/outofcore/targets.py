"""Where a table is written: the interface the write loop uses, and :func:`open_target`, which
makes sure the record exists before the table does, clears the way for a new table, and opens
the ``.npy`` or zarr target."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from typing import Any, Protocol

import numpy.typing as npt

from .common import TableError
from .npy_target import NpyTarget
from .plan import TablePlan
from .record import write_first_record
from .resume import Start
from .zarr_target import ZarrTarget

__all__ = ["Target", "open_target"]


class Target(Protocol):
    """A table being written, chunk by chunk."""

    fd: int | None  # flushed (fsync) before each checkpoint when durable; None: nothing to flush

    def block(self, p: int, count: int, index: tuple[Any, ...], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """The array to fill with the chunk of ``count`` elements from flat position ``p``, which is
        ``full[index]`` of shape ``shape``."""

    def store(self, index: tuple[Any, ...], arr: npt.NDArray[Any]) -> None:
        """Store the filled chunk (when it was not filled in place)."""

    def abandon(self) -> None:
        """Stop with the table incomplete."""

    def complete(self, record: Mapping[str, Any], durable: bool) -> None:
        """Every element is written: make the table usable."""


def _remove(plan: TablePlan) -> None:
    """Remove what is at the table's path (``--force``): a file, a link, or a ``.zarr`` directory."""
    path = plan.path
    if os.path.isdir(path) and not os.path.islink(path):
        if plan.fmt != "zarr":
            raise TableError(f"{path} is a directory; remove it or choose another path")
        shutil.rmtree(path)
    else:
        os.remove(path)


def open_target(plan: TablePlan, record: Mapping[str, Any], start: Start, durable: bool) -> Target:
    """Open the table to continue it (``start.existing``), or write its record and then create it
    (removing what was at its path)."""
    if not start.existing:
        write_first_record(plan.sidecar, record, durable)
        if start.exists:
            _remove(plan)
    if plan.fmt == "npy":
        return NpyTarget(plan, start.existing)
    return ZarrTarget(plan, start.existing)
