"""Where a write starts: a new table, or an interrupted one continued from its record (refused
when the record's settings differ, when there is nothing to resume, or when a table is in the
way and ``force`` was not given)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .common import TableError
from .plan import TablePlan
from .stats import Stats

__all__ = ["CHECKED", "Start", "compare", "decide_start"]

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
    that decides the bits; the message gives the original command."""
    diffs = [f"{k}={old.get(k)!r} (now {new.get(k)!r})" for k in CHECKED if old.get(k) != new.get(k)]
    if diffs:
        raise TableError(
            f"refusing to resume {path}: it was started with different settings: {'; '.join(diffs)}.\n"
            f"Resume it with the original settings:\n  {old.get('command', '?')} --resume\n"
            "or start over with --force.")


def _continue(plan: TablePlan, record: dict[str, Any], old: Mapping[str, Any], exists: bool,
              keep_stats: bool) -> Start:
    """Resume from the record ``old``: same settings, its count and statistics, its zarr chunks."""
    compare(old, record, plan.path)
    done = int(old.get("elements_done", 0))
    if not 0 <= done <= plan.total:
        raise TableError(f"{plan.sidecar} records {done} elements done of {plan.total}: start over with --force")
    stats = Stats.from_json(old["stats"]) if old.get("stats") and keep_stats else None
    if plan.fmt == "zarr" and old.get("zarr_chunk_rows"):
        plan.set_zarr_chunk_rows(int(old["zarr_chunk_rows"]))
        record["zarr_chunk_rows"] = plan.zarr_chunk_rows
    if not exists and done:
        raise TableError(f"{plan.path} is missing but {plan.sidecar} records {done:,} elements written: start "
                         "over with --force")
    return Start(done, stats, exists, exists)


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
        raise TableError(f"{path} is an incomplete fastinit table ({int(old.get('elements_done', 0)):,} of "
                         f"{int(old.get('elements_total', 0)):,} elements written): continue it with --resume, "
                         "or overwrite it with --force")
    if exists and not force:
        raise TableError(f"{path} already exists: pass --force to overwrite it (or choose another path)")


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
    if not start.existing:
        start = Start(0, None, False, exists)
    record["elements_done"] = start.done
    return start
