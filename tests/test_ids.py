"""The one rule for ID arrays (fastinit.core.ids): lists and object arrays that mix Python ints and
NumPy integer scalars of any type are read exactly by every entry point that takes IDs (index
arrays, fastinit.rows, hashed_row_ids, fingerprint); floats and booleans are refused. Expected
values come from NumPy indexing of a whole fill, never from the code under test."""

import numpy as np
import pytest

import fastinit
from fastinit.core.ids import first_outside, int_ids

SEED = 11
FULL = (10, 3)
# NumPy makes this list float64 (it has no integer type for uint64 and int64 together).
MIXED = [np.uint64(3), np.int64(1), 7, np.int8(-1), np.uint16(0)]
PLAIN = [3, 1, 7, 9, 0]  # the same positions, negatives resolved


def _whole():
    return fastinit.normal(FULL, seed=SEED)


@pytest.mark.parametrize("ids", [MIXED, tuple(MIXED), np.array(MIXED, dtype=object), np.array(PLAIN, dtype=object)],
                         ids=["list", "tuple", "object_array", "object_array_of_ints"])
def test_an_index_array_of_mixed_integer_scalars_is_read_exactly(ids):
    assert np.asarray(MIXED).dtype.kind == "f"  # what the rule must not rely on
    got = fastinit.normal((5, 3), seed=SEED, full_shape=FULL, index=(ids,))
    np.testing.assert_array_equal(got, _whole()[PLAIN])


def test_mixed_index_arrays_work_inside_map_and_list():
    """A bare StopIteration used to end the map silently: [] instead of one result."""
    results = list(map(lambda ids: fastinit.normal((5, 3), seed=SEED, full_shape=FULL, index=(ids,)), [MIXED]))
    assert len(results) == 1
    np.testing.assert_array_equal(results[0], _whole()[PLAIN])


def test_uint64_ids_up_to_2_64_minus_1_in_mixed_lists_are_exact():
    a = int_ids([np.uint64(2**64 - 1), np.int64(5), 2**63], "ids")
    assert a.dtype == np.uint64 and a.tolist() == [2**64 - 1, 5, 2**63]
    b = int_ids([np.uint64(2**64 - 1), np.int64(-1)], "ids")  # no 64-bit type holds both
    assert b.dtype == object and b.tolist() == [2**64 - 1, -1]
    assert first_outside(b, -(1 << 63), 1 << 63) == 2**64 - 1
    assert int_ids([np.int64(-(2**63)), 2**63 - 1], "ids").tolist() == [-(2**63), 2**63 - 1]


@pytest.mark.parametrize("bad,word", [([3.0, 1], "float"), ([np.float64(3), 1], "float64"), ([1, True], "bool"),
                                      ([1, np.True_], "bool"), (["1", 2], "str"), ([1, None], "NoneType"),
                                      (np.array([1, 2.0], object), "float")])
def test_floats_and_booleans_in_an_id_list_are_refused_naming_index(bad, word):
    out = np.full((2, 3), -7.0, np.float32)
    with pytest.raises(TypeError) as info:
        fastinit.normal(out, seed=SEED, full_shape=FULL, index=(bad,))
    assert "index on axis 0" in str(info.value) and word in str(info.value)
    assert (out == -7.0).all()


def test_rows_takes_mixed_ids_as_hashed_does():
    got = fastinit.rows("normal", [np.uint64(3), np.int64(1)], 3, seed=SEED, stream=0, num_rows=10)
    np.testing.assert_array_equal(got, _whole()[[3, 1]])
    hashed = fastinit.rows("normal", [np.uint64(3), np.int64(1)], 3, seed=SEED, stream=0, hashed=True)
    np.testing.assert_array_equal(hashed, fastinit.rows("normal", [3, 1], 3, seed=SEED, stream=0))


def test_hashed_ids_mixed_signs_are_their_twos_complement_bits():
    mixed = [np.uint64(2**64 - 1), np.int64(-1), -(2**63), np.uint64(2**63)]
    rows = fastinit.rows("uniform", mixed, 4, seed=SEED, stream=2, hashed=True)
    np.testing.assert_array_equal(rows[0], rows[1])
    np.testing.assert_array_equal(rows[2], rows[3])
    streams, row_ids = fastinit.hashed_row_ids(mixed, 4, stream=2)
    ref_streams, ref_rows = fastinit.hashed_row_ids(np.array([2**64 - 1] * 2 + [2**63] * 2, np.uint64), 4, stream=2)
    np.testing.assert_array_equal(streams, ref_streams)
    np.testing.assert_array_equal(row_ids, ref_rows)


def test_fingerprint_index_takes_mixed_ids():
    whole = _whole()
    part = whole[[3, 1]]
    mixed = fastinit.fingerprint(part, full_shape=FULL, index=([np.uint64(3), np.int64(1)],))
    assert mixed == fastinit.fingerprint(part, full_shape=FULL, index=(np.array([3, 1]),))
    assert mixed != fastinit.fingerprint(part, full_shape=FULL, index=(np.array([1, 3]),))


def test_hashed_rows_over_two_streams_refuse_a_zero_stride_out():
    ids = [1, 2**63]  # two high parts: two streams
    assert len(set(fastinit.hashed_row_ids(ids, 6, stream=0)[0].tolist())) == 2
    base = np.full(6, -7.0, np.float32)
    out = np.lib.stride_tricks.as_strided(base, (2, 6), (0, 4))
    with pytest.raises(ValueError, match="overlap"):
        fastinit.rows("normal", ids, 6, seed=SEED, stream=0, hashed=True, out=out)
    assert (base == -7.0).all()


@pytest.mark.parametrize("dim", [2**62, 2**63 - 1])
def test_hashed_rows_name_dim_beyond_2_62(dim):
    with pytest.raises(ValueError, match="dim < 2\\*\\*62"):
        fastinit.hashed_row_ids([1, 2], dim, stream=0)
    with pytest.raises(ValueError, match="dim < 2\\*\\*62"):
        fastinit.rows("normal", [1], dim, seed=SEED, stream=0, hashed=True)



@pytest.mark.parametrize(("dim", "dtype"), [(2**62, "complex64"), (2**63 - 1, "complex128"), (2**63, "float32")])
def test_rows_name_a_dim_no_row_of_which_fits(dim, dtype):
    """No row of dim elements fits below 2**63 stream elements: a ValueError naming dim, not an
    IndexError about a table of 0 rows."""
    with pytest.raises(ValueError, match=f"dim={dim} is too large"):
        fastinit.rows("normal", [0], dim, seed=SEED, stream=0, dtype=dtype)

def test_hashed_row_ids_at_the_largest_dim():
    """dim = 2**62 - 1: b = 0 row bits, so every ID is row 0 of its own stream (the table's for 0)."""
    streams, rows = fastinit.hashed_row_ids([0, 1, 2**64 - 1], 2**62 - 1, stream=5)
    assert rows.tolist() == [0, 0, 0]
    assert int(streams[0]) == 5 and len(set(streams.tolist())) == 3


class _ArrayLike:
    """An integer array known to NumPy only through __array__ (as JAX's and other libraries' are),
    whose items, if it had any, would not be Python or NumPy integer scalars."""

    def __init__(self, values):
        self.values = np.asarray(values)

    def __array__(self, dtype=None, copy=None):
        return self.values if dtype is None else self.values.astype(dtype)


def test_integer_array_likes_are_ids_as_numpy_reads_them():
    """An array NumPy reads as integers is taken as such (item scans are for lists and tuples)."""
    got = fastinit.rows("normal", _ArrayLike([3, 1]), 3, seed=SEED, stream=0, num_rows=10)
    np.testing.assert_array_equal(got, _whole()[[3, 1]])
    assert int_ids(_ArrayLike(np.array([2**64 - 1], np.uint64)), "ids").tolist() == [2**64 - 1]
    with pytest.raises(TypeError, match="ids must contain ints, got an array of dtype float64"):
        fastinit.rows("normal", _ArrayLike([3.0, 1.0]), 3, seed=SEED, stream=0, num_rows=10)
