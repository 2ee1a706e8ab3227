"""fastinit.torch.fingerprint / shard_fingerprint / fingerprint_module: plain tensors equal the
NumPy digest; DTensor shards on gloo worlds of 2, 3 and 4 ranks (2x2 mesh) give every rank the
single-process digests of the full tensors."""

from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path

import numpy as np
import pytest

import fastinit

torch = pytest.importorskip("torch")
from gloo_ranks import run_ranks  # noqa: E402
from test_fingerprint_torch_worker import configs, full_tensors, module_of, random_tensor  # noqa: E402

import fastinit.torch as ft  # noqa: E402  (after the skip)

WORKER = Path(__file__).with_name("test_fingerprint_torch_worker.py")

# the module (fastinit.torch.fingerprint is the function of the same name)
ftf = importlib.import_module("fastinit.torch.fingerprint")

DTYPES = [torch.float32, torch.float64, torch.float16, torch.bfloat16, torch.complex64, torch.complex128,
          torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8, torch.bool]


def _numpy(t):
    """The same values as a NumPy array (bfloat16 through ml_dtypes)."""
    if t.dtype == torch.bfloat16:
        import ml_dtypes
        return t.contiguous().view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return t.contiguous().numpy()


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_plain_tensor_equals_numpy_digest(dtype):
    t = random_tensor(dtype, (6, 10), seed=1)
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


@pytest.mark.multiprocess
@pytest.mark.parametrize("world", [2, 3, 4])
def test_dtensor_shards_across_ranks(world):
    import torch.distributed as dist
    if not dist.is_available() or not dist.is_gloo_available():
        pytest.skip("torch.distributed with gloo is not available")
    want = {k: str(v) for k, v in ft.fingerprint_module(module_of(full_tensors())).items()}
    for r, out in enumerate(run_ranks(WORKER, world)):
        line = [s for s in out.splitlines() if s.startswith("FINGERPRINTS ")]
        assert len(line) == 1, out[-3000:]
        got = json.loads(line[0].removeprefix("FINGERPRINTS "))
        assert "Partial" in got.pop("partial"), r
        assert set(got) == set(configs(world)), r
        for label, digests in got.items():
            assert digests == want, (r, label)
