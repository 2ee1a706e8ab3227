"""fastinit.shard_index: balanced contiguous parts; N real processes filling their shards of one
shared memory-mapped file write exactly the whole fill, for row and column sharding."""

import multiprocessing

import numpy as np
import pytest

import fastinit


@pytest.mark.parametrize("n,world", [(10, 3), (7, 7), (3, 5), (0, 2), (1000, 1), (1001, 4)])
def test_parts_are_balanced_contiguous_and_cover(n, world):
    parts = [fastinit.shard_index((n, 4), r, world)[0] for r in range(world)]
    sizes = [p.stop - p.start for p in parts]
    assert parts[0].start == 0 and parts[-1].stop == n
    assert all(a.stop == b.start for a, b in zip(parts, parts[1:]))
    assert max(sizes) - min(sizes) <= 1 and sizes == sorted(sizes, reverse=True)
    assert all(p.step is None for p in parts)
    for r in range(world):
        assert fastinit.shard_shape((n, 4), r, world) == (sizes[r], 4)


def test_axis_and_negative_axis():
    assert fastinit.shard_index((5, 10, 3), 1, 3, axis=1) == (slice(None), slice(4, 7), slice(None))
    assert fastinit.shard_index((5, 10, 3), 1, 3, axis=-2) == fastinit.shard_index((5, 10, 3), 1, 3, axis=1)
    assert fastinit.shard_shape((5, 10, 3), 2, 3, axis=-1) == (5, 10, 1)
    full = np.arange(150).reshape(5, 10, 3)
    got = np.concatenate([full[fastinit.shard_index(full.shape, r, 4, axis=1)] for r in range(4)], axis=1)
    np.testing.assert_array_equal(got, full)


@pytest.mark.parametrize("args,exc,words", [
    (((10,), 3, 3), ValueError, "rank must be in [0, world_size)"),
    (((10,), -1, 3), ValueError, "rank"),
    (((10,), 0, 0), ValueError, "world_size must be >= 1"),
    (((10,), 0, 2, 1), ValueError, "axis=1 is out of range"),
    (((), 0, 1), ValueError, "nothing to shard"),
    (((10,), 0.0, 2), TypeError, "rank must be an int"),
    (((10,), 0, True), TypeError, "world_size must be an int"),
    (((10, -1), 0, 2), ValueError, "full_shape"),
    ((("10",), 0, 2), TypeError, "full_shape"),
])
def test_bad_arguments(args, exc, words):
    with pytest.raises(exc, match=None) as info:
        fastinit.shard_index(*args)
    assert words in str(info.value)


def _fill_shard(job):
    # runs in a spawned worker process: open the shared file and fill this rank's part in place
    import numpy as np

    import fastinit

    path, shape, dtype, init, params, rank, world, axis = job
    table = np.memmap(path, dtype=dtype, mode="r+", shape=shape)
    index = fastinit.shard_index(shape, rank, world, axis=axis)
    getattr(fastinit, init)(table[index], seed=21, stream="shared", full_shape=shape, index=index, **params)
    table.flush()
    del table
    return rank


CASES = [
    ((1001, 37), "float16", "he_normal", {}, 3, 0),
    ((1001, 37), "float32", "glorot_uniform", {}, 4, 1),
    ((64, 30, 5), "float32", "truncated_normal", {"std": 0.5}, 4, -2),
    ((2000,), "float64", "normal", {"std": 0.02}, 3, 0),
]


def test_processes_fill_one_shared_memmap(tmp_path):
    ctx = multiprocessing.get_context("spawn")  # fork would copy the parent's OpenMP threads
    jobs, files = [], []
    for k, (shape, dtype, init, params, world, axis) in enumerate(CASES):
        path = str(tmp_path / f"table{k}.bin")
        np.memmap(path, dtype=dtype, mode="w+", shape=shape).flush()
        files.append(path)
        jobs += [(path, shape, dtype, init, params, r, world, axis) for r in range(world)]
    with ctx.Pool(2) as pool:
        assert sorted(pool.map(_fill_shard, jobs)) == sorted(j[5] for j in jobs)
    for path, (shape, dtype, init, params, _world, axis) in zip(files, CASES):
        whole = getattr(fastinit, init)(shape, seed=21, stream="shared", dtype=dtype, **params)
        got = np.fromfile(path, dtype=dtype).reshape(shape)
        np.testing.assert_array_equal(got.view(np.uint8), whole.view(np.uint8), err_msg=f"{init} axis={axis}")


def test_fans_come_from_the_full_shape():
    shape = (300, 4096)  # Keras layout (in, out): a row shard holds 38 of the 300 inputs
    idx = fastinit.shard_index(shape, 1, 8, axis=0)
    part = fastinit.he_uniform(fastinit.shard_shape(shape, 1, 8, axis=0), seed=3, full_shape=shape, index=idx)
    limit = np.sqrt(6 / 300)  # fan_in of the whole kernel, not of the shard (38)
    assert part.max() <= limit and part.max() > 0.95 * limit
