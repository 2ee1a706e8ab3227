"""A long fill stops within half a second of Ctrl-C with KeyboardInterrupt (the core checks for
signals between slabs of 8 M elements, with the GIL taken only for that check)."""

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent("""
    import os, signal, sys, threading, time
    import numpy as np
    import fastinit

    fastinit.set_simd_path("scalar")   # slow on purpose: the whole fill would take many seconds
    fastinit.set_num_threads(1)
    out = np.empty(400_000_000, np.float64)
    sent = {{}}

    def interrupt():
        time.sleep(0.5)
        sent["t"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=interrupt, daemon=True).start()
    t0 = time.perf_counter()
    try:
        fastinit.{call}
    except KeyboardInterrupt:
        now = time.perf_counter()
        print(f"interrupted {{now - sent['t']:.3f}} s after SIGINT, {{now - t0:.3f}} s into the fill")
        sys.exit(0)
    print(f"finished without interruption after {{time.perf_counter() - t0:.3f}} s")
    sys.exit(1)
""")


@pytest.mark.parametrize("call", ["normal(out, seed=1)", "truncated_normal(out, seed=1)"])
def test_ctrl_c_interrupts_a_long_fill(call):
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(call=call)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    latency = float(proc.stdout.split()[1])
    assert latency < 0.5, proc.stdout
