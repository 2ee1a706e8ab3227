"""init_module on a ~58M-parameter model: one process vs FSDP2 (fully_shard) over 2 and 4 gloo ranks.

Run standalone: ``python bench/dtensor_init.py`` (CPU, torch with distributed). Each configuration
builds the model on the meta device; the sharded runs wrap it with ``fully_shard`` on a 1-D CPU
mesh; ``fastinit.torch.init_module`` then materializes (to_empty) and fills it. Reported per rank:
init time (max over ranks), peak RSS growth during init (VmHWM, reset just before, minus the RSS
before: what the process allocated for the model and anything else), and the bytes of its local shards.
``--threads N`` sets fastinit's/torch's threads per rank (default 1).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time

import torch
from torch import nn

import fastinit
import fastinit.torch as ft


class Block(nn.Module):
    """4 attention projections, MLP 512-2048-512, 2 LayerNorms (forward: identity; only init is timed)."""

    def __init__(self, dim: int = 512, hidden: int = 2048) -> None:
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(dim, dim) for _ in range(4))
        self.up, self.down = nn.Linear(dim, hidden), nn.Linear(hidden, dim)
        self.n1, self.n2 = nn.LayerNorm(dim), nn.LayerNorm(dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


class Model(nn.Module):
    """Embedding 32000x512, 8 blocks, output head 512->32000."""

    def __init__(self, vocab: int = 32000, dim: int = 512) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.blocks = nn.ModuleList(Block() for _ in range(8))
        self.head = nn.Linear(dim, vocab)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x


def model() -> Model:
    return Model()


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _reset_peak() -> None:
    """Reset the process's peak RSS (VmHWM) to its current RSS (Linux clear_refs 5; ru_maxrss
    cannot be reset and is inherited from the parent process)."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _peak_rss() -> int:
    """VmHWM: the peak RSS since the last :func:`_reset_peak`, in bytes."""
    with open("/proc/self/status") as f:
        kib = next(int(ln.split()[1]) for ln in f if ln.startswith("VmHWM:"))
    return kib * 1024


def _init(shard: bool) -> tuple[float, int, int]:
    """(seconds, peak RSS growth bytes, local parameter bytes) of one init_module."""
    from torch.distributed.tensor import DTensor
    with torch.device("meta"):
        m = model()
    if shard:
        from torch.distributed.device_mesh import init_device_mesh
        from torch.distributed.fsdp import fully_shard
        mesh = init_device_mesh("cpu", (torch.distributed.get_world_size(),))
        for b in m.blocks:
            fully_shard(b, mesh=mesh)
        fully_shard(m, mesh=mesh)
        torch.distributed.barrier()
    _reset_peak()
    before = _rss()
    t0 = time.perf_counter()
    ft.init_module(m, 0)
    dt = time.perf_counter() - t0
    peak = _peak_rss() - before
    local = sum((p.to_local() if isinstance(p, DTensor) else p).nbytes for p in m.parameters())
    return dt, peak, local


def worker() -> None:
    torch.distributed.init_process_group("gloo")
    dt, peak, local = _init(True)
    out = torch.tensor([dt, peak, local], dtype=torch.float64)
    gathered = [torch.zeros(3, dtype=torch.float64) for _ in range(torch.distributed.get_world_size())]
    torch.distributed.all_gather(gathered, out)
    if torch.distributed.get_rank() == 0:
        print("RESULT", " ".join(f"{float(v):.6g}" for g in gathered for v in g), flush=True)
    torch.distributed.destroy_process_group()
    # The rank ends here, skipping the interpreter's teardown, where torch's native code after a gloo
    # group was now and then killed by SIGABRT on loaded CI machines ("terminate called without an
    # active exception", after the results were printed; tests/gloo_ranks.py says the same).
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _spawn(world: int, threads: int) -> list[list[float]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", "--threads", str(threads)], text=True,
                              stdout=subprocess.PIPE,
                              env=dict(os.environ, RANK=str(r), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                                       MASTER_PORT=str(port), OMP_NUM_THREADS=str(threads)))
             for r in range(world)]
    outs = [p.communicate()[0] for p in procs]
    line = next(ln for ln in outs[0].splitlines() if ln.startswith("RESULT"))
    vals = [float(v) for v in line.split()[1:]]
    return [vals[i:i + 3] for i in range(0, len(vals), 3)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    fastinit.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    if args.worker:
        worker()
        return
    n = sum(p.numel() for p in model().parameters())
    print(f"model: {n / 1e6:.1f}M parameters, float32 ({n * 4 / 2**20:.0f} MiB); {args.threads} thread(s) per rank")
    print(f"{'config':<22}{'init s (max rank)':>18}{'peak RSS growth MiB/rank':>26}{'local params MiB/rank':>23}")
    dt, peak, local = _init(False)
    print(f"{'1 process':<22}{dt:>18.3f}{peak / 2**20:>26.0f}{local / 2**20:>23.0f}")
    for world in (2, 4):
        rows = _spawn(world, args.threads)
        print(f"{f'fully_shard, {world} ranks':<22}{max(r[0] for r in rows):>18.3f}"
              f"{max(r[1] for r in rows) / 2**20:>26.0f}{max(r[2] for r in rows) / 2**20:>23.0f}")


if __name__ == "__main__":
    main()
