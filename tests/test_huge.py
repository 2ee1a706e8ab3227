"""One real fill of more than 2**32 elements (float16, 8 GiB): its tail equals the reference
stream (tests/philox_reference.py) mapped through the same sampler, and a small fill of the same
slice. Needs ~9 GiB of free memory; takes a few seconds on 2 cores."""

import numpy as np
import pytest

import fastinit
from fastinit import _core

from philox_reference import stream_words

N = 2**32 + 3 * 2**20 + 5  # past 2**32, not a multiple of any tile or vector


def _available_gib() -> float:
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) / 2**20
    return 0.0


@pytest.mark.slow
def test_fill_of_more_than_2_pow_32_elements():
    if _available_gib() < 10:
        pytest.fail(f"needs ~10 GiB of free memory, {_available_gib():.1f} GiB available")
    out = np.empty(N, np.float16)
    fastinit.normal(out, mean=0.5, std=2.0, seed=99, stream="huge")
    tail = np.arange(N - 4096, N, dtype=np.uint64)
    words = stream_words(99, fastinit.stream_from_name("huge"), tail)
    want = np.empty(tail.size, np.float16)
    _core.transform_words(words, want, "float16", "normal", [0.5, 2.0])
    np.testing.assert_array_equal(out[-4096:].view(np.uint16), want.view(np.uint16))
    around = fastinit.normal(4096, 0.5, 2.0, seed=99, stream="huge", dtype="float16", full_shape=(N,),
                             index=slice(2**32 - 2048, 2**32 + 2048))
    np.testing.assert_array_equal(out[2**32 - 2048:2**32 + 2048].view(np.uint16), around.view(np.uint16))
