"""Promise (1) under random signals: a ``fastinit init`` killed with SIGKILL, or stopped with
SIGINT (once or twice), at a random moment -- while starting up, taking the lock, writing the
record, creating or reserving the table, mid-run, completing -- leaves either the complete table,
or a record from which ``--resume`` completes it bit for bit, or nothing new (after SIGKILL at
most an empty lock file and a record temporary, which the next run removes)."""

import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import fastinit
from fastinit.outofcore import lock_path, sidecar_path

ARGS = ["--shape", "600,500", "--init", "normal", "--std", "0.5", "--seed", "8", "--chunk-mb", "0.1",
        "--progress", "none"]
ENV = dict(os.environ, FASTINIT_DEBUG_CHUNK_SLEEP="0.03")


def cmd(*args):
    return [sys.executable, "-m", "fastinit", *map(str, args)]


def _leftovers(folder):
    return sorted(os.listdir(folder))


def _check_state(folder, path, killed):
    """The promise, for the state a stopped run left in ``folder``."""
    want = fastinit.normal((600, 500), std=0.5, seed=8)
    names = _leftovers(folder)
    if os.path.exists(sidecar_path(path)):
        r = subprocess.run(cmd("init", path, *ARGS, "--resume"), capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (names, r.stderr)
        np.testing.assert_array_equal(np.load(path), want)
    elif os.path.exists(path):
        np.testing.assert_array_equal(np.load(path), want)  # complete, or np.load would refuse it
        # Killed between putting the complete table in place and removing its lock file: the
        # empty lock file stays (it holds nothing; the next run on this table takes it over).
        lock = os.path.basename(lock_path(path))
        assert [n for n in _leftovers(folder) if not (killed and n == lock)] == ["t.npy"], _leftovers(folder)
        return
    else:
        allowed = {os.path.basename(lock_path(path))} if killed else set()
        stray = [n for n in names if n not in allowed and not (killed and n.endswith(".tmp"))]
        assert stray == [], names
        r = subprocess.run(cmd("init", path, *ARGS), capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, (names, r.stderr)  # a plain rerun works: nothing to resume
    assert _leftovers(folder) == ["t.npy"], _leftovers(folder)  # the next run cleaned up


def _duration(tmp_path):
    """Seconds one whole run takes here (start-up included): the signals fall within it."""
    t0 = time.monotonic()
    r = subprocess.run(cmd("init", tmp_path / "calibrate.npy", *ARGS), env=ENV, capture_output=True, timeout=120)
    assert r.returncode == 0
    os.remove(tmp_path / "calibrate.npy")
    return time.monotonic() - t0


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGKILL", "SIGINT", "SIGINT twice"])
def test_random_signals_keep_the_promise(tmp_path, how):
    rng = random.Random(f"fastinit-{how}")
    whole = _duration(tmp_path)
    for i in range(8):
        folder = tmp_path / f"run{i}"
        folder.mkdir()
        path = folder / "t.npy"
        p = subprocess.Popen(cmd("init", path, *ARGS), env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
        time.sleep(rng.uniform(0.4, 1.05) * whole)  # start-up (imports) is most of a run
        sig = signal.SIGKILL if how == "SIGKILL" else signal.SIGINT
        p.send_signal(sig)
        if how == "SIGINT twice":
            time.sleep(rng.uniform(0.0, 0.05))
            if p.poll() is None:
                p.send_signal(signal.SIGINT)
        out, err = p.communicate(timeout=120)
        if how != "SIGKILL":
            assert "Traceback" not in err or "KeyboardInterrupt" in err, err
        _check_state(folder, path, killed=how == "SIGKILL" or p.returncode < 0)
