"""One rank of tests/test_transformers_sharded.py (not a test module: run as a script).

``python tests/test_transformers_sharded_worker.py`` with RANK, WORLD_SIZE, MASTER_ADDR and
MASTER_PORT set (torchrun's variables) joins a gloo process group on the CPU and checks, for tiny
GPT-2 and Llama configs built on the meta device and wrapped with ``fully_shard`` (each decoder
layer, then the root):

- ``init_module``: every parameter's and buffer's gathered value (``full_tensor()``) equals the
  single-process ``init_module`` of the plain model with the same seed, bit for bit; GPT-2's
  ``lm_head.weight`` is still ``transformer.wte.weight``; ``fingerprint_module`` equals the plain
  model's (printed as JSON, compared across world sizes by the test);
- ``seeded`` around Llama's own ``init_weights()`` after ``to_empty``: the same bits;
- ``seeded`` draws on DTensors (Shard(0), Shard(1), _StridedShard), on their local shards and
  views of them, through ``dt[i]``/``dt[i] = 0``: gathered == the same calls on a plain tensor.

Any failure raises (non-zero exit, traceback on stderr); unkeyable draws are errors.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from typing import Any, Callable

import torch
import torch.distributed as dist
from gloo_ranks import leave_world
from torch import nn

import fastinit.torch as ft

SEED = 2024


def _configs() -> dict[str, tuple[Any, Any]]:
    import transformers as t
    t.logging.set_verbosity_error()
    return {
        "gpt2": (t.GPT2LMHeadModel, t.GPT2Config(vocab_size=256, n_embd=64, n_layer=2, n_head=4, n_positions=64,
                                                  bos_token_id=0, eos_token_id=0)),
        "llama": (t.LlamaForCausalLM, t.LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128,
                                                      num_hidden_layers=2, num_attention_heads=4,
                                                      num_key_value_heads=2, pad_token_id=3)),
    }


def _meta(kind: str) -> Any:
    cls, cfg = _configs()[kind]
    with torch.device("meta"):
        return cls(cfg)


def _sharded(kind: str, mesh: Any) -> Any:
    """The meta-built model wrapped as users do: fully_shard on each decoder layer, then the root."""
    from torch.distributed.fsdp import fully_shard
    model = _meta(kind)
    layers = model.transformer.h if kind == "gpt2" else model.model.layers
    for layer in layers:
        fully_shard(layer, mesh=mesh)
    fully_shard(model, mesh=mesh)
    return model


def _tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """Every parameter and buffer (non-persistent ones such as inv_freq included), gathered."""
    from torch.distributed.tensor import DTensor
    named = list(model.named_parameters()) + list(model.named_buffers())
    return {n: (t.full_tensor() if isinstance(t, DTensor) else t).detach() for n, t in named}


def _same(a: torch.Tensor, b: torch.Tensor, what: str) -> None:
    """Bit-for-bit equality, or AssertionError naming ``what``."""
    assert a.shape == b.shape and a.dtype == b.dtype, (what, a.shape, b.shape, a.dtype, b.dtype)
    if not torch.equal(a.contiguous().view(torch.uint8), b.contiguous().view(torch.uint8)):
        raise AssertionError(f"rank {dist.get_rank()}/{dist.get_world_size()}: {what}: the gathered tensor differs "
                             "from the single-process init")


def _compare(model: nn.Module, ref: nn.Module, what: str) -> int:
    ours, theirs = _tensors(model), _tensors(ref)
    assert ours.keys() == theirs.keys(), (what, sorted(set(ours) ^ set(theirs)))
    for name in theirs:
        _same(ours[name], theirs[name], f"{what}: {name}")
    return len(theirs)


def check_init_module(kind: str, mesh: Any) -> tuple[int, dict[str, int]]:
    """init_module on the sharded model == on the plain one; ties kept; fingerprints equal."""
    from torch.distributed.tensor import DTensor
    ref = ft.init_module(_meta(kind), SEED)
    model = _sharded(kind, mesh)
    assert any(isinstance(p, DTensor) for p in model.parameters())
    ft.init_module(model, SEED)
    n = _compare(model, ref, f"init_module {kind}")
    if kind == "gpt2":
        assert model.lm_head.weight is model.transformer.wte.weight, "GPT-2's lm_head is no longer tied"
    fingerprints = ft.fingerprint_module(model)
    assert fingerprints == ft.fingerprint_module(ref), f"{kind}: fingerprints differ from the plain model's"
    return n, fingerprints


def check_seeded_init_weights(mesh: Any) -> int:
    """The user's way: materialize the local shards, run the model's own init_weights under seeded."""
    from fastinit.torch.own_init import _clear_hf_flags
    ref = ft.init_module(_meta("llama"), SEED)
    model = _sharded("llama", mesh)
    model.to_empty(device="cpu")
    _clear_hf_flags(model)
    with torch.no_grad(), ft.seeded(model, SEED, strict=True) as ctx:
        model.init_weights()
    assert not ctx.reports
    return _compare(model, ref, "seeded(llama) init_weights")


def _draws(w: torch.Tensor, local: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """Draws into ``local(w)``: the memory this process holds (a DTensor's local shard), or the same
    positions of a plain tensor."""
    local(w)[1:3].uniform_(-1.0, 1.0)  # a block of the local shard's rows
    local(w)[:, 2:5].normal_(3.0, 2.0)  # a column block of the local shard
    nn.init.trunc_normal_(local(w)[::2, 1], std=0.5, a=-0.4, b=0.6)  # a step view


def _sharded_draws(model: nn.Module, strided: bool) -> None:
    """Init calls on the DTensor ``model.w``: whole, local shard and its views, global views."""
    with torch.no_grad(), ft.seeded(model, SEED, strict=True):
        nn.init.kaiming_uniform_(model.w, a=math.sqrt(5))  # fans from the global shape
        if strided:  # rows from two blocks: draws on the whole local shard only
            model.w.to_local().normal_(1.0, 0.25)
        else:
            _draws(model.w, lambda t: t.to_local())
        nn.init.zeros_(model.w[3])  # a padding row: zeroed where it is held
        model.w[:, 7] = 0.0
        if not strided:
            nn.init.normal_(model.w[9:14:2, 1:10], 0.0, 4.0)  # a step block, cut by the shards
    if strided:  # a slice along rows that are not one block: refused (it would be a DTensor copy)
        try:
            with torch.no_grad(), ft.seeded(model, SEED, strict=True):
                model.w[9:14:2].zero_()
        except ft.UnkeyedDrawError as exc:
            assert "_StridedShard" in str(exc), exc
        else:
            raise AssertionError("a step slice of a _StridedShard DTensor was not reported")


def _plain_draws(plain: nn.Module, indices: list[Any], strided: bool) -> None:
    """The same calls on the plain ``plain.w``, each rank's local draws at that rank's positions."""
    with torch.no_grad(), ft.seeded(plain, SEED, strict=True):
        nn.init.kaiming_uniform_(plain.w, a=math.sqrt(5))
        for where in indices:
            if strided:
                for row in where[0]:  # the rank's global rows, one view each
                    plain.w[int(row)].normal_(1.0, 0.25)
            else:
                _draws(plain.w, lambda t, where=where: t[where])
        nn.init.zeros_(plain.w[3])
        plain.w[:, 7] = 0.0
        if not strided:
            nn.init.normal_(plain.w[9:14:2, 1:10], 0.0, 4.0)


def check_seeded_draws(mesh: Any) -> int:
    """Draws on DTensors (Shard(0), Shard(1), _StridedShard), their local shards and views:
    gathered == the same draws on a plain tensor at the same global positions."""
    from torch.distributed.tensor import Shard, distribute_tensor
    from torch.distributed.tensor.placement_types import _StridedShard
    world = mesh.size()
    placements: list[Any] = [Shard(0), Shard(1)] + ([_StridedShard(0, split_factor=2)] if world > 1 else [])
    for placement in placements:
        model = nn.Module()
        model.w = nn.Parameter(distribute_tensor(torch.zeros(16, 12), mesh, [placement]))
        indices: list[Any] = [None] * world  # every rank's place: the plain tensor gets every rank's draws
        dist.all_gather_object(indices, ft.dtensor_index(model.w))
        strided = isinstance(placement, _StridedShard)
        _sharded_draws(model, strided)
        plain = nn.Module()
        plain.w = nn.Parameter(torch.zeros(16, 12))
        _plain_draws(plain, indices, strided)
        _same(model.w.full_tensor(), plain.w.detach(), f"seeded draws on {placement}")
    return len(placements)


def main() -> None:
    warnings.simplefilter("error", ft.UnkeyedDrawWarning)
    dist.init_process_group("gloo")
    world = dist.get_world_size()
    try:
        from torch.distributed.device_mesh import init_device_mesh
        mesh = init_device_mesh("cpu", (world,))
        n = 0
        fingerprints = {}
        for kind in ("gpt2", "llama"):
            checked, fingerprints[kind] = check_init_module(kind, mesh)
            n += checked
        n += check_seeded_init_weights(mesh)
        n += check_seeded_draws(mesh)
        dist.barrier()
        print(f"rank {dist.get_rank()}/{world}: {n} checks passed", flush=True)
        print("FINGERPRINTS " + json.dumps(fingerprints, sort_keys=True), flush=True)
    finally:
        dist.destroy_process_group()
    leave_world()


if __name__ == "__main__":
    sys.exit(main())
