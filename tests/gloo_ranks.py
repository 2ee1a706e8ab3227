"""Spawn a worker script on ``world`` local ranks of a gloo process group (torchrun's environment
variables, a free localhost port, one OpenMP thread each), for the distributed tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_ranks(worker: Path, world: int, timeout: float = 240) -> list[str]:
    """Run ``worker`` on ``world`` ranks; each rank's output (stdout + stderr). Fails the test,
    with that rank's output, if any rank exits non-zero."""
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
    for rank, (p, out) in enumerate(zip(procs, outputs)):
        assert p.returncode == 0, f"rank {rank} of {world} failed (exit code {p.returncode}):\n{out[-6000:]}"
    return outputs
