"""One rank of the DTensor checks in tests/test_dtensor.py (not a test module: run as a script).

``python tests/test_dtensor_worker.py`` with RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT set
(torchrun's variables) joins a gloo process group on the CPU and runs every check for that world
size; any failure raises (non-zero exit, traceback on stderr). Each check compares the gathered
DTensor (``full_tensor()``) with the single-process fill of a plain tensor, bit for bit.
"""

from __future__ import annotations

import contextlib
import math
import sys
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import torch
import torch.distributed as dist
from gloo_ranks import leave_world
from torch import nn

import fastinit.torch as ft

SEED = 1234
#: (function name, positional args, shapes it takes): every fastinit.torch fill.
FUNCTIONS: list[tuple[str, tuple[Any, ...], tuple[tuple[int, ...], ...]]] = [
    ("uniform_", (-0.5, 2.0), ((10, 7), (3, 5), (11,), (4, 3, 3, 3))),
    ("normal_", (0.1, 2.0), ((10, 7), (3, 5), (11,), (8, 6))),
    ("trunc_normal_", (0.0, 1.0, -1.5, 2.0), ((10, 7), (3, 5), (8, 6))),
    ("xavier_uniform_", (), ((10, 7), (4, 3, 3, 3))),
    ("xavier_normal_", (), ((10, 7), (3, 5))),
    ("kaiming_uniform_", (math.sqrt(5),), ((10, 7), (4, 3, 3, 3))),
    ("kaiming_normal_", (), ((10, 7), (3, 5))),
    ("orthogonal_", (1.5,), ((10, 7), (3, 5), (8, 6))),
    ("sparse_", (0.3,), ((10, 7), (3, 5), (8, 6))),
    ("constant_", (0.25,), ((10, 7), (3, 5))),
    ("ones_", (), ((10, 7),)),
    ("zeros_", (), ((10, 7),)),
    ("eye_", (), ((10, 7), (3, 5), (6, 9))),
    ("dirac_", (), ((4, 3, 3, 3), (6, 2, 3), (4, 6, 3, 3))),
    ("dirac_", (2,), ((6, 2, 3), (4, 6, 3, 3))),
]


def _same(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    """Bit-for-bit equality (NaN-safe), or AssertionError naming ``what``."""
    assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, b.shape, a.dtype, b.dtype)
    ai = torch.view_as_real(a) if a.is_complex() else a
    bi = torch.view_as_real(b) if b.is_complex() else b
    if not torch.equal(ai.contiguous().view(torch.uint8), bi.contiguous().view(torch.uint8)):
        raise AssertionError(f"rank {dist.get_rank()}: {what}: the gathered tensor differs from the single "
                             "process fill")


def _call(name: str, t: torch.Tensor, args: tuple[Any, ...]) -> torch.Tensor:
    fn: Callable[..., torch.Tensor] = getattr(ft, name)
    return fn(t, *args, seed=SEED, stream=f"s.{name}")


def _placements(mesh_ndim: int, ndim: int) -> list[tuple[Any, ...]]:
    """Placements to try for a tensor of rank ``ndim`` on a mesh of ``mesh_ndim`` dims."""
    from torch.distributed.tensor import Replicate, Shard
    from torch.distributed.tensor.placement_types import _StridedShard
    if mesh_ndim == 1:  # _StridedShard alone: every rank holds rows of two separate blocks (index arrays)
        return [(Shard(d),) for d in range(ndim)] + [(Replicate(),), (_StridedShard(0, split_factor=2),)]
    two = [(Shard(0), Shard(0)), (Replicate(), Shard(0)), (Shard(0), Replicate()),
           (_StridedShard(0, split_factor=2), Shard(0)), (Shard(0), _StridedShard(0, split_factor=2))]
    if ndim >= 2:
        two += [(Shard(0), Shard(1)), (Shard(1), Shard(0)), (Replicate(), Shard(1)), (Shard(1), Shard(1))]
    return two


def _check_one(mesh: Any, name: str, args: tuple[Any, ...], shape: tuple[int, ...], dtype: torch.dtype,
               placements: tuple[Any, ...], ref: torch.Tensor) -> int:
    """One function on one DTensor: in place, gathered == ``ref``; 1 if checked, 0 if skipped."""
    from torch.distributed.tensor import Replicate, distribute_tensor
    try:
        dt = distribute_tensor(torch.full(shape, float("nan"), dtype=dtype), mesh, list(placements))
    except AssertionError:  # torch distributes _StridedShard only over sizes that divide evenly
        assert any("Strided" in type(p).__name__ for p in placements), placements
        return 0
    what = f"{name}{args} {shape} {dtype} {placements} mesh {tuple(mesh.shape)}"
    ptr = dt.to_local().data_ptr()
    if not _everywhere(lambda: _call(name, dt, args), what):
        return 0
    assert dt.to_local().data_ptr() == ptr, what  # in place, the local memory itself
    _same(dt.full_tensor(), ref, what)
    if all(isinstance(p, Replicate) for p in placements):
        _same(dt.to_local(), ref, what + " (this replica)")
    return 1


def check_functions(mesh: Any) -> int:
    """Every function, every placement, a few dtypes: gathered == single process; Replicate() replicas equal."""
    count = 0
    for name, args, shapes in FUNCTIONS:
        for shape in shapes:
            dtypes = [torch.float32]
            if shape == shapes[0] and name not in ("orthogonal_", "sparse_"):
                dtypes.append(torch.bfloat16)
            if shape == shapes[0] and name in ("uniform_", "normal_", "xavier_normal_", "eye_", "dirac_"):
                dtypes.append(torch.complex64)
            for dtype in dtypes:
                ref = _call(name, torch.zeros(shape, dtype=dtype), args)
                for placements in _placements(mesh.ndim, len(shape)):
                    count += _check_one(mesh, name, args, shape, dtype, placements, ref)
    return count


def _strided_refusal(exc: BaseException) -> bool:
    """The refusal of strided rows while the core cannot fill index arrays (before the core's gathered fills)."""
    from fastinit.torch.dtensor import index_arrays_supported
    return isinstance(exc, ValueError) and "_StridedShard" in str(exc) and not index_arrays_supported()


def _everywhere(run: Callable[[], Any], what: str) -> bool:
    """Run ``run`` on every rank; True if it worked everywhere, False if it was refused for strided
    rows (expected without index arrays); any other failure raises on every rank (no rank is left
    waiting in a collective)."""
    error: BaseException | None = None
    try:
        run()
    except Exception as exc:  # noqa: BLE001 - reported below, on every rank
        error = exc
    code = torch.tensor([0 if error is None else 1 if _strided_refusal(error) else 2])
    dist.all_reduce(code, op=dist.ReduceOp.MAX)
    if int(code) == 2:
        raise AssertionError(f"rank {dist.get_rank()}: {what}: {error!r} (or failed on another rank)") from error
    return int(code) == 0


def check_partial(mesh: Any) -> None:
    """Partial is refused, naming the placement, and nothing is written."""
    from torch.distributed.tensor import DTensor, Partial
    local = torch.zeros(4, 3)
    dt = DTensor.from_local(local, mesh, [Partial()] * mesh.ndim, run_check=False)
    for name in ("normal_", "xavier_uniform_", "constant_", "orthogonal_"):
        args = (0.5,) if name == "constant_" else ()
        try:
            _call(name, dt, args)
        except ValueError as exc:
            assert "Partial" in str(exc) and "redistribute" in str(exc), exc
        else:
            raise AssertionError(f"{name} on a Partial DTensor was not refused")
        assert bool((local == 0).all()), name
    try:
        ft.dtensor_index(dt)
    except ValueError as exc:
        assert "Partial" in str(exc)
    else:
        raise AssertionError("dtensor_index accepted Partial")


# ---------------------------------------------------------------- models


class Block(nn.Module):
    """A small pre-norm transformer block (attention projections and an MLP)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.q = nn.Linear(dim, dim)
        self.k = nn.Linear(dim, dim, bias=False)
        self.v = nn.Linear(dim, dim)
        self.o = nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.up = nn.Linear(dim, hidden)
        self.down = nn.Linear(hidden, dim)


class Tiny(nn.Module):
    """Embedding (uneven 10 x 7 table with a padding row too), blocks, norm, output head."""

    def __init__(self, vocab: int = 53, dim: int = 12, hidden: int = 30, layers: int = 2) -> None:
        super().__init__()
        self.tok = nn.Embedding(vocab, dim)
        self.table = nn.Embedding(10, 7, padding_idx=3)
        self.blocks = nn.ModuleList(Block(dim, hidden) for _ in range(layers))
        self.norm = nn.LayerNorm(dim)
        self.head = nn.Linear(dim, vocab)


def _reference() -> dict[str, torch.Tensor]:
    return {n: p.detach().clone() for n, p in ft.init_module(Tiny(), SEED).state_dict().items()}


def _compare_model(model: nn.Module, ref: dict[str, torch.Tensor], what: str) -> int:
    from torch.distributed.tensor import DTensor
    state = model.state_dict()
    assert set(state) == set(ref), (what, sorted(set(state) ^ set(ref)))
    for name, t in state.items():
        full = t.full_tensor() if isinstance(t, DTensor) else t
        _same(full.detach(), ref[name], f"{what}: {name}")
    return len(state)


def _tensor_parallel(model: Tiny, tp: Any) -> None:
    from torch.distributed.tensor.parallel import ColwiseParallel, RowwiseParallel, parallelize_module
    plan: dict[str, Any] = {"tok": RowwiseParallel(), "table": ColwiseParallel(), "head": ColwiseParallel()}
    for i in range(len(model.blocks)):
        plan.update({f"blocks.{i}.{n}": ColwiseParallel() for n in ("q", "k", "v", "up")})
        plan.update({f"blocks.{i}.{n}": RowwiseParallel() for n in ("o", "down")})
    parallelize_module(model, tp, plan)


def _fsdp(model: Tiny, dp: Any) -> None:
    from torch.distributed.fsdp import fully_shard
    for block in model.blocks:
        fully_shard(block, mesh=dp)
    fully_shard(model, mesh=dp)


def _placements_of(model: nn.Module) -> set[str]:
    from torch.distributed.tensor import DTensor
    return {str(p) for t in model.parameters() if isinstance(t, DTensor) for p in t.placements}


def check_models(world: int) -> int:
    """FSDP2 (1-D), TP, and FSDP2 over TP on a (dp, tp) mesh; meta and CPU builds; gathered == plain init."""
    from torch.distributed.device_mesh import init_device_mesh
    ref = _reference()
    count = 0
    mesh = init_device_mesh("cpu", (world,))
    for device in ("meta", "cpu"):
        with torch.device(device):
            model = Tiny()
        _fsdp(model, mesh)
        count += _compare_model(ft.init_module(model, SEED), ref, f"fully_shard on {device}, world {world}")
        with torch.device(device):
            model = Tiny()
        _tensor_parallel(model, mesh)
        count += _compare_model(ft.init_module(model, SEED), ref, f"parallelize_module on {device}, world {world}")
    if world == 4:
        mesh2 = init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp"))
        with torch.device("meta"):
            model = Tiny()
        _tensor_parallel(model, mesh2["tp"])
        _fsdp(model, mesh2["dp"])
        seen = _placements_of(model)
        assert any(s.startswith("_S(") for s in seen), seen  # FSDP2 over TP: strided shards
        if _everywhere(lambda: ft.init_module(model, SEED), "FSDP2 over TP"):
            count += _compare_model(model, ref, "FSDP2 over TP (2x2), meta")
    return count


def check_wrappers(world: int) -> None:
    """DDP's ``module.`` prefix does not change the values (nor the stream names)."""
    from torch.nn.parallel import DistributedDataParallel
    ref = _reference()
    ddp = DistributedDataParallel(Tiny())
    ft.init_module(ddp, SEED)
    for name, t in ddp.module.state_dict().items():
        _same(t, ref[name], f"DDP {name}")


# ---------------------------------------------------------------- memory


@contextlib.contextmanager
def _traced() -> Iterator[list[int]]:
    """Peak bytes traced (NumPy and Python allocations) while the block runs."""
    peak = [0]
    tracemalloc.start()
    try:
        yield peak
    finally:
        peak[0] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()


def check_memory(world: int) -> dict[str, int]:
    """A 2000 x 512 float32 table (4 MB) row-sharded: the fill allocates only a bounded amount
    besides the local shard (no full-size array); and a meta table materialized + filled by init_module."""
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard
    from torch.distributed.tensor import Shard, distribute_tensor
    from torch.distributed.tensor.placement_types import _StridedShard
    mesh = init_device_mesh("cpu", (world,))
    shape = (2000, 512)
    full_bytes = 4 * shape[0] * shape[1]
    peaks: dict[str, int] = {}
    dt = distribute_tensor(torch.zeros(shape), mesh, [Shard(0)])
    with _traced() as peak:
        ft.normal_(dt, seed=SEED, stream="mem")
        ft.kaiming_uniform_(dt, seed=SEED, stream="mem")
    peaks["fill"] = peak[0]
    if world == 4:
        mesh2 = init_device_mesh("cpu", (2, 2))
        dt2 = distribute_tensor(torch.zeros(shape), mesh2, [Shard(0), _StridedShard(0, split_factor=2)])
        with _traced() as peak:
            if _everywhere(lambda: ft.xavier_normal_(dt2, seed=SEED, stream="mem"), "strided memory"):
                peaks["strided"] = peak[0]
    with torch.device("meta"):
        emb = nn.Embedding(*shape)
    fully_shard(emb, mesh=mesh)
    with _traced() as peak:
        ft.init_module(emb, SEED)
    peaks["init_module"] = peak[0]
    for what, used in peaks.items():
        if used > full_bytes // 8:
            raise AssertionError(f"rank {dist.get_rank()}: {what} traced {used} bytes, more than 1/8 of the "
                                 f"{full_bytes}-byte tensor: a full-size temporary")
    return peaks


def main() -> None:
    dist.init_process_group("gloo")
    world = dist.get_world_size()
    try:
        from torch.distributed.device_mesh import init_device_mesh
        n = check_functions(init_device_mesh("cpu", (world,)))
        if world == 4:
            n += check_functions(init_device_mesh("cpu", (2, 2), mesh_dim_names=("dp", "tp")))
        check_partial(init_device_mesh("cpu", (world,)))
        n += check_models(world)
        check_wrappers(world)
        peaks = check_memory(world)
        dist.barrier()
        print(f"rank {dist.get_rank()}/{world}: {n} checks passed; traced peaks {peaks}", flush=True)
    finally:
        dist.destroy_process_group()
    leave_world()


if __name__ == "__main__":
    sys.exit(main())
