"""The write: :func:`write_table` checks the settings, decides where to start, opens the table
and runs the write loop, one chunk at a time, with statistics, progress, checkpoints and a stop
on SIGINT/SIGTERM between chunks; then completes the table and removes its record. The whole
run holds the table's lock (:mod:`.lock`); a new table that gets nothing written is removed
again with its record, and I/O errors become one-line :class:`TableDataError` messages.

Testing aids (environment): ``FASTINIT_DEBUG_CHUNK_SLEEP`` (seconds) sleeps after every chunk;
``FASTINIT_DEBUG_CHUNK_GATE`` (the path of a named pipe) makes the writer read one byte from the
pipe after every chunk, blocking until one is written, and go on ungated once the pipe's writer
closes it: a test that opens the pipe for writing knows a chunk is written and the run waits for
it (an event, not a time).
"""

import os
import stat as _stat
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Optional, TextIO

from ..core import runtime as _runtime
from ..core.docstrings import shared_docs
from .blocks import blocks
from .common import TableDataError, TableError
from .lock import TableLock
from .plan import TablePlan, make_plan
from .progress import Progress
from .record import Checkpointer, new_record, remove_record, remove_stale_temporaries
from .resume import Start, check_done, decide_start, read_old_record
from .signals import install_stop_handlers, restore_handlers
from .stats import Stats
from .summary import TableSummary, peak_rss
from .targets import Target, discard, open_target

__all__ = ["DEBUG_GATE_ENV", "DEBUG_SLEEP_ENV", "write_table"]

DEBUG_SLEEP_ENV = "FASTINIT_DEBUG_CHUNK_SLEEP"
DEBUG_GATE_ENV = "FASTINIT_DEBUG_CHUNK_GATE"


def _debug_sleep() -> float:
    """Seconds to sleep after each chunk (``FASTINIT_DEBUG_CHUNK_SLEEP``; 0 when unset or bad)."""
    try:
        return float(os.environ.get(DEBUG_SLEEP_ENV, "0") or 0)
    except ValueError:
        return 0.0


class _Gate:
    """``FASTINIT_DEBUG_CHUNK_GATE``: after each chunk, one byte read from the named pipe (opened at
    the first chunk), blocking; at its end of file the run goes on ungated. Unset: no-op. Set to
    anything but a named pipe: TableError when the gate is made, before the run touches the disk."""

    def __init__(self) -> None:
        self.path = os.environ.get(DEBUG_GATE_ENV) or None
        self.pipe: Any = None
        if self.path is not None and not _is_fifo(self.path):
            raise TableError(f"{DEBUG_GATE_ENV}={self.path!r} is not a named pipe: it is a testing aid that "
                             "holds the write after every chunk (tests/writer_gate.py); unset it")

    def wait(self) -> None:
        if self.path is None:
            return
        if self.pipe is None:
            self.pipe = open(self.path, "rb", buffering=0)  # held open across chunks
        if not self.pipe.read(1):
            self.close()

    def close(self) -> None:
        """Stop gating (closes the pipe if open)."""
        if self.pipe is not None:
            self.pipe.close()
        self.pipe = self.path = None


def _is_fifo(path: str) -> bool:
    try:
        return _stat.S_ISFIFO(os.stat(path).st_mode)
    except OSError:
        return False


@dataclass
class _Run:
    """One run of the write loop: what it writes with, and how far it got."""

    plan: TablePlan
    target: Target
    stats: Optional[Stats]
    progress: Progress
    pool: Optional[ThreadPoolExecutor]
    threads: int
    checkpointer: Checkpointer
    done: int  # elements written (by this run and those before it)
    stop: list[str]  # the signals that asked to stop


def _fill(run: _Run, delay: float, gate: _Gate) -> None:
    """The write loop: fill the table chunk by chunk from ``run.done`` (each chunk a slice of the
    full tensor), hand each chunk's count to the checkpointer, until done or asked to stop."""
    plan, target, stat = run.plan, run.target, run.stats
    for p, count, index, bshape in blocks(plan.shape, run.done, plan.total, plan.max_elements):
        if run.stop:
            break
        arr = target.block(p, count, index, bshape)
        if plan.prefilled is not None:  # a global initializer's table, computed while checking
            arr[...] = plan.prefilled[index]
        else:
            plan.named(arr, seed=plan.seed, stream=plan.stream, full_shape=plan.shape, index=index)
        if stat is not None:
            stat.add(arr, plan.dtname, run.pool)
        target.store(p, index, arr)
        del arr  # a .npy chunk is unmapped here
        run.done = p + count
        run.checkpointer.advance(run.done, stat.to_json() if stat is not None else None)
        run.progress.update(run.done)
        if delay:
            time.sleep(delay)
        gate.wait()


def _close(run: _Run) -> None:
    """After the loop, however it ended: stop the statistics threads, record the last checkpoint
    (what is counted is on disk), and close an incomplete table."""
    if run.pool is not None:
        run.pool.shutdown()
    try:
        run.checkpointer.close()
    finally:
        if run.done < run.plan.total:
            run.target.abandon()


def _start_run(plan: TablePlan, start: Start, target: Target, record: dict[str, Any], *, stats: bool,
               progress: Progress, durable: bool, stop: list[str]) -> _Run:
    """The statistics (continued from the record, or new), their threads and the checkpointer."""
    stat = None
    if stats:
        stat = start.stats if start.stats is not None else Stats(
            shift=plan.expected.mean if plan.expected is not None else 0.0)
    nthreads = _runtime.get_num_threads()
    pool = ThreadPoolExecutor(max_workers=nthreads) if stat is not None and nthreads > 1 else None
    return _Run(plan, target, stat, progress, pool, nthreads,
                Checkpointer(plan.sidecar, record, target.fd, durable), start.done, stop)


@dataclass
class _Options:
    """How to write: what :func:`write_table` was asked besides the table's settings."""

    resume: bool
    force: bool
    durable: bool
    stats: bool


def _open(plan: TablePlan, opts: _Options, record: dict[str, Any]) -> tuple[Start, Target]:
    """Decide where to start and open the table (checking that a continued table holds what its
    record counts)."""
    old = read_old_record(plan, force=opts.force)
    start = decide_start(plan, record, old, resume=opts.resume, force=opts.force, keep_stats=opts.stats)
    target = open_target(plan, record, start, opts.durable)  # the record always exists before the table does
    if start.existing:
        try:
            check_done(plan, target, start.done)
        except BaseException:
            target.abandon()
            raise
    return start, target


def _end(run: _Run, start: Start, durable: bool) -> None:
    """After the loop: close it; a new table that got nothing written is removed with its record."""
    try:
        _close(run)
    finally:
        if not start.existing and run.done == 0 < run.plan.total:
            discard(run.plan, run.target, durable)


def _write_locked(plan: TablePlan, opts: _Options, prog: Progress, stop: list[str], gate: _Gate) -> TableSummary:
    """The write, under the table's lock."""
    remove_stale_temporaries(plan.sidecar)
    record = new_record(plan)
    start, target = _open(plan, opts, record)
    prog.begin(start.done)
    run = _start_run(plan, start, target, record, stats=opts.stats, progress=prog, durable=opts.durable, stop=stop)
    delay = _debug_sleep()
    t0 = time.perf_counter()
    prog.update(run.done, force=True)
    try:
        _fill(run, delay, gate)
    finally:
        gate.close()
        seconds = time.perf_counter() - t0
        _end(run, start, opts.durable)
    complete = run.done == plan.total
    if complete:
        target.complete(record, opts.durable)
        remove_record(plan.sidecar, opts.durable)
    prog.finish()
    kept = not complete and os.path.exists(plan.sidecar)
    return TableSummary(
        path=plan.path, format=plan.fmt, shape=plan.shape, dtype=plan.dtname, init=plan.named.describe(),
        seed=plan.seed, stream=plan.stream, elements=plan.total, nbytes=plan.total * plan.itemsize,
        elements_written=run.done - start.done, resumed_from=start.done, seconds=seconds, complete=complete,
        interrupted=run.stop[0] if run.stop and not complete else None, stats=run.stats, expected=plan.expected,
        peak_rss=peak_rss(), threads=run.threads, chunk_bytes=plan.chunk_bytes,
        resume_command=record["command"] + " --resume" if kept else "")


def _io_error(plan: TablePlan, exc: OSError) -> TableDataError:
    """An I/O error as one line naming the file and the cause, and what is left."""
    where = exc.filename if isinstance(exc.filename, str) else plan.path
    if os.path.exists(plan.sidecar):
        tail = (f"; the record {os.path.basename(plan.sidecar)} is kept: once that is fixed, run the same "
                "command with --resume")
    else:
        tail = "; nothing new was left behind"
    return TableDataError(f"cannot write {where}: {exc.strerror or exc}{tail}")


@shared_docs
def write_table(
    path: Any,
    shape: Any,
    init: Any,
    *,
    seed: Optional[int] = None,
    stream: Any = 0,
    dtype: Any = "float32",
    chunk_mb: float = 64.0,
    zarr_chunk_mb: float = 16.0,
    resume: bool = False,
    force: bool = False,
    progress: str = "none",
    progress_interval: Optional[float] = None,
    progress_stream: Optional[TextIO] = None,
    fsync: bool = True,
    stats: bool = True,
    threads: Optional[int] = None,
    handle_signals: bool = False,
    **params: Any,
) -> TableSummary:
    """Write the table ``init`` fills ``shape`` with to ``path`` (``.npy`` or ``.zarr``), in chunks
    of at most ``chunk_mb`` MiB, and return a :class:`TableSummary`.

    Args:
        path: ``TABLE.npy`` (a NumPy file, written through a memory map) or ``TABLE.zarr`` (a
            zarr v3 array, chunks of about ``zarr_chunk_mb`` MiB of whole rows; needs zarr).
        shape: The table's shape (an int or a tuple of ints); fans come from it.
        init: An initializer name (fastinit's own first, then Keras/PyTorch names, see
            :func:`fastinit.get`) or one of fastinit's functions.
        seed: The Philox key, an int in [0, 2**64); required for random initializers (the
            record keeps it, so a resume refills the same values).
        stream: {stream}
        dtype: float32 (default), float16, bfloat16 (.npy only) or float64.
        chunk_mb: The memory budget in MiB (default 64): the part of the table mapped (and
            resident) at once.
        zarr_chunk_mb: The size of a ``.zarr`` table's stored chunks in MiB (default 16).
        resume: continue an interrupted run from its record (refused if the settings differ);
            with no record and no table, start a new one.
        force: overwrite an existing table (and drop its record).
        progress: "bar", "lines", "auto" (bar on a terminal, else lines) or "none" (the default).
        progress_interval: The least number of seconds between two progress reports (``None``:
            the kind's own default).
        progress_stream: Where progress is written (``None``: stderr).
        fsync: flush the data to disk before each checkpoint (.npy), so the record survives a
            power failure, not just a killed process.
        stats: compute mean/std/min/max of the table on the fly.
        threads: threads for filling and statistics (default: all, see set_num_threads).
        handle_signals: on SIGINT/SIGTERM stop between chunks, keep the record and return a
            summary with ``interrupted`` set (the command line does this); otherwise a
            KeyboardInterrupt propagates after the record is saved.
        **params: The initializer's parameters (``std=0.02``, ``mode="fan_avg"`` ...).

    Returns:
        A :class:`TableSummary`: what was written, how fast, its statistics, and whether it is
        ``complete``.

    Raises:
        TableError: (a ValueError) settings that cannot work, an existing table, or a resume
            whose settings differ, before anything on disk is touched.
        TypeError: bad initializer parameters, before anything on disk is touched.
        ValueError: bad initializer parameters, before anything on disk is touched.
        TableDataError: (a TableError) files that are not as they must be (a damaged record, a
            table that does not hold what its record counts), another run writing the same
            table, and I/O errors (a full disk ...): its one-line message names the file, the
            cause, and whether the record is kept for ``resume``.

    A run either completes the table, or keeps a record from which ``resume=True`` completes it,
    or leaves nothing new behind (a new table that got nothing written is removed with its
    record). The table is locked (``TABLE.fastinit.lock``) for the whole run.

    Example:
        >>> import os, tempfile, numpy as np, fastinit
        >>> from fastinit.outofcore import write_table
        >>> path = os.path.join(tempfile.mkdtemp(), "emb.npy")
        >>> summary = write_table(path, (100, 8), "normal", seed=0, std=0.02, chunk_mb=0.001)
        >>> summary.complete, summary.elements
        (True, 800)
        >>> np.array_equal(np.load(path), fastinit.normal((100, 8), 0.0, 0.02, seed=0))
        True
    """
    plan = make_plan(path, shape, init, seed=seed, stream=stream, dtype=dtype, chunk_mb=chunk_mb,
                     zarr_chunk_mb=zarr_chunk_mb, threads=threads, params=params)
    prog = Progress(progress, plan.total, 0, plan.row_elements, plan.itemsize,
                    progress_stream if progress_stream is not None else sys.stderr, progress_interval)
    opts = _Options(resume=resume, force=force, durable=fsync, stats=stats)
    gate = _Gate()
    stop: list[str] = []
    old_handlers = install_stop_handlers(stop, handle_signals)
    try:
        with TableLock(plan.path):
            return _write_locked(plan, opts, prog, stop, gate)
    except OSError as exc:
        raise _io_error(plan, exc) from None
    finally:
        restore_handlers(old_handlers)
