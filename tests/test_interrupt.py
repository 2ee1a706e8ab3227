"""A long fill stops after Ctrl-C, with KeyboardInterrupt (the calling thread checks for signals
about every 8 M elements, with the GIL taken only for that check; on several threads it checks
between its chunks while the others keep claiming theirs). The signal is sent
once the fill has written its first values (an event); the test checks that the fill stopped
before its end, not how soon (no timing assertions in tests)."""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import os, signal, sys, threading, time
    # Python installs its Ctrl-C handler only when SIGINT is not ignored at start, and a shell's
    # `cmd &` (nohup, CI runners) starts us with it ignored: install it here.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    import numpy as np
    import fastinit

    fastinit.set_simd_path("scalar")   # slow on purpose: the whole fill takes many slabs
    fastinit.set_num_threads({threads})
    out = np.zeros(400_000_000, np.float64)  # pages are mapped as the fill writes them

    def interrupt():
        while out[0] == 0:  # the event: the fill has written its first values (seed 1: out[0] != 0)
            time.sleep(0.001)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    try:
        fastinit.{call}
    except KeyboardInterrupt:
        done = np.flatnonzero(out[::1_000_000]).size
        print(f"interrupted {{out[-1] == 0}} after about {{done}} of 400 M elements")
        sys.exit(0)
    print("finished without interruption")
    sys.exit(1)
""")


# The child sends itself SIGINT with os.kill, which Windows does not deliver as a signal.
pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="os.kill cannot deliver SIGINT on Windows")


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("call", ["normal(out, seed=1)", "truncated_normal(out, seed=1)"])
def test_ctrl_c_interrupts_a_long_fill(call, threads):
    """SIGINT once the fill is writing: KeyboardInterrupt, with the end of ``out`` unwritten, on
    the calling thread alone and with a pool thread."""
    script = SCRIPT.format(call=call, threads=threads)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("interrupted True "), proc.stdout
