"""The ``fastinit`` command (also ``python -m fastinit``).

Its commands and exit codes (the end of ``fastinit --help``) are written in
:data:`fastinit.cli.usage.EPILOG`.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .args import build_parser
from .commands import COMMANDS
from .errors import UsageError, error_line
from .streams import Stream, guard_std_fds

__all__ = ["main"]

# The package: args (the parser and the values read from it), commands (init, verify, info, list),
# errors (usage errors, and the one line and exit code of any failure), streams (stdout/stderr
# that never raise), usage (the commands and exit codes, the epilog of --help).


def _run(args: argparse.Namespace, out: Stream, err: Stream) -> int:
    """Run the command; errors become one line on stderr and an exit code."""
    try:
        code = COMMANDS[args.command](args, out, err)
    except KeyboardInterrupt:
        err.write(f"\nfastinit {args.command}: interrupted\n")
        return 130
    except (UsageError, ValueError, TypeError, OverflowError, MemoryError, OSError) as exc:
        code, line = error_line(args.command, exc, getattr(args, "table", None))
        err.write(line + "\n")
        return code
    if out.failed is not None and args.command in ("info", "list"):  # their output is what they are for
        err.write(f"fastinit {args.command}: error: could not write to stdout: {out.failed}\n")
        return 1
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fastinit`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    guard_std_fds()
    out, err = Stream(sys.stdout), Stream(sys.stderr)
    try:
        parser = build_parser()
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

