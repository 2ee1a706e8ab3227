"""The commands ``init``, ``verify``, ``info`` and ``list``.

Each takes the parsed arguments and the guarded stdout/stderr (:class:`~fastinit.cli.streams.Stream`)
and returns its exit code; bad usage raises :class:`~fastinit.cli.errors.UsageError`, and other
failures propagate to :func:`fastinit.cli.main`, which turns them into one line and an exit code.
"""

from __future__ import annotations

import argparse
import os
from typing import Any, Callable

from .._core import STREAM_VERSION
from .._version import __version__
from ..core.fills import normal, truncated_normal, uniform
from ..core.runtime import SIMD_ENV_VAR, get_num_threads, set_num_threads, simd_path, simd_paths
from ..core.timing import median_seconds
from .args import parse_seed, parse_shape, parse_stream, resolve_initializer
from .errors import UsageError

__all__ = ["COMMANDS", "cmd_init", "cmd_verify", "cmd_info", "cmd_list"]


def cmd_init(args: argparse.Namespace, out: Any, err: Any) -> int:
    """``fastinit init``: write the table; 0 done, 130/143 interrupted (the record is kept)."""
    from ..outofcore import write_table

    init = resolve_initializer(args)
    if args.threads is not None and args.threads < 1:
        raise UsageError("--threads must be >= 1")
    progress = "none" if args.quiet else args.progress
    summary = write_table(
        args.table, parse_shape(args.shape), init, seed=parse_seed(args), stream=parse_stream(args.stream),
        dtype=args.dtype, chunk_mb=args.chunk_mb, zarr_chunk_mb=args.zarr_chunk_mb, resume=args.resume,
        force=args.force, progress=progress, progress_interval=args.interval, progress_stream=err,
        fsync=not args.no_fsync, stats=not args.no_stats, threads=args.threads, handle_signals=True)
    if summary.interrupted:
        if not args.quiet:
            done = summary.elements_written + summary.resumed_from
            if summary.resume_command:
                err.write(f"\nfastinit: interrupted ({summary.interrupted}) at {done:,} "
                          f"of {summary.elements:,} elements; the record is kept. Continue with:\n  "
                          f"{summary.resume_command}\n")
            else:
                err.write(f"\nfastinit: interrupted ({summary.interrupted}) before anything was written; "
                          "nothing new was left behind\n")
            err.flush()
        return 143 if summary.interrupted == "SIGTERM" else 130
    if not args.quiet:
        out.write(str(summary) + "\n")
        out.flush()
        if out.failed is not None:  # the table is complete: the exit code says so
            err.write(f"fastinit init: wrote {summary.path} (complete), but could not print the summary: "
                      f"stdout: {out.failed}\n")
    return 0


def cmd_verify(args: argparse.Namespace, out: Any, err: Any) -> int:
    """``fastinit verify``: recompute rows and compare; 0 match, 1 mismatch or incomplete."""
    from ..outofcore import verify_table

    init = resolve_initializer(args)
    if args.threads is not None:
        if args.threads < 1:
            raise UsageError("--threads must be >= 1")
        set_num_threads(args.threads)
    if args.shape is not None:
        from ..outofcore import _open_for_reading, _table_format

        want = parse_shape(args.shape)
        have = _open_for_reading(args.table, _table_format(args.table))[0] if not _incomplete(args.table) else want
        if tuple(have) != want:
            if not args.quiet:
                out.write(f"{args.table}: MISMATCH: shape {tuple(have)}, not {want}\n")
            return 1
    result = verify_table(args.table, init, seed=parse_seed(args), stream=parse_stream(args.stream),
                          dtype=args.dtype, rows=args.rows, every_row=args.all, chunk_mb=args.chunk_mb,
                          sample_seed=args.sample_seed, progress="none" if args.quiet else args.progress,
                          progress_stream=err)
    if not args.quiet:
        out.write(result.message + "\n")
    return 0 if result.ok else 1


def _incomplete(path: str) -> bool:
    """Whether the table at ``path`` has a record of an unfinished run next to it."""
    from ..outofcore import sidecar_path

    return os.path.exists(sidecar_path(path))


def _check_info_size(size: int) -> None:
    """``info --size``: the float32 buffer must fit in half the physical memory (checked before
    allocating, so the answer is a usage error, not a MemoryError or the OOM killer)."""
    try:
        memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):  # not POSIX: the 2**40-byte cap only
        memory = 2**41
    limit = min(memory // 2, 2**40) // 4
    if size > limit:
        raise UsageError(f"--size {size:,} float32 values need {size * 4 / 2**30:,.1f} GiB; this machine allows "
                         f"--size up to {limit:,} (half its memory)")


def cmd_info(args: argparse.Namespace, out: Any, err: Any) -> int:
    """``fastinit info``: version, SIMD path, threads, and fill throughput next to NumPy's."""
    import numpy as np

    if args.size < 1 or args.repeat < 1:
        raise UsageError("--size and --repeat must be >= 1")
    _check_info_size(args.size)
    if args.threads is not None:
        if args.threads < 1:
            raise UsageError("--threads must be >= 1")
        set_num_threads(args.threads)
    out.write(f"fastinit {__version__}, stream version {STREAM_VERSION}\n")
    out.write(f"SIMD path {simd_path()} (available: {', '.join(simd_paths())}; "
              f"force one with {SIMD_ENV_VAR}=...), threads {get_num_threads()}\n")
    buf = np.empty(args.size, np.float32)
    rng = np.random.default_rng(0)
    rows = [
        ("write memory (out.fill)", lambda: buf.fill(1.0), None),
        ("uniform", lambda: uniform(buf, seed=0), lambda: rng.random(dtype=np.float32, out=buf)),
        ("normal", lambda: normal(buf, seed=0), lambda: rng.standard_normal(dtype=np.float32, out=buf)),
        ("truncated_normal(-2, 2)", lambda: truncated_normal(buf, seed=0), None),
    ]
    out.write(f"\n{args.size:,} float32 values, median of {args.repeat}:\n")
    out.write(f"{'fill':<26}{'fastinit M/s':>14}{'NumPy M/s':>12}{'speed-up':>10}\n")
    for name, ours, theirs in rows:
        t = median_seconds(ours, args.repeat)
        line = f"{name:<26}{args.size / t / 1e6:>14,.0f}"
        if theirs is not None:
            t2 = median_seconds(theirs, args.repeat)
            line += f"{args.size / t2 / 1e6:>12,.0f}{t2 / t:>9.1f}x"
        out.write(line + "\n")
        out.flush()
    return 0


def cmd_list(args: argparse.Namespace, out: Any, err: Any) -> int:
    """``fastinit list``: the initializer names ``--init`` takes, with their parameters."""
    from ..names.lookup import by_name, names, own_names

    out.write("fastinit's initializers (--init NAME) and their parameters (--PARAM VALUE):\n")
    for name in own_names():
        binding = by_name(name)
        params = " ".join(f"--{p.replace('_', '-')}" for p in binding.accepted())
        note = "  (whole tensor per chunk: one chunk only)" if binding.spec.kind == "whole" else ""
        out.write(f"  {name:<24} {params}{note}\n")
    out.write("\nAlso Keras and PyTorch names, with their parameter names and defaults (see fastinit.get):\n  ")
    out.write(", ".join(n for n in names() if n not in own_names()) + "\n")
    return 0


#: The commands by name: ``command(args, out, err) -> exit code``.
COMMANDS: dict[str, Callable[[argparse.Namespace, Any, Any], int]] = {
    "init": cmd_init, "verify": cmd_verify, "info": cmd_info, "list": cmd_list}
