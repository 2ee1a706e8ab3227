"""The ``fastinit`` command (also ``python -m fastinit``).

    fastinit init TABLE.npy --shape 100000000,128 --init he_normal --seed 0 --dtype float16
    fastinit init TABLE.npy ... --resume            # continue an interrupted run
    fastinit verify TABLE.npy --init he_normal --seed 0 [--all]
    fastinit info                                   # SIMD path, threads, throughput against NumPy
    fastinit list                                   # initializer names and their parameters

Exit codes: 0 done, 1 failed (verify: mismatch or incomplete; any command: an I/O or data
problem -- a full disk, a missing, truncated or damaged table or record, another run writing the
same table), 2 bad usage (the message says how to fix it), 130 interrupted by Ctrl-C (143 by
SIGTERM). Every failure is one line on stderr naming the file and the cause. The exit code of
init and verify is about the table: a summary that cannot be printed (stdout closed or full)
does not change it.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

__all__ = ["main"]

_DTYPES = ("float32", "float16", "bfloat16", "float64")


class _Usage(Exception):
    """Bad usage: message for stderr, exit code 2."""


class _Stream:
    """stdout or stderr as the command writes to them: a stream that is closed, missing (None:
    the descriptor was closed when Python started) or full never raises; ``failed`` says why
    something could not be written."""

    def __init__(self, stream: Any):
        self.stream = stream
        self.failed: str | None = None if stream is not None else "closed"

    def write(self, text: str) -> int:
        if self.failed is None:
            try:
                self.stream.write(text)
            except (OSError, ValueError) as exc:
                self.failed = getattr(exc, "strerror", None) or str(exc)
        return len(text)

    def flush(self) -> None:
        if self.failed is None:
            try:
                self.stream.flush()
            except (OSError, ValueError) as exc:
                self.failed = getattr(exc, "strerror", None) or str(exc)

    def isatty(self) -> bool:
        try:
            return self.failed is None and bool(self.stream.isatty())
        except (OSError, ValueError, AttributeError):
            return False

    def settle(self) -> None:
        """Flush; when that fails, point the descriptor at /dev/null, so that what is still
        buffered is dropped at exit instead of failing there (Python exits 120 when it cannot
        flush stdout)."""
        self.flush()
        if self.failed is None or self.stream is None:
            return
        try:
            fd = self.stream.fileno()
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, fd)
            os.close(null)
        except (OSError, ValueError, AttributeError):
            pass


def _guard_std_fds() -> None:
    """Open /dev/null on descriptors 0, 1 and 2 if they are closed, so that no file this process
    opens (a table, its record) gets one of them, where something printing could write into it."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            null = os.open(os.devnull, os.O_RDWR)
            if null != fd:
                os.dup2(null, fd)
                os.close(null)


def _parse_shape(text: str) -> tuple[int, ...]:
    t = text.strip().lower().replace(" ", "")
    if t in ("", "()", "scalar"):
        return ()
    sep = "x" if "x" in t and "," not in t else ","
    dims = []
    for part in t.strip("()[]").split(sep):
        if part == "":
            continue
        try:
            if any(c in part for c in ".e"):
                v = float(part)
                if not v.is_integer():
                    raise ValueError
                d = int(v)
            else:
                d = int(part)
        except ValueError:
            raise _Usage(f"--shape must be comma-separated integers like 100000000,128 (got {text!r})") from None
        if d < 0:
            raise _Usage(f"--shape must not contain negative sizes (got {text!r})")
        dims.append(d)
    return tuple(dims)


def _param_options(parser: argparse.ArgumentParser) -> None:
    from ..names.named import all_parameter_names

    group = parser.add_argument_group(
        "initializer parameters",
        "by name, as the initializer takes them (`fastinit list` shows which): e.g. --std 0.02, "
        "--mode fan_avg, --distribution uniform, --gain 2, --a=-3 (write negative infinity as --a=-inf)")
    for name in all_parameter_names():
        flags = [f"--{name}"]
        if "_" in name:
            flags.append(f"--{name.replace('_', '-')}")
        group.add_argument(*flags, dest=f"param__{name}", default=None, metavar="V", help=argparse.SUPPRESS)


def _params(args: argparse.Namespace) -> dict[str, str]:
    return {k[len("param__"):]: v for k, v in vars(args).items() if k.startswith("param__") and v is not None}


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--init", required=True, help="initializer name: he_normal, glorot_uniform, normal, uniform, "
                   "truncated_normal, constant, xavier_uniform, kaiming_normal, RandomNormal ... (`fastinit list`)")
    p.add_argument("--seed", type=str, default=None, help="the seed, an int in [0, 2**64) (required for random "
                   "initializers)")
    p.add_argument("--stream", default="0", help="stream: an int, or a name hashed to one (e.g. the tensor's name); "
                   "default 0")
    p.add_argument("--chunk-mb", type=float, default=64.0, help="memory budget: MiB of the table mapped at once "
                   "(default 64)")
    p.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")


def _build_parser() -> argparse.ArgumentParser:
    import fastinit

    parser = argparse.ArgumentParser(
        prog="fastinit", allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Neural-network weight initializations at memory speed, reproducible bit for bit.",
        epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("--version", action="version",
                        version=f"fastinit {fastinit.__version__} (stream version {fastinit.STREAM_VERSION})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = sub.add_parser("init", allow_abbrev=False, help="write a table (.npy or .zarr) in chunks",
                          description="Write TABLE (.npy, or .zarr with zarr installed) filled by an initializer, "
                          "chunk by chunk with bounded memory, with progress, resume and a summary.")
    init.add_argument("table", metavar="TABLE", help="TABLE.npy or TABLE.zarr")
    init.add_argument("--shape", required=True, help="the table's shape, e.g. 100000000,128")
    init.add_argument("--dtype", default="float32", choices=_DTYPES, help="element type (default float32)")
    _common(init)
    mode = init.add_mutually_exclusive_group()
    mode.add_argument("--resume", action="store_true", help="continue an interrupted run (same settings)")
    mode.add_argument("--force", action="store_true", help="overwrite an existing or incomplete table")
    init.add_argument("--progress", choices=("auto", "bar", "lines", "none"), default="auto",
                      help="a bar on a terminal, plain lines otherwise (default auto)")
    init.add_argument("--interval", type=float, default=None, help="seconds between progress updates "
                      "(default 0.1 for the bar, 10 for lines)")
    init.add_argument("-q", "--quiet", action="store_true", help="print nothing but errors")
    init.add_argument("--no-fsync", action="store_true", help="do not flush to disk at checkpoints: the record "
                      "then survives a killed process but not a power failure")
    init.add_argument("--no-stats", action="store_true", help="skip the table's mean/std/min/max")
    init.add_argument("--zarr-chunk-mb", type=float, default=16.0, help="MiB per zarr chunk (whole rows; "
                      "default 16)")
    _param_options(init)

    ver = sub.add_parser("verify", allow_abbrev=False, help="recompute rows of a table and compare bit for bit",
                         description="Recompute a sample of TABLE's rows (the first, the last and random ones; "
                         "--all: every row) and compare them bit for bit. Exit 0: match, 1: mismatch or incomplete.")
    ver.add_argument("table", metavar="TABLE", help="TABLE.npy or TABLE.zarr")
    _common(ver)
    ver.add_argument("--all", action="store_true", help="check every row")
    ver.add_argument("--rows", type=int, default=1000, help="rows to sample (default 1000)")
    ver.add_argument("--sample-seed", type=int, default=0, help="which rows are sampled (default 0)")
    ver.add_argument("--dtype", default=None, choices=_DTYPES, help="read the elements as this type "
                     "(default: the file's; bfloat16 .npy files are read as bfloat16)")
    ver.add_argument("--shape", default=None, help="also check the table has this shape")
    ver.add_argument("--progress", choices=("auto", "bar", "lines", "none"), default="none")
    ver.add_argument("-q", "--quiet", action="store_true", help="print nothing; the exit code says")
    _param_options(ver)

    info = sub.add_parser("info", allow_abbrev=False, help="SIMD path, threads, and fill throughput against NumPy",
                          description="What this install runs on, and how fast it fills, next to NumPy.")
    info.add_argument("--size", type=int, default=64 * 2**20, help="values per fill (default 64M)")
    info.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    info.add_argument("--repeat", type=int, default=3, help="timed rounds; the median is shown")

    sub.add_parser("list", help="initializer names and their parameters",
                   description="The initializer names --init takes, with their parameters.")
    return parser


# --- commands ------------------------------------------------------------------------------------

def _seed(args: argparse.Namespace) -> int | None:
    if args.seed is None:
        return None
    try:
        return _int(args.seed)
    except ValueError:
        raise _Usage(f"--seed must be an integer in [0, 2**64), got {args.seed!r}") from None


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        return int(text, 0)  # 0x...


def _stream(text: str) -> Any:
    """An int (decimal or 0x...) is a stream number; anything else names a stream."""
    try:
        return _int(text)
    except ValueError:
        return text


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _resolve(args: argparse.Namespace) -> Any:
    from ..core.suggest import did_you_mean
    from ..names.named import parameters_of, resolve

    params = _params(args)
    canonical, accepted, missing = parameters_of(args.init, params)
    for key in params:
        if key not in accepted:
            hint = did_you_mean(key, accepted, show=_flag)
            takes = ("its parameters are " + ", ".join(_flag(n) for n in accepted)) if accepted else "it takes none"
            raise _Usage(f"{canonical} takes no {_flag(key)}.{hint} ({takes}; `fastinit list` shows every "
                         "initializer's)")
    if missing:
        raise _Usage(f"{canonical} needs {' and '.join(_flag(m) for m in missing)} (e.g. {_flag(missing[0])} 0.5)")
    return resolve(args.init, params, text=True)


def _cmd_init(args: argparse.Namespace, out: Any, err: Any) -> int:
    from ..outofcore import write_table

    init = _resolve(args)
    if args.threads is not None and args.threads < 1:
        raise _Usage("--threads must be >= 1")
    progress = "none" if args.quiet else args.progress
    summary = write_table(
        args.table, _parse_shape(args.shape), init, seed=_seed(args), stream=_stream(args.stream), dtype=args.dtype,
        chunk_mb=args.chunk_mb, zarr_chunk_mb=args.zarr_chunk_mb, resume=args.resume, force=args.force,
        progress=progress, progress_interval=args.interval, progress_stream=err, fsync=not args.no_fsync,
        stats=not args.no_stats, threads=args.threads, handle_signals=True)
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


def _cmd_verify(args: argparse.Namespace, out: Any, err: Any) -> int:
    from ..outofcore import verify_table

    init = _resolve(args)
    if args.threads is not None:
        if args.threads < 1:
            raise _Usage("--threads must be >= 1")
        import fastinit

        fastinit.set_num_threads(args.threads)
    if args.shape is not None:
        from ..outofcore import _open_for_reading, _table_format

        want = _parse_shape(args.shape)
        have = _open_for_reading(args.table, _table_format(args.table))[0] if not _incomplete(args.table) else want
        if tuple(have) != want:
            if not args.quiet:
                out.write(f"{args.table}: MISMATCH: shape {tuple(have)}, not {want}\n")
            return 1
    result = verify_table(args.table, init, seed=_seed(args), stream=_stream(args.stream), dtype=args.dtype,
                          rows=args.rows, every_row=args.all, chunk_mb=args.chunk_mb, sample_seed=args.sample_seed,
                          progress="none" if args.quiet else args.progress, progress_stream=err)
    if not args.quiet:
        out.write(result.message + "\n")
    return 0 if result.ok else 1


def _incomplete(path: str) -> bool:
    import os

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
        raise _Usage(f"--size {size:,} float32 values need {size * 4 / 2**30:,.1f} GiB; this machine allows "
                     f"--size up to {limit:,} (half its memory)")


def _cmd_info(args: argparse.Namespace, out: Any, err: Any) -> int:
    import numpy as np

    import fastinit

    from ..core.timing import median_seconds

    if args.size < 1 or args.repeat < 1:
        raise _Usage("--size and --repeat must be >= 1")
    _check_info_size(args.size)
    if args.threads is not None:
        if args.threads < 1:
            raise _Usage("--threads must be >= 1")
        fastinit.set_num_threads(args.threads)
    out.write(f"fastinit {fastinit.__version__}, stream version {fastinit.STREAM_VERSION}\n")
    out.write(f"SIMD path {fastinit.simd_path()} (available: {', '.join(fastinit.simd_paths())}; "
              f"force one with {fastinit.SIMD_ENV_VAR}=...), threads {fastinit.get_num_threads()}\n")
    buf = np.empty(args.size, np.float32)
    rng = np.random.default_rng(0)
    rows = [
        ("write memory (out.fill)", lambda: buf.fill(1.0), None),
        ("uniform", lambda: fastinit.uniform(buf, seed=0), lambda: rng.random(dtype=np.float32, out=buf)),
        ("normal", lambda: fastinit.normal(buf, seed=0), lambda: rng.standard_normal(dtype=np.float32, out=buf)),
        ("truncated_normal(-2, 2)", lambda: fastinit.truncated_normal(buf, seed=0), None),
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


def _cmd_list(args: argparse.Namespace, out: Any, err: Any) -> int:
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


_COMMANDS = {"init": _cmd_init, "verify": _cmd_verify, "info": _cmd_info, "list": _cmd_list}


def _error_line(command: str, exc: BaseException, table: str | None) -> tuple[int, str]:
    """The exit code and the one line for an error (usage 2; I/O and data problems 1)."""
    from ..outofcore import TableDataError, TableError

    one = " ".join(str(exc).split("\n"))
    if isinstance(exc, _Usage):
        return 2, f"fastinit {command}: error: {one} (see `fastinit {command} --help`)"
    if isinstance(exc, TableDataError):
        return 1, f"fastinit {command}: error: {one}"
    if isinstance(exc, (TableError, TypeError, ValueError, OverflowError)):
        return 2, f"fastinit {command}: error: {one}"
    if isinstance(exc, MemoryError):
        return 1, f"fastinit {command}: error: not enough memory{f' for {table}' if table else ''}: lower --chunk-mb"
    assert isinstance(exc, OSError)
    where = exc.filename if isinstance(exc.filename, str) else table
    cause = exc.strerror or str(exc)
    return 1, f"fastinit {command}: error: {f'{where}: ' if where else ''}{cause}"


def _run(args: argparse.Namespace, out: _Stream, err: _Stream) -> int:
    """Run the command; errors become one line on stderr and an exit code."""
    try:
        code: int = _COMMANDS[args.command](args, out, err)
    except KeyboardInterrupt:
        err.write(f"\nfastinit {args.command}: interrupted\n")
        return 130
    except (_Usage, ValueError, TypeError, OverflowError, MemoryError, OSError) as exc:
        code, line = _error_line(args.command, exc, getattr(args, "table", None))
        err.write(line + "\n")
        return code
    if out.failed is not None and args.command in ("info", "list"):  # their output is what they are for
        err.write(f"fastinit {args.command}: error: could not write to stdout: {out.failed}\n")
        return 1
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fastinit`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    _guard_std_fds()
    out, err = _Stream(sys.stdout), _Stream(sys.stderr)
    try:
        parser = _build_parser()
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or argparse's own usage errors (code 2)
            return int(exc.code or 0) if not isinstance(exc.code, str) else 2
        if args.command is None:
            parser.print_help(out)
            return 0
        return _run(args, out, err)
    finally:
        out.settle()
        err.settle()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
