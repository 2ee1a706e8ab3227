"""The resume record under abuse, and the command it prints: impossible sizes end in one line
(no traceback, no giant allocation); a record with a missing, mistyped or out-of-range field, or
one that claims more than the table holds, is refused naming the file; the printed resume
command, pasted into a shell, resumes exactly (axes tuples, stream names that look like numbers
or start with ``-``, paths with spaces), also after the table and its record were moved."""

import json
import os
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import fastinit
from fastinit import cli
from fastinit.outofcore import sidecar_path, write_table

PATH_ENV = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])


def call(capsys, *args):
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


class _StopAfter:
    """A progress stream that interrupts the run (as Ctrl-C would) after ``n`` lines."""

    def __init__(self, n):
        self.n = n

    def write(self, text):
        self.n -= 1
        if self.n < 0:
            raise KeyboardInterrupt

    def flush(self):
        pass


def interrupted(path, shape, init, **kw):
    """A table stopped part way, its record kept."""
    with pytest.raises(KeyboardInterrupt):
        write_table(path, shape, init, chunk_mb=0.01, progress="lines", progress_interval=0,
                    progress_stream=_StopAfter(3), **kw)
    rec = json.loads(pathlib.Path(sidecar_path(path)).read_text())
    assert 0 < rec["elements_done"] < rec["elements_total"]
    return rec


def printed_resume_command(path):
    """The command ``fastinit verify`` tells the user to run, as printed."""
    r = subprocess.run(["fastinit", "verify", str(path), "--init", "zeros"], capture_output=True, text=True,
                       env=PATH_ENV, timeout=120)
    assert r.returncode == 1 and "INCOMPLETE" in r.stdout, r.stdout + r.stderr
    line = r.stdout.strip().splitlines()[-1].strip()
    assert line.startswith("fastinit init ") and line.endswith(" --resume")
    return line


def paste(command, cwd):
    return subprocess.run(["bash", "-c", command], capture_output=True, text=True, env=PATH_ENV, cwd=cwd,
                          timeout=120)


@pytest.mark.parametrize("stream", ["12", "-emb", "0x1f", "a b=c", 7])
def test_printed_resume_command_round_trips(tmp_path, stream):
    path = tmp_path / "dir with space" / "t.npy"
    path.parent.mkdir()
    shape = (400, 30, 5)
    interrupted(path, shape, "he_normal", seed=2, stream=stream, dtype="float16", in_axis=(0,), out_axis=(1,))
    r = paste(printed_resume_command(path), tmp_path)
    assert r.returncode == 0, r.stderr
    want = fastinit.he_normal(shape, seed=2, stream=stream, dtype="float16", in_axis=(0,), out_axis=(1,))
    np.testing.assert_array_equal(np.load(path).view(np.uint16), want.view(np.uint16))


def test_a_moved_and_renamed_table_resumes(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    interrupted(a / "t.npy", (300, 40), "normal", seed=1, std=0.5)
    os.rename(a / "t.npy", b / "-u.npy")
    os.rename(sidecar_path(a / "t.npy"), sidecar_path(b / "-u.npy"))
    r = paste(printed_resume_command(b / "-u.npy"), b)
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(np.load(b / "-u.npy"), fastinit.normal((300, 40), seed=1, std=0.5))
    assert sorted(os.listdir(b)) == ["-u.npy"]


def test_impossible_sizes_end_in_one_line(tmp_path, capsys):
    for shape in ("9223372036854775807", "4611686018427387904,4", "100000000000,100000000000"):
        code, _, err = call(capsys, "init", tmp_path / "t.npy", "--shape", shape, "--init", "zeros")
        assert code == 2 and "larger than any file" in err and len(err.splitlines()) == 1, err
    assert os.listdir(tmp_path) == []
    pytest.importorskip("zarr")
    # a huge memory budget for a small table allocates the table, not the budget
    code, _, err = call(capsys, "init", tmp_path / "t.zarr", "--shape", "100,10", "--init", "uniform", "--seed", 0,
                        "--chunk-mb", 1000000, "--zarr-chunk-mb", 1000000, "--progress", "none")
    assert code == 0, err
    code, out, _ = call(capsys, "verify", tmp_path / "t.zarr", "--init", "uniform", "--seed", 0, "--all")
    assert code == 0 and "MATCH" in out


def _edit(side, fn):
    rec = json.loads(side.read_text())
    fn(rec)
    side.write_text(json.dumps(rec))


@pytest.mark.parametrize("edit,words", [
    (lambda r: r["stats"].pop("s1"), ["stats.s1"]),
    (lambda r: r["stats"].update(count="many"), ["stats.count"]),
    (lambda r: r.update(elements_done=r["elements_total"]), ["does not hold them"]),
    (lambda r: r.update(elements_done=min(r["elements_done"] + 500, r["elements_total"] - 1)), ["does not hold them"]),
    (lambda r: r.update(elements_done="12"), ["elements_done must be an int"]),
    (lambda r: r.update(elements_done=1.5), ["elements_done must be an int"]),
    (lambda r: r.update(elements_done=True), ["elements_done must be an int"]),
    (lambda r: r.update(elements_done=-1), ["elements_done -1 is not in"]),
    (lambda r: r.update(seed="0"), ["seed must be an int"]),
    (lambda r: r.update(shape=[300, "40"]), ["shape must be a list"]),
    (lambda r: r.update(elements_total=7), ["elements_total"]),
    (lambda r: r.update(zarr_chunk_rows=None), ["zarr_chunk_rows"]),
    (lambda r: r.update(params=[]), ["params must be a dict"]),
])
def test_a_damaged_record_is_refused_naming_the_file(tmp_path, capsys, edit, words):
    path = tmp_path / "t.npy"
    interrupted(path, (300, 40), "uniform", seed=5)
    side = pathlib.Path(sidecar_path(path))
    _edit(side, edit)
    argv = ["init", path, "--shape", "300,40", "--init", "uniform", "--seed", 5, "--progress", "none"]
    code, _, err = call(capsys, *argv, "--resume")
    assert code == 1 and str(side) in err and len(err.splitlines()) == 1 and "--force" in err, err
    for w in words:
        assert w in err, err
    code, out, _ = call(capsys, *argv, "--force")  # and --force starts over
    assert code == 0
    np.testing.assert_array_equal(np.load(path), fastinit.uniform((300, 40), seed=5))
