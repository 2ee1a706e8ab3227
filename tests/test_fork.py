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


def test_fork_while_another_thread_fills():
    """fork() while a parallel fill runs on another thread (the pool's lock and threads busy in the
    parent): the child's fills run on its own thread and complete with the right values."""
    code = textwrap.dedent("""
        import os, sys, threading
        import numpy as np
        import fastinit

        fastinit.set_num_threads(2)
        want = fastinit.normal(200_000, seed=4)
        stop = threading.Event()
        started = threading.Event()

        def fill_forever():
            a = np.empty(4_000_000, np.float32)
            while not stop.is_set():
                fastinit.uniform(a, seed=1)
                started.set()

        t = threading.Thread(target=fill_forever)
        t.start()
        started.wait()
        bad = 0
        for _ in range(20):
            pid = os.fork()
            if pid == 0:
                os._exit(0 if np.array_equal(fastinit.normal(200_000, seed=4), want) else 3)
            _, status = os.waitpid(pid, 0)
            bad += os.waitstatus_to_exitcode(status) != 0
        stop.set()
        t.join()
        sys.exit(1 if bad else 0)
    """)
    # A hang (a child waiting for the parent's pool) ends at the timeout and fails the test.
    proc = subprocess.run([sys.executable, "-W", "ignore::DeprecationWarning", "-c", code], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
