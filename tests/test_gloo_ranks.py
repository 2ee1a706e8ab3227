"""tests/gloo_ranks.py's rule for worlds of processes: one more run only after a rank was killed by
a signal, and a warning that shows the crash. Fake workers (no torch), each run counted in a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from gloo_ranks import run_ranks

# A worker that appends its rank to runs.txt and then does what `BEHAVIOUR` says for the run number
# (how many lines its own rank had written before: the other rank's lines may come before or after
# its own within a run): "ok", "segv" (rank 1 kills itself) or "fail" (exit 1).
WORKER = """
import os, pathlib, signal, sys
runs = pathlib.Path(__file__).with_name("runs.txt")
rank = os.environ["RANK"]
run = runs.read_text().splitlines().count(rank) if runs.exists() else 0
with runs.open("a") as f:
    f.write(rank + "\\n")
what = {behaviour!r}[min(run, {last})]
if what == "segv" and rank == "1":
    os.kill(os.getpid(), signal.SIGSEGV)
if what == "fail" and rank == "1":
    sys.exit(1)
print("rank", rank, "done")
"""


def _worker(tmp_path: Path, behaviour: list[str]) -> Path:
    path = tmp_path / "worker.py"
    path.write_text(WORKER.format(behaviour=behaviour, last=len(behaviour) - 1))
    return path


def _runs(tmp_path: Path) -> int:
    return (tmp_path / "runs.txt").read_text().splitlines().count("0")


def test_a_world_killed_by_a_signal_once_runs_again_and_warns(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="rank 1 of 2 was killed by signal 11; the world ran again"):
        outputs = run_ranks(_worker(tmp_path, ["segv", "ok"]), 2)
    assert outputs == ["rank 0 done\n", "rank 1 done\n"] and _runs(tmp_path) == 2


def test_a_world_killed_twice_fails(tmp_path: Path) -> None:
    with pytest.warns(UserWarning, match="killed by signal"), pytest.raises(AssertionError, match="exit code -11"):
        run_ranks(_worker(tmp_path, ["segv", "segv"]), 2)
    assert _runs(tmp_path) == 2


def test_a_failed_check_fails_at_once(tmp_path: Path) -> None:
    with pytest.raises(AssertionError, match="rank 1 of 2 failed \\(exit code 1\\)"):
        run_ranks(_worker(tmp_path, ["fail", "ok"]), 2)
    assert _runs(tmp_path) == 1
