"""``fastinit init`` on a full disk, on real small file systems mounted inside the test: an ext2
image (no ``fallocate``: the writer must not write through a memory map, or a full disk kills it
with SIGBUS) and a tmpfs (``fallocate``: the reservation fails, must give its blocks back and say
the true free space). Also a resume whose table was copied sparse (its blocks no longer
reserved) onto a full disk. Each time: exit 1, one line naming the file and the cause, and a
state from which the same command (or ``--resume``) completes the table bit for bit."""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys

import numpy as np
import pytest
from writer_gate import HeldRun

import fastinit
from fastinit.outofcore import sidecar_path

SHAPE = (2500, 250)  # 2.5 MB of float32
ARGS = ["--shape", "2500,250", "--init", "normal", "--std", "0.02", "--seed", "4", "--chunk-mb", "0.25",
        "--progress", "none"]


def run(*args, timeout=120, **kw):
    return subprocess.run([sys.executable, "-m", "fastinit", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kw)


@contextlib.contextmanager
def mounted(tmp_path, kind, kib):
    """A fresh file system of ``kib`` KiB mounted at a folder under ``tmp_path`` (skip if this
    process may not mount: it needs root)."""
    mnt = tmp_path / f"mnt-{kind}"
    mnt.mkdir()
    if kind == "tmpfs":
        cmd = ["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(mnt)]
    else:
        img = tmp_path / "disk.img"
        with open(img, "wb") as f:
            f.truncate(kib * 1024)
        if shutil.which("mkfs.ext2") is None:
            pytest.skip("mkfs.ext2 is not installed (e2fsprogs)")
        subprocess.run(["mkfs.ext2", "-q", "-F", str(img)], check=True, capture_output=True)
        cmd = ["mount", "-o", "loop", str(img), str(mnt)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a {kind} file system here ({r.stderr.strip()}): needs root")
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def fill_disk(folder, leave):
    """A filler file that leaves about ``leave`` bytes free on ``folder``'s file system."""
    filler = folder / "filler"
    size = shutil.disk_usage(folder).free - leave
    with open(filler, "wb") as f:
        f.write(b"\1" * max(0, size))
    return filler


def want():
    return fastinit.normal(SHAPE, std=0.02, seed=4)


def one_failure_line(r, *words):
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr
    for w in words:
        assert w in r.stderr, r.stderr


def test_full_ext2_disk_is_an_error_not_sigbus_and_resume_completes(tmp_path):
    with mounted(tmp_path, "ext2", 4096) as mnt:
        path = mnt / "t.npy"
        filler = fill_disk(mnt, 1_000_000)  # room for about 40 % of the table
        r = run("init", path, *ARGS)
        assert r.returncode != -signal.SIGBUS
        one_failure_line(r, str(path), "No space left on device", "--resume")
        assert os.path.exists(sidecar_path(path)) and not os.path.exists(str(path) + ".fastinit.lock")
        filler.unlink()
        r = run("init", path, *ARGS, "--resume")
        assert r.returncode == 0, r.stderr
        np.testing.assert_array_equal(np.load(path), want())
        assert sorted(os.listdir(mnt)) == ["lost+found", "t.npy"]


def test_full_ext2_disk_before_anything_is_written_leaves_nothing(tmp_path):
    with mounted(tmp_path, "ext2", 4096) as mnt:
        path = mnt / "t.npy"
        filler = fill_disk(mnt, 0)
        r = run("init", path, *ARGS)
        assert r.returncode != -signal.SIGBUS
        one_failure_line(r, "No space left on device")
        filler.unlink()
        assert sorted(os.listdir(mnt)) == ["lost+found"]  # a retry is not told to --resume
        r = run("init", path, *ARGS)
        assert r.returncode == 0, r.stderr
        np.testing.assert_array_equal(np.load(path), want())


def _free_in_message(text):
    m = re.search(r"([\d.,]+) (bytes|kB|MB|GB) are free", text)
    assert m, text
    return float(m.group(1).replace(",", "")) * {"bytes": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}[m.group(2)]


def test_reservation_on_a_full_tmpfs_gives_its_blocks_back_and_says_the_true_free_space(tmp_path):
    with mounted(tmp_path, "tmpfs", 4096) as mnt:
        path = mnt / "t.npy"
        fill_disk(mnt, 1_000_000)
        before = shutil.disk_usage(mnt).free
        r = run("init", path, *ARGS)
        one_failure_line(r, str(path), "not enough disk space", "are free")
        after = shutil.disk_usage(mnt).free
        assert after == before, "the failed reservation kept blocks"
        assert abs(_free_in_message(r.stderr) - after) <= 0.01e6
        assert sorted(os.listdir(mnt)) == ["filler"]  # nothing new behind


def _interrupted_table(folder):
    """An interrupted run's table and record in ``folder`` (stopped by SIGINT mid-run)."""
    path = folder / "t.npy"
    with HeldRun([sys.executable, "-m", "fastinit", "init", str(path), *ARGS], folder, path) as held:
        held.hold()  # a chunk is written and recorded; the writer waits
        held.proc.send_signal(signal.SIGINT)  # handled while it waits: it stops before the next chunk
        code, _, err = held.finish()
    assert code == 130, err
    return path


def test_resume_reserves_blocks_a_sparse_copy_lost(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    path = _interrupted_table(src)
    with mounted(tmp_path, "tmpfs", 4096) as mnt:
        # the user moves the table and its record to another disk (and renames them); the copy
        # is sparse: the unwritten part has no blocks
        dest = mnt / "moved.npy"
        subprocess.run(["cp", "--sparse=always", str(path), str(dest)], check=True)
        subprocess.run(["cp", str(sidecar_path(path)), sidecar_path(dest)], check=True)
        filler = fill_disk(mnt, 200_000)
        before = shutil.disk_usage(mnt).free
        v = run("verify", dest, "--init", "normal", "--std", "0.02", "--seed", 4)
        assert v.returncode == 1 and "INCOMPLETE" in v.stdout
        resume = v.stdout.strip().splitlines()[-1].strip()
        assert resume.startswith("fastinit init ") and str(dest) in resume
        env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
        r = subprocess.run(["bash", "-c", resume], capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode != -signal.SIGBUS
        one_failure_line(r, str(dest), "not enough disk space")
        assert shutil.disk_usage(mnt).free == before and os.path.exists(sidecar_path(dest))
        filler.unlink()
        r = subprocess.run(["bash", "-c", resume], capture_output=True, text=True, env=env, timeout=120)
        assert r.returncode == 0, r.stderr
        np.testing.assert_array_equal(np.load(dest), want())
        assert sorted(os.listdir(mnt)) == ["moved.npy"]
