"""Throughput of fastinit.fingerprint against reading and writing the same bytes once
(np.copyto, a memcpy) and the out.fill roofline, float32/64/16 and bfloat16, on all threads and on
one thread (process time: CPU seconds of this process, so other work on the machine counts less).
See conftest.py for options (--quick: small sizes, 2 rounds)."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import fastinit
from fastinit.core.dtypes import FLOAT_DTYPES

from conftest import median_seconds, record

FULL_SIZES = [1 << 20, 16 << 20, 256 << 20]
QUICK_SIZES = [1 << 20, 16 << 20]


def pytest_generate_tests(metafunc):
    if "nbytes" in metafunc.fixturenames:
        sizes = QUICK_SIZES if metafunc.config.getoption("--quick") else FULL_SIZES
        metafunc.parametrize("nbytes", sizes, ids=[f"{b >> 20}MB" for b in sizes])


def _process_seconds(fn, rounds: int) -> float:
    """Median CPU time of this process for one call of fn."""
    times = []
    for _ in range(rounds):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return sorted(times)[len(times) // 2]


@pytest.mark.parametrize("threads", ["all", "1"])
@pytest.mark.parametrize("dtype", list(FLOAT_DTYPES))
def test_fingerprint_vs_memcpy(dtype, threads, nbytes, rounds):
    dt = FLOAT_DTYPES[dtype]
    a = np.empty(nbytes // dt.itemsize, dt)
    fastinit.uniform(a, seed=1)
    raw = a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[dt.itemsize])
    b = np.empty_like(raw)
    n_threads = (os.cpu_count() or 1) if threads == "all" else 1
    before = fastinit.get_num_threads()
    fastinit.set_num_threads(n_threads)
    try:
        timer = median_seconds if threads == "all" else _process_seconds
        label = "fingerprint" if threads == "all" else "fingerprint 1T cputime"
        digest = fastinit.fingerprint(a)
        record(label, dtype, a.size, dt.itemsize, "fastinit", timer(lambda: fastinit.fingerprint(a), rounds))
        record(label, dtype, a.size, dt.itemsize, "memcpy", timer(lambda: np.copyto(b, raw), rounds))
        if threads == "all":
            record("(roofline)", dtype, a.size, dt.itemsize, "out.fill", timer(lambda: b.fill(1), rounds))
    finally:
        fastinit.set_num_threads(before)
    assert fastinit.fingerprint(a) == digest != 0  # what was timed is deterministic
