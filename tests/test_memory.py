"""Fills allocate nothing proportional to the tensor: peak RSS of a process filling a 1 GiB
array (contiguous, strided, float64, bfloat16) grows by a few MB at most, and tracemalloc sees
no Python-side allocation of that size."""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import resource, tracemalloc
    import numpy as np
    import fastinit

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    base = np.ones(1 << 28, np.float32)  # 1 GiB, every page touched
    fastinit.normal(np.empty(16, np.float32), seed=0)  # warm up: threads, code paths
    before = peak_mb()
    tracemalloc.start()
    fastinit.normal(base, seed=1)                                   # contiguous, streaming stores
    fastinit.uniform(base[::3], seed=2)                             # strided
    fastinit.truncated_normal(base.reshape(1 << 14, 1 << 14).T, seed=3)  # transposed
    fastinit.normal(base.view(np.float64), seed=4)                  # float64
    import ml_dtypes
    fastinit.normal(base.view(ml_dtypes.bfloat16), seed=6)          # bfloat16
    fastinit.constant(base, 0.5)
    _, traced_peak = tracemalloc.get_traced_memory()
    print(peak_mb() - before, traced_peak / 2**20)
""")


@pytest.mark.slow  # fills of a 1 GiB array in every dtype and layout, under tracemalloc
def test_no_allocation_proportional_to_the_tensor():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    rss_growth_mb, traced_mb = map(float, proc.stdout.split())
    assert rss_growth_mb < 32, f"peak RSS grew by {rss_growth_mb:.1f} MB while filling 1 GiB"
    assert traced_mb < 1, f"tracemalloc saw {traced_mb:.1f} MB of Python allocations"
