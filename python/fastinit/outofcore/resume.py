"""Where a write starts: a new table, or an interrupted one continued from its record (refused
when the record's settings differ, when there is nothing to resume, when a table is in the way
and ``force`` was not given, or when the table does not hold what the record counts)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from .blocks import blocks
from .common import TableDataError, TableError
from .plan import TablePlan
from .record import command, read_record
from .stats import Stats

__all__ = ["CHECKED", "Start", "check_done", "compare", "decide_start", "read_old_record"]

_UINTS = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}

CHECKED = ("format", "shape", "dtype", "init", "params", "seed", "stream", "stream_version")
"""The record fields a resume must match: the ones that decide the table's bits."""


@dataclass
class Start:
    """Where a run starts."""

    done: int  # elements already written
    stats: Stats | None  # their statistics, from the record
    existing: bool  # continue the table on disk (else create it anew)
    exists: bool  # something is at the table's path now


def compare(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> None:
    """Refuse (TableError) to resume a table whose record ``old`` differs from ``new`` in a field
    that decides the bits; the message gives the original command (with the table's path now)."""
    diffs = [f"{k}={old.get(k)!r} (now {new.get(k)!r})" for k in CHECKED if old.get(k) != new.get(k)]
    if diffs:
        raise TableError(
            f"refusing to resume {path}: it was started with different settings: {'; '.join(diffs)}. "
            f"Resume it with the original settings: {command(path, old)} --resume (or start over with --force)")


def _continue(plan: TablePlan, record: dict[str, Any], old: Mapping[str, Any], exists: bool,
              keep_stats: bool) -> Start:
    """Resume from the record ``old`` (checked): same settings, its count and statistics, its
    zarr chunks. Nothing done (or a global initializer, whose table is one chunk): start anew."""
    compare(old, record, plan.path)
    done = 0 if plan.named.is_global else int(old["elements_done"])
    if not done:
        return Start(0, None, False, exists)
    if not exists:
        raise TableDataError(f"{plan.path} is missing but {plan.sidecar} records {done:,} elements written: "
                             "start over with --force")
    stats = Stats.from_json(old["stats"]) if old.get("stats") and keep_stats else None
    if plan.fmt == "zarr" and old.get("zarr_chunk_rows"):
        plan.set_zarr_chunk_rows(int(old["zarr_chunk_rows"]))
        record["zarr_chunk_rows"] = plan.zarr_chunk_rows
    return Start(done, stats, True, True)


def _check_new(plan: TablePlan, old: Mapping[str, Any] | None, exists: bool, *, resume: bool,
               force: bool) -> None:
    """May a new table be written at ``plan.path``? (TableError if not.)"""
    path = plan.path
    if resume:
        if exists:
            raise TableError(f"nothing to resume: {path} exists without a record ({os.path.basename(plan.sidecar)}), "
                             "so it is complete or not fastinit's. Check it with `fastinit verify`, or rewrite "
                             "it with --force.")
        return
    if old is not None and not force:
        raise TableError(f"{path} is an incomplete fastinit table ({old['elements_done']:,} of "
                         f"{old['elements_total']:,} elements written): continue it with --resume, "
                         "or overwrite it with --force")
    if exists and not force:
        raise TableError(f"{path} already exists: pass --force to overwrite it (or choose another path)")


def read_old_record(plan: TablePlan, *, force: bool) -> dict[str, Any] | None:
    """The record beside the table (None: none). With ``force`` a damaged record is no obstacle:
    it is replaced."""
    try:
        return read_record(plan.sidecar)
    except TableDataError:
        if force:
            return None
        raise


def decide_start(plan: TablePlan, record: dict[str, Any], old: dict[str, Any] | None, *, resume: bool,
                 force: bool, keep_stats: bool) -> Start:
    """Where to start writing ``plan``'s table, given its record ``old`` (None: none); sets the
    record's count (and, on resume, its zarr chunk rows and the plan's chunks)."""
    exists = os.path.lexists(plan.path)
    if resume and old is not None:
        start = _continue(plan, record, old, exists, keep_stats)
    else:
        _check_new(plan, old, exists, resume=resume, force=force)
        start = Start(0, None, False, exists)
    record["elements_done"] = start.done
    return start


def check_done(plan: TablePlan, target: Any, done: int) -> None:
    """Is what the record counts as done in the table? Recompute the first elements and the last
    ones before ``done`` and compare their bits with the file: a record that claims more than was
    written (edited, or data lost with --no-fsync) is refused."""
    k = min(done, max(plan.row_elements, 4096))
    for lo, hi in ((0, k), (done - k, done)):
        for p, count, index, bshape in blocks(plan.shape, lo, hi, plan.max_elements):
            want = np.empty(bshape, plan.dtype)
            plan.named(want, seed=plan.seed, stream=plan.stream, full_shape=plan.shape, index=index)
            got = target.read(p, count, index, bshape)
            uint = _UINTS[plan.itemsize]
            if got.size != count or not np.array_equal(want.reshape(-1).view(uint), got.view(uint)):
                raise TableDataError(
                    f"{plan.sidecar} counts {done:,} elements as written, but {plan.path} does not hold them "
                    f"(elements {p:,} to {p + count - 1:,} differ from what they must be): start over with --force")
