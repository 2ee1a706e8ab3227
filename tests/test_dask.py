"""fastinit.dask.array: equal bit for bit to the in-memory fill for any chunking, on the local
schedulers and on a dask.distributed cluster of worker processes; to_zarr round trip.
(dask, distributed and zarr are in the test extra: CI runs all of this.)"""

import subprocess
import sys

import dask.array as da  # the test extra installs dask, distributed and zarr: no skips
import distributed
import numpy as np
import pytest

import fastinit
import fastinit.dask as fdask


def bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


CHUNKINGS = [
    (100, 7),
    ((30, 70), (3, 3, 1)),  # irregular
    ((1, 98, 1), -1),
    "auto",
    -1,
    (17, 5),
]


@pytest.mark.parametrize("chunks", CHUNKINGS, ids=[str(c) for c in CHUNKINGS])
def test_equal_to_the_in_memory_fill_for_any_chunking(chunks):
    shape = (100, 7)
    arr = fdask.array("he_normal", shape, chunks=chunks, seed=4, stream="emb")
    assert isinstance(arr, da.Array) and arr.shape == shape and arr.dtype == np.float32
    got = arr.compute(scheduler="threads")
    np.testing.assert_array_equal(bits(got), bits(fastinit.he_normal(shape, seed=4, stream="emb")))


@pytest.mark.parametrize("init,params,dtype,shape,chunks", [
    ("normal", {"std": 0.02}, "float16", (1000,), 333),
    ("truncated_normal", {"a": -1.0, "b": 3.0}, "bfloat16", (20, 30), (7, 11)),
    ("variance_scaling", {"mode": "fan_avg", "distribution": "uniform"}, "float64", (6, 5, 4, 3), (4, 2, 3, 2)),
    ("kaiming_uniform", {"a": 0.1}, "float32", (64, 16, 3, 3), (10, 16, 3, 1)),
    ("GlorotUniform", {}, "float32", (50, 60), (25, 13)),
    ("identity", {"gain": 2.0}, "float32", (30, 20), (7, 6)),
    ("sparse", {"sparsity": 0.25}, "float32", (40, 30), (-1, 7)),
    ("orthogonal", {}, "float32", (20, 30), -1),
    ("zeros", {}, "float32", (5, 5), 2),
])
def test_every_kind_of_initializer(init, params, dtype, shape, chunks):
    arr = fdask.array(init, shape, chunks=chunks, dtype=dtype, seed=11, stream=3, **params)
    if init in ("identity", "zeros"):  # deterministic: no seed
        want = getattr(fastinit, init)(shape, dtype=dtype, **params)
    elif init in fastinit.names.named.own_names():
        want = getattr(fastinit, init)(shape, seed=11, stream=3, dtype=dtype, **params)
    else:
        want = fastinit.get({"class_name": init, "config": params})(shape, seed=11, stream=3, dtype=dtype)
    np.testing.assert_array_equal(bits(arr.compute(scheduler="sync")), bits(want))


def test_functions_slices_and_determinism():
    arr = fdask.array(fastinit.glorot_uniform, (40, 50), chunks=(9, 13), seed=1)
    whole = fastinit.glorot_uniform((40, 50), seed=1)
    np.testing.assert_array_equal(arr[5:33, 7:8].compute(), whole[5:33, 7:8])
    again = fdask.array(fastinit.glorot_uniform, (40, 50), chunks=(9, 13), seed=1)
    assert again.name == arr.name  # same arguments, same graph keys
    assert fdask.array("glorot_uniform", (40, 50), chunks=(9, 13), seed=2).name != arr.name
    drawn = fdask.array("normal", (10,), chunks=3, seed=None)  # a fresh seed, drawn once for all blocks
    np.testing.assert_array_equal(drawn.compute(), drawn.compute())


@pytest.mark.parametrize("call,exc,words", [
    (lambda: fdask.array("he_norml", (4, 4), seed=0), ValueError, "he_normal"),
    (lambda: fdask.array("he_normal", (4, 4), seed=0, std=1.0), TypeError, "no parameter 'std'"),
    (lambda: fdask.array("variance_scaling", (4, 4), seed=0, mode="fan_x"), ValueError, "mode"),
    (lambda: fdask.array("normal", (4, 4), seed=-1), ValueError, "seed"),
    (lambda: fdask.array("normal", (4, 4), seed=0, dtype="int32"), TypeError, "dtype"),
    (lambda: fdask.array("orthogonal", (4, 4), seed=0, chunks=2), ValueError, "chunks=-1"),
    (lambda: fdask.array("sparse", (4, 4), seed=0, sparsity=0.5, chunks=2), ValueError, "columns"),
    (lambda: fdask.array(np.sum, (4, 4), seed=0), TypeError, "initializer name"),
])
def test_bad_arguments_fail_before_any_block(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value)


def test_import_fastinit_does_not_import_dask_or_zarr():
    code = ("import sys, fastinit; assert not any(m.split('.')[0] in ('dask', 'distributed', 'zarr') "
            "for m in sys.modules), sorted(m for m in sys.modules if 'dask' in m or 'zarr' in m); "
            "assert 'fastinit.cli' not in sys.modules and 'fastinit.outofcore' not in sys.modules; "
            "fastinit.dask; assert 'dask' not in sys.modules; "
            "a = fastinit.dask.array('normal', (4,), chunks=2, seed=0); assert 'dask' in sys.modules")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


@pytest.mark.multiprocess
def test_distributed_cluster_of_processes_and_to_zarr(tmp_path):
    # zarr 3 needs Python >= 3.11 (the test extra installs it there)
    zarr = pytest.importorskip("zarr") if sys.version_info < (3, 11) else __import__("zarr")
    shape = (1000, 48)
    want = fastinit.he_uniform(shape, seed=8, stream="table", dtype="float16")
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        arr = fdask.array("he_uniform", shape, chunks=((300, 300, 400), (20, 28)), dtype="float16", seed=8,
                          stream="table")
        got = arr.compute()
        np.testing.assert_array_equal(bits(got), bits(want))
        pids = client.run(lambda: __import__("os").getpid())
        assert len(set(pids.values())) == 2  # two worker processes really ran
        path = str(tmp_path / "table.zarr")
        arr.rechunk((250, 48)).to_zarr(path)
    back = zarr.open_array(path, mode="r")
    assert back.shape == shape and back.chunks == (250, 48)
    np.testing.assert_array_equal(bits(back[...]), bits(want))
    # and the dask array read back from zarr equals it too
    np.testing.assert_array_equal(bits(da.from_zarr(path).compute(scheduler="sync")), bits(want))
