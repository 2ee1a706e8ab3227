"""The command line: the argument parser, and the values read from the parsed arguments.

:func:`build_parser` makes the parser of every command; :func:`parse_shape`, :func:`parse_seed`,
:func:`parse_stream` and :func:`resolve_initializer` turn the parsed text into the shape, seed,
stream and initializer the commands use, raising :class:`~fastinit.cli.errors.UsageError` with
the fix for bad input.
"""

from __future__ import annotations

import argparse
from typing import Any

from .._core import STREAM_VERSION
from .._version import __version__
from .errors import UsageError
from .usage import EPILOG

__all__ = ["DTYPES", "build_parser", "parse_shape", "parse_seed", "parse_stream", "resolve_initializer"]

#: The element types ``--dtype`` takes.
DTYPES = ("float32", "float16", "bfloat16", "float64")


def parse_shape(text: str) -> tuple[int, ...]:
    """``--shape``: comma- (or x-) separated non-negative integers; "", "()" or "scalar" is ()."""
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
            raise UsageError(f"--shape must be comma-separated integers like 100000000,128 (got {text!r})") from None
        if d < 0:
            raise UsageError(f"--shape must not contain negative sizes (got {text!r})")
        dims.append(d)
    return tuple(dims)


def _param_options(parser: argparse.ArgumentParser) -> None:
    """One ``--NAME`` option (and ``--NA-ME`` for ``NA_ME``) per initializer parameter name."""
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
    """The initializer parameters given on the command line, by name, as text."""
    return {k[len("param__"):]: v for k, v in vars(args).items() if k.startswith("param__") and v is not None}


def _common(p: argparse.ArgumentParser) -> None:
    """The options ``init`` and ``verify`` share."""
    p.add_argument("--init", required=True, help="initializer name: he_normal, glorot_uniform, normal, uniform, "
                   "truncated_normal, constant, xavier_uniform, kaiming_normal, RandomNormal ... (`fastinit list`)")
    p.add_argument("--seed", type=str, default=None, help="the seed, an int in [0, 2**64) (required for random "
                   "initializers)")
    p.add_argument("--stream", default="0", help="stream: an int, or a name hashed to one (e.g. the tensor's name); "
                   "default 0")
    p.add_argument("--chunk-mb", type=float, default=64.0, help="memory budget: MiB of the table mapped at once "
                   "(default 64)")
    p.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")


def build_parser() -> argparse.ArgumentParser:
    """The ``fastinit`` parser with its subcommands init, verify, info and list."""
    parser = argparse.ArgumentParser(
        prog="fastinit", allow_abbrev=False, formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Neural-network weight initializations at memory speed, reproducible bit for bit.",
        epilog=EPILOG)
    parser.add_argument("--version", action="version",
                        version=f"fastinit {__version__} (stream version {STREAM_VERSION})")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    init = sub.add_parser("init", allow_abbrev=False, help="write a table (.npy or .zarr) in chunks",
                          description="Write TABLE (.npy, or .zarr with zarr installed) filled by an initializer, "
                          "chunk by chunk with bounded memory, with progress, resume and a summary.")
    init.add_argument("table", metavar="TABLE", help="TABLE.npy or TABLE.zarr")
    init.add_argument("--shape", required=True, help="the table's shape, e.g. 100000000,128")
    init.add_argument("--dtype", default="float32", choices=DTYPES, help="element type (default float32)")
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
    ver.add_argument("--dtype", default=None, choices=DTYPES, help="read the elements as this type "
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


def parse_seed(args: argparse.Namespace) -> int | None:
    """``--seed`` as an int (decimal or 0x...), or None when not given."""
    if args.seed is None:
        return None
    try:
        return _int(args.seed)
    except ValueError:
        raise UsageError(f"--seed must be an integer in [0, 2**64), got {args.seed!r}") from None


def _int(text: str) -> int:
    """A decimal int, or one with a base prefix (0x..., 0o..., 0b...)."""
    try:
        return int(text)
    except ValueError:
        return int(text, 0)  # 0x...


def parse_stream(text: str) -> Any:
    """An int (decimal or 0x...) is a stream number; anything else names a stream."""
    try:
        return _int(text)
    except ValueError:
        return text


def _flag(name: str) -> str:
    """The option spelling of a parameter name: ``--name-with-dashes``."""
    return "--" + name.replace("_", "-")


def resolve_initializer(args: argparse.Namespace) -> Any:
    """``--init`` with its parameters as an initializer; unknown or missing parameters are usage
    errors naming the ones it takes."""
    from ..core.suggest import did_you_mean
    from ..names.named import parameters_of, resolve

    params = _params(args)
    canonical, accepted, missing = parameters_of(args.init, params)
    for key in params:
        if key not in accepted:
            hint = did_you_mean(key, accepted, show=_flag)
            takes = ("its parameters are " + ", ".join(_flag(n) for n in accepted)) if accepted else "it takes none"
            raise UsageError(f"{canonical} takes no {_flag(key)}.{hint} ({takes}; `fastinit list` shows every "
                             "initializer's)")
    if missing:
        raise UsageError(f"{canonical} needs {' and '.join(_flag(m) for m in missing)} (e.g. {_flag(missing[0])} 0.5)")
    return resolve(args.init, params, text=True)
