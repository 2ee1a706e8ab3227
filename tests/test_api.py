"""The public functions' behaviour: allocation vs in-place, dtypes, and clear errors for bad input
(never a crash, a silent copy or a partly written buffer)."""

import ml_dtypes
import numpy as np
import pytest

import fastinit

RANDOM_FILLS = [fastinit.uniform, fastinit.normal, fastinit.truncated_normal]


@pytest.mark.parametrize("fn", RANDOM_FILLS)
def test_fills_in_place_and_returns_out(fn):
    out = np.zeros((4, 5), np.float32)
    assert fn(out, seed=0) is out
    assert np.count_nonzero(out) == out.size


@pytest.mark.parametrize("fn", RANDOM_FILLS + [fastinit.zeros, fastinit.ones])
@pytest.mark.parametrize("dtype,expected", [(None, np.float32), ("float64", np.float64), (np.float16, np.float16),
                                            ("bfloat16", ml_dtypes.bfloat16)])
def test_allocates_from_shape(fn, dtype, expected):
    kw = {} if fn in (fastinit.zeros, fastinit.ones) else {"seed": 1}
    a = fn((3, 2), dtype=dtype, **kw)
    assert a.shape == (3, 2) and a.dtype == np.dtype(expected)
    b = fn(7, dtype=dtype, **kw)
    assert b.shape == (7,)


def test_random_bits_dtype():
    assert fastinit.random_bits(5, seed=0).dtype == np.uint32
    with pytest.raises(TypeError, match="dtype"):
        fastinit.random_bits(np.zeros(5, np.float32), seed=0)
    with pytest.raises(TypeError, match="dtype"):
        fastinit.random_bits(5, seed=0, dtype=np.int32)


def test_seed_none_draws_fresh_entropy():
    a = fastinit.random_bits(8, seed=None)
    b = fastinit.random_bits(8)
    assert not np.array_equal(a, b)


def test_constant_values_and_rounding():
    np.testing.assert_array_equal(fastinit.constant((2, 3), 0.1), np.full((2, 3), 0.1, np.float32))
    np.testing.assert_array_equal(fastinit.constant((2,), 0.1, dtype="float64"), [0.1, 0.1])
    bf = fastinit.constant((3,), 0.1, dtype="bfloat16")
    assert bf.dtype == ml_dtypes.bfloat16 and (bf == np.asarray(0.1, ml_dtypes.bfloat16)).all()
    np.testing.assert_array_equal(fastinit.zeros(np.full(4, 9.0)), np.zeros(4))
    np.testing.assert_array_equal(fastinit.ones(np.zeros((2, 2), np.float16)), np.ones((2, 2)))
    v = np.zeros((6, 8))[::2, ::-3]
    fastinit.constant(v, 2.5)
    assert (v == 2.5).all()


def test_constant_overflow_is_refused():
    with pytest.raises(ValueError, match="overflows float16"):
        fastinit.constant((2,), 1e5, dtype="float16")


@pytest.mark.parametrize("seed", [-1, 2**64])
def test_seed_out_of_range(seed):
    with pytest.raises(ValueError, match="seed must be in"):
        fastinit.normal(3, seed=seed)


@pytest.mark.parametrize("seed", [1.0, "1", True, [1]])
def test_seed_wrong_type(seed):
    with pytest.raises(TypeError, match="seed must be an int"):
        fastinit.normal(3, seed=seed)


@pytest.mark.parametrize("stream,exc", [(-1, ValueError), (2**64, ValueError), (1.5, TypeError), (b"x", TypeError)])
def test_bad_stream(stream, exc):
    with pytest.raises(exc, match="stream"):
        fastinit.uniform(3, seed=0, stream=stream)


def test_numpy_integer_seed_accepted():
    np.testing.assert_array_equal(fastinit.uniform(4, seed=np.uint64(2**63 + 1)), fastinit.uniform(4, seed=2**63 + 1))


@pytest.mark.parametrize("kwargs,match", [
    (dict(low=1.0, high=0.0), "low must be <= high"),
    (dict(low=float("nan")), "low must be finite"),
    (dict(high=float("inf")), "high must be finite"),
    (dict(low=-3e38, high=3e38), "overflows float32"),
])
def test_uniform_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fastinit.uniform(3, seed=0, **kwargs)


def test_uniform_float16_overflow_refused():
    with pytest.raises(ValueError, match="overflow float16"):
        fastinit.uniform(3, 0.0, 1e6, seed=0, dtype="float16")


@pytest.mark.parametrize("kwargs,match", [
    (dict(std=-1.0), "std must be >= 0"),
    (dict(mean=float("inf")), "mean must be finite"),
    (dict(std=float("nan")), "std must be finite"),
])
def test_normal_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fastinit.normal(3, seed=0, **kwargs)


def test_normal_float16_overflow_refused():
    with pytest.raises(ValueError, match="overflow float16"):
        fastinit.normal(3, 0.0, 20000.0, seed=0, dtype="float16")


@pytest.mark.parametrize("kwargs,match", [
    (dict(a=1.0, b=1.0), "a < b"),
    (dict(a=2.0, b=-2.0), "a < b"),
    (dict(a=float("nan")), "NaN"),
    (dict(a=40.0, b=41.0), "too small to sample"),
    (dict(a=-60.0, b=-50.0), "too small to sample"),
    (dict(std=-0.5), "std must be >= 0"),
])
def test_truncated_normal_bad_parameters(kwargs, match):
    with pytest.raises(ValueError, match=match):
        fastinit.truncated_normal(3, seed=0, **kwargs)


@pytest.mark.parametrize("fn", RANDOM_FILLS)
def test_zero_std_gives_mean(fn):
    if fn is fastinit.uniform:
        a = fn(10, 0.25, 0.25, seed=0)
    else:
        a = fn(10, 0.25, 0.0, seed=0)
    assert (a == np.float32(0.25)).all()


def test_parameter_types():
    with pytest.raises(TypeError, match="mean must be a real number"):
        fastinit.normal(3, "0", seed=0)
    with pytest.raises(TypeError, match="std must be a real number"):
        fastinit.normal(3, 0.0, None, seed=0)


def test_read_only_out_refused_and_untouched():
    a = np.zeros(5, np.float32)
    a.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        fastinit.normal(a, seed=0)
    assert (a == 0).all()


@pytest.mark.parametrize("dtype", [np.int32, np.clongdouble, np.uint16,
                                   np.float128 if hasattr(np, "float128") else np.int8])
def test_unsupported_dtype(dtype):
    with pytest.raises(TypeError, match="not supported"):
        fastinit.normal(np.zeros(3, dtype), seed=0)


def test_big_endian_refused():
    with pytest.raises(ValueError, match="native byte order"):
        fastinit.normal(np.zeros(3, ">f4"), seed=0)


@pytest.mark.parametrize("out", [[1.0, 2.0], "abc", 3.5, None])
def test_out_not_array_or_shape(out):
    with pytest.raises(TypeError):
        fastinit.normal(out, seed=0)


def test_list_is_a_shape_not_an_output():
    """A list is read as a shape; it is never filled (and never silently copied)."""
    a = fastinit.normal([2, 3], seed=0)
    assert a.shape == (2, 3)


@pytest.mark.parametrize("shape,exc", [((-1, 3), ValueError), ((2.0, 3), TypeError), ((True,), TypeError)])
def test_bad_shape(shape, exc):
    with pytest.raises(exc, match="shape"):
        fastinit.uniform(shape, seed=0)


def test_dtype_conflicts_with_out():
    with pytest.raises(TypeError, match="does not match"):
        fastinit.uniform(np.zeros(3, np.float32), seed=0, dtype="float64")


def test_unaligned_out_is_filled_correctly():
    raw = np.zeros(4 * 100 + 1, np.uint8)
    v = raw[1:].view(np.float32)
    assert not v.flags.aligned
    fastinit.normal(v, seed=3)
    np.testing.assert_array_equal(v, fastinit.normal(100, seed=3))


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(index=(slice(0, 2),)), ValueError, "index needs full_shape"),
    (dict(full_shape=(10, 4), index=(slice(0, 2),)), ValueError, "full\\[index\\] has shape"),
    (dict(full_shape=(10, 4), index=(slice(0, 6, 2),)), ValueError, "step-1"),
    (dict(full_shape=(10, 4), index=(1.5,)), TypeError, "ints or slices"),
    (dict(full_shape=(10, 4), index=(10,)), IndexError, "out of bounds"),
    (dict(full_shape=(10, 4), index=(0, 0, 0)), ValueError, "entries"),
    (dict(full_shape=(2**62, 4)), ValueError, "2\\*\\*63"),
])
def test_bad_full_shape_or_index(kwargs, exc, match):
    out = np.full((3, 4), -7.0, np.float32)
    with pytest.raises(exc, match=match):
        fastinit.normal(out, seed=0, **kwargs)
    assert (out == -7.0).all()


def test_negative_index_and_open_slices():
    whole = fastinit.uniform((10, 4), seed=2)
    part = fastinit.uniform((3, 4), seed=2, full_shape=(10, 4), index=(slice(-3, None),))
    np.testing.assert_array_equal(part, whole[-3:])
    row = fastinit.uniform((4,), seed=2, full_shape=(10, 4), index=-1)
    np.testing.assert_array_equal(row, whole[-1])


def test_threads_api(restore_runtime):
    fastinit.set_num_threads(1)
    assert fastinit.get_num_threads() == 1
    with pytest.raises(ValueError, match=">= 1"):
        fastinit.set_num_threads(0)
    with pytest.raises(TypeError):
        fastinit.set_num_threads(2.0)


def test_default_threads_honour_omp_num_threads():
    import os
    import subprocess
    import sys

    env = dict(os.environ, OMP_NUM_THREADS="3")
    out = subprocess.run([sys.executable, "-c", "import fastinit; print(fastinit.get_num_threads())"],
                         env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "3"


def test_simd_path_api(restore_runtime):
    paths = fastinit.simd_paths()
    assert paths[0] == "scalar"
    for p in paths:
        fastinit.set_simd_path(p)
        assert fastinit.simd_path() == p
    with pytest.raises(ValueError, match="not supported"):
        fastinit.set_simd_path("neon9000")
    fastinit.set_simd_path("auto")
    assert fastinit.simd_path() == paths[-1]


def test_bfloat16_through_raw_uint16_core_buffer():
    """The core takes a raw uint16 buffer with a format flag (for torch's bfloat16)."""
    from fastinit import _core

    raw = np.empty(1000, np.uint16)
    _core.fill_normal(raw, "bfloat16", 5, 0, [1], 0, 0.0, 1.0)
    np.testing.assert_array_equal(raw, fastinit.normal(1000, seed=5, dtype="bfloat16").view(np.uint16))


def test_core_refuses_non_arrays_and_mismatched_dtypes():
    from fastinit import _core

    with pytest.raises(TypeError, match="numpy.ndarray"):
        _core.fill_normal([0.0, 0.0], "float32", 0, 0, [1], 0, 0.0, 1.0)
    with pytest.raises(TypeError, match="does not hold"):
        _core.fill_normal(np.zeros(2), "float32", 0, 0, [1], 0, 0.0, 1.0)
    with pytest.raises(ValueError, match="logical_strides"):
        _core.fill_normal(np.zeros(2, np.float32), "float32", 0, 0, [1, 1], 0, 0.0, 1.0)
    with pytest.raises(ValueError, match="2\\*\\*63"):
        _core.fill_normal(np.zeros(2, np.float32), "float32", 0, 0, [2**63], 0, 0.0, 1.0)
