"""One rank of the DTensor fingerprint checks in tests/test_fingerprint_torch.py (not a test
module: run as a script by tests/gloo_ranks.py).

``python tests/test_fingerprint_torch_worker.py`` with RANK, WORLD_SIZE, MASTER_ADDR and
MASTER_PORT set joins a gloo process group on the CPU, distributes the tensors of ``full_tensors``
over every mesh and placement of ``configs(world)`` and prints one ``FINGERPRINTS {json}`` line:
each configuration's ``fingerprint_module`` digests, and under "partial" the error a Partial
DTensor raises (or "accepted"). The test compares them with the single-process digests.
"""

from __future__ import annotations

import json

import numpy as np
import torch
from gloo_ranks import leave_world

import fastinit.torch as ft

SHAPES = {"w": ((7, 5), torch.float32), "b": ((5, 3), torch.bfloat16), "v": ((10,), torch.float64),
          "c": ((4, 3), torch.complex64), "e": ((2, 1), torch.float16)}


def random_tensor(dtype: torch.dtype, shape: tuple[int, ...], seed: int = 0) -> torch.Tensor:
    """Random bytes of ``dtype`` (any bit pattern, NaNs included) from a seeded torch generator."""
    g = torch.Generator().manual_seed(seed)
    raw = torch.randint(-128, 128, (int(np.prod(shape)) * torch.empty((), dtype=dtype).element_size(),),
                        dtype=torch.int8, generator=g)
    if dtype == torch.bool:
        return (raw & 1).view(torch.bool).reshape(shape)
    return raw.view(dtype).reshape(shape)


def full_tensors() -> dict[str, torch.Tensor]:
    return {name: random_tensor(dtype, shape, seed=i) for i, (name, (shape, dtype)) in enumerate(SHAPES.items())}


def module_of(tensors: dict[str, torch.Tensor]) -> torch.nn.Module:
    m = torch.nn.Module()
    for name, t in tensors.items():
        m.register_parameter(name, torch.nn.Parameter(t, requires_grad=t.is_floating_point() or t.is_complex()))
    m.register_buffer("steps", torch.tensor([3, 1, 4], dtype=torch.int64))
    return m


def configs(world: int) -> dict[str, tuple]:
    """label -> (mesh shape, placements[, the mesh dimension the DTensors live on])."""
    from torch.distributed.tensor import Replicate, Shard
    if world == 4:
        # "sub_*": the DTensors live on one dimension of a 2x2 mesh (FSDP2's mesh["dp"] under TP):
        # that submesh is repeated, each copy holding the whole tensor, counted once.
        return {"shard01": ((2, 2), [Shard(0), Shard(1)]), "rep_shard0": ((2, 2), [Replicate(), Shard(0)]),
                "shard1_rep": ((2, 2), [Shard(1), Replicate()]), "flat": ((4,), [Shard(0)]),
                "sub_dp_shard0": ((2, 2), [Shard(0)], "dp"), "sub_tp_shard1": ((2, 2), [Shard(1)], "tp"),
                "sub_tp_rep": ((2, 2), [Replicate()], "tp")}
    return {"shard0": ((world,), [Shard(0)]), "shard1": ((world,), [Shard(1)]), "rep": ((world,), [Replicate()])}


def _digests(world: int) -> dict[str, object]:
    from torch.distributed.tensor import DTensor, Partial, Shard, distribute_tensor, init_device_mesh
    results: dict[str, object] = {}
    for label, (mesh_shape, placements, *sub) in configs(world).items():
        mesh = init_device_mesh("cpu", mesh_shape, mesh_dim_names=("dp", "tp")[:len(mesh_shape)])
        mesh = mesh[sub[0]] if sub else mesh
        tensors = {}
        for name, t in full_tensors().items():
            p = [Shard(0) if isinstance(q, Shard) and q.dim >= t.dim() else q for q in placements]
            tensors[name] = distribute_tensor(t, mesh, p)
        results[label] = {k: str(v) for k, v in ft.fingerprint_module(module_of(tensors)).items()}
    partial = DTensor.from_local(torch.ones(2, 2), init_device_mesh("cpu", (world,)), [Partial()])
    try:
        ft.fingerprint_module(module_of({"p": partial}))
        results["partial"] = "accepted"
    except ValueError as exc:
        results["partial"] = str(exc)
    return results


def main() -> None:
    import torch.distributed as dist
    dist.init_process_group("gloo")
    try:
        results = _digests(dist.get_world_size())
        # every rank done with every group before any tears its pairs down
        dist.barrier()
        print("FINGERPRINTS " + json.dumps(results), flush=True)
    finally:
        dist.destroy_process_group()
    leave_world()


if __name__ == "__main__":
    main()
