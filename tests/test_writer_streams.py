"""Output that cannot be written, exit codes, and what ``verify`` promises to check: a closed or
full stdout/stderr never ends in a traceback and never turns a complete table into a failure
(init's exit code is about the table; list/info, whose output is their product, exit 1); a
truncated table is a data problem (exit 1, one line); ``verify`` always checks the first and
the last row, however small the sample."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fastinit
from fastinit import cli
from fastinit.outofcore import verify_table

INIT = ["--shape", "3000,20", "--init", "normal", "--seed", "1", "--chunk-mb", "0.01"]


def shell(line, tmp_path):
    """``line`` in bash with ``fastinit`` on PATH: (exit code, stderr)."""
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    r = subprocess.run(["bash", "-c", line], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    return r.returncode, r.stderr


@pytest.mark.parametrize("redirect", ["> /dev/full", ">&-", "2> /dev/full", "2>&-", "> /dev/full 2> /dev/full",
                                      ">&- 2>&-"])
def test_closed_or_full_output_never_fails_a_complete_table(tmp_path, redirect):
    code, err = shell(f"fastinit init t.npy {' '.join(INIT)} --progress lines --interval 0 {redirect}", tmp_path)
    assert code == 0 and "Traceback" not in err, err
    np.testing.assert_array_equal(np.load(tmp_path / "t.npy"), fastinit.normal((3000, 20), seed=1))
    if redirect == "> /dev/full":
        notes = [ln for ln in err.splitlines() if not ln.startswith("fastinit: ")]  # besides progress lines
        assert len(notes) == 1 and "could not print the summary" in notes[0], err
    assert sorted(os.listdir(tmp_path)) == ["t.npy"]
    code, err = shell(f"fastinit verify t.npy --init normal --seed 1 {redirect}", tmp_path)
    assert code == 0 and "Traceback" not in err, err  # the exit code is the verdict
    code, err = shell(f"fastinit verify t.npy --init normal --seed 2 {redirect}", tmp_path)
    assert code == 1 and "Traceback" not in err, err


def test_list_and_info_fail_when_their_output_cannot_be_written(tmp_path):
    for line in ("fastinit list > /dev/full", "fastinit info --size 1000 --repeat 1 > /dev/full"):
        code, err = shell(line, tmp_path)
        assert code == 1 and "Traceback" not in err and "stdout" in err, (line, err)


def test_truncated_table_is_a_data_problem(tmp_path, capsys):
    path = tmp_path / "t.npy"
    assert cli.main(["init", str(path), *INIT, "--progress", "none", "-q"]) == 0
    size = os.path.getsize(path)
    os.truncate(path, size - 1000)
    code = cli.main(["verify", str(path), "--init", "normal", "--seed", "1"])
    _, err = capsys.readouterr()
    assert code == 1 and "truncated" in err and str(path) in err and len(err.splitlines()) == 1, err
    with open(path, "ab") as f:
        f.write(b"\0" * 2000)  # now too long
    code = cli.main(["verify", str(path), "--init", "normal", "--seed", "1"])
    _, err = capsys.readouterr()
    assert code == 1 and "bytes beyond its data" in err, err


def _flip(path, row, n_cols, itemsize, col=3):
    data_offset = os.path.getsize(path) - 3000 * n_cols * itemsize
    with open(path, "r+b") as f:
        f.seek(data_offset + (row * n_cols + col) * itemsize)
        b = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([b[0] ^ 0x40]))


def test_verify_always_checks_the_first_and_the_last_row(tmp_path):
    path = tmp_path / "t.npy"
    assert cli.main(["init", str(path), *INIT, "--progress", "none", "-q"]) == 0
    n_rows, sample_seed = 3000, 0
    # the random part of a 1-row sample is neither the first nor the last row: only the rule
    # "always the first and the last" can find these corruptions
    drawn = np.random.default_rng(sample_seed).integers(0, n_rows, size=1).tolist()
    assert 0 not in drawn and n_rows - 1 not in drawn
    for row in (0, n_rows - 1):
        _flip(path, row, 20, 4)
        res = verify_table(path, "normal", seed=1, rows=1, sample_seed=sample_seed)
        assert not res.ok and res.first_mismatch[0] == (row, 3), res.message
        assert res.checked_rows <= 3 and res.checked_rows < n_rows  # the sampling branch ran
        _flip(path, row, 20, 4)  # restore
        assert verify_table(path, "normal", seed=1, rows=1, sample_seed=sample_seed).ok
