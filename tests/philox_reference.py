"""An independent NumPy implementation of stream version 1's words (docs/stream-v1.md §2-4), for tests.

Written from the design text and Random123's definition of Philox4x32-10, sharing no code with
the C++ core: word j of (seed, stream) is lane j % 4 of Philox4x32-10 applied to the counter
(b & 0xffffffff, b >> 32, stream & 0xffffffff, stream >> 32), b = j // 4, key (seed lo, seed hi).
"""

from __future__ import annotations

import numpy as np

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = np.uint64(0xFFFFFFFF)


def philox4x32_10(ctr, key):
    """Vectorized Philox4x32-10: ctr is 4 arrays (or ints) of 32-bit words, key 2 ints."""
    x0, x1, x2, x3 = (np.asarray(c, dtype=np.uint64) & MASK for c in ctr)
    k0, k1 = int(key[0]), int(key[1])
    for _ in range(10):
        p0 = np.uint64(M0) * x0
        p1 = np.uint64(M1) * x2
        x0, x1, x2, x3 = ((p1 >> np.uint64(32)) ^ x1 ^ np.uint64(k0), p1 & MASK,
                          (p0 >> np.uint64(32)) ^ x3 ^ np.uint64(k1), p0 & MASK)
        k0 = (k0 + W0) & 0xFFFFFFFF
        k1 = (k1 + W1) & 0xFFFFFFFF
    return x0, x1, x2, x3


def stream_words(seed: int, stream: int, j) -> np.ndarray:
    """Words j (an int array of word indices) of (seed, stream), as uint32."""
    j = np.asarray(j, dtype=np.uint64)
    b = j >> np.uint64(2)
    lane = (j & np.uint64(3)).astype(np.intp)
    ctr = (b & MASK, b >> np.uint64(32), np.full_like(b, stream & 0xFFFFFFFF), np.full_like(b, stream >> 32))
    out = np.stack(philox4x32_10(ctr, (seed & 0xFFFFFFFF, seed >> 32)), axis=-1)
    return np.take_along_axis(out, lane[..., None], axis=-1)[..., 0].astype(np.uint32)


def element_words64(seed: int, stream: int, e) -> np.ndarray:
    """float64 element e's 64-bit integer: word 2e low, word 2e+1 high."""
    e = np.asarray(e, dtype=np.uint64)
    lo = stream_words(seed, stream, e * np.uint64(2)).astype(np.uint64)
    hi = stream_words(seed, stream, e * np.uint64(2) + np.uint64(1)).astype(np.uint64)
    return lo | (hi << np.uint64(32))


def uniform01_f32(w: np.ndarray) -> np.ndarray:
    return ((w >> np.uint32(8)).astype(np.float64) * 2.0**-24).astype(np.float32)


def uniform01_f64(x: np.ndarray) -> np.ndarray:
    return (x >> np.uint64(11)).astype(np.float64) * 2.0**-53


def open01_f32(w: np.ndarray) -> np.ndarray:
    return ((2 * (w >> np.uint32(9)).astype(np.float64) + 1) * 2.0**-24)


def open01_f64(x: np.ndarray) -> np.ndarray:
    # 2*(x >> 12) + 1 has 53 bits: split to stay exact in float64
    k = (x >> np.uint64(12))
    return k.astype(np.float64) * 2.0**-52 + 2.0**-53
