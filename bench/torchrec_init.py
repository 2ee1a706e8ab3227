"""A TorchRec table sharded row-wise over 2 gloo ranks: fastinit.torchrec.init_tables vs TorchRec's own init.

Run standalone: ``python bench/torchrec_init.py`` (CPU; torch, TorchRec and fbgemm-gpu-cpu installed).
Each rank builds an ``EmbeddingBagCollection`` of one ``--rows`` x ``--dim`` float32 table (default
10M x 128, 4.8 GiB) on the meta device and shards it row-wise with ``DistributedModelParallel``
(dense kernel), then times, on its own shard, the median of ``--repeat`` runs of:

- ``fastinit.torchrec.init_tables(model, seed)``: the whole table's values at the shard's rows;
- TorchRec's own init of the same shards (``reset_parameters()`` of the sharded collection: the
  table's ``init_fn``, ``torch.nn.init.uniform_`` on each local shard);
- ``fastinit.uniform`` of the local shard as a plain array (no ``full_shape``/``index``): what
  fastinit costs without the sharding bookkeeping.

It prints the slowest rank's times and the ratios. ``--threads N``: threads per rank (default 1).
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
import time
from typing import Any, Callable

import torch

import fastinit

ROWS, DIM = 10_000_000, 128


def _medians(fns: list[Callable[[], Any]], repeat: int) -> list[float]:
    """The median time of each of ``fns``, run in turn ``repeat`` rounds (interleaved, so that
    a busy spell of a shared machine falls on all of them alike), both ranks starting together."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, ts in zip(fns, times):
            torch.distributed.barrier()
            t0 = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t0)
    return [sorted(ts)[len(ts) // 2] for ts in times]


def worker(rows: int, dim: int, repeat: int) -> None:
    import torchrec
    from torchrec.distributed import sharding_plan as sp
    from torchrec.distributed.embeddingbag import EmbeddingBagCollectionSharder
    from torchrec.distributed.model_parallel import DistributedModelParallel
    from torchrec.distributed.types import ShardingPlan

    import fastinit.torchrec as ftr
    from fastinit.torch import numpy_view

    torch.distributed.init_process_group("gloo")
    world = torch.distributed.get_world_size()
    config = torchrec.EmbeddingBagConfig(name="ads", num_embeddings=rows, embedding_dim=dim, feature_names=["i"])
    ebc = torchrec.EmbeddingBagCollection(tables=[config], device=torch.device("meta"))
    sharder = EmbeddingBagCollectionSharder()
    plan = sp.construct_module_sharding_plan(ebc, {"ads": sp.row_wise(compute_kernel="dense")}, local_size=world,
                                             world_size=world, device_type="cpu", sharder=sharder)
    model = DistributedModelParallel(ebc, device=torch.device("cpu"), plan=ShardingPlan({"": plan}),
                                     sharders=[sharder], init_data_parallel=False)
    sharded = model.module
    (block,) = ftr.find_tables(model)[0].blocks
    local = numpy_view(block.tensor.detach())
    bound = math.sqrt(1 / rows)
    t_fastinit, t_torchrec, t_plain = _medians([
        lambda: ftr.init_tables(model, seed=0),
        sharded.reset_parameters,
        lambda: fastinit.uniform(local, -bound, bound, seed=0, stream="ads")], repeat)
    out = torch.tensor([t_fastinit, t_torchrec, t_plain, local.nbytes], dtype=torch.float64)
    gathered = [torch.zeros(4, dtype=torch.float64) for _ in range(world)]
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


def _spawn(world: int, args: argparse.Namespace) -> list[list[float]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    argv = [sys.executable, __file__, "--worker", "--threads", str(args.threads), "--rows", str(args.rows),
            "--dim", str(args.dim), "--repeat", str(args.repeat)]
    procs = [subprocess.Popen(argv, text=True, stdout=subprocess.PIPE,
                              env=dict(os.environ, RANK=str(r), WORLD_SIZE=str(world), MASTER_ADDR="127.0.0.1",
                                       MASTER_PORT=str(port), OMP_NUM_THREADS=str(args.threads)))
             for r in range(world)]
    outs = [p.communicate()[0] for p in procs]
    if any(p.returncode for p in procs):
        raise SystemExit(f"a rank failed (exit codes {[p.returncode for p in procs]})")
    line = next(ln for ln in outs[0].splitlines() if ln.startswith("RESULT"))
    vals = [float(v) for v in line.split()[1:]]
    return [vals[i:i + 4] for i in range(0, len(vals), 4)]


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help="threads per rank (default 1)")
    parser.add_argument("--rows", type=int, default=ROWS, help=f"table rows (default {ROWS:,})")
    parser.add_argument("--dim", type=int, default=DIM, help=f"embedding dim (default {DIM})")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement (median; default 3)")
    args = parser.parse_args()
    fastinit.set_num_threads(args.threads)
    torch.set_num_threads(args.threads)
    if args.worker:
        worker(args.rows, args.dim, args.repeat)
        return
    rows = _spawn(2, args)
    fi, tr, plain = (max(r[i] for r in rows) for i in range(3))
    mib = max(r[3] for r in rows) / 2**20
    print(f"table {args.rows:,} x {args.dim} float32, row-wise over 2 ranks ({mib:.0f} MiB per rank), "
          f"{args.threads} thread(s) per rank; seconds, slowest rank, median of {args.repeat}; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'fastinit.torchrec.init_tables':<40}{fi:>10.3f}")
    print(f"{'TorchRec reset_parameters (uniform_)':<40}{tr:>10.3f}   {tr / fi:.2f}x fastinit's time")
    print(f"{'fastinit.uniform of the local shard':<40}{plain:>10.3f}   {plain / fi:.2f}x fastinit's time")


if __name__ == "__main__":
    main()
