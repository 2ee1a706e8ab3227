"""The commands of ``fastinit`` and its exit codes: the text ``fastinit --help`` prints after the
options (:data:`EPILOG`), written once here."""

__all__ = ["EPILOG"]

#: The end of ``fastinit --help``: an example of each command, and what each exit code means.
EPILOG = """\
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
