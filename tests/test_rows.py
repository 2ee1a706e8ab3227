"""fastinit.rows (docs/guide/rows-by-id.md): rows of a logical (num_rows, dim) table by ID, the row-ID contract,
the hashed-ID mapping, and refusals before anything is written."""

import ml_dtypes
import numpy as np
import pytest

import fastinit
from fastinit.names.named import resolve
from fastinit.rows import max_rows

from philox_reference import stream_words, uniform01_f32

SEED = 20240607
SENTINEL = -7.25


def bits(a):
    a = np.ascontiguousarray(a)
    return a.view(np.uint8).reshape(a.shape + (a.dtype.itemsize,))


def same(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(bits(got), bits(want))


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16, ml_dtypes.bfloat16, np.complex64,
                                   np.complex128], ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("init,params", [("normal", {"std": 0.02}), ("uniform", {"low": -0.1, "high": 0.1}),
                                         ("truncated_normal", {"std": 0.5}), ("he_normal", {}),
                                         ("glorot_uniform", {})])
def test_rows_equal_the_whole_table_indexed(init, params, dtype):
    ids = np.array([41, 3, 41, 0, 17, 99, 3])
    full = resolve(init, params)(np.empty((100, 24), dtype), seed=SEED, stream="emb")
    got = fastinit.rows(init, ids, 24, seed=SEED, stream="emb", num_rows=100, dtype=dtype, **params)
    same(got, full[ids])


def test_rows_by_function_and_by_get_initializer():
    ids = [7, 1, 7]
    full = fastinit.normal((10, 5), 0.0, 0.3, seed=SEED, stream=4)
    same(fastinit.rows(fastinit.normal, ids, 5, seed=SEED, stream=4, num_rows=10, std=0.3), full[ids])
    init = fastinit.get({"class_name": "RandomNormal", "config": {"stddev": 0.3}})
    same(fastinit.rows(init, ids, 5, seed=SEED, stream=4), full[ids])
    with pytest.raises(TypeError, match="bound"):
        fastinit.rows(init, ids, 5, seed=SEED, stream=4, std=0.1)


def test_default_table_is_as_long_as_stream_v1_allows():
    assert max_rows(128) == (2**63 - 1) // 128
    assert max_rows(128, np.complex128) == (2**63 - 1) // 256
    last = max_rows(128) - 1
    ids = np.array([last, 0, 2**40, last])
    got = fastinit.rows("uniform", ids, 128, seed=SEED, stream=9)
    flat = ids[:, None] * 128 + np.arange(128)[None, :]
    same(got, uniform01_f32(stream_words(SEED, 9, flat)))
    # the row count does not change a row of an initializer that does not depend on it
    same(fastinit.rows("uniform", [5, 2], 128, seed=SEED, stream=9, num_rows=6),
         fastinit.rows("uniform", [5, 2], 128, seed=SEED, stream=9))


def test_row_id_contract_any_order_any_batch():
    """Row i's values depend on (seed, stream, i, dim, dtype, params) only."""
    ids = np.random.default_rng(0).integers(0, 2**50, size=64)
    a = fastinit.rows("normal", ids, 16, seed=SEED, stream="table", std=0.1)
    perm = np.random.default_rng(1).permutation(64)
    same(fastinit.rows("normal", ids[perm], 16, seed=SEED, stream="table", std=0.1), a[perm])
    for k in (0, 13, 63):
        same(fastinit.rows("normal", ids[k:k + 1], 16, seed=SEED, stream="table", std=0.1), a[k:k + 1])
    other = fastinit.rows("normal", ids, 16, seed=SEED, stream="other", std=0.1)
    assert not (other == a).all(axis=1).any()


def test_rows_depending_on_the_row_count_need_num_rows():
    for init, params in [("glorot_uniform", {}), ("he_normal", {}), ("xavier_normal", {}), ("orthogonal", {})]:
        with pytest.raises(ValueError, match="num_rows"):
            fastinit.rows(init, [1, 2], 8, seed=SEED, stream=0, **params)
    # fans fixed without the row count: torch layout fan_in is dim
    got = fastinit.rows("kaiming_normal", [1, 2], 8, seed=SEED, stream=0, layout="torch", mode="fan_in")
    want = fastinit.kaiming_normal((3, 8), seed=SEED, stream=0, layout="torch", mode="fan_in")
    same(got, want[[1, 2]])


def test_out_variant_fills_in_place_any_strides():
    ids = [4, 0, 4]
    full = fastinit.uniform((6, 10), seed=SEED, stream=1)
    out = np.full((10, 3), SENTINEL, np.float32).T
    assert fastinit.rows("uniform", ids, 10, seed=SEED, stream=1, num_rows=6, out=out) is out
    same(np.ascontiguousarray(out), full[ids])


BAD = [
    ({}, [0, -1], IndexError, "negative"),
    ({"num_rows": 10}, [0, 10], IndexError, "10"),
    ({}, [0.5], TypeError, "ints"),
    ({}, [[1, 2]], ValueError, "1-d"),
    ({}, np.array([True]), TypeError, "mask"),
    ({"num_rows": 0}, [0], ValueError, "num_rows"),
    ({"num_rows": 2**62}, [0], ValueError, "2**63"),
    ({"dtype": np.float64}, [0, 1], TypeError, "dtype"),
    ({"std": -1.0}, [0, 1], ValueError, "std"),
    ({"sdt": 1.0}, [0, 1], TypeError, "std"),
    ({}, [2**64, 1], IndexError, "hashed=True"),
    ({"hashed": True, "num_rows": 10}, [0], ValueError, "num_rows"),
    ({"hashed": True}, [2**64, 1], ValueError, "2**64"),
    ({"hashed": True}, [0.5], TypeError, "ints"),
    ({"hashed": True}, [[1, 2]], ValueError, "1-d"),
    ({"hashed": True, "dtype": np.float64}, [0, 1], TypeError, "dtype"),
    ({"hashed": True}, np.array([1, 2**63], np.uint64), ValueError, "std"),
    ({"hashed": 1}, [0], TypeError, "hashed"),
]


@pytest.mark.parametrize("kw,ids,exc,word", BAD, ids=[f"bad{k}" for k in range(len(BAD))])
def test_bad_input_leaves_out_untouched(kw, ids, exc, word):
    if word == "std" and "std" not in kw and "sdt" not in kw:
        kw = {**kw, "std": -1.0}
    out = np.full((len(ids), 4), SENTINEL, np.float32)
    with pytest.raises(exc) as info:
        fastinit.rows("normal", ids, 4, seed=SEED, stream=0, out=out, **kw)
    assert word in str(info.value), str(info.value)
    assert (out == SENTINEL).all()


def test_bad_dim_and_out_shape():
    with pytest.raises(ValueError, match="dim"):
        fastinit.rows("normal", [0], 0, seed=0, stream=0)
    with pytest.raises(TypeError, match="dim"):
        fastinit.rows("normal", [0], 2.0, seed=0, stream=0)
    out = np.full((3, 4), SENTINEL, np.float32)
    with pytest.raises(ValueError, match="shape"):
        fastinit.rows("normal", [0, 1], 4, seed=0, stream=0, out=out)
    assert (out == SENTINEL).all()


# ---------------------------------------------------------------- hashed ids


def test_hashed_mapping_is_documented_split():
    dim = 128
    b = 62 - dim.bit_length()  # 54
    ids = np.array([5, (3 << b) | 9, 2**64 - 1, 2**b - 1], np.uint64)
    streams, rows = fastinit.hashed_row_ids(ids, dim, stream="emb")
    table = fastinit.stream_from_name("emb")
    assert rows.tolist() == [5, 9, 2**b - 1, 2**b - 1]
    assert streams.tolist() == [table, fastinit.stream_from_name(f"fastinit.rows.hashed:{table}:{b}:3"),
                                fastinit.stream_from_name(f"fastinit.rows.hashed:{table}:{b}:{2**(64 - b) - 1}"),
                                table]
    assert (2**b) * dim * 2 < 2**63 <= (2**(b + 1)) * dim * 2
    assert fastinit.rows("normal", [2**b - 1], dim, seed=0, stream=0, dtype=np.complex64).shape == (1, dim)


def test_hashed_rows_equal_rows_of_their_derived_streams():
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 2**64, size=300, dtype=np.uint64)
    ids[7] = ids[100]  # a duplicate
    ids[8] = 12  # a small id: the table's own stream
    got = fastinit.rows("normal", ids, 16, seed=SEED, stream="emb", hashed=True, std=0.02)
    streams, rows = fastinit.hashed_row_ids(ids, 16, stream="emb")
    for k in (0, 7, 8, 100, 299):
        one = fastinit.rows("normal", rows[k:k + 1], 16, seed=SEED, stream=int(streams[k]), std=0.02)
        same(got[k:k + 1], one)
    same(got[7], got[100])
    same(got[8:9], fastinit.rows("normal", [12], 16, seed=SEED, stream="emb", std=0.02))
    assert len(np.unique(streams)) > 10


@pytest.mark.parametrize("groups", [1, 2, 3])
@pytest.mark.parametrize("with_out", [False, True])
def test_a_hashed_row_does_not_depend_on_its_batch(groups, with_out):
    """A batch whose ids fall in 1, 2 or 3 streams (high parts): every row equals its own
    single-id call (a batch of exactly two streams was once filled all in the first one)."""
    dim = 4
    b = 62 - dim.bit_length()
    ids = np.array([(h << b) + r for h in range(groups) for r in (5, 9)][::-1], np.uint64)
    out = np.full((len(ids), dim), np.nan, np.float32) if with_out else None
    got = fastinit.rows("normal", ids, dim, seed=SEED, stream=2, hashed=True, std=1.0, out=out)
    for k, i in enumerate(ids):
        same(got[k:k + 1], fastinit.rows("normal", [int(i)], dim, seed=SEED, stream=2, hashed=True, std=1.0))
    assert len({got[k].tobytes() for k in range(len(ids))}) == len(ids)


def test_hashed_signed_ids_are_their_twos_complement_bits():
    signed = np.array([-1, -2**63, 5, 2**63 - 1], np.int64)
    a = fastinit.rows("uniform", signed, 8, seed=SEED, stream=3, hashed=True)
    b = fastinit.rows("uniform", signed.view(np.uint64), 8, seed=SEED, stream=3, hashed=True)
    same(a, b)
    c = fastinit.rows("uniform", [2**64 - 1, 2**63, 5, 2**63 - 1], 8, seed=SEED, stream=3, hashed=True)
    same(a, c)


def test_hashed_rows_out_and_dtypes():
    ids = np.array([2**64 - 3, 1, 2**63], np.uint64)
    want = fastinit.rows("normal", ids, 6, seed=SEED, stream=2, hashed=True, dtype=ml_dtypes.bfloat16)
    out = np.full((6, 3), SENTINEL, ml_dtypes.bfloat16).T
    assert fastinit.rows("normal", ids, 6, seed=SEED, stream=2, hashed=True, out=out) is out
    same(np.ascontiguousarray(out), want)
    assert fastinit.rows("normal", np.array([], np.uint64), 6, seed=0, stream=0, hashed=True).shape == (0, 6)


def test_key_value_store_example():
    """The example of docs/guide/rows-by-id.md: rows created lazily for a batch of new IDs, in one call."""
    store = {}

    def lookup(batch):
        new = [i for i in dict.fromkeys(batch) if i not in store]
        if new:
            for i, row in zip(new, fastinit.rows("normal", new, 64, seed=1234, stream="user_emb", std=0.01,
                                                 hashed=True)):
                store[i] = row
        return np.stack([store[i] for i in batch])

    first = lookup([2**63 + 17, 3, 3])
    again = {}
    store, again = again, store  # a fresh store on another worker, other batches
    second = lookup([3, 99, 2**63 + 17])
    same(second[0], first[1])
    same(second[2], first[0])


def test_hashed_ids_of_one_stream_fill_out_directly():
    ids = np.array([3, 2**40, 3], np.uint64)
    out = np.full((6, 3), SENTINEL, np.float32).T
    assert fastinit.rows("uniform", ids, 6, seed=SEED, stream=8, hashed=True, out=out) is out
    same(np.ascontiguousarray(out), fastinit.rows("uniform", ids.astype(np.int64), 6, seed=SEED, stream=8))
    ro = np.zeros((3, 6), np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fastinit.rows("uniform", ids, 6, seed=SEED, stream=8, hashed=True, out=ro)
    with pytest.raises(ValueError, match="read-only"):
        fastinit.rows("uniform", np.array([3, 2**63], np.uint64).repeat(2)[:3], 6, seed=SEED, stream=8,
                      hashed=True, out=ro)
