"""The ``fastinit`` command end to end: tables equal to the in-memory fill for every kind of
initializer and chunking, bounded memory on a ~1 GB table, progress output, resume after a killed
or interrupted process (bit for bit), refusal of mismatched resumes, verify, zarr, bad input."""

import inspect
import json
import os
import pathlib
import pty
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
from writer_gate import HeldRun

import fastinit
from fastinit import cli
from fastinit.outofcore import blocks, sidecar_path, verify_table, write_table

BIN = pathlib.Path(sys.executable).parent


def run(*args, env=None, timeout=120, **kw):
    """``python -m fastinit ARGS`` in a subprocess."""
    return subprocess.run([sys.executable, "-m", "fastinit", *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=timeout, **kw)


def call(capsys, *args):
    """``fastinit ARGS`` in this process: (exit code, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def bits(a):
    return np.ascontiguousarray(a).view(np.uint8)


def expected_fill(init, shape, dtype, params, seed=0, stream=0):
    if init in fastinit.names.named.own_names():
        fn = getattr(fastinit, init)
        if "seed" not in inspect.signature(fn).parameters:  # constant, zeros, ones, identity ...
            return fn(shape, dtype=dtype, **params)
        return fn(shape, seed=seed, stream=stream, dtype=dtype, **params)
    return fastinit.get({"class_name": init, "config": params})(shape, seed=seed, stream=stream, dtype=dtype)


def load(path, dtype):
    a = np.load(path)
    return a.view(fastinit.core.dtypes.bfloat16) if dtype == "bfloat16" else a


# (init, dtype, shape, command-line parameters, the same as Python values, chunk MiB)
CASES = [
    ("he_normal", "float16", (1000, 64), [], {}, 0.01),
    ("normal", "float32", (513, 7), ["--std", "0.02", "--mean", "1"], {"std": 0.02, "mean": 1.0}, 0.003),
    ("variance_scaling", "bfloat16", (300, 50), ["--mode", "fan_avg", "--distribution", "uniform", "--scale", "2"],
     {"mode": "fan_avg", "distribution": "uniform", "scale": 2.0}, 0.01),
    ("xavier_uniform", "float64", (20, 30, 3), ["--gain", "2"], {"gain": 2.0}, 0.004),
    ("truncated_normal", "float32", (10000,), ["--a=-1", "--b", "inf"], {"a": -1.0, "b": np.inf}, 0.01),
    ("kaiming_normal", "float16", (64, 3, 3, 3), ["--mode", "fan_out", "--nonlinearity", "relu"],
     {"mode": "fan_out", "nonlinearity": "relu"}, 0.001),
    ("he_uniform", "float32", (3, 4, 500), ["--batch-axis", "0"], {"batch_axis": 0},
     0.001),  # a row (8 KB) is bigger than a chunk (1 KB): pieces of rows
    ("constant", "float32", (100, 10), ["--value", "0.5"], {"value": 0.5}, 0.001),
    ("zeros", "float16", (100, 10), [], {}, 0.001),
    ("identity", "float32", (50, 40), ["--gain", "3"], {"gain": 3.0}, 0.001),
    ("RandomNormal", "float32", (100, 10), ["--stddev", "0.1"], {"stddev": 0.1}, 0.001),
    ("trunc_normal_", "float32", (100, 10), ["--a=-0.1", "--b", "0.1", "--std", "0.05"],
     {"a": -0.1, "b": 0.1, "std": 0.05}, 0.001),
    ("orthogonal", "float32", (30, 20), [], {}, 1),  # one chunk: allowed
    ("sparse", "float32", (40, 30), ["--sparsity", "0.3"], {"sparsity": 0.3}, 1),
]


@pytest.mark.parametrize("init,dtype,shape,args,params,chunk", CASES, ids=[c[0] for c in CASES])
def test_init_writes_the_in_memory_fill(tmp_path, capsys, init, dtype, shape, args, params, chunk):
    path = tmp_path / "t.npy"
    code, out, err = call(capsys, "init", path, "--shape", ",".join(map(str, shape)), "--init", init, "--seed", 7,
                          "--stream", "emb", "--dtype", dtype, "--chunk-mb", chunk, "--progress", "none", *args)
    assert code == 0, err
    want = expected_fill(init, shape, dtype, params, seed=7, stream="emb")
    got = load(path, dtype)
    assert got.shape == shape and got.dtype == want.dtype
    np.testing.assert_array_equal(bits(got), bits(want))
    assert not os.path.exists(sidecar_path(path))
    assert f"wrote {path}" in out and "mean" in out and err == ""


def test_blocks_cover_in_order_and_are_contiguous():
    for shape, budget in [((7, 5, 3), 4), ((7, 5, 3), 16), ((7, 5, 3), 1000), ((10,), 3), ((), 5), ((3, 0), 2)]:
        total = int(np.prod(shape))
        for start in range(0, total + 1, 4):
            pos = start
            full = np.arange(total).reshape(shape)
            for p, count, index, bshape in blocks(shape, start, total, budget):
                assert p == pos and 1 <= count <= budget and full[index].shape == bshape
                np.testing.assert_array_equal(full[index].reshape(-1), np.arange(p, p + count))
                pos += count
            assert pos == max(start, total) or total == 0


def test_module_and_console_script(tmp_path):
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    r1 = run("init", a, "--shape", "2000,33", "--init", "he_normal", "--seed", 1, "--dtype", "float16")
    script = BIN / "fastinit"
    assert script.exists(), "pip install must install the `fastinit` console script"
    r2 = subprocess.run([str(script), "init", str(b), "--shape", "2000,33", "--init", "he_normal", "--seed", "1",
                         "--dtype", "float16"], capture_output=True, text=True, timeout=60)
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr
    assert a.read_bytes() == b.read_bytes()
    for text in ("66,000 elements", "truncated_normal(mean=0, std=", "mean", "std", "min", "max", "table",
                 "expected", "GB/s"):
        assert text in r1.stdout
    assert run().returncode == 0  # bare command: help
    info = run("info", "--size", 100000, "--repeat", 1)
    assert info.returncode == 0 and "SIMD path" in info.stdout and "normal" in info.stdout
    listing = run("list")
    assert listing.returncode == 0 and "he_normal" in listing.stdout and "--std" in listing.stdout


def _peak_rss_of(cmd):
    # a fresh interpreter runs the command and reports its only child's peak RSS (bytes)
    code = ("import resource, subprocess, sys\n"
            f"r = subprocess.run({cmd!r}, capture_output=True, text=True)\n"
            "sys.stdout.write(r.stdout); sys.stderr.write(r.stderr)\n"
            "print('PEAK_RSS', resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024)\n"
            "sys.exit(r.returncode)\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    peak = int(re.search(r"PEAK_RSS (\d+)", r.stdout).group(1))
    return r, peak


@pytest.mark.slow  # writes a 1 GB file
def test_one_gigabyte_table_in_bounded_memory(tmp_path):
    path = tmp_path / "big.npy"
    shape = (8_000_000, 64)  # 1.02 GB of float16
    try:
        r, peak = _peak_rss_of([sys.executable, "-m", "fastinit", "init", str(path), "--shape", "8000000,64",
                                "--init", "he_normal", "--seed", "0", "--dtype", "float16", "--chunk-mb", "16",
                                "--progress", "none"])
        assert r.returncode == 0, r.stderr
        nbytes = 2 * 8_000_000 * 64
        assert os.path.getsize(path) > nbytes
        assert peak < 200 * 2**20, f"peak RSS {peak / 2**20:.0f} MiB for a {nbytes / 2**30:.2f} GiB table"
        m = re.search(r"^\s+table\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", r.stdout, re.M)
        e = re.search(r"^\s+expected\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)$", r.stdout, re.M)
        mean, std, lo, hi = map(float, m.groups())
        emean, estd, elo, ehi = map(float, e.groups())
        assert abs(mean) < 1e-6 and abs(std / estd - 1) < 1e-3
        assert abs(lo / elo - 1) < 2e-3 and abs(hi / ehi - 1) < 2e-3  # the bounds (float16 rounding aside)
        assert abs(estd - np.sqrt(2 / 8_000_000)) < 1e-9  # he_normal: std sqrt(2 / fan_in), fan_in = 8e6 rows
        table = np.load(path, mmap_mode="r")
        assert table.shape == shape and table.dtype == np.float16
        for rows in (slice(0, 3), slice(4_567_890, 4_567_893), slice(7_999_997, None)):
            want = np.empty((3, 64), np.float16)
            fastinit.he_normal(want, seed=0, full_shape=shape, index=rows)
            np.testing.assert_array_equal(bits(table[rows]), bits(want))
        del table
        v = run("verify", path, "--init", "he_normal", "--seed", 0, "--rows", 200)
        assert v.returncode == 0 and "MATCH" in v.stdout, v.stdout + v.stderr
    finally:
        path.unlink(missing_ok=True)


def test_progress_lines_when_not_a_terminal(tmp_path):
    r = run("init", tmp_path / "t.npy", "--shape", "4000,100", "--init", "uniform", "--seed", 0, "--chunk-mb", 0.1,
            "--interval", 0)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) >= 5 and "\r" not in r.stderr
    assert all(re.match(r"fastinit: +\d+\.\d% +[\d,]+/4,000 rows +\d+\.\d\d GB/s +ETA ", ln) for ln in lines), lines
    assert lines[-1].startswith("fastinit: 100.0%")


def test_progress_bar_on_a_terminal(tmp_path):
    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "fastinit", "init", str(tmp_path / "t.npy"), "--shape", "4000,100",
                          "--init", "uniform", "--seed", "0", "--chunk-mb", "0.1", "--interval", "0"],
                         stdout=subprocess.PIPE, stderr=slave, text=True)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = p.communicate(timeout=60)[0]
    os.close(master)
    tty = b"".join(chunks).decode()
    assert p.returncode == 0
    assert tty.count("\r") >= 5 and "[########################] 100.0%" in tty and "GB/s" in tty and "ETA" in tty
    assert "wrote" in out


def test_quiet_prints_nothing(tmp_path, capsys):
    code, out, err = call(capsys, "init", tmp_path / "t.npy", "--shape", "100,10", "--init", "normal", "--seed", 0,
                          "--quiet", "--progress", "lines", "--interval", "0")
    assert code == 0 and out == "" and err == ""
    code, out, err = call(capsys, "verify", tmp_path / "t.npy", "--init", "normal", "--seed", 0, "-q")
    assert code == 0 and out == "" and err == ""


@pytest.mark.parametrize("suffix", ["npy", pytest.param("zarr", marks=pytest.mark.skipif(
    sys.version_info < (3, 11), reason="zarr 3 needs Python >= 3.11"))])
def test_resume_after_the_process_is_killed(tmp_path, capsys, suffix):
    path, ref = tmp_path / f"t.{suffix}", tmp_path / f"ref.{suffix}"
    base = ["--shape", "3000,1000", "--seed", "5", "--stream", "emb", "--dtype", "float16", "--chunk-mb", "0.2",
            "--zarr-chunk-mb", "0.1"]
    init = ["--init", "variance_scaling", "--scale", "2", "--mode", "fan_avg"]
    args = base + init
    with HeldRun([sys.executable, "-m", "fastinit", "init", str(path), *args, "--progress", "none"], tmp_path,
                 path) as held:
        held.hold()  # a chunk is written and recorded; the writer waits at its gate
        held.proc.send_signal(signal.SIGKILL)
        assert held.finish()[0] == -signal.SIGKILL
    rec = json.loads(pathlib.Path(sidecar_path(path)).read_text())
    assert 0 < rec["elements_done"] < rec["elements_total"] == 3_000_000
    if suffix == "npy":
        with pytest.raises(ValueError):
            np.load(path)  # the header is a placeholder until the table is complete
    # incomplete: verify says so, a plain rerun is refused, mismatched resumes are refused
    code, out, _ = call(capsys, "verify", path, *init, "--seed", 5, "--stream", "emb")
    assert code == 1 and "INCOMPLETE" in out and "--resume" in out
    code, _, err = call(capsys, "init", path, *args)
    assert code == 2 and "--resume" in err and "--force" in err

    def changed(flag, value, argv=args):
        argv = list(argv)
        argv[argv.index(flag) + 1] = value
        return argv

    for argv, word in [(changed("--seed", "6"), "seed"), (changed("--shape", "3000,999"), "shape"),
                       (base + ["--init", "he_normal"], "init"), (changed("--dtype", "float32"), "dtype"),
                       (changed("--mode", "fan_in"), "params"), (changed("--stream", "other"), "stream")]:
        code, _, err = call(capsys, "init", path, *argv, "--resume")
        assert code == 2 and "refusing to resume" in err and word in err and "--force" in err, (argv, err)
        assert "fastinit init " + str(path) in err  # the original command, to copy
    assert json.loads(pathlib.Path(sidecar_path(path)).read_text())["elements_done"] == rec["elements_done"]
    # resume: the result equals an uninterrupted run, bit for bit, and so do its statistics
    code, out, err = call(capsys, "init", path, *args, "--resume", "--progress", "none")
    assert code == 0, err
    assert "resumed" in out and not os.path.exists(sidecar_path(path))
    code, ref_out, err = call(capsys, "init", ref, *args, "--progress", "none")
    assert code == 0, err
    table_line = [ln for ln in out.splitlines() if ln.strip().startswith("table")]
    assert table_line and table_line == [ln for ln in ref_out.splitlines() if ln.strip().startswith("table")]
    want = fastinit.variance_scaling((3000, 1000), 2.0, "fan_avg", seed=5, stream="emb", dtype="float16")
    if suffix == "npy":
        assert path.read_bytes() == ref.read_bytes()
        np.testing.assert_array_equal(bits(np.load(path)), bits(want))
    else:
        zarr = pytest.importorskip("zarr") if sys.version_info < (3, 11) else __import__("zarr")
        np.testing.assert_array_equal(bits(zarr.open_array(str(path), mode="r")[...]), bits(want))
        assert zarr.open_array(str(path), mode="r").attrs["fastinit"]["complete"] is True
    code, out, _ = call(capsys, "verify", path, *init, "--seed", 5, "--stream", "emb", "--all")
    assert code == 0 and "MATCH" in out


def test_ctrl_c_stops_between_chunks_and_resumes(tmp_path):
    path = tmp_path / "t.npy"
    args = ["init", str(path), "--shape", "2000,500", "--init", "normal", "--std", "0.02", "--seed", "3",
            "--chunk-mb", "0.2"]
    with HeldRun([sys.executable, "-m", "fastinit", *args], tmp_path, path) as held:
        held.hold()
        held.proc.send_signal(signal.SIGINT)  # handled while the writer waits; it stops before the next chunk
        code, out, err = held.finish()
    assert code == 130, err
    assert "interrupted" in err and "--resume" in err and "Traceback" not in err
    rec = json.loads(pathlib.Path(sidecar_path(path)).read_text())
    assert 0 < rec["elements_done"] < 1_000_000
    r = run(*args, "--resume")
    assert r.returncode == 0, r.stderr
    np.testing.assert_array_equal(bits(np.load(path)), bits(fastinit.normal((2000, 500), std=0.02, seed=3)))


def test_existing_tables_need_force(tmp_path, capsys):
    path = tmp_path / "t.npy"
    args = ["init", path, "--shape", "100,10", "--init", "uniform", "--seed", 0, "--progress", "none"]
    assert call(capsys, *args)[0] == 0
    code, _, err = call(capsys, *args)
    assert code == 2 and "already exists" in err and "--force" in err
    code, _, err = call(capsys, *args, "--resume")
    assert code == 2 and "nothing to resume" in err and "verify" in err
    code, _, err = call(capsys, *args[:-4], "--seed", 1, "--force")
    assert code == 0
    np.testing.assert_array_equal(np.load(path), fastinit.uniform((100, 10), seed=1))
    fresh = tmp_path / "new.npy"  # --resume with nothing to resume starts the table
    assert call(capsys, "init", fresh, "--shape", "10", "--init", "zeros", "--resume")[0] == 0
    assert np.load(fresh).tolist() == [0.0] * 10


def test_verify_match_and_mismatch(tmp_path, capsys):
    path = tmp_path / "t.npy"
    assert call(capsys, "init", path, "--shape", "5000,16", "--init", "glorot_uniform", "--seed", 9,
                "--dtype", "bfloat16")[0] == 0
    for extra in ([], ["--all"], ["--rows", "3"], ["--all", "--chunk-mb", "0.001"]):
        code, out, _ = call(capsys, "verify", path, "--init", "glorot_uniform", "--seed", 9, *extra)
        assert code == 0 and "MATCH" in out, out
    code, out, _ = call(capsys, "verify", path, "--init", "glorot_uniform", "--seed", 10)
    assert code == 1 and "MISMATCH" in out
    code, out, _ = call(capsys, "verify", path, "--init", "glorot_uniform", "--seed", 9, "--shape", "5000,17")
    assert code == 1 and "shape" in out
    # flip one byte of element (3210, 5)
    data_offset = os.path.getsize(path) - 5000 * 16 * 2
    with open(path, "r+b") as f:
        f.seek(data_offset + (3210 * 16 + 5) * 2)
        byte = f.read(1)
        f.seek(-1, 1)
        f.write(bytes([byte[0] ^ 0x01]))
    code, out, _ = call(capsys, "verify", path, "--init", "glorot_uniform", "--seed", 9, "--all")
    assert code == 1 and "MISMATCH: 1 of 80,000" in out and "(3210, 5)" in out
    code, out, _ = call(capsys, "verify", path, "--init", "glorot_uniform", "--seed", 9, "--rows", 10)
    assert code == 0  # a sample of 10 rows misses row 3210 ...
    res = verify_table(path, "glorot_uniform", seed=9, rows=5000)
    assert not res.ok and res.first_mismatch[0] == (3210, 5)  # ... a sample of every row does not


def test_summary_statistics_next_to_the_expected_values(tmp_path):
    cases = [
        ("normal", {"std": 0.02, "mean": 3.0}, "float32", (3.0, 0.02, None, None)),
        ("uniform", {"low": -1.0, "high": 3.0}, "float64", (1.0, 4 / np.sqrt(12), -1.0, 3.0)),
        ("he_normal", {}, "float16", (0.0, np.sqrt(2 / 1000), -2 * np.sqrt(2 / 1000) / 0.87962566103423978, None)),
        ("truncated_normal", {"a": 0.0, "b": np.inf}, "float32", (np.sqrt(2 / np.pi), np.sqrt(1 - 2 / np.pi), 0.0,
                                                                   None)),
        ("constant", {"value": 0.25}, "float32", (0.25, 0.0, 0.25, 0.25)),
    ]
    for init, params, dtype, (mean, std, lo, hi) in cases:
        s = write_table(tmp_path / f"{init}.npy", (1000, 1000), init, seed=1, dtype=dtype, chunk_mb=1, **params)
        ex = s.expected
        assert ex.mean == pytest.approx(mean, abs=1e-12) and ex.std == pytest.approx(std, rel=1e-9)
        if lo is not None:
            assert ex.min == pytest.approx(lo, rel=1e-9)
        if hi is not None:
            assert ex.max == pytest.approx(hi, rel=1e-9)
        tol = 5 * max(std, 1e-30) / 1000
        assert abs(s.stats.mean - mean) <= tol + 1e-3 * std and s.stats.std == pytest.approx(std, rel=5e-3, abs=1e-7)
        a = np.load(tmp_path / f"{init}.npy").astype(np.float64)
        assert s.stats.min == a.min() and s.stats.max == a.max()
        assert s.stats.mean == pytest.approx(a.mean(), rel=1e-5, abs=1e-9)
        assert s.stats.std == pytest.approx(a.std(), rel=1e-4, abs=1e-9)
        assert s.stats.count == a.size and "expected" in str(s)


def test_zarr_tables(tmp_path, capsys):
    # in the test extra (zarr 3 needs Python >= 3.11): CI runs this
    zarr = pytest.importorskip("zarr") if sys.version_info < (3, 11) else __import__("zarr")
    path = tmp_path / "t.zarr"
    code, out, err = call(capsys, "init", path, "--shape", "1000,30", "--init", "xavier_normal", "--seed", 2,
                          "--chunk-mb", "0.05", "--zarr-chunk-mb", "0.02", "--dtype", "float16")
    assert code == 0, err
    z = zarr.open_array(str(path), mode="r")
    assert z.chunks[0] < 1000 and z.chunks[1] == 30
    np.testing.assert_array_equal(bits(z[...]), bits(fastinit.xavier_normal((1000, 30), seed=2, dtype="float16")))
    assert z.attrs["fastinit"]["seed"] == 2 and z.attrs["fastinit"]["init"] == "xavier_normal"
    code, out, _ = call(capsys, "verify", path, "--init", "xavier_normal", "--seed", 2, "--all")
    assert code == 0 and "MATCH" in out
    code, _, err = call(capsys, "init", tmp_path / "b.zarr", "--shape", "10,10", "--init", "normal", "--seed", 0,
                        "--dtype", "bfloat16")
    assert code == 2 and "bfloat16" in err


@pytest.mark.parametrize("args,words", [
    (["--init", "he_norml"], ["unknown initializer", "he_normal"]),
    (["--init", "he_normal", "--std", "0.1"], ["he_normal takes no --std", "--layout"]),
    (["--init", "normal", "--stdd", "0.1"], ["unrecognized arguments: --stdd"]),
    (["--init", "variance_scaling", "--mode", "fan_xyz"], ["mode", "fan_avg"]),
    (["--init", "normal", "--std", "abc"], ["--std expects a number"]),
    (["--init", "normal", "--std", "-1"], ["std"]),
    (["--init", "constant"], ["constant needs --value"]),
    (["--init", "he_normal", "--seed", "x"], ["--seed must be an integer"]),
    (["--init", "he_normal", "--seed", "-1"], ["seed must be in [0, 2**64)"]),
    (["--init", "he_normal", "--shape", "10,a"], ["--shape must be comma-separated integers"]),
    (["--init", "he_normal", "--chunk-mb", "0"], ["chunk_mb must be a positive number"]),
    (["--init", "orthogonal", "--chunk-mb", "0.01"], ["orthogonal cannot be written chunk by chunk", "--chunk-mb >="]),
    (["--init", "sparse", "--sparsity", "0.1", "--chunk-mb", "0.01"], ["sparse cannot be written chunk by chunk"]),
    (["--init", "delta_orthogonal", "--shape", "3,3,100,100", "--chunk-mb", "0.01"],
     ["delta_orthogonal cannot be written chunk by chunk", "QR of the centre matrix"]),
    (["--init", "stft", "--shape", "400,1,201", "--chunk-mb", "0.01"],
     ["stft cannot be written chunk by chunk", "every frame"]),
    (["--init", "normal", "--resume", "--force"], ["not allowed with argument"]),
])
def test_bad_input_exits_2_naming_the_fix(tmp_path, capsys, args, words):
    base = ["init", tmp_path / "t.npy", "--shape", "100,100", "--seed", "0", "--progress", "none"]
    if "--shape" in args:
        base = base[:2] + base[4:]
    code, out, err = call(capsys, *base, *args)
    assert code == 2, (out, err)
    for w in words:
        assert w in err, err
    assert not (tmp_path / "t.npy").exists() and not os.path.exists(sidecar_path(tmp_path / "t.npy"))


@pytest.mark.parametrize("typo,close", [("he_normall", "he_normal"), ("xavier_unifrom", "xavier_uniform"),
                                        ("xyzzy", None)])
def test_unknown_initializer_names_only_the_close_names(tmp_path, capsys, typo, close):
    code, _, err = call(capsys, "init", tmp_path / "t.npy", "--shape", "4,4", "--seed", "0", "--init", typo)
    assert code == 2, err
    if close:
        suggested = re.findall(r"'(\w+)'", err.split("Did you mean", 1)[1].split("?")[0])
        assert close in suggested and len(suggested) <= 3, err
    else:
        assert "Did you mean" not in err, err
    listed = [n for n in fastinit.names.registry.names() if re.search(rf"\b{n}\b", err)]
    assert len(listed) <= 3, f"the message lists {len(listed)} names, not just the close ones: {err}"
    assert "fastinit list" in err


def test_missing_seed_and_bad_paths(tmp_path, capsys):
    code, _, err = call(capsys, "init", tmp_path / "t.npy", "--shape", "10", "--init", "normal")
    assert code == 2 and "--seed" in err
    code, _, err = call(capsys, "init", tmp_path / "t.bin", "--shape", "10", "--init", "normal", "--seed", 0)
    assert code == 2 and ".npy" in err and ".zarr" in err
    # a missing or damaged file is a data problem (exit 1), not a usage error
    code, _, err = call(capsys, "verify", tmp_path / "none.npy", "--init", "normal", "--seed", 0)
    assert code == 1 and "does not exist" in err and "none.npy" in err
    (tmp_path / "junk.npy").write_bytes(b"not numpy at all" * 10)
    code, _, err = call(capsys, "verify", tmp_path / "junk.npy", "--init", "normal", "--seed", 0)
    assert code == 1 and "not a .npy file" in err and len(err.splitlines()) == 1
    assert call(capsys, "init", tmp_path / "t.npy", "--shape", "10", "--init", "zeros")[0] == 0  # no seed needed


def test_statistics_read_half_precision_exactly():
    from fastinit.outofcore import _as_float

    for name, dt in (("float16", np.float16), ("bfloat16", fastinit.core.dtypes.bfloat16)):
        every = np.arange(65536, dtype=np.uint16).view(dt)
        ref = every.astype(np.float32)
        finite = np.isfinite(ref)
        np.testing.assert_array_equal(_as_float(every, name)[finite], ref[finite])
