"""kernels.block_words (the compiled core's block_words test hook): the Philox blocks of an
arbitrary list of 64-bit block numbers, vectorized across the list, equal the one-block function
on every SIMD path, for every list length (whole vector groups and each remainder)."""

import numpy as np
import pytest

import fastinit
from fastinit import _core

from philox_reference import philox4x32_10

SEEDS = [(0, 0), (2**64 - 1, 2**64 - 1), (0x0123456789ABCDEF, 0xFEDCBA9876543210), (7, 2**32)]
LENGTHS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 18, 19, 31, 32, 33, 100]


def _blocks(n: int, rng: np.random.Generator) -> np.ndarray:
    """n block numbers mixing small ones, ones above 2**32, ones near 2**64, and repeats."""
    kinds = [rng.integers(0, 2**20, n, dtype=np.uint64),
             rng.integers(2**32 - 8, 2**32 + 8, n, dtype=np.uint64),
             rng.integers(0, 2**64 - 1, n, dtype=np.uint64, endpoint=True),
             np.uint64(2**64 - 1) - rng.integers(0, 16, n, dtype=np.uint64)]
    pick = rng.integers(0, len(kinds), n)
    b = np.choose(pick, kinds).astype(np.uint64)
    if n > 3:
        b[n // 2] = b[0]  # a repeated block
    return b


def _reference(blocks: np.ndarray, seed: int, stream: int) -> np.ndarray:
    mask = np.uint64(0xFFFFFFFF)
    ctr = (blocks & mask, blocks >> np.uint64(32), np.full_like(blocks, stream & 0xFFFFFFFF),
           np.full_like(blocks, stream >> 32))
    out = philox4x32_10(ctr, (seed & 0xFFFFFFFF, seed >> 32))
    return np.stack(out, axis=-1).astype(np.uint32).reshape(-1)


@pytest.mark.parametrize("path", fastinit.simd_paths())
@pytest.mark.parametrize("seed,stream", SEEDS)
def test_block_words_match_reference(path, seed, stream, restore_runtime):
    fastinit.set_simd_path(path)
    rng = np.random.default_rng(seed ^ stream ^ 17)
    for n in LENGTHS:
        blocks = _blocks(n, rng)
        got = _core.block_words(blocks, seed, stream)
        assert got.dtype == np.uint32 and got.shape == (4 * n,)
        np.testing.assert_array_equal(got, _reference(blocks, seed, stream), err_msg=f"{path} n={n}")


@pytest.mark.parametrize("path", fastinit.simd_paths())
def test_block_words_match_core_block_function(path, restore_runtime):
    """Against the compiled one-block function (philox_block's Philox4x32-10), block by block."""
    fastinit.set_simd_path(path)
    seed, stream = 0x9E3779B97F4A7C15, 2**63 + 5
    blocks = np.array([0, 1, 2**32 - 1, 2**32, 2**33 + 3, 2**63, 2**64 - 2, 2**64 - 1, 5, 5, 12345678901234,
                       2**40 + 7, 3, 2**64 - 17, 99, 2**48, 1 << 62], dtype=np.uint64)
    got = _core.block_words(blocks, seed, stream)
    key = [seed & 0xFFFFFFFF, seed >> 32]
    for i, b in enumerate(blocks.tolist()):
        ctr = [b & 0xFFFFFFFF, b >> 32, stream & 0xFFFFFFFF, stream >> 32]
        assert got[4 * i:4 * i + 4].tolist() == list(_core.philox4x32_10(ctr, key)), (path, b)


def test_block_words_equal_stream_words():
    """Listed consecutive blocks give the stream's words, as random_bits writes them."""
    blocks = np.arange(1000, 1037, dtype=np.uint64)[::-1].copy()
    got = _core.block_words(blocks, 11, 22).reshape(-1, 4)[::-1].reshape(-1)
    np.testing.assert_array_equal(got, fastinit.random_bits(4 * 1037, seed=11, stream=22)[4000:])


def test_block_words_rejects_two_dimensional_blocks():
    with pytest.raises(ValueError, match="one-dimensional"):
        _core.block_words(np.zeros((2, 2), np.uint64), 0, 0)
