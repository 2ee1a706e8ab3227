"""One rank of the TorchRec checks in tests/test_torchrec.py (not a test module: run as a script).

``python tests/test_torchrec_worker.py`` with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set
joins a gloo process group on the CPU and, for every sharding plan, shards a model built on the
meta device with ``DistributedModelParallel``, runs ``fastinit.torchrec.init_tables`` and checks:
each table gathered (``ShardedTensor.gather``) equals the single-process fill of the unsharded
collection bit for bit, the shards' metadata tile the table, and ``fingerprint_tables`` equals
``fastinit.fingerprint`` of the unsharded table. Prints one ``FINGERPRINTS {json}`` line (every
plan's digests) for the test to compare across world sizes. Any failure raises.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable

import numpy as np
import torch
import torch.distributed as dist
import torchrec
from gloo_ranks import leave_world
from torchrec.distributed import sharding_plan as sp
from torchrec.distributed.embedding import EmbeddingCollectionSharder
from torchrec.distributed.embeddingbag import EmbeddingBagCollectionSharder
from torchrec.distributed.model_parallel import DistributedModelParallel
from torchrec.distributed.types import ShardingEnv, ShardingPlan

import fastinit
import fastinit.torchrec as ftr

SEED = 2024
#: (name, rows, columns, weight_init_min/max or None): row counts that no world size divides;
#: columns that 3 column shards divide; t2 has fewer rows than some worlds have ranks' shares.
TABLES = [("t0", 1001, 12, None), ("t1", 37, 24, (-0.5, 0.25)), ("t2", 5, 12, None)]
INIT = {"t2": "xavier_uniform"}  # t0, t1: TorchRec's defaults; t2: a fastinit initializer


def collection(kind: str, device: str) -> torch.nn.Module:
    if kind == "ebc":
        configs = [torchrec.EmbeddingBagConfig(name=n, num_embeddings=r, embedding_dim=c, feature_names=[f"f_{n}"],
                                               weight_init_min=b and b[0], weight_init_max=b and b[1])
                   for n, r, c, b in TABLES]
        return torchrec.EmbeddingBagCollection(tables=configs, device=torch.device(device))
    configs = [torchrec.EmbeddingConfig(name=n, num_embeddings=r, embedding_dim=12, feature_names=[f"f_{n}"])
               for n, r, _, _ in TABLES]
    return torchrec.EmbeddingCollection(tables=configs, device=torch.device(device))


def reference(kind: str) -> dict[str, np.ndarray]:
    """The unsharded fill in this process, each table checked against fastinit's NumPy fill."""
    plain = ftr.init_tables(collection(kind, "cpu"), SEED, init=INIT)
    holder = plain.embedding_bags if kind == "ebc" else plain.embeddings
    out = {n: holder[n].weight.detach().clone().numpy() for n, _, _, _ in TABLES}
    for n, r, _, bounds in TABLES:
        shape = out[n].shape
        if n in INIT:
            want = fastinit.get(INIT[n])(shape, seed=SEED, stream=n)
        else:
            low, high = bounds if bounds is not None and kind == "ebc" else (-(1 / r) ** 0.5, (1 / r) ** 0.5)
            want = fastinit.uniform(shape, low, high, seed=SEED, stream=n)
        assert np.array_equal(out[n], want), f"unsharded {kind} table {n} differs from fastinit's fill"
    return out


def plans(world: int) -> dict[str, Callable[[int], Any]]:
    """Every sharding type as a plan generator per table index."""
    return {
        "table_wise": lambda i: sp.table_wise(rank=(i + 1) % world),
        "row_wise": lambda i: sp.row_wise(),
        "column_wise": lambda i: sp.column_wise(ranks=[r % world for r in range(3)]),
        "table_row_wise": lambda i: sp.table_row_wise(host_index=0),
        "grid_shard": lambda i: sp.grid_shard(host_indexes=[0]),
        "data_parallel": lambda i: sp.data_parallel(),
        "mixed": lambda i: [sp.row_wise(), sp.column_wise(ranks=[r % world for r in range(3)]),
                            sp.table_wise(rank=world - 1)][i],
    }


def sharder(kind: str, kernel: str) -> Any:
    from fbgemm_gpu.split_embedding_configs import EmbOptimType
    params = {"optimizer": EmbOptimType.EXACT_ROWWISE_ADAGRAD, "learning_rate": 0.1} if kernel == "fused" else None
    return EmbeddingBagCollectionSharder(fused_params=params) if kind == "ebc" else EmbeddingCollectionSharder(
        fused_params=params)


def shard(model: torch.nn.Module, kind: str, plan_name: str, kernel: str, world: int) -> Any:
    s = sharder(kind, kernel)
    env = None
    if plan_name.endswith("+dtensor"):  # the state dict as DTensors (TorchRec's LocalShardsWrapper)
        plan_name = plan_name.removesuffix("+dtensor")
        env = ShardingEnv(world, dist.get_rank(), dist.group.WORLD, output_dtensor=True)
    if plan_name == "planner":  # TorchRec's own planner, as a user gets it by default on the CPU
        return DistributedModelParallel(model, device=torch.device("cpu"), sharders=[s], init_data_parallel=False)
    make = plans(world)[plan_name]
    generators = {}
    for i, (n, _, _, _) in enumerate(TABLES):
        gen = make(i)
        if plan_name != "data_parallel":
            gen = _with_kernel(gen, kernel)
        generators[n] = gen
    module_plan = sp.construct_module_sharding_plan(model, generators, local_size=world, world_size=world,
                                                    device_type="cpu", sharder=s)
    return DistributedModelParallel(model, env=env, device=torch.device("cpu"), plan=ShardingPlan({"": module_plan}),
                                    sharders=[s], init_data_parallel=False)


def _with_kernel(gen: Any, kernel: str) -> Any:
    def wrapped(*args: Any) -> Any:
        ps = gen(*args)
        ps.compute_kernel = kernel
        return ps
    return wrapped


def check_tables(model: Any, ref: dict[str, np.ndarray], label: str, rank: int) -> None:
    """Each table gathered on rank 0 equals the reference; every rank's shards equal its slices
    of the reference; the shards' metadata tile the table exactly once."""
    state = model.state_dict()
    for n, full in ref.items():
        value = next(v for k, v in state.items() if k.endswith(f".{n}.weight") or k == f"{n}.weight")
        if type(value).__name__ == "DTensor":  # each local block against its slice (fingerprints: the whole)
            local = value.to_local()
            for t, (r, c) in zip(local.local_shards(), local.local_offsets()):
                nr, nc = t.shape
                assert np.array_equal(t.numpy(), full[r:r + nr, c:c + nc]), f"{label}: rank {rank}'s block of {n}"
            continue
        if isinstance(value, torch.Tensor) and not hasattr(value, "local_shards"):  # data-parallel: whole table
            assert np.array_equal(value.detach().numpy(), full), f"{label}: replicated {n} differs"
            continue
        cover = np.zeros(full.shape, np.int64)
        for md in value.metadata().shards_metadata:
            (r, c), (nr, nc) = md.shard_offsets, md.shard_sizes
            cover[r:r + nr, c:c + nc] += 1
        assert (cover == 1).all(), f"{label}: the shards of {n} do not tile the table"
        for s in value.local_shards():
            (r, c), (nr, nc) = s.metadata.shard_offsets, s.metadata.shard_sizes
            assert np.array_equal(s.tensor.numpy(), full[r:r + nr, c:c + nc]), f"{label}: rank {rank}'s block of {n}"
        out = torch.empty(full.shape) if rank == 0 else None
        value.gather(dst=0, out=out)
        if rank == 0:
            assert np.array_equal(out.numpy(), full), f"{label}: gathered {n} differs from the unsharded fill"


def optimizer_state_kept(model: Any, label: str) -> None:
    """init_tables leaves the fused optimizer's state (row-wise Adagrad sums) as it was."""
    state = model.fused_optimizer.state_dict()["state"]
    tensors = [s.tensor for v in state.values() for t in v.values() if hasattr(t, "local_shards")
               for s in t.local_shards()]
    assert tensors, f"{label}: no optimizer state found"
    for t in tensors:
        t.fill_(0.5)
    ftr.init_tables(model, SEED, init=INIT)
    for t in tensors:
        assert bool((t == 0.5).all()), f"{label}: init_tables changed the optimizer state"


def check_real_grid(world: int, rank: int) -> dict[str, int]:
    """A grid of 2 column blocks x world/2 row blocks (TorchRec's grid sharding, hosts of world/2
    ranks: LOCAL_WORLD_SIZE set for the plan and DMP): a 9 x 256 table (column blocks of 128)."""
    local = world // 2
    saved = os.environ.get("LOCAL_WORLD_SIZE")
    os.environ["LOCAL_WORLD_SIZE"] = str(local)
    try:
        config = torchrec.EmbeddingBagConfig(name="g", num_embeddings=9, embedding_dim=256, feature_names=["g"])
        ebc = torchrec.EmbeddingBagCollection(tables=[config], device=torch.device("meta"))
        s = EmbeddingBagCollectionSharder()
        module_plan = sp.construct_module_sharding_plan(ebc, {"g": sp.grid_shard(host_indexes=[0, 1])},
                                                        local_size=local, world_size=world, device_type="cpu",
                                                        sharder=s)
        model = DistributedModelParallel(ebc, device=torch.device("cpu"), plan=ShardingPlan({"": module_plan}),
                                         sharders=[s], init_data_parallel=False)
    finally:
        if saved is None:
            del os.environ["LOCAL_WORLD_SIZE"]
        else:
            os.environ["LOCAL_WORLD_SIZE"] = saved
    ftr.init_tables(model, SEED)
    full = fastinit.uniform((9, 256), -(1 / 9) ** 0.5, (1 / 9) ** 0.5, seed=SEED, stream="g")
    shards = model.state_dict()["embedding_bags.g.weight"].metadata().shards_metadata
    offsets = {tuple(md.shard_offsets) for md in shards}
    assert {c for _, c in offsets} == {0, 128} and len(offsets) == world, f"not a grid: {sorted(offsets)}"
    check_tables(model, {"g": full}, "grid of 2 column blocks", rank)
    got = ftr.fingerprint_tables(model)
    assert got == {"g": fastinit.fingerprint(full)}, f"grid: fingerprint_tables {got}"
    return got


CONFIGS = [(kind, plan, kernel) for kind in ("ebc",) for kernel in ("dense", "fused")
           for plan in ("table_wise", "row_wise", "column_wise", "table_row_wise", "grid_shard", "mixed")]
CONFIGS += [("ebc", "data_parallel", "dense"), ("ebc", "planner", "fused"), ("ebc", "mixed+dtensor", "fused")]
CONFIGS += [("ec", plan, "fused") for plan in ("table_wise", "row_wise", "column_wise")]


def main() -> None:
    dist.init_process_group("gloo")
    rank, world = dist.get_rank(), dist.get_world_size()
    refs = {kind: reference(kind) for kind in ("ebc", "ec")}
    digests: dict[str, dict[str, int]] = {}
    for kind, plan, kernel in CONFIGS:
        label = f"{kind}/{plan}/{kernel}"
        model = shard(collection(kind, "meta"), kind, plan, kernel, world)
        ftr.init_tables(model, SEED, init=INIT)
        check_tables(model, refs[kind], label, rank)
        got = ftr.fingerprint_tables(model)
        want = {n: fastinit.fingerprint(a) for n, a in refs[kind].items()}
        assert got == want, f"{label}: fingerprint_tables {got} != the unsharded tables' {want}"
        digests[label] = got
        if kernel == "fused" and plan == "row_wise":
            optimizer_state_kept(model, label)
    # docs/guide/torchrec.md: sharding redraws every shard with TorchRec's init_fn (its sharded
    # collections call reset_parameters), so values filled before sharding do not survive it
    model = shard(ftr.init_tables(collection("ebc", "cpu"), SEED, init=INIT), "ebc", "row_wise", "fused", world)
    assert ftr.fingerprint_tables(model)["t0"] != fastinit.fingerprint(refs["ebc"]["t0"]), "sharding kept the values"
    ftr.init_tables(model, SEED, init=INIT)
    check_tables(model, refs["ebc"], "init after sharding a CPU model", rank)
    if world >= 2 and world % 2 == 0:
        check_real_grid(world, rank)
    if rank == 0:
        print("FINGERPRINTS " + json.dumps(digests, sort_keys=True))
    print(f"rank {rank}/{world}: {len(CONFIGS) + 1} checks passed (pid {os.getpid()})")
    dist.barrier()  # as in test_fingerprint_torch: no rank tears down gloo pairs a peer still uses
    dist.destroy_process_group()
    leave_world()


if __name__ == "__main__":
    main()
