"""Spawn a worker script on ``world`` local ranks of a gloo process group (torchrun's environment
variables, a free localhost port, one OpenMP thread each), for the distributed tests.

A world in which a rank is killed by a signal runs once more, and the crash is reported as a
warning: on loaded 2-core CI machines torch's own native code crashed now and then in threads
without a Python frame (a SIGABRT in gloo's teardown, "terminate called without an active
exception"; a SIGSEGV while ``fully_shard`` propagated sharding on fake tensors), never twice in a
row. A world in which no rank was killed by a signal but one fails a check (a non-zero exit code)
fails the test at once, and a world that crashes again fails it too. The workers end a rank whose
checks passed with ``leave_world()``, skipping the interpreter's teardown, where those SIGABRTs
happened."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from typing import NoReturn


def leave_world() -> NoReturn:
    """End a worker rank whose checks passed, after ``destroy_process_group()``: flush its output
    and exit at once (``os._exit(0)``), skipping the interpreter's teardown. In CI a rank that had
    printed its results was now and then killed by SIGABRT there ("terminate called without an
    active exception", the main thread with no Python frame: a C++ destructor of torch's or gloo's
    at exit)."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_ranks(worker: Path, world: int, timeout: float = 240) -> list[str]:
    """Run ``worker`` on ``world`` ranks; each rank's output (stdout + stderr). Fails the test,
    with that rank's output, if any rank exits non-zero (after one more run of the world if a rank
    was killed by a signal: see the module docstring)."""
    procs, outputs = _run_once(worker, world, timeout)
    crashed = [(rank, p.returncode, out) for rank, (p, out) in enumerate(zip(procs, outputs)) if p.returncode < 0]
    if crashed:  # the other ranks then fail too, on the lost connection
        rank, code, out = crashed[0]
        with warnings.catch_warnings():  # shown in pytest's warnings summary, not an error (filterwarnings)
            warnings.simplefilter("always")
            warnings.warn(f"rank {rank} of {world} was killed by signal {-code}; the world ran again:\n"
                          f"{out[-3000:]}", stacklevel=2)
        procs, outputs = _run_once(worker, world, timeout)
    for rank, (p, out) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"rank {rank} of {world} failed (exit code {p.returncode}):\n{out[-6000:]}"
    return outputs


def _run_once(worker: Path, world: int, timeout: float) -> tuple[list[subprocess.Popen[str]], list[str]]:
    port = free_port()
    procs = []
    for rank in range(world):
        env = dict(os.environ, RANK=str(rank), WORLD_SIZE=str(world), LOCAL_RANK=str(rank),
                   MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), OMP_NUM_THREADS="1",
                   PYTHONFAULTHANDLER="1")  # a rank killed by a signal prints its Python stack
        procs.append(subprocess.Popen([sys.executable, str(worker)], env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    outputs = []
    try:
        for p in procs:
            outputs.append(p.communicate(timeout=timeout)[0])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return procs, outputs
