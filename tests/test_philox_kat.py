"""Philox4x32-10 known answers (Random123's kat_vectors, copied with their source into tests/data/)
and the stream layout."""

import numpy as np
import pytest

import fastinit
from fastinit import _core

from conftest import DATA
from philox_reference import philox4x32_10, stream_words


def _kat_vectors():
    path = DATA / "philox4x32_10.txt"
    vectors = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 12 and parts[0] == "philox4x32" and parts[1] == "10":
            words = [int(p, 16) for p in parts[2:]]
            vectors.append((words[0:4], words[4:6], words[6:10]))
    return vectors


KAT = _kat_vectors()


def test_kat_file_has_three_vectors():
    assert len(KAT) == 3


@pytest.mark.parametrize("ctr,key,expected", KAT)
def test_core_block_function(ctr, key, expected):
    assert list(_core.philox4x32_10(ctr, key)) == expected


@pytest.mark.parametrize("ctr,key,expected", KAT)
def test_reference_block_function(ctr, key, expected):
    out = philox4x32_10([[c] for c in ctr], key)
    assert [int(o[0]) for o in out] == expected


def test_stream_layout_reaches_kat_block():
    """Words 0..3 of (seed=0, stream=0) are the all-zero KAT output (counter block 0), and the
    pi-digits vector's key and stream words, with its counter's block placed where a fill can
    reach it, agree with the reference on the stream layout."""
    ctr, key, expected = KAT[0]
    assert fastinit.random_bits(4, seed=0, stream=0).tolist() == expected
    ctr, key, expected = KAT[2]
    seed, stream = key[0] | key[1] << 32, ctr[2] | ctr[3] << 32
    b = ctr[0]  # block index below 2**32 so that 4b is a valid element index
    out = np.empty(4, np.uint32)
    fastinit.random_bits(out, seed=seed, stream=stream, full_shape=(4 * b + 4,), index=slice(4 * b, None))
    ref = philox4x32_10([[b], [0], [ctr[2]], [ctr[3]]], key)
    assert out.tolist() == [int(r[0]) for r in ref]


@pytest.mark.parametrize("path", fastinit.simd_paths())
@pytest.mark.parametrize("seed,stream,start", [(0, 0, 0), (2**64 - 1, 2**64 - 1, 3), (12345, 7, 2**32 - 5),
                                               (1 << 40, 99, 4 * (2**32 - 3) + 1)])
def test_random_bits_match_reference(path, seed, stream, start, restore_runtime):
    fastinit.set_simd_path(path)
    n = 1000
    out = np.empty(n, np.uint32)
    fastinit.random_bits(out, seed=seed, stream=stream, full_shape=(start + n,), index=slice(start, None))
    ref = stream_words(seed, stream, np.arange(start, start + n, dtype=np.uint64))
    np.testing.assert_array_equal(out, ref)


def test_named_stream_is_blake2b():
    import hashlib

    name = "encoder.layer.0.weight"
    want = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")
    assert fastinit.stream_from_name(name) == want
    a = fastinit.random_bits(16, seed=3, stream=name)
    b = fastinit.random_bits(16, seed=3, stream=want)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, stream_words(3, want, np.arange(16)))


def test_stream_version():
    assert fastinit.STREAM_VERSION == 1
