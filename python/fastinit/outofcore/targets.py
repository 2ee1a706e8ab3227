"""The table on disk, whatever its format: the :class:`Target` protocol, and opening the table of
a run -- continued, or created anew after what was at its path is removed (``force``) -- and
removing what a run created when it ends having written nothing."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Mapping
from typing import Any, Protocol

import numpy.typing as npt

from .npy_target import NpyTarget
from .plan import TablePlan
from .record import fsync_dir, remove_record, write_first_record
from .resume import Start
from .zarr_target import ZarrTarget

__all__ = ["Target", "discard", "open_target"]


class Target(Protocol):
    """A table being written, chunk by chunk."""

    fd: int | None  # flushed (fsync) before each checkpoint when durable; None: nothing to flush

    def block(self, p: int, count: int, index: tuple[Any, ...], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """The array to fill with the chunk of ``count`` elements from flat position ``p``, which is
        ``full[index]`` of shape ``shape``."""

    def store(self, p: int, index: tuple[Any, ...], arr: npt.NDArray[Any]) -> None:
        """Store the filled chunk (when it was not filled in place)."""

    def read(self, p: int, count: int, index: tuple[Any, ...], shape: tuple[int, ...]) -> npt.NDArray[Any]:
        """The elements of the chunk as written, flat."""

    def abandon(self) -> None:
        """Stop with the table incomplete."""

    def complete(self, record: Mapping[str, Any], durable: bool) -> None:
        """Every element is written: make the table usable."""


def _remove_path(path: str) -> None:
    """Remove what is at ``path``: a file, a link, or a directory (a ``.zarr`` array; the plan
    refused a directory where a ``.npy`` file goes)."""
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)


def _make(plan: TablePlan, existing: bool, done: int) -> Target:
    if plan.fmt == "npy":
        return NpyTarget(plan, existing, done)
    return ZarrTarget(plan, existing, done)


def open_target(plan: TablePlan, record: Mapping[str, Any], start: Start, durable: bool) -> Target:
    """Open the table to continue it (``start.existing``); or write its record, remove what was at
    its path (``force``, or a resume with nothing done) and create it. When creating fails, the
    record is removed again and the new table is not left behind."""
    if start.existing:
        return _make(plan, True, start.done)
    write_first_record(plan.sidecar, record, durable)
    try:
        if start.exists:
            _remove_path(plan.path)
        return _make(plan, False, 0)
    except BaseException:
        remove_record(plan.sidecar, durable)
        raise


def discard(plan: TablePlan, target: Target, durable: bool) -> None:
    """Remove the table this run created and its record: the run ends having written nothing."""
    target.abandon()
    _remove_path(plan.path)
    remove_record(plan.sidecar, durable)
    if durable:
        fsync_dir(plan.path)
