"""The last elements of the largest tensor (``2**63 - 1`` elements, docs/stream-v1.md Section 3).

A float64 element e uses words 2e and 2e + 1, so the last one reaches word ``2**64 - 3`` (block
``2**62 - 1``): a block or word bound computed as ``j + 3`` wraps there. Every fill path (slices,
tiles of 2-D layouts in C and Fortran order, index arrays, ``fastinit.rows`` with a ``dim`` that
divides ``2**63 - 1``) must give there, on every SIMD path and on every call, the values that
docs/stream-v1.md defines, computed independently by tests/philox_reference.py and the document's
formulas as tests/test_stream_doc.py writes them. The core itself takes element indices up to
``2**63 - 1`` (an origin or an index-array entry), whose float64 words end at ``2**64 - 1``:
its runs, offset tables and 2-D corners are checked there too.
"""

from __future__ import annotations

import functools

import ml_dtypes
import numpy as np
import pytest
from test_stream_doc import Fmt, ndtri_doc, same_bits, u01, uopen

import fastinit
from fastinit import _core

from philox_reference import element_words64, stream_words

N = 2**63 - 1  # the most elements a tensor may have: element indices 0 .. 2**63 - 2
assert N == 7 * 7 * 73 * 127 * 337 * 92737 * 649657
DIVISORS = (1, 7, 49, 73, 127, 337)  # dims d with N % d == 0: the last row of (N // d, d) ends at N - 1
SEED, STREAM = 0, "emb"
SID = fastinit.stream_from_name(STREAM)
LOW, HIGH = -0.5, 2.0
MEAN, STD = 0.25, 3.0
F32, F64 = np.float32, np.float64
FLOATS = [np.float32, np.float64, np.float16, ml_dtypes.bfloat16]
FLOAT_IDS = ["float32", "float64", "float16", "bfloat16"]
FILLS = {"uniform": (fastinit.uniform, {"low": LOW, "high": HIGH}),
         "normal": (fastinit.normal, {"mean": MEAN, "std": STD})}


def doc_values(dist: str, dtype, e) -> np.ndarray:
    """Elements e (an int array) of (SEED, STREAM) as docs/stream-v1.md defines them."""
    e = np.asarray(e, dtype=np.uint64)
    return _doc_values(dist, np.dtype(dtype).name, e.tobytes()).reshape(e.shape)


@functools.lru_cache(maxsize=64)
def _doc_values(dist: str, dtype_name: str, e_bytes: bytes) -> np.ndarray:
    """doc_values of the flat indices e_bytes, computed once for all SIMD paths (float64 normals
    take an exact fma per coefficient), read-only."""
    dtype = ml_dtypes.bfloat16 if dtype_name == "bfloat16" else np.dtype(dtype_name)
    flat = np.frombuffer(e_bytes, dtype=np.uint64)
    single = np.dtype(dtype).itemsize < 8
    w = stream_words(SEED, SID, flat) if single else element_words64(SEED, SID, flat)
    F = F32 if single else F64
    if dist == "bits":
        return _read_only(w)
    if dist == "uniform":
        lo, hi = F(LOW), F(HIGH)
        v = np.minimum(lo + (hi - lo) * u01(w, single), hi)
    else:
        u = uopen(w, single)
        v = F(MEAN) + F(STD) * ndtri_doc(u, F(1) - u, Fmt(single))
    return _read_only(v.astype(dtype))


def _read_only(a: np.ndarray) -> np.ndarray:
    a.setflags(write=False)
    return a


def fill(dist: str, out, dtype, full_shape, index) -> np.ndarray:
    if dist == "bits":
        return fastinit.random_bits(out, seed=SEED, stream=STREAM, full_shape=full_shape, index=index)
    fn, params = FILLS[dist]
    return fn(out, **params, seed=SEED, stream=STREAM, full_shape=full_shape, index=index, dtype=dtype)


def same(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape, (what, got.shape, want.shape)
    same_bits(np.ascontiguousarray(got).reshape(-1), np.ascontiguousarray(want).reshape(-1), what)


@pytest.fixture(params=fastinit.simd_paths())
def simd(request, restore_runtime):
    """Each SIMD path this CPU runs: every one must give the document's values."""
    fastinit.set_simd_path(request.param)
    return request.param


def test_the_limit_is_the_last_element_fastinit_accepts():
    # The boundary the tests below stand on: N elements are allowed, N + 1 are not.
    fastinit.uniform((1,), full_shape=(N,), index=(slice(N - 1, N),), seed=SEED)
    with pytest.raises(ValueError, match="fewer than 2\\*\\*63 elements"):
        fastinit.uniform((1,), full_shape=(N + 1,), index=(slice(N, N + 1),), seed=SEED)


# ---- slices: contiguous runs that end at the last element ----

@pytest.mark.parametrize("k", [1, 2, 3, 5, 37, 1100])
@pytest.mark.parametrize("dist", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
def test_slice_ending_at_the_last_element(simd, dtype, dist, k):
    got = fill(dist, (k,), dtype, (N,), (slice(N - k, N),))
    same(got, doc_values(dist, dtype, np.arange(N - k, N, dtype=np.uint64)), f"{dist} slice of {k}")


def test_random_bits_slice_ending_at_the_last_element(simd):
    got = fill("bits", (37,), np.uint32, (N,), (slice(N - 37, N),))
    same(got, doc_values("bits", np.uint32, np.arange(N - 37, N, dtype=np.uint64)), "random_bits slice")


# ---- index arrays: the last element by id, alone, among others, repeated ----

LAST_IDS = np.array([N - 1, 0, N - 2, N - 1, N - 3, 2**62, N - 5, 2**62 - 1, N - 4, N - 1], dtype=np.uint64)


@pytest.mark.parametrize("dist", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
def test_index_array_with_the_last_element(simd, dtype, dist):
    got = fill(dist, (LAST_IDS.size,), dtype, (N,), (LAST_IDS.astype(np.int64),))
    same(got, doc_values(dist, dtype, LAST_IDS), f"{dist} gather")
    tail = fill(dist, (8,), dtype, (N,), (slice(N - 8, N),))  # the slice path agrees
    ends = LAST_IDS >= N - 8
    same(got[ends], tail[(LAST_IDS[ends] - np.uint64(N - 8)).astype(np.intp)], f"{dist} gather == slice")


@pytest.mark.parametrize("dist", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
def test_the_last_element_alone_is_the_same_on_every_call(simd, dtype, dist):
    want = doc_values(dist, dtype, [N - 1])
    for call in range(30):
        got = fill(dist, (1,), dtype, (N,), ([N - 1],))
        same(got, want, f"{dist} element N - 1, call {call}")


def test_random_bits_index_array_with_the_last_element(simd):
    got = fill("bits", (LAST_IDS.size,), np.uint32, (N,), (LAST_IDS.astype(np.int64),))
    same(got, doc_values("bits", np.uint32, LAST_IDS), "random_bits gather")


@pytest.mark.parametrize("dist", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
@pytest.mark.parametrize("cols", [7, 127])
def test_index_arrays_on_both_axes_of_a_2d_tensor_ending_at_the_limit(simd, dtype, dist, cols):
    rows = N // cols
    r = np.array([rows - 1, 0, rows - 2, rows - 1, 2**40], dtype=np.int64)
    c = np.array([cols - 1, 0, cols - 2, cols - 1][: min(4, cols)], dtype=np.int64)
    got = fill(dist, (r.size, c.size), dtype, (rows, cols), (r, c))
    e = r.astype(np.uint64)[:, None] * np.uint64(cols) + c.astype(np.uint64)[None, :]
    same(got, doc_values(dist, dtype, e), f"{dist} 2-D gather, {cols} columns")


# ---- tiles: 2-D layouts whose last row and column end at the limit, C and Fortran order ----

TILE_CASES = [(7, 40, 7), (49, 33, 30), (511, 36, 200), (73, 1, 73), (127, 130, 1)]


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("cols,a,b", TILE_CASES, ids=[f"{c}cols-{a}x{b}" for c, a, b in TILE_CASES])
@pytest.mark.parametrize("dist", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", FLOATS, ids=FLOAT_IDS)
def test_2d_corner_at_the_limit(simd, dtype, dist, cols, a, b, order):
    rows = N // cols
    assert rows * cols == N
    out = np.empty((a, b), dtype, order=order)
    got = fill(dist, out, dtype, (rows, cols), (slice(rows - a, rows), slice(cols - b, cols)))
    assert got is out
    e = (np.arange(rows - a, rows, dtype=np.uint64)[:, None] * np.uint64(cols)
         + np.arange(cols - b, cols, dtype=np.uint64)[None, :])
    same(got, doc_values(dist, dtype, e), f"{dist} {order}-order corner {a}x{b} of (N // {cols}, {cols})")


def test_random_bits_fortran_corner_at_the_limit(simd):
    cols, a, b = 511, 36, 200
    out = np.empty((a, b), np.uint32, order="F")
    got = fill("bits", out, np.uint32, (N // cols, cols), (slice(N // cols - a, None), slice(cols - b, None)))
    e = (np.arange(N // cols - a, N // cols, dtype=np.uint64)[:, None] * np.uint64(cols)
         + np.arange(cols - b, cols, dtype=np.uint64)[None, :])
    same(got, doc_values("bits", np.uint32, e), "random_bits F-order corner")


# ---- fastinit.rows: the last row of the default table, dims dividing 2**63 - 1 ----

@pytest.mark.parametrize("dist", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("dim", DIVISORS)
def test_rows_last_row_of_the_default_table(simd, dim, dtype, dist):
    last = N // dim - 1  # the default num_rows is N // dim: the last row ends at element N - 1
    ids = np.array([last, 0, last - 1, last, 2**40 // dim], dtype=np.int64)
    got = fastinit.rows(dist, ids, dim, seed=SEED, stream=STREAM, dtype=dtype, **FILLS[dist][1])
    e = ids.astype(np.uint64)[:, None] * np.uint64(dim) + np.arange(dim, dtype=np.uint64)[None, :]
    same(got, doc_values(dist, dtype, e), f"{dist} rows, dim {dim}")
    tail = fill(dist, (dim,), dtype, (N,), (slice(N - dim, N),))  # the slice path agrees
    same(got[0], tail, f"{dist} rows == slice, dim {dim}")


def test_rows_example_of_the_report():
    # fastinit.rows("uniform", [last], 7, seed=0, stream="emb", dtype="float64") gave zeros.
    got = fastinit.rows("uniform", [N // 7 - 1], 7, seed=0, stream="emb", dtype="float64")
    want = fastinit.uniform((7,), seed=0, stream="emb", dtype="float64", full_shape=(N,), index=(slice(N - 7, N),))
    same(got[0], want, "rows == slice")
    assert np.all(want > 0.0)


# ---- the core's own limit: element index 2**63 - 1, float64 words up to 2**64 - 1 ----

TOP = 2**63 - 1  # the largest element index _core accepts (as an origin or an index-array entry)
CORE_FORMATS = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "bfloat16": ml_dtypes.bfloat16}
CORE_FILLS = {"uniform": (_core.fill_uniform, (LOW, HIGH)), "normal": (_core.fill_normal, (MEAN, STD))}


def core_fill(dist: str, fmt: str, out: np.ndarray, logical_strides, origin: int, axis_offsets=None) -> np.ndarray:
    fn, params = CORE_FILLS[dist]
    fn(out, fmt, SEED, SID, list(logical_strides), origin, *params, axis_offsets=axis_offsets)
    return out


def test_core_refuses_element_2_pow_63():
    out = np.zeros(2, np.float64)
    with pytest.raises(ValueError, match="2\\*\\*63"):
        core_fill("uniform", "float64", out, [1], TOP)  # elements TOP, TOP + 1
    with pytest.raises(ValueError, match="2\\*\\*63"):
        core_fill("uniform", "float64", out, [1], 0, [np.array([0, TOP + 1], np.uint64)])
    assert not out.any()


@pytest.mark.parametrize("k", [1, 2, 3, 37, 1100])
@pytest.mark.parametrize("dist", ["uniform", "normal"])
@pytest.mark.parametrize("fmt", CORE_FORMATS)
def test_core_run_ending_at_element_2_pow_63_minus_1(simd, fmt, dist, k):
    out = core_fill(dist, fmt, np.empty(k, CORE_FORMATS[fmt]), [1], TOP - k + 1)
    same(out, doc_values(dist, CORE_FORMATS[fmt], np.arange(TOP - k + 1, TOP + 1, dtype=np.uint64)),
         f"{dist} run of {k} ending at 2**63 - 1")


@pytest.mark.parametrize("cols", [1, 3, 8, 37, 600])  # 600: runs long enough to go alone
@pytest.mark.parametrize("dist", ["uniform", "normal"])
@pytest.mark.parametrize("fmt", CORE_FORMATS)
def test_core_index_array_with_element_2_pow_63_minus_1(simd, fmt, dist, cols):
    # Rows of `cols` consecutive elements starting at any offset; three of them end at 2**63 - 1.
    starts = np.array([TOP - cols + 1, 0, TOP - cols, TOP - cols + 1, 2**62 + 5, TOP - cols - 1, TOP - cols + 1],
                      dtype=np.uint64)
    e = starts[:, None] + np.arange(cols, dtype=np.uint64)[None, :]
    want = doc_values(dist, CORE_FORMATS[fmt], e)
    for call in range(3):
        out = core_fill(dist, fmt, np.empty((starts.size, cols), CORE_FORMATS[fmt]), [cols, 1], 0, [starts, None])
        same(out, want, f"{dist} rows of {cols} by offset, call {call}")


CORE_TILES = [(7, 40, 7), (50, 33, 30), (509, 20, 150)]


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("cols,a,b", CORE_TILES, ids=[f"{c}cols-{a}x{b}" for c, a, b in CORE_TILES])
@pytest.mark.parametrize("dist", ["uniform", "normal"])
@pytest.mark.parametrize("fmt", CORE_FORMATS)
def test_core_2d_corner_ending_at_element_2_pow_63_minus_1(simd, fmt, dist, cols, a, b, order):
    origin = TOP - ((a - 1) * cols + (b - 1))  # element (a - 1, b - 1) of out is 2**63 - 1
    out = core_fill(dist, fmt, np.empty((a, b), CORE_FORMATS[fmt], order=order), [cols, 1], origin)
    e = (np.uint64(origin) + np.arange(a, dtype=np.uint64)[:, None] * np.uint64(cols)
         + np.arange(b, dtype=np.uint64)[None, :])
    same(out, doc_values(dist, CORE_FORMATS[fmt], e), f"{dist} {order}-order {a}x{b}, rows {cols} apart")
