"""fastinit.torchrec on CUDA tables: each block filled on the device by fastinit.gpu's kernels.

Faked as tests/test_gpu_dispatch.py fakes a GPU (this torch is CPU-only): a "CUDA" table is a
CPU tensor whose ``device`` says ``cuda:0``, and the kernels run under Triton's interpreter. The
host path (a NumPy view of a non-empty tensor) is made to fail where the device path must run, so
a passing fill went through the kernels; its bits must equal the CPU fill's (computed here with
fastinit's NumPy functions, not with init_tables).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

pytest.importorskip("triton", reason="the device kernels need Triton (fastinit[gpu]); CI installs it")
torch = pytest.importorskip("torch")
torchrec = pytest.importorskip("torchrec", reason="torchrec is not installed (see tests/test_torchrec.py)")

from test_gpu_dispatch import _bits, _cuda, fake_cuda  # noqa: E402, F401

import fastinit  # noqa: E402
import fastinit.torchrec as ftr  # noqa: E402
from fastinit.torch import device_fill  # noqa: E402
from fastinit.torchrec import init as init_module  # noqa: E402
from fastinit.torchrec.tables import Table, TableBlock  # noqa: E402

pytestmark = pytest.mark.usefixtures("fake_cuda")
NP_DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.float16: "float16",
             torch.bfloat16: "bfloat16"}


@pytest.fixture
def no_host_path(monkeypatch: Any) -> None:
    """A NumPy view of a non-empty tensor (a CPU fill, or a host staging buffer) fails."""
    view = init_module.numpy_view

    def device_only(t: Any) -> Any:
        assert t.numel() == 0, "the host path ran"
        return view(t)
    monkeypatch.setattr(init_module, "numpy_view", device_only)


def _gpu_ebc(dtypes: dict[str, Any]) -> Any:
    """An EBC whose weights are replaced by fake CUDA tensors of the given dtypes (7.0 everywhere)."""
    shapes = {"users": (1001, 12), "ads": (37, 8)}
    ebc = torchrec.EmbeddingBagCollection(tables=[
        torchrec.EmbeddingBagConfig(name=n, num_embeddings=r, embedding_dim=d, feature_names=[n])
        for n, (r, d) in shapes.items() if n in dtypes])
    for name, dtype in dtypes.items():
        ebc.embedding_bags[name].weight = torch.nn.Parameter(_cuda(shapes[name], dtype, transpose=True))
    return ebc


def _weight(ebc: Any, name: str) -> Any:
    return ebc.embedding_bags[name].weight


def _expected(fn: Any, name: str, shape: tuple[int, int], dtype: Any, **kw: Any) -> np.ndarray:
    out = fn(shape, seed=3, stream=name, dtype=NP_DTYPES[dtype], **kw)
    return out.view({2: np.int16, 4: np.int32, 8: np.int64}[out.dtype.itemsize])


@pytest.mark.parametrize("dtype", list(NP_DTYPES), ids=str)
def test_cuda_tables_are_filled_on_the_device(no_host_path: None, dtype: Any) -> None:
    ebc = _gpu_ebc({"users": dtype, "ads": dtype})
    before = _weight(ebc, "users")._version
    assert _weight(ebc, "users").device.type == "cuda"
    ftr.init_tables(ebc, seed=3, init={"ads": "normal"})
    bound = (1 / 1001) ** 0.5
    np.testing.assert_array_equal(_bits(_weight(ebc, "users").detach()),
                                  _expected(fastinit.uniform, "users", (1001, 12), dtype, low=-bound, high=bound))
    np.testing.assert_array_equal(_bits(_weight(ebc, "ads").detach()),
                                  _expected(fastinit.normal, "ads", (37, 8), dtype, mean=0.0, std=0.05))
    assert _weight(ebc, "users")._version > before


def test_sharded_blocks_get_their_place_in_the_table(no_host_path: None, monkeypatch: Any) -> None:
    """Blocks of a table (as DMP's local shards: a row block and a column block) get the values
    the whole table has at their places."""
    config = torchrec.EmbeddingBagConfig(name="users", num_embeddings=1001, embedding_dim=12, feature_names=["u"])
    blocks = (TableBlock(_cuda((400, 8), transpose=True), (300, 4)), TableBlock(_cuda((1001, 4)), (0, 0)))
    table = Table("users", "users.weight", config, (1001, 12), blocks, sharded=True, replicated=False)
    monkeypatch.setattr(init_module, "find_tables", lambda model: [table])
    ftr.init_tables(torch.nn.Module(), seed=3, init="xavier_uniform")
    whole = _expected(fastinit.glorot_uniform, "users", (1001, 12), torch.float32)
    np.testing.assert_array_equal(_bits(blocks[0].tensor), whole[300:700, 4:12])
    np.testing.assert_array_equal(_bits(blocks[1].tensor), whole[:, 0:4])


def test_a_fill_that_is_not_one_kernel_is_staged_through_the_host() -> None:
    """orthogonal is no single core fill: the block is computed on the host (one block at a time)
    and copied in, with the slow-path warning said once."""
    ebc = _gpu_ebc({"ads": torch.float64})
    with pytest.warns(device_fill.SlowPathWarning, match="table 'ads' on this tensor is not one core fill"):
        ftr.init_tables(ebc, seed=3, init="orthogonal")
    want = fastinit.orthogonal((37, 8), seed=3, stream="ads", dtype="float64")
    np.testing.assert_array_equal(_bits(_weight(ebc, "ads").detach()), want.view(np.int64))
    ftr.init_tables(_gpu_ebc({"ads": torch.float64}), seed=3, init="orthogonal")  # no second warning


def test_without_triton_the_host_path_warns_once(monkeypatch: Any) -> None:
    import fastinit.gpu
    monkeypatch.setattr(fastinit.gpu, "available", lambda: False)
    launched = []
    monkeypatch.setattr(device_fill, "launch_recorded", lambda *a: launched.append(a) or True)
    ebc = _gpu_ebc({"users": torch.bfloat16, "ads": torch.float32})
    with pytest.warns(device_fill.SlowPathWarning, match="Triton is not installed"):
        ftr.init_tables(ebc, seed=3)
    ftr.init_tables(_gpu_ebc({"ads": torch.float32}), seed=3)  # no second warning (warnings are errors here)
    assert launched == []
    bound = (1 / 1001) ** 0.5
    np.testing.assert_array_equal(_bits(_weight(ebc, "users").detach()),
                                  _expected(fastinit.uniform, "users", (1001, 12), torch.bfloat16,
                                            low=-bound, high=bound))
    np.testing.assert_array_equal(_bits(_weight(ebc, "ads").detach()),
                                  _expected(fastinit.uniform, "ads", (37, 8), torch.float32,
                                            low=-(1 / 37) ** 0.5, high=(1 / 37) ** 0.5))


def test_refusals_on_a_gpu_write_nothing() -> None:
    ebc = _gpu_ebc({"users": torch.float32, "ads": torch.float32})
    bad = {"users": "zeros", "ads": {"class_name": "RandomNormal", "config": {"stddev": -1.0}}}
    with pytest.raises(ValueError, match="table 'ads'"):
        ftr.init_tables(ebc, seed=0, init=bad)
    ebc.embedding_bags["ads"].weight = torch.nn.Parameter(torch.empty(37, 8, device="meta"))
    with pytest.raises(ValueError, match="meta device"):
        ftr.init_tables(ebc, seed=0, init="zeros")
    assert (_weight(ebc, "users").detach().as_subclass(torch.Tensor) == 7.0).all()  # checked before any write


# ---------------------------------------------------------------- managed collisions: rows by ID on a GPU

def _admitted_on_gpu() -> tuple[Any, list[int], dict[int, int]]:
    """A managed-collision EBC that admitted some IDs, its weight then replaced by a fake CUDA one."""
    from test_torchrec import IDS, _feed, _mc
    mc = _mc()
    slots = _feed(mc, IDS, 3)
    mc._embedding_module.embedding_bags["ads"].weight = torch.nn.Parameter(_cuda((32, 4), transpose=True))
    return mc, IDS, slots


def _check_admitted(mc: Any, ids: list[int], slots: dict[int, int]) -> None:
    weight = mc._embedding_module.embedding_bags["ads"].weight.detach().as_subclass(torch.Tensor)
    bound = (1 / 32) ** 0.5
    want = fastinit.rows("uniform", np.array(ids, np.int64), 4, seed=3, stream="ads", hashed=True, low=-bound,
                         high=bound)
    np.testing.assert_array_equal(weight[[slots[x] for x in ids]].numpy().view(np.int32), want.view(np.int32))
    free = sorted(set(range(32)) - {slots[x] for x in ids})
    assert (weight[free] == 7.0).all()


def test_admitted_rows_on_a_gpu_are_computed_on_the_device(monkeypatch: Any) -> None:
    from fastinit.torch import rows as torch_rows
    view = torch_rows.numpy_view

    def device_only(t: Any) -> Any:
        assert t.numel() == 0, "the host path ran"
        return view(t)
    monkeypatch.setattr(torch_rows, "numpy_view", device_only)
    mc, ids, slots = _admitted_on_gpu()
    ftr.init_admitted_rows(mc, seed=3)
    _check_admitted(mc, ids, slots)


def test_admitted_rows_without_triton_warn_once(monkeypatch: Any) -> None:
    import fastinit.gpu
    monkeypatch.setattr(fastinit.gpu, "available", lambda: False)
    mc, ids, slots = _admitted_on_gpu()
    with pytest.warns(device_fill.SlowPathWarning, match="Triton is not installed"):
        ftr.init_admitted_rows(mc, seed=3)
    _check_admitted(mc, ids, slots)
    ftr.init_admitted_rows(mc, seed=3)  # no second warning (warnings are errors here)
