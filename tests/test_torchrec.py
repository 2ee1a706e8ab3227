"""fastinit.torchrec: TorchRec's embedding tables, the same values unsharded and under every plan.

The multiprocess tests spawn 1, 2 and 4 gloo ranks on the CPU running
tests/test_torchrec_worker.py: every sharding type (table-wise, row-wise, column-wise,
table-row-wise, grid (and on 2 and 4 ranks a real grid of 2 column blocks), data-parallel, a
mix, TorchRec's own planner), dense and fused kernels,
EmbeddingBagCollection and EmbeddingCollection, three tables whose sizes no world divides; each
gathered table equals the single-process fill bit for bit and ``fingerprint_tables`` agrees with
it, on every world size. The rest runs in one process on unsharded collections.
"""

from __future__ import annotations

import functools
import json
import math
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from gloo_ranks import run_ranks

#: What CI installs for these tests, after torch's CPU build: TorchRec's CPU kernels come with
#: fbgemm-gpu-cpu, and TorchRec itself asks for "fbgemm-gpu" (the CUDA build), so it is installed
#: without dependencies, after its other dependencies (tested: torchmetrics 1.9, tensordict 0.15).
INSTALL_TORCHREC = ("pip install fbgemm-gpu-cpu==1.8.0 tensordict torchmetrics tqdm pyre-extensions iopath && "
                    "pip install --no-deps torchrec==1.8.0")

torch = pytest.importorskip("torch")
torchrec = pytest.importorskip("torchrec", reason=f"torchrec is not installed: {INSTALL_TORCHREC}")

import fastinit  # noqa: E402 - after the skips
import fastinit.torchrec as ftr  # noqa: E402

WORKER = Path(__file__).with_name("test_torchrec_worker.py")
_FINGERPRINTS: dict[int, Any] = {}


@pytest.mark.multiprocess
@pytest.mark.parametrize("world", [1, 2, 4])
def test_world(world: int) -> None:
    outputs = run_ranks(WORKER, world, timeout=600)
    for rank, out in enumerate(outputs):
        assert f"rank {rank}/{world}: " in out and "checks passed" in out, out[-3000:]
    line = [s for s in outputs[0].splitlines() if s.startswith("FINGERPRINTS ")]
    assert len(line) == 1, outputs[0][-3000:]
    prints = json.loads(line[0].removeprefix("FINGERPRINTS "))
    ebc = [d for k, d in prints.items() if k.startswith("ebc/")]
    assert len(prints) >= 17 and all(d == ebc[0] for d in ebc)
    _FINGERPRINTS[world] = prints
    for other, seen in _FINGERPRINTS.items():  # the worlds run so far
        assert seen == prints, f"fingerprint_tables differs between {other} and {world} ranks"


# ---------------------------------------------------------------- in one process

def _ebc(device: str = "cpu", **t1: Any) -> Any:
    return torchrec.EmbeddingBagCollection(device=torch.device(device), tables=[
        torchrec.EmbeddingBagConfig(name="users", num_embeddings=1001, embedding_dim=12, feature_names=["u"]),
        torchrec.EmbeddingBagConfig(name="ads", num_embeddings=37, embedding_dim=8, feature_names=["i"], **t1)])


def _weight(module: Any, name: str) -> np.ndarray:
    holder = module.embedding_bags if hasattr(module, "embedding_bags") else module.embeddings
    return holder[name].weight.detach().numpy()


def test_default_is_torchrecs_distribution() -> None:
    """init=None: uniform(weight_init_min, weight_init_max), TorchRec's +-sqrt(1/num_embeddings)
    where unset; TorchRec's own init_fn says the same."""
    ebc = ftr.init_tables(_ebc(weight_init_min=-0.5, weight_init_max=0.25), seed=7)
    bound = math.sqrt(1 / 1001)
    assert np.array_equal(_weight(ebc, "users"), fastinit.uniform((1001, 12), -bound, bound, seed=7, stream="users"))
    assert np.array_equal(_weight(ebc, "ads"), fastinit.uniform((37, 8), -0.5, 0.25, seed=7, stream="ads"))
    own = ebc.embedding_bag_configs()[0].init_fn
    assert isinstance(own, functools.partial) and own.func is torch.nn.init.uniform_
    assert own.keywords == {"a": -bound, "b": bound}


def test_initializers_by_name_config_and_per_table() -> None:
    a = ftr.init_tables(_ebc(), seed=3, init="xavier_uniform")
    assert np.array_equal(_weight(a, "ads"), fastinit.get("xavier_uniform")((37, 8), seed=3, stream="ads"))
    b = ftr.init_tables(_ebc(), seed=3, init={"class_name": "RandomNormal", "config": {"stddev": 0.01}})
    assert np.array_equal(_weight(b, "users"), fastinit.random_normal((1001, 12), stddev=0.01, seed=3, stream="users"))
    c = ftr.init_tables(_ebc(), seed=3, init={"ads": "zeros"})
    assert not _weight(c, "ads").any()
    bound = math.sqrt(1 / 1001)
    assert np.array_equal(_weight(c, "users"), fastinit.uniform((1001, 12), -bound, bound, seed=3, stream="users"))


def test_nested_collections_and_fingerprints() -> None:
    """Tables in child collections (a bag and a sequence collection) are found; their digests are
    fastinit.fingerprint of each whole table, keyed by table name."""
    model = torch.nn.Module()
    model.bags = _ebc()
    model.seq = torchrec.EmbeddingCollection(tables=[
        torchrec.EmbeddingConfig(name="words", num_embeddings=50, embedding_dim=4, feature_names=["w"])])
    ftr.init_tables(model, seed=1)
    assert [t.path for t in ftr.find_tables(model)] == [
        "bags.embedding_bags.users.weight", "bags.embedding_bags.ads.weight", "seq.embeddings.words.weight"]
    digests = ftr.fingerprint_tables(model)
    assert digests == {n: fastinit.fingerprint(_weight(m, n)) for m, n in
                       ((model.bags, "users"), (model.bags, "ads"), (model.seq, "words"))}
    model.seq2 = torchrec.EmbeddingCollection(tables=[
        torchrec.EmbeddingConfig(name="words", num_embeddings=5, embedding_dim=4, feature_names=["x"])])
    with pytest.raises(ValueError, match="two tables are named 'words'"):
        ftr.fingerprint_tables(model)


def test_autograd_version_is_bumped() -> None:
    ebc = _ebc()
    w = ebc.embedding_bags["users"].weight
    before = w._version
    ftr.init_tables(ebc, seed=0)
    assert w._version > before


@pytest.mark.parametrize("kwargs, error, match", [
    ({"seed": None}, TypeError, "seed must be an int"),
    ({"seed": -1}, ValueError, "seed must be in"),
    ({"seed": 0, "init": "no_such_init"}, ValueError, "init"),
    ({"seed": 0, "init": {"users": "zeros", "nope": "ones"}}, ValueError, r"\['nope'\]"),
    ({"seed": 0, "init": {"users": "zeros", "ads": 3}}, TypeError, r"init\['ads'\]"),
    ({"seed": 0, "init": {"users": "zeros", "ads": {"class_name": "RandomNormal", "config": {"stddev": -1.0}}}},
     ValueError, "table 'ads'"),
])
def test_bad_arguments_write_nothing(kwargs: dict[str, Any], error: type, match: str) -> None:
    ebc = _ebc()
    before = {n: _weight(ebc, n).copy() for n in ("users", "ads")}
    with pytest.raises(error, match=match):
        ftr.init_tables(ebc, **kwargs)
    for n, w in before.items():
        assert np.array_equal(_weight(ebc, n), w), f"{n} was written before the error"


def test_refusals() -> None:
    with pytest.raises(ValueError, match="meta device"):
        ftr.init_tables(_ebc("meta"), seed=0)
    with pytest.raises(ValueError, match="no TorchRec"):
        ftr.init_tables(torch.nn.Linear(2, 2), seed=0)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        ftr.init_tables("model", seed=0)  # type: ignore[arg-type]


def test_custom_init_fn_warns() -> None:
    config = torchrec.EmbeddingBagConfig(name="t", num_embeddings=4, embedding_dim=2, feature_names=["f"],
                                         init_fn=torch.nn.init.ones_)
    ebc = torchrec.EmbeddingBagCollection(tables=[config])
    with pytest.warns(UserWarning, match="own init_fn"):
        ftr.init_tables(ebc, seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ftr.init_tables(ebc, seed=0, init={"t": "ones"})  # chosen: no warning
    assert (ebc.embedding_bags["t"].weight == 1).all()


def test_import_does_not_import_torchrec_and_names_the_install() -> None:
    code = ("import sys, torch, fastinit.torchrec as ftr; assert 'torchrec' not in sys.modules\n"
            "sys.modules['torchrec'] = None\n"
            "try:\n    ftr.init_tables(torch.nn.Linear(2, 2), seed=0)\n"
            "except ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "pip install" in out.stdout and "torchrec" in out.stdout, out.stdout


# ---------------------------------------------------------------- managed collisions: rows by ID

IDS = [10**12, 42, -5, 7, 2**40 + 3, 99, 123456789, 5]


def _mc(name: str = "ads", feature: str = "ad") -> Any:
    from torchrec.modules.mc_embedding_modules import ManagedCollisionEmbeddingBagCollection
    from torchrec.modules.mc_modules import (
        DistanceLFU_EvictionPolicy,
        ManagedCollisionCollection,
        MCHManagedCollisionModule,
    )
    config = torchrec.EmbeddingBagConfig(name=name, num_embeddings=32, embedding_dim=4, feature_names=[feature])
    mch = MCHManagedCollisionModule(zch_size=32, device=torch.device("cpu"), eviction_interval=1,
                                    eviction_policy=DistanceLFU_EvictionPolicy())
    return ManagedCollisionEmbeddingBagCollection(torchrec.EmbeddingBagCollection(tables=[config]),
                                                  ManagedCollisionCollection({name: mch}, [config]),
                                                  return_remapped_features=True)


def _feed(mc: Any, order: list[int], batch: int, name: str = "ads", feature: str = "ad") -> dict[int, int]:
    """Forward passes admitting ``order`` in batches; each ID's slot."""
    for i in range(0, len(order), batch):
        chunk = torch.tensor(order[i:i + batch])
        mc(torchrec.KeyedJaggedTensor.from_lengths_sync([feature], chunk, torch.ones(len(chunk), dtype=torch.int64)))
    mch = mc._managed_collision_collection._managed_collision_modules[name]
    return dict(zip(mch._mch_sorted_raw_ids.tolist(), mch._mch_remapped_ids_mapping.tolist()))


def test_admitted_rows_follow_the_id_not_the_slot() -> None:
    """The same IDs fed in two orders and batchings land in different slots; each ID's row is the
    same in both, fastinit.rows(hashed=True) of that ID; free slots are left alone."""
    a, b = _mc(), _mc()
    slots_a, slots_b = _feed(a, IDS, 3), _feed(b, IDS[::-1], 2)
    assert any(slots_a[x] != slots_b[x] for x in IDS), "the two orders gave every ID the same slot"
    before = a._embedding_module.embedding_bags["ads"].weight.detach().clone()
    ftr.init_admitted_rows(a, seed=3)
    ftr.init_admitted_rows(b, seed=3)
    wa, wb = (m._embedding_module.embedding_bags["ads"].weight.detach() for m in (a, b))
    bound = math.sqrt(1 / 32)
    want = fastinit.rows("uniform", np.array(IDS, np.int64), 4, seed=3, stream="ads", hashed=True, low=-bound,
                         high=bound)
    for k, x in enumerate(IDS):
        assert np.array_equal(wa[slots_a[x]].numpy(), want[k]) and np.array_equal(wb[slots_b[x]].numpy(), want[k]), x
    free = sorted(set(range(32)) - {slots_a[x] for x in IDS})
    assert torch.equal(wa[free], before[free])


def test_admitted_rows_only_the_slots_named() -> None:
    mc = _mc()
    slots = _feed(mc, IDS, 8)
    weight = mc._embedding_module.embedding_bags["ads"].weight
    before = weight.detach().clone()
    with pytest.raises(ValueError, match=r"\['nope'\]"):
        ftr.init_admitted_rows(mc, seed=1, slots={"nope": [0]})
    assert torch.equal(weight, before)
    free = min(set(range(32)) - set(slots.values()))
    with pytest.raises(ValueError, match=f"slots \\[{free}\\] of table 'ads' hold no ID"):
        ftr.init_admitted_rows(mc, seed=1, slots={"ads": [slots[42], free]})
    assert torch.equal(weight, before)
    ftr.init_admitted_rows(mc, seed=1, slots={"ads": [slots[42]]})
    changed = [r for r in range(32) if not torch.equal(weight[r], before[r])]
    assert changed == [slots[42]]
    row = fastinit.rows("random_normal", [42], 4, seed=1, stream="ads", hashed=True, stddev=0.5)
    init = fastinit.get({"class_name": "RandomNormal", "config": {"stddev": 0.5}})
    ftr.init_admitted_rows(mc, seed=1, init=init, slots={"ads": [slots[42]]})
    assert np.array_equal(weight[slots[42]].detach().numpy(), row[0])


def test_admitted_rows_slots_of_one_collection_among_several() -> None:
    """slots= naming a table of one managed-collision collection leaves the model's other
    collections alone (it is not refused as unknown by them)."""
    ads, users = _mc(), _mc("users", "user")
    slots_ads, _ = _feed(ads, IDS, 4), _feed(users, IDS, 4, "users", "user")
    model = torch.nn.ModuleDict({"a": ads, "u": users})
    users_before = users._embedding_module.embedding_bags["users"].weight.detach().clone()
    ftr.init_admitted_rows(model, seed=2, slots={"ads": [slots_ads[42]]})
    bound = math.sqrt(1 / 32)
    want = fastinit.rows("uniform", [42], 4, seed=2, stream="ads", hashed=True, low=-bound, high=bound)
    assert np.array_equal(ads._embedding_module.embedding_bags["ads"].weight[slots_ads[42]].detach().numpy(), want[0])
    assert torch.equal(users._embedding_module.embedding_bags["users"].weight.detach(), users_before)
    with pytest.raises(ValueError, match=r"\['nope'\].*\['ads', 'users'\]"):
        ftr.init_admitted_rows(model, seed=2, slots={"nope": [0]})
