"""fastinit.torch.fingerprint / shard_fingerprint / fingerprint_module: plain tensors equal the
NumPy digest; DTensor shards on gloo worlds of 2, 3 and 4 ranks (2x2 mesh) give every rank the
single-process digests of the full tensors."""

from __future__ import annotations

import importlib
import json
import socket
import warnings

import numpy as np
import pytest

import fastinit

torch = pytest.importorskip("torch")
import fastinit.torch as ft  # noqa: E402  (after the skip)

# the module (fastinit.torch.fingerprint is the function of the same name)
ftf = importlib.import_module("fastinit.torch.fingerprint")

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.complex64, torch.complex128,
          torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool]


def _random(dtype, shape, seed=0):
    g = torch.Generator().manual_seed(seed)
    raw = torch.randint(-128, 128, (int(np.prod(shape)) * torch.empty((), dtype=dtype).element_size(),),
                        dtype=torch.int8, generator=g)
    if dtype == torch.bool:
        return (raw & 1).view(torch.bool).reshape(shape)
    return raw.view(dtype).reshape(shape)


def _numpy(t):
    """The same values as a NumPy array (bfloat16 through ml_dtypes)."""
    if t.dtype == torch.bfloat16:
        import ml_dtypes
        return t.contiguous().view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.contiguous().numpy()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_plain_tensor_equals_numpy_digest(dtype):
    t = _random(dtype, (6, 10), seed=1)
    want = fastinit.fingerprint(_numpy(t))
    assert ft.fingerprint(t) == want
    assert ft.fingerprint(t.t().contiguous().t()) == want  # F-order memory
    shards = [ft.fingerprint(t[:, lo:hi], full_shape=(6, 10), index=(slice(None), slice(lo, hi)))
              for lo, hi in ((0, 3), (3, 3), (3, 10))]
    assert sum(shards) % 2**64 == want


def test_params_conj_and_index_arrays():
    p = torch.nn.Parameter(torch.randn(4, 5))
    assert ft.fingerprint(p) == fastinit.fingerprint(p.detach().numpy())
    c = torch.randn(3, 4, dtype=torch.complex64)
    assert ft.fingerprint(c.conj()) == fastinit.fingerprint(c.conj().resolve_conj().numpy())
    full = torch.randn(5, 4, dtype=torch.complex128)
    assert (ft.fingerprint(full[[4, 1]], full_shape=(5, 4), index=np.array([4, 1]))
            + ft.fingerprint(full[[0, 2, 3]], full_shape=(5, 4), index=np.array([0, 2, 3]))) % 2**64 \
        == ft.fingerprint(full)


@pytest.mark.parametrize("limit", [64, 200, 1 << 20])
def test_chunked_device_path(monkeypatch, limit):
    """The host-copy path of CUDA tensors, run on CPU tensors with tiny chunks (rows split too)."""
    monkeypatch.setattr(ftf, "CHUNK_BYTES", limit)
    for t, fs, idx in [(torch.randn(9, 7, 3), None, None),
                       (torch.randn(5, 7, dtype=torch.complex64), None, None),
                       (torch.randn(4, 30).t(), None, None),
                       (torch.randn(3, 40), (6, 50), (np.array([5, 0, 2]), slice(10, 50))),
                       (torch.randn(()), None, None)]:
        name = ftf._FORMATS[t.dtype][0]
        bits, parts = ftf._bits(t, name)
        where = ftf.placement(tuple(t.shape), fs, idx, parts)
        assert ftf._device_digest(bits, name, *where) == ft.fingerprint(t, full_shape=fs, index=idx)


def test_module_single_process():
    m = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
    got = ft.fingerprint_module(m)
    want = {n: ft.fingerprint(t) for n, t in list(m.named_parameters()) + list(m.named_buffers())}
    assert got == want and "1.num_batches_tracked" in got
    assert got["1.weight"] == got["1.running_var"] != got["1.running_mean"]  # ones, ones, zeros


def test_bad_input():
    with pytest.raises(TypeError, match="torch.Tensor"):
        ft.fingerprint(np.zeros(3))
    with warnings.catch_warnings():  # "ComplexHalf support is experimental"
        warnings.simplefilter("ignore")
        half = torch.zeros(3, dtype=torch.complex32)
    with pytest.raises(TypeError, match="not supported"):
        ft.fingerprint(half)
    with pytest.raises(ValueError, match="meta"):
        ft.fingerprint(torch.empty(3, device="meta"))
    with pytest.raises(ValueError, match="fingerprint_module: 0.weight: .*meta"):
        ft.fingerprint_module(torch.nn.Sequential(torch.nn.Linear(2, 2, device="meta")))
    with pytest.raises(ValueError, match="shape"):
        ft.fingerprint(torch.zeros(3), full_shape=(5,), index=slice(0, 2))
    with pytest.raises(TypeError, match="DTensor"):
        ft.shard_fingerprint(torch.zeros(3))


# ---------------------------------------------------------------- torch.distributed (gloo)

SHAPES = {"w": ((7, 5), torch.float32), "b": ((5, 3), torch.bfloat16), "v": ((10,), torch.float64),
          "c": ((4, 3), torch.complex64), "e": ((2, 1), torch.float16)}


def _full_tensors():
    return {name: _random(dtype, shape, seed=i) for i, (name, (shape, dtype)) in enumerate(SHAPES.items())}


def _module(tensors):
    m = torch.nn.Module()
    for name, t in tensors.items():
        m.register_parameter(name, torch.nn.Parameter(t, requires_grad=t.is_floating_point() or t.is_complex()))
    m.register_buffer("steps", torch.tensor([3, 1, 4], dtype=torch.int64))
    return m


def _configs(world):
    from torch.distributed.tensor import Replicate, Shard
    if world == 4:
        # "sub_*": the DTensors live on one dimension of a 2x2 mesh (FSDP2's mesh["dp"] under TP):
        # that submesh is repeated, each copy holding the whole tensor, counted once.
        return {"shard01": ((2, 2), [Shard(0), Shard(1)]), "rep_shard0": ((2, 2), [Replicate(), Shard(0)]),
                "shard1_rep": ((2, 2), [Shard(1), Replicate()]), "flat": ((4,), [Shard(0)]),
                "sub_dp_shard0": ((2, 2), [Shard(0)], "dp"), "sub_tp_shard1": ((2, 2), [Shard(1)], "tp"),
                "sub_tp_rep": ((2, 2), [Replicate()], "tp")}
    return {"shard0": ((world,), [Shard(0)]), "shard1": ((world,), [Shard(1)]), "rep": ((world,), [Replicate()])}


def _worker(rank, world, port, out_dir):
    import torch.distributed as dist
    from torch.distributed.tensor import DTensor, Partial, Shard, distribute_tensor, init_device_mesh
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    try:
        results = {}
        for label, (mesh_shape, placements, *sub) in _configs(world).items():
            mesh = init_device_mesh("cpu", mesh_shape, mesh_dim_names=("dp", "tp")[:len(mesh_shape)])
            mesh = mesh[sub[0]] if sub else mesh
            tensors = {}
            for name, t in _full_tensors().items():
                p = [Shard(0) if isinstance(q, Shard) and q.dim >= t.dim() else q for q in placements]
                tensors[name] = distribute_tensor(t, mesh, p)
            results[label] = {k: str(v) for k, v in ft.fingerprint_module(_module(tensors)).items()}
        mesh = init_device_mesh("cpu", (world,))
        partial = DTensor.from_local(torch.ones(2, 2), mesh, [Partial()])
        try:
            ft.fingerprint_module(_module({"p": partial}))
            results["partial"] = "accepted"
        except ValueError as exc:
            results["partial"] = str(exc)
        with open(f"{out_dir}/rank{rank}.json", "w") as f:
            json.dump(results, f)
        # every rank done with every group before any tears its pairs down: gloo aborts a process
        # (SIGABRT) whose peer closes a connection it still uses
        dist.barrier()
    finally:
        dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.multiprocess
@pytest.mark.parametrize("world", [2, 3, 4])
def test_dtensor_shards_across_ranks(world, tmp_path):
    import torch.distributed as dist
    import torch.multiprocessing as mp
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    mp.spawn(_worker, args=(world, _free_port(), str(tmp_path)), nprocs=world, join=True)
    want = {k: str(v) for k, v in ft.fingerprint_module(_module(_full_tensors())).items()}
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in range(world)]
    for r, got in enumerate(ranks):
        assert "Partial" in got.pop("partial"), r
        assert set(got) == set(_configs(world)), r
        for label, digests in got.items():
            assert digests == want, (r, label)
