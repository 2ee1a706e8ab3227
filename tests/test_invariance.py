"""Values depend only on (seed, stream, element index, parameters, dtype): not on threads, SIMD
path, strides, memory order or which slice of the tensor is being filled (docs/stream-v1.md §10)."""

import ml_dtypes
import numpy as np
import pytest

import fastinit

DTYPES = ["float32", "float64", "float16", "bfloat16"]

# (function, positional parameters): includes a truncated normal far enough in the tail that
# float32 outputs are computed in double arithmetic, and a one-sided one.
FILLS = [
    ("uniform", (-0.3, 0.7)),
    ("normal", (0.5, 2.0)),
    ("truncated_normal", (0.0, 1.0, -2.0, 2.0)),
    ("truncated_normal", (1.0, 0.1, 0.0, np.inf)),
    ("truncated_normal", (0.0, 1.0, 14.0, 15.0)),
]
FILL_IDS = ["uniform", "normal", "trunc2", "trunc_onesided", "trunc_fartail"]


def fill(name, params, out, **kw):
    return getattr(fastinit, name)(out, *params, **kw)


def bits_of(a):
    return a.view(np.uint8)


@pytest.mark.parametrize("name,params", FILLS, ids=FILL_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_threads_give_identical_bits(name, params, dtype, restore_runtime):
    n = 7 * 40_000 + 13  # enough for 7 threads of >= 32768 elements each
    results = []
    for threads in (1, 2, 3, 7):
        fastinit.set_num_threads(threads)
        results.append(fill(name, params, n, seed=11, stream=5, dtype=dtype))
    for r in results[1:]:
        np.testing.assert_array_equal(bits_of(r), bits_of(results[0]))


@pytest.mark.parametrize("name,params", FILLS, ids=FILL_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("path", [p for p in fastinit.simd_paths() if p != "scalar"])
def test_simd_paths_equal_scalar(name, params, dtype, path, restore_runtime):
    kw = dict(seed=2**64 - 3, stream="simd", full_shape=(3, 100_003), index=(slice(None), slice(5, 100_003)))
    fastinit.set_simd_path("scalar")
    ref = fill(name, params, (3, 99_998), dtype=dtype, **kw)
    fastinit.set_simd_path(path)
    got = fill(name, params, (3, 99_998), dtype=dtype, **kw)
    np.testing.assert_array_equal(bits_of(got), bits_of(ref))


@pytest.mark.parametrize("path", fastinit.simd_paths())
def test_random_bits_paths_agree(path, restore_runtime):
    fastinit.set_simd_path("scalar")
    ref = fastinit.random_bits(100_001, seed=9)
    fastinit.set_simd_path(path)
    np.testing.assert_array_equal(fastinit.random_bits(100_001, seed=9), ref)


def test_simd_env_var_forces_path():
    import os
    import subprocess
    import sys

    for path in fastinit.simd_paths():
        env = dict(os.environ, **{fastinit.SIMD_ENV_VAR: path})
        code = "import fastinit; print(fastinit.simd_path())"
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        assert out.stdout.strip() == path
    env = dict(os.environ, **{fastinit.SIMD_ENV_VAR: "sse9"})
    bad = subprocess.run([sys.executable, "-c", "import fastinit"], env=env, capture_output=True, text=True)
    assert bad.returncode != 0 and "FASTINIT_SIMD" in bad.stderr and "sse9" in bad.stderr


SLICES = [
    (slice(3, 17), slice(None)),          # rows
    (slice(None), slice(10, 41)),         # columns
    (slice(20, 33), slice(7, 60)),        # a block
    (slice(0, 1), slice(63, 64)),         # one element
    (5,),                                 # an int index: one row
    (slice(None), 9),                     # one column
    (slice(50, 50), slice(None)),         # empty
]


@pytest.mark.parametrize("name,params", FILLS + [("random_bits", ())], ids=FILL_IDS + ["bits"])
@pytest.mark.parametrize("index", SLICES)
def test_slice_equals_slice_of_whole(name, params, index):
    full_shape = (50, 64)
    dtype = "uint32" if name == "random_bits" else "float32"
    whole = fill(name, params, full_shape, seed=4, stream=1, dtype=dtype)
    part_shape = whole[index].shape
    part = fill(name, params, part_shape, seed=4, stream=1, dtype=dtype, full_shape=full_shape, index=index)
    np.testing.assert_array_equal(bits_of(np.ascontiguousarray(part)), bits_of(np.ascontiguousarray(whole[index])))


@pytest.mark.parametrize("dtype", DTYPES)
def test_shards_of_every_dtype(dtype):
    whole = fastinit.normal((40, 30, 7), seed=8, dtype=dtype)
    part = fastinit.normal((5, 12, 7), seed=8, dtype=dtype, full_shape=(40, 30, 7),
                           index=(slice(30, 35), slice(3, 15)))
    np.testing.assert_array_equal(bits_of(part), bits_of(np.ascontiguousarray(whole[30:35, 3:15])))


@pytest.mark.parametrize("dtype", DTYPES + ["uint32"])
def test_offsets_above_2_pow_32(dtype):
    """A block of a tensor with more than 2**32 elements (never materialized): the same elements
    reached through a 2-d (rows) layout and a 1-d layout agree, and words match the reference."""
    rows, cols = 2**31 + 11, 8  # 2**34 elements
    r0 = 2**31 - 5  # first element index > 2**34 - 2**6
    fn = fastinit.random_bits if dtype == "uint32" else fastinit.normal
    kw = {} if dtype == "uint32" else {"dtype": dtype}
    a = fn((9, cols), seed=77, stream=3, full_shape=(rows, cols), index=(slice(r0, r0 + 9),), **kw)
    e0 = r0 * cols
    b = fn(9 * cols, seed=77, stream=3, full_shape=(rows * cols,), index=slice(e0, e0 + 9 * cols), **kw)
    np.testing.assert_array_equal(bits_of(a.reshape(-1)), bits_of(b))
    if dtype == "uint32":
        from philox_reference import stream_words

        np.testing.assert_array_equal(b, stream_words(77, 3, np.arange(e0, e0 + 9 * cols, dtype=np.uint64)))


# Views of shape (30, 40) into a larger or differently ordered base array:
# name -> (base shape, base memory order, how to take the view).
VIEWS = {
    "fortran": ((30, 40), "F", lambda b: b),
    "strided": ((60, 120), "C", lambda b: b[::2, ::3]),
    "negative": ((30, 40), "C", lambda b: b[::-1, ::-1]),
    "transposed": ((40, 30), "C", lambda b: b.T),
    "neg_strided_F": ((60, 50), "F", lambda b: b[::-2, 5:45]),
}


@pytest.mark.parametrize("name,params", FILLS, ids=FILL_IDS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("view", list(VIEWS))
def test_memory_layout_does_not_matter(name, params, dtype, view):
    ref = fill(name, params, (30, 40), seed=21, dtype=dtype)
    base_shape, order, take = VIEWS[view]
    base = np.full(base_shape, np.nan, dtype=ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype, order=order)
    v = take(base)  # the base holds NaN, which a fill never writes
    out = fill(name, params, v, seed=21)
    assert out is v
    np.testing.assert_array_equal(bits_of(np.ascontiguousarray(v)), bits_of(ref))
    # Exactly the view's elements were written, nothing around them.
    assert np.count_nonzero(~np.isnan(base.astype(np.float64))) == v.size


@pytest.mark.parametrize("dtype", DTYPES)
def test_zero_dim_and_empty(dtype):
    scalar = fastinit.normal((), seed=5, dtype=dtype)
    assert scalar.shape == ()
    assert bits_of(scalar.reshape(1)).tolist() == bits_of(fastinit.normal(1, seed=5, dtype=dtype)).tolist()
    empty = fastinit.uniform((0, 7), seed=5, dtype=dtype)
    assert empty.shape == (0, 7)


def test_same_seed_same_values_different_calls():
    a = fastinit.truncated_normal((123, 45), seed=1, stream="w")
    b = fastinit.truncated_normal(np.empty((123, 45), np.float32), seed=1, stream="w")
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("dtype", ["float32", "float16", "uint32"])
def test_large_fill_with_streaming_stores_equals_small_fills(dtype, large_stores):
    """Outputs of 32 MiB and more (plain or non-temporal stores) have the values of small fills
    of the same elements, including at an unaligned start."""
    n = (40 << 20) // np.dtype(np.uint32 if dtype == "uint32" else dtype).itemsize + 7
    fn = fastinit.random_bits if dtype == "uint32" else fastinit.normal
    kw = {} if dtype == "uint32" else {"dtype": dtype}
    raw = np.empty(n + 1, np.uint32 if dtype == "uint32" else dtype)
    whole = fn(raw[1:], seed=6, **kw) if dtype == "uint32" else fn(raw[1:], seed=6)
    for start in (0, 12_345, n // 2 + 3, n - 1000):
        part = fn(1000, seed=6, full_shape=(n,), index=slice(start, start + 1000), **kw)
        np.testing.assert_array_equal(bits_of(whole[start:start + 1000]), bits_of(part))


# Layouts whose memory order differs from element order take the tiled walk (cpp/fill.cpp):
# tiles of up to 64 (float64: 32) consecutive elements per row, edges, full-width tiles that are one
# range of indices, several threads, every SIMD path. base shape, memory order, view.
TILED_VIEWS = {
    "fortran_wide": ((70, 300), "F", lambda b: b),          # rows cross tile edges
    "fortran_narrow": ((3000, 3), "F", lambda b: b),        # a full-width tile is one index range
    "transposed": ((259, 130), "C", lambda b: b.T),
    "transposed_slice": ((300, 200), "C", lambda b: b.T[5:190:1, 7:290]),
    "strided_columns": ((130, 140), "F", lambda b: b[:, ::2]),  # m is not contiguous
    "permuted_3d": ((5, 40, 66), "C", lambda b: b.transpose(2, 0, 1)),
    "permuted_3d_b": ((33, 7, 70), "C", lambda b: b.transpose(1, 2, 0)),
    "fortran_3d_reversed": ((9, 70, 40), "F", lambda b: b[::-1, :, ::-1]),
    "unaligned_F": ((1 + 97 * 150,), "C", lambda b: b[1:].reshape(150, 97).T),
}


TILED_FILLS = [pytest.param(name, params, dtype, id=f"{fid}-{dtype}")
               for (name, params), fid in zip(FILLS, FILL_IDS) for dtype in DTYPES]
TILED_FILLS.append(pytest.param("random_bits", (), "uint32", id="bits-uint32"))


@pytest.mark.parametrize("name,params,dtype", TILED_FILLS)
@pytest.mark.parametrize("view", list(TILED_VIEWS))
def test_tiled_layouts_equal_c_order(name, params, dtype, view, restore_runtime):
    dt = np.dtype(ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype)
    base_shape, order, take = TILED_VIEWS[view]
    mask = np.zeros(base_shape, bool, order=order)
    take(mask)[...] = True
    ref = None
    for path in fastinit.simd_paths():
        fastinit.set_simd_path(path)
        for threads in (1, 3):
            fastinit.set_num_threads(threads)
            # A sentinel the fill never writes: NaN, or (uint32) all ones.
            base = np.full(base_shape, 2**32 - 1 if name == "random_bits" else np.nan, dtype=dt, order=order)
            v = take(base)
            if ref is None:
                ref = fill(name, params, v.shape, seed=31, stream=2, dtype=dt)
            assert fill(name, params, v, seed=31, stream=2) is v
            np.testing.assert_array_equal(bits_of(np.ascontiguousarray(v)), bits_of(ref), err_msg=f"{path} {threads}")
            outside = base[~mask]
            assert (outside == 2**32 - 1).all() if name == "random_bits" else np.isnan(outside.astype(np.float64)).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_tiled_layout_of_a_slice_of_a_larger_tensor(dtype, restore_runtime):
    """A Fortran-order out that holds a block of a bigger logical tensor: rows of a tile are
    separate index ranges (not one range), across tile edges, with threads."""
    full_shape, index = (400, 2, 333), (slice(17, 390), 1, slice(3, 300))
    whole = fastinit.normal(full_shape, 0.5, 2.0, seed=12, stream=4, dtype=dtype)
    for threads in (1, 2):
        fastinit.set_num_threads(threads)
        out = np.empty(whole[index].shape, whole.dtype, order="F")
        fastinit.normal(out, 0.5, 2.0, seed=12, stream=4, full_shape=full_shape, index=index)
        np.testing.assert_array_equal(bits_of(np.ascontiguousarray(out)), bits_of(np.ascontiguousarray(whole[index])))


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
def test_large_tiled_fill_with_streaming_stores(dtype):
    """An F-order output of 32 MiB and more writes its columns with non-temporal stores; the
    values are those of the C-order fill, including at an unaligned start."""
    rows = (36 << 20) // np.dtype(dtype).itemsize // 1024
    raw = np.empty(rows * 1024 + 1, dtype)
    for out in (raw[:-1].reshape(1024, rows).T, raw[1:].reshape(1024, rows).T):
        fastinit.uniform(out, seed=3)
        for r0 in (0, rows // 2 + 5, rows - 40):
            part = fastinit.uniform((40, 1024), seed=3, dtype=dtype, full_shape=(rows, 1024),
                                    index=(slice(r0, r0 + 40),))
            np.testing.assert_array_equal(bits_of(np.ascontiguousarray(out[r0:r0 + 40])), bits_of(part))


@pytest.mark.parametrize("dtype", ["float32", "float16", "float64"])
@pytest.mark.parametrize("start", [0, 16, 48])
def test_large_buffered_tiles_at_line_offsets(dtype, start, restore_runtime):
    """normal into an F-order output of 32 MiB and more whose columns all start `start` bytes into
    a 64-byte line: the buffered tiles write each column's whole lines at once with non-temporal
    stores, the first tile along m ends on a line (a short one when start is not 0), and the blocks
    of the last, short tile after its last line boundary go alone. The values are the C-order
    fill's, on 1 and 2 threads, and the memory around the output is untouched."""
    dt = np.dtype(dtype)
    m = 2112  # a column is 66 (float16) to 264 (float64) whole lines; the last tile along it is short
    n = -(-(33 << 20) // (m * dt.itemsize))
    whole = fastinit.normal((m, n), seed=9, stream=1, dtype=dtype)
    pad = 64 // dt.itemsize
    raw = np.full(m * n + 2 * pad, np.nan, dt)
    off = (start - raw.ctypes.data % 64) % 64 // dt.itemsize
    out = raw[off:off + m * n].reshape(n, m).T
    assert out.ctypes.data % 64 == start
    for threads in (1, 2):
        fastinit.set_num_threads(threads)
        fastinit.normal(out, seed=9, stream=1)
        np.testing.assert_array_equal(bits_of(np.ascontiguousarray(out)), bits_of(whole), err_msg=str(threads))
        assert np.isnan(raw[:off]).all() and np.isnan(raw[off + m * n:]).all()


@pytest.mark.parametrize("shape", [(2085, 4100), (4096, 2100), (4099, 4101)])
@pytest.mark.parametrize("start", [16, 17])
def test_large_bits_fill_in_fortran_order(shape, start, restore_runtime):
    """random_bits into an F-order output of 32 MiB and more (columns that start on 64-byte
    lines alike, or at different offsets in them; tiles of 2048 rows with a short last strip)
    gives the C-order fill's words on every SIMD path and leaves the memory around it alone."""
    n = shape[0] * shape[1]
    whole = fastinit.random_bits(shape, seed=5, stream="big")
    for path in fastinit.simd_paths():
        fastinit.set_simd_path(path)
        for threads in (1, 3):
            fastinit.set_num_threads(threads)
            raw = np.full(n + 64, 2**32 - 1, np.uint32)
            out = raw[start:start + n].reshape(shape[::-1]).T
            fastinit.random_bits(out, seed=5, stream="big")
            np.testing.assert_array_equal(out, whole, err_msg=f"{path} {threads}")
            assert (raw[:start] == 2**32 - 1).all() and (raw[start + n:] == 2**32 - 1).all()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("view", ["fortran", "transposed", "negative", "strided"])
def test_constant_in_memory_order(dtype, view):
    """constant/zeros/ones walk the memory in its own order and write exactly the view."""
    base_shape, order, take = VIEWS[view]
    dt = ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype
    base = np.full(base_shape, np.nan, dtype=dt, order=order)
    v = take(base)
    assert fastinit.constant(v, 0.375) is v
    assert (v.astype(np.float64) == 0.375).all()
    assert np.count_nonzero(~np.isnan(base.astype(np.float64))) == v.size


@pytest.mark.parametrize("fill", ["uniform", "normal"])
@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
def test_large_fill_with_unaligned_columns(fill, dtype):
    """An F-order output of more than 32 MiB whose columns start at different offsets in their
    64-byte lines (odd column length) takes the wide-tile paths; its values are the C-order fill's."""
    shape = (4099, 4101)  # 16.8 M elements: > 32 MiB in 2 bytes
    dt = ml_dtypes.bfloat16 if dtype == "bfloat16" else np.dtype(dtype)
    out = np.empty(shape, dt, order="F")
    getattr(fastinit, fill)(out, seed=11, stream="odd")
    whole = getattr(fastinit, fill)(shape, seed=11, stream="odd", dtype=dtype)
    np.testing.assert_array_equal(bits_of(np.ascontiguousarray(out)), bits_of(whole))
