"""Fills work in a child forked after the parent ran parallel fills (the parent's pool threads do
not survive fork, and the pool's lock may be copied held; the core then fills on the child's own
thread), with the same values."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import os, sys
    import numpy as np
    import fastinit

    fastinit.set_num_threads(2)
    parent = fastinit.normal(5_000_000, seed=1)  # uses the pool threads
    pid = os.fork()
    if pid == 0:
        child = fastinit.normal(5_000_000, seed=1)
        os._exit(0 if np.array_equal(parent, child) else 3)
    _, status = os.waitpid(pid, 0)
    sys.exit(os.waitstatus_to_exitcode(status))
""")


def test_fill_in_forked_child_after_parallel_fill():
    # A hang (the failure this guards against) ends at the timeout and fails the test.
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_multiprocessing_fork_pool_workers():
    code = textwrap.dedent("""
        import multiprocessing as mp
        import numpy as np
        import fastinit

        def rows(r):
            return fastinit.normal((1000, 64), seed=3, full_shape=(4000, 64),
                                   index=(slice(1000 * r, 1000 * (r + 1)),))

        if __name__ == "__main__":
            whole = fastinit.normal((4000, 64), seed=3)
            with mp.get_context("fork").Pool(2) as pool:
                parts = pool.map(rows, range(4))
            assert np.array_equal(np.concatenate(parts), whole)
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
