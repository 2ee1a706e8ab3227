"""``fastinit init`` never harms what it does not own: temporary files are never created through a
symbolic link, two runs on one table exclude each other (started together, or ``--force`` while
another writes), ``--force`` deletes nothing before the new settings are checked, a failed start
leaves nothing behind (so a retry is not told to resume), and ``--force`` overrides a damaged
record."""

import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest
from writer_gate import HeldRun

import fastinit
from fastinit.outofcore import TableError, lock_path, sidecar_path, write_table

SLOW = dict(os.environ, FASTINIT_DEBUG_CHUNK_SLEEP="0.05")
ARGS = ["--shape", "2000,500", "--init", "uniform", "--seed", "3", "--chunk-mb", "0.2", "--progress", "none"]


def cmd(*args):
    return [sys.executable, "-m", "fastinit", *map(str, args)]


def run(*args, **kw):
    return subprocess.run(cmd(*args), capture_output=True, text=True, timeout=120, **kw)


def one_line(r, code, *words):
    assert r.returncode == code, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def want():
    return fastinit.uniform((2000, 500), seed=3)


def test_symlinks_at_predictable_names_are_never_followed(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    path = tmp_path / "t.npy"
    (tmp_path / "t.npy.fastinit.json.tmp").symlink_to(victim)  # the old temporary name
    r = run("init", path, "--shape", "100,10", "--init", "uniform", "--seed", 0)
    assert r.returncode == 0, r.stderr
    assert victim.read_text() == "precious" and (tmp_path / "t.npy.fastinit.json.tmp").is_symlink()
    # a link at the lock's name: refused, the target untouched
    lock = pathlib.Path(lock_path(tmp_path / "u.npy"))
    lock.symlink_to(victim)
    one_line(run("init", tmp_path / "u.npy", "--shape", "10", "--init", "zeros"), 1, "symbolic link", str(lock))
    assert victim.read_text() == "precious" and not (tmp_path / "u.npy").exists()
    lock.unlink()
    # a link at the table's own name with --force: the link is replaced, not written through
    (tmp_path / "v.npy").symlink_to(victim)
    assert run("init", tmp_path / "v.npy", "--shape", "10", "--init", "zeros", "--force").returncode == 0
    assert victim.read_text() == "precious" and not (tmp_path / "v.npy").is_symlink()


@pytest.mark.multiprocess  # runs started together race for the lock
def test_two_runs_started_together_exclude_each_other(tmp_path):
    path = tmp_path / "t.npy"
    procs = [subprocess.Popen(cmd("init", path, *ARGS), env=SLOW, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    results = [(p.wait(timeout=120), p.communicate()[1]) for p in procs]
    codes = sorted(c for c, _ in results)
    assert codes[0] == 0 and all(c in (1, 2) for c in codes[1:]), results
    for code, err in results:
        if code == 1:  # lost the race for the lock
            assert "being written by another fastinit run" in err and len(err.strip().splitlines()) == 1, err
        elif code == 2:  # came after the winner: the table exists
            assert "already exists" in err or "incomplete" in err, err
    np.testing.assert_array_equal(np.load(path), want())
    assert sorted(os.listdir(tmp_path)) == ["t.npy"]


@pytest.mark.multiprocess  # a second run while the first writes
def test_force_while_another_run_writes_fails_and_harms_nothing(tmp_path):
    path = tmp_path / "t.npy"
    with HeldRun(cmd("init", path, *ARGS), tmp_path, path) as first:
        first.hold()  # the first run has written a chunk and waits, holding the table's lock
        ino = os.stat(path).st_ino
        for extra in (["--force"], ["--resume"], []):
            r = run("init", path, *ARGS, *extra)
            one_line(r, 1, "being written by another fastinit run", str(path))
            assert os.stat(path).st_ino == ino and first.proc.poll() is None
        code, out, err = first.finish()
    assert code == 0, err
    np.testing.assert_array_equal(np.load(path), want())
    assert run("verify", path, "--init", "uniform", "--seed", 3, "--all").returncode == 0


def test_force_deletes_nothing_before_the_settings_are_checked(tmp_path):
    path = tmp_path / "t.npy"
    assert run("init", path, "--shape", "10", "--init", "uniform", "--seed", 1).returncode == 0
    good = path.read_bytes()
    for bad in (["--init", "orthogonal", "--shape", "10", "--seed", 1],  # rank 1: only the fill itself finds out
                ["--init", "normal", "--std", "-1", "--shape", "10", "--seed", 1],
                ["--init", "zeros", "--shape", "9223372036854775807"]):
        r = run("init", path, *bad, "--force")
        one_line(r, 2, str(path) if "9223372036854775807" in bad else "")
        assert path.read_bytes() == good, bad
        assert sorted(os.listdir(tmp_path)) == ["t.npy"]


def test_failed_starts_leave_nothing_and_a_retry_just_works(tmp_path):
    path = tmp_path / "t.npy"
    # a directory where the table goes
    path.mkdir()
    one_line(run("init", path, "--shape", "10", "--init", "zeros", "--force"), 2, "is a directory")
    assert sorted(os.listdir(tmp_path)) == ["t.npy"] and path.is_dir()
    path.rmdir()

    # "File too large": a file size limit set by `ulimit -f` (in KiB) with SIGXFSZ ignored, in a shell
    # rather than a preexec_fn, which would fork this process (and run JAX's at-fork warning here)
    limited = ["bash", "-c", 'trap "" XFSZ; ulimit -f 1024; exec "$@"', "bash", *map(str, cmd("init", path, *ARGS))]
    r = subprocess.run(limited, capture_output=True, text=True, timeout=120)
    one_line(r, 1, str(path), "File too large")
    assert os.listdir(tmp_path) == []
    # zarr missing (hidden from this process)
    hide = ("import sys; sys.modules['zarr'] = None; from fastinit.cli import main; "
            f"sys.exit(main({['init', str(tmp_path / 't.zarr'), '--shape', '10', '--init', 'zeros']!r}))")
    r = subprocess.run([sys.executable, "-c", hide], capture_output=True, text=True, timeout=120)
    one_line(r, 2, "needs zarr")
    assert os.listdir(tmp_path) == []
    r = run("init", path, *ARGS)  # the retry is a plain run, not a --resume
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(path), want())


def test_force_overrides_a_damaged_record(tmp_path):
    path = tmp_path / "t.npy"
    side = pathlib.Path(sidecar_path(path))
    path.write_bytes(b"junk")
    side.write_text("{ not json")
    for extra in ([], ["--resume"]):
        one_line(run("init", path, "--shape", "10", "--init", "zeros", *extra), 1, str(side), "--force")
    assert run("init", path, "--shape", "10", "--init", "zeros", "--force").returncode == 0
    assert np.load(path).tolist() == [0.0] * 10 and not side.exists()


@pytest.mark.parametrize("gate", ["missing", "regular_file"])
def test_a_debug_gate_that_is_not_a_named_pipe_is_refused_before_anything_is_written(tmp_path, monkeypatch, gate):
    """FASTINIT_DEBUG_CHUNK_GATE is a testing aid: set to anything but a named pipe, the run stops
    before touching the disk (it used to write a chunk, then fail naming the gate as a table file)."""
    path = tmp_path / "gate"
    if gate == "regular_file":
        path.write_bytes(b"x")
    monkeypatch.setenv("FASTINIT_DEBUG_CHUNK_GATE", str(path))
    table = tmp_path / "t.npy"
    with pytest.raises(TableError, match="FASTINIT_DEBUG_CHUNK_GATE=.* is not a named pipe"):
        write_table(str(table), (200, 50), "uniform", seed=3, chunk_mb=0.01)
    assert sorted(p.name for p in tmp_path.iterdir()) == (["gate"] if gate == "regular_file" else [])
