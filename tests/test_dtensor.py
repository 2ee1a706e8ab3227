"""DTensors (sharded training): fastinit.torch fills and init_module on torch.distributed with gloo on the CPU.

Each test spawns ``world`` processes running tests/test_dtensor_worker.py (torchrun's environment
variables, a free port) once, and the worker runs every check for that world size: every
fastinit.torch function on DTensors of every placement (1-D mesh; a 2x2 (dp, tp) mesh at world 4),
gathered == single-process fill bit for bit; Partial refused; a small transformer under
fully_shard, parallelize_module and (world 4) FSDP2 over TP, built on meta and on the CPU, gathered
== plain init_module; DDP; traced NumPy/Python allocations bounded (no full-size temporary).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from gloo_ranks import run_ranks

torch = pytest.importorskip("torch")
if not torch.distributed.is_available():  # pragma: no cover - torch without distributed
    pytest.skip("torch.distributed is not available", allow_module_level=True)

from torch import nn  # noqa: E402 - after the skip

import fastinit.torch as ft  # noqa: E402
from fastinit.torch.module_init import plain_name  # noqa: E402

WORKER = Path(__file__).with_name("test_dtensor_worker.py")


@pytest.mark.multiprocess
@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_world(world: int) -> None:
    outputs = run_ranks(WORKER, world)
    for rank, out in enumerate(outputs):
        assert f"rank {rank}/{world}: " in out and "checks passed" in out, out[-3000:]


# ---------------------------------------------------------------- in one process


class _Inner(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 3)
        self.emb = nn.Embedding(10, 7)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.compile's own (torch.jit) warnings
def test_wrapper_names_are_stripped() -> None:
    """Activation checkpointing and torch.compile wrappers do not change names, streams or values."""
    from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import checkpoint_wrapper
    plain = ft.init_module(_Inner(), 5)
    wrapped = _Inner()
    wrapped.lin = checkpoint_wrapper(wrapped.lin)
    compiled = torch.compile(wrapped)  # not run: only its _orig_mod naming matters here
    names = [n for n, _ in compiled.named_parameters()]
    assert any("_orig_mod." in n for n in names) and any("_checkpoint_wrapped_module." in n for n in names), names
    assert sorted(plain_name(compiled, n) for n in names) == sorted(n for n, _ in plain.named_parameters())
    ft.init_module(compiled, 5)
    got = {plain_name(compiled, k): v for k, v in compiled.named_parameters()}
    for n, a in plain.named_parameters():
        assert torch.equal(a, got[n]), n


def test_plain_name_keeps_ordinary_module_children() -> None:
    """A child literally named ``module`` is kept unless its parent is DDP/DataParallel."""
    m = nn.Module()
    m.module = nn.Linear(2, 2)
    assert plain_name(m, "module.weight") == "module.weight"
    dp = nn.DataParallel(nn.Linear(2, 2))
    assert plain_name(dp, "module.weight") == "weight"


def test_dtensor_index_refuses_plain_tensors() -> None:
    with pytest.raises(TypeError, match="DTensor"):
        ft.dtensor_index(torch.zeros(3))
