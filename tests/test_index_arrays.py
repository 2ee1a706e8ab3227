"""Index arrays (docs/guide/shards-and-index-arrays.md): ``index`` entries that are 1-d int
arrays, combined as ``np.ix_`` combines them. A gathered fill equals, bit for bit, the same
elements of a whole fill and the reference stream (tests/philox_reference.py); bad ids raise
before anything is written."""

import math

import ml_dtypes
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fastinit

from philox_reference import element_words64, stream_words, uniform01_f32, uniform01_f64

SEED = 0x0123_4567_89AB_CDEF
STREAM = 0xFEDC_BA98_7654_3210
SENTINEL = -7.25
REAL = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16]
COMPLEX = [np.complex64, np.complex128]
FILLS = {
    "uniform": (fastinit.uniform, (-0.5, 2.0)),
    "normal": (fastinit.normal, (0.25, 3.0)),
    "truncated_normal": (fastinit.truncated_normal, (0.0, 1.5, -1.0, 2.5)),
}


def bits(a):
    """The bytes of ``a`` element by element (C order), for bit-for-bit comparisons."""
    a = np.ascontiguousarray(a)
    return a.view(np.uint8).reshape(a.shape + (a.dtype.itemsize,))


def same(got, want):
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(bits(got), bits(want))


def expected(full, entries):
    """``full[index]`` with index arrays combined as an outer product, written independently of
    fastinit: every entry as positions (ints then squeezed), one ``np.ix_`` gather."""
    picks, drop = [], []
    for axis, (e, n) in enumerate(zip(entries, full.shape)):
        if isinstance(e, slice):
            picks.append(np.arange(n)[e])
        elif isinstance(e, (int, np.integer)):
            picks.append(np.array([e % n]))
            drop.append(axis)
        else:
            picks.append(np.asarray(e, dtype=np.int64) % n if n else np.asarray(e, dtype=np.int64))
    picks += [np.arange(n) for n in full.shape[len(entries):]]
    return full[np.ix_(*picks)].squeeze(axis=tuple(drop)) if picks else full[()]


def ids_with_everything(n, rng, size=9):
    """Unsorted ids in [-n, n) with duplicates and negatives."""
    ids = rng.integers(-n, n, size=size)
    ids[1] = ids[4]  # a duplicate
    ids[2] = -1  # a negative
    return ids


# ---------------------------------------------------------------- against the reference stream


def test_random_bits_gather_equals_the_reference_words():
    rng = np.random.default_rng(1)
    full_shape = (50, 7, 3)
    rows, cols = ids_with_everything(50, rng), np.array([2, 0, 2])
    got = fastinit.random_bits((9, 7, 3), seed=SEED, stream=STREAM, full_shape=full_shape,
                               index=(rows, slice(None), cols))
    r = np.asarray(rows) % 50
    flat = (r[:, None, None] * 21 + np.arange(7)[None, :, None] * 3 + cols[None, None, :])
    same(got, stream_words(SEED, STREAM, flat))


@pytest.mark.parametrize("start", [2**32 - 3, 2**40 + 5, 2**55 + 11])
def test_uniform_rows_past_2_32_and_2_40_equal_the_reference(start):
    """Rows whose elements sit past 2**32 and 2**40 (the high counter word), float32 and float64."""
    dim = 16
    full_shape = (2**59 // dim * 8, dim)
    ids = np.array([start, start + 7, start, start - 1000, 0])
    flat = ids[:, None] * dim + np.arange(dim)[None, :]
    f32 = fastinit.uniform((5, dim), seed=SEED, stream=STREAM, full_shape=full_shape, index=ids)
    same(f32, uniform01_f32(stream_words(SEED, STREAM, flat)))
    f64 = fastinit.uniform((5, dim), seed=SEED, stream=STREAM, full_shape=full_shape, index=ids, dtype=np.float64)
    same(f64, uniform01_f64(element_words64(SEED, STREAM, flat)))


@pytest.mark.parametrize("name", sorted(FILLS))
@pytest.mark.parametrize("dtype", REAL + COMPLEX, ids=lambda d: np.dtype(d).name)
def test_far_rows_equal_slice_fills_at_their_origin(name, dtype):
    """Huge tables: each gathered row equals the one-row slice fill at that row (offsets past
    2**32 and 2**40), for every dtype."""
    fn, params = FILLS[name]
    dim = 12
    full_shape = (2**62 // dim // 2, dim)
    ids = np.array([2**40 // dim + 3, 2**32 // dim - 1, 5, 2**40 // dim + 3, -2, 2**55])
    got = fn((len(ids), dim), *params, seed=SEED, stream=STREAM, full_shape=full_shape, index=(ids,), dtype=dtype)
    for r, i in enumerate(ids.tolist()):
        i %= full_shape[0]
        row = fn((1, dim), *params, seed=SEED, stream=STREAM, full_shape=full_shape, index=(slice(i, i + 1),),
                 dtype=dtype)
        same(got[r:r + 1], row)


# ---------------------------------------------------------------- against a whole fill


@pytest.mark.parametrize("name", sorted(FILLS))
@pytest.mark.parametrize("dtype", REAL + COMPLEX, ids=lambda d: np.dtype(d).name)
def test_every_dtype_equals_fancy_indexing_the_whole_fill(name, dtype):
    fn, params = FILLS[name]
    rng = np.random.default_rng(2)
    full_shape = (23, 5, 6)
    whole = fn(full_shape, *params, seed=SEED, stream=STREAM, dtype=dtype)
    cases = [
        (ids_with_everything(23, rng),),
        (ids_with_everything(23, rng), slice(1, 4), [5, 0, 5, -6]),
        (3, [4, 0, 2], slice(None)),
        (slice(2, 20), 4, np.array([1, 1, 0], np.uint8)),
        ([0, 22], [1], [2]),
        (np.array([], np.int64), slice(None)),
    ]
    for index in cases:
        want = expected(whole, index)
        got = np.full(want.shape, SENTINEL, dtype)
        assert fn(got, *params, seed=SEED, stream=STREAM, full_shape=full_shape, index=index) is got
        same(got, want)


def test_random_bits_equals_fancy_indexing_the_whole_fill():
    rng = np.random.default_rng(3)
    whole = fastinit.random_bits((31, 9), seed=SEED, stream=STREAM)
    ids = ids_with_everything(31, rng, size=40)
    got = fastinit.random_bits((40, 4), seed=SEED, stream=STREAM, full_shape=(31, 9), index=(ids, [8, -9, 3, 3]))
    same(got, whole[np.ix_(ids % 31, [8, 0, 3, 3])])


def test_gather_into_strided_and_fortran_outputs():
    whole = fastinit.normal((40, 33), seed=SEED, stream=STREAM)
    ids = np.array([39, 0, 7, 7, -3])
    for out in (np.empty((33, 5), np.float32).T, np.empty((5, 33), np.float32, order="F"),
                np.empty((10, 66), np.float32)[::2, ::2]):
        fastinit.normal(out, seed=SEED, stream=STREAM, full_shape=(40, 33), index=ids)
        same(np.ascontiguousarray(out), whole[ids])


@pytest.mark.parametrize("entry", [
    [3, 1, 3], (3, 1, 3), range(1, 6, 2), np.array([3, 1, 3], np.int8), np.array([3, 1, 3], np.uint64),
    np.array([3, 1, 3], np.int32), [np.int64(3), 1, np.uint16(3)],
], ids=["list", "tuple", "range", "int8", "uint64", "int32", "numpy_scalars"])
def test_array_entry_kinds(entry):
    whole = fastinit.uniform((4, 8), seed=SEED, stream=STREAM)
    ids = [int(i) for i in entry]
    got = fastinit.uniform((4, len(ids)), seed=SEED, stream=STREAM, full_shape=(4, 8), index=(slice(None), entry))
    same(got, whole[:, ids])


def test_a_bare_list_or_array_is_one_entry_for_axis_0_as_in_numpy():
    whole = fastinit.uniform((8, 4), seed=SEED, stream=STREAM)
    for index in ([5, 2], np.array([5, 2]), range(5, 1, -3)):
        got = fastinit.uniform((2, 4), seed=SEED, stream=STREAM, full_shape=(8, 4), index=index)
        same(got, whole[[5, 2]])
    # a tuple is the container: (5, 2) is two ints, one element
    got = fastinit.uniform((), seed=SEED, stream=STREAM, full_shape=(8, 4), index=(5, 2))
    same(got, whole[5, 2])


def test_several_arrays_combine_as_an_outer_product_not_pairwise():
    whole = fastinit.normal((6, 7), seed=SEED, stream=STREAM)
    got = fastinit.normal((2, 3), seed=SEED, stream=STREAM, full_shape=(6, 7), index=([1, 4], [0, 6, 2]))
    same(got, whole[np.ix_([1, 4], [0, 6, 2])])


def test_duplicate_ids_give_equal_rows_in_any_order_and_batch():
    ids = np.array([9, 2, 9, 5])
    a = fastinit.normal((4, 8), seed=SEED, stream=STREAM, full_shape=(10, 8), index=ids)
    same(a[0], a[2])
    b = fastinit.normal((4, 8), seed=SEED, stream=STREAM, full_shape=(10, 8), index=ids[::-1])
    same(a, b[::-1])
    one = fastinit.normal((1, 8), seed=SEED, stream=STREAM, full_shape=(10, 8), index=[5])
    same(a[3:], one)


# ---------------------------------------------------------------- bad ids: nothing written


BAD = [
    (([0, 10],), IndexError, ["10", "axis 0"]),
    ((slice(None), [3, -7]), IndexError, ["-7", "axis 1"]),
    ((np.array([2**63], np.uint64),), IndexError, ["9223372036854775808"]),
    (([2**70],), IndexError, ["bounds"]),
    ((np.array([0.0, 1.0]),), TypeError, ["int"]),
    (([0, 1.5],), TypeError, ["int"]),
    ((np.array([True, False]),), TypeError, ["mask"]),
    (([True, False],), TypeError, ["mask"]),
    ((np.zeros((2, 1), np.int64),), ValueError, ["1-d"]),
    (([[0, 1]],), ValueError, ["1-d"]),
    ((["a", "b"],), TypeError, ["int"]),
    (([0, None],), TypeError, ["int"]),
    ((slice(0, 10, 2),), ValueError, ["step"]),
]


@pytest.mark.parametrize("name", ["random_bits"] + sorted(FILLS))
@pytest.mark.parametrize("index,exc,words", BAD, ids=[f"bad{k}" for k in range(len(BAD))])
def test_bad_ids_raise_before_anything_is_written(name, index, exc, words):
    if name == "random_bits":
        fn, params, out = fastinit.random_bits, (), np.full((2, 6), 12345, np.uint32)
    else:
        fn, params = FILLS[name]
        out = np.full((2, 6), SENTINEL, np.float32)
    before = out.copy()
    with pytest.raises(exc) as info:
        fn(out, *params, seed=SEED, stream=STREAM, full_shape=(10, 6), index=index)
    message = str(info.value)
    assert all(w in message for w in words), message
    same(out, before)


def test_bad_ids_in_a_complex_fill_leave_it_untouched():
    out = np.full((2, 6), SENTINEL + 1j, np.complex64)
    with pytest.raises(IndexError, match="out of bounds"):
        fastinit.normal(out, seed=SEED, stream=STREAM, full_shape=(10, 6), index=([0, 10],))
    assert (out == SENTINEL + 1j).all()


def test_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"full\[index\] has shape \(3, 6\)"):
        fastinit.uniform((2, 6), seed=0, full_shape=(10, 6), index=[1, 2, 3])


# ---------------------------------------------------------------- presets

ELEMENTWISE = ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
               "variance_scaling", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal",
               "random_uniform", "random_normal", "random_truncated_normal"]
COMPLEX_ONLY = ["uniform_disk", "truncated_normal_disk"]
WHOLE = {"orthogonal": (), "sparse": (0.4,)}
INDEX = (np.array([17, 2, 17, -1, 0]), slice(1, 5), [6, 0, 6])


@pytest.mark.parametrize("name", ELEMENTWISE + COMPLEX_ONLY + sorted(WHOLE) + ["identity", "eye"])
def test_every_preset_with_index_arrays_equals_its_whole_fill(name):
    fn = getattr(fastinit, name)
    args = WHOLE.get(name, ())
    dtype = np.complex64 if name in COMPLEX_ONLY else np.float32
    seeded = {} if name in ("identity", "eye") else {"seed": SEED, "stream": STREAM}
    full_shape = (20, 7)
    index = (INDEX[0], INDEX[2])
    whole = fn(full_shape, *args, dtype=dtype, **seeded)
    want = expected(whole, index)
    got = np.full(want.shape, SENTINEL, dtype)
    fn(got, *args, full_shape=full_shape, index=index, **seeded)
    same(got, want)


@pytest.mark.parametrize("name", ELEMENTWISE + ["orthogonal", "delta_orthogonal", "dirac"])
def test_presets_on_3_and_4_d_kernels_with_mixed_entries(name):
    fn = getattr(fastinit, name)
    full_shape = (3, 20, 7, 9) if name != "dirac" else (20, 7, 3, 3)
    index = (slice(None), INDEX[0], 4, INDEX[2]) if name != "dirac" else (INDEX[0], INDEX[2], [1, 1, 0])
    seeded = {} if name == "dirac" else {"seed": SEED, "stream": STREAM}
    if name == "delta_orthogonal":
        full_shape, index = (3, 3, 9, 20), (1, [2, 1, 1], slice(2, 5), INDEX[0])
    whole = fn(full_shape, **seeded)
    want = expected(whole, index)
    got = np.full(want.shape, SENTINEL, np.float32)
    fn(got, full_shape=full_shape, index=index, **seeded)
    same(got, want)


def test_complex_presets_and_orthogonal_with_index_arrays():
    for fn, kw in [(fastinit.variance_scaling, {"distribution": "uniform"}), (fastinit.orthogonal, {}),
                   (fastinit.he_normal, {}), (fastinit.normal, {})]:
        whole = fn((12, 10), seed=SEED, stream=STREAM, dtype=np.complex128, **kw)
        got = fn((4, 3), seed=SEED, stream=STREAM, full_shape=(12, 10), index=([11, 0, 11, -5], [9, 0, 4]),
                 dtype=np.complex128, **kw)
        same(got, whole[np.ix_([11, 0, 11, 7], [9, 0, 4])])


def test_sparse_gather_of_columns_equals_the_whole_fill():
    whole = fastinit.sparse((30, 12), 0.5, seed=SEED, stream=STREAM)
    cols = [11, 3, 3, 0, -1]
    got = fastinit.sparse((30, 5), 0.5, seed=SEED, stream=STREAM, full_shape=(30, 12), index=(slice(None), cols))
    same(got, whole[:, [11, 3, 3, 0, 11]])
    assert (got == 0).sum(axis=0).tolist() == [15] * 5


def test_initializers_from_get_take_index_arrays():
    for name in ("GlorotUniform", "kaiming_normal_", "TruncatedNormal", "Identity", "orthogonal_"):
        init = fastinit.get(name)
        whole = init((9, 6), seed=SEED, stream=STREAM)
        got = init((3, 6), seed=SEED, stream=STREAM, full_shape=(9, 6), index=[8, 1, 8])
        same(got, whole[[8, 1, 8]])


def test_stft_by_name_takes_a_row_array():
    init = fastinit.get("STFT")
    whole = init((8, 1, 5))
    got = init((3, 1, 5), full_shape=(8, 1, 5), index=[7, 0, 7])
    same(got, whole[[7, 0, 7]])


def test_stft_by_name_takes_arrays_on_two_axes_as_an_outer_product():
    init = fastinit.get("STFT")
    whole = init((8, 1, 5))
    got = init((3, 1, 2), full_shape=(8, 1, 5), index=([7, 0, 7], slice(None), [4, 1]))
    same(got, whole[np.ix_([7, 0, 7], [0], [4, 1])])


# ---------------------------------------------------------------- Hypothesis

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@st.composite
def indexed(draw):
    shape = tuple(draw(st.lists(st.integers(0, 6), min_size=0, max_size=3)))
    index = []
    for n in shape:
        kind = draw(st.sampled_from(["slice", "int", "array", "list"] if n else ["slice", "array"]))
        if kind == "int":
            index.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.integers(0, n))
            index.append(slice(start, draw(st.integers(start, n))))
        else:
            ids = draw(st.lists(st.integers(-n, n - 1), max_size=7)) if n else []
            index.append(np.array(ids, dtype=np.int64) if kind == "array" else ids)
    return shape, tuple(index)


@SETTINGS
@given(indexed(), st.sampled_from(sorted(FILLS)), st.sampled_from(REAL + COMPLEX),
       st.integers(0, 2**64 - 1), st.integers(0, 2**64 - 1))
def test_any_gather_equals_the_whole_fill(case, name, dtype, seed, stream):
    shape, index = case
    fn, params = FILLS[name]
    whole = fn(shape, *params, seed=seed, stream=stream, dtype=dtype)
    want = expected(whole, index)
    got = fn(want.shape, *params, seed=seed, stream=stream, full_shape=shape, index=index, dtype=dtype)
    same(got, want)


@SETTINGS
@given(indexed(), st.integers(0, 2**64 - 1))
def test_any_gather_of_bits_equals_the_reference(case, seed):
    shape, index = case
    flat = np.arange(math.prod(shape), dtype=np.uint64).reshape(shape)
    want = stream_words(seed, 7, expected(flat, index))
    got = fastinit.random_bits(want.shape, seed=seed, stream=7, full_shape=shape, index=index)
    same(got, want)
