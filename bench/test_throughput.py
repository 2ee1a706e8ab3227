"""Throughput of fastinit's fills against NumPy, torch and JAX (when installed), float32/64/16
and bfloat16, 1 MB to 1 GB; thread scaling; the memory-write roofline (out.fill, plain and
non-temporal stores) and constant/zeros against it. See conftest.py for options.
Every benchmark also checks that what it timed is a correct sample."""

from __future__ import annotations

import os
import statistics

import numpy as np
import pytest

import fastinit
from fastinit import _core
from fastinit.core.dtypes import FLOAT_DTYPES

from conftest import best_seconds, median_seconds, record, record_ratio, record_scaling
from host_steal import steady_median_seconds

try:
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None
try:
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
except ImportError:  # pragma: no cover
    jax = None

NEED_TORCH = pytest.mark.skipif(torch is None, reason="torch not installed (pip install torch==2.13.0)")
NEED_JAX = pytest.mark.skipif(jax is None, reason="jax not installed (pip install jax)")

DTYPES = FLOAT_DTYPES  # name -> NumPy dtype of every element type fastinit writes
FULL_SIZES = [1 << 20, 16 << 20, 256 << 20, 1 << 30]
QUICK_SIZES = [1 << 20, 16 << 20]
FILLS = ["uniform", "normal", "truncated_normal"]


def pytest_generate_tests(metafunc):
    if "nbytes" in metafunc.fixturenames:
        sizes = QUICK_SIZES if metafunc.config.getoption("--quick") else FULL_SIZES
        metafunc.parametrize("nbytes", sizes, ids=[f"{b >> 20}MB" for b in sizes])
    if "layout_n" in metafunc.fixturenames:
        quick = metafunc.config.getoption("--quick")
        sides = LAYOUT_SIDES["quick" if quick else "full"]
        metafunc.parametrize("layout_n", sides, ids=[f"{n}sq" for n in sides])
        threads = [os.cpu_count() or 1] if quick else sorted({1, os.cpu_count() or 1})
        metafunc.parametrize("layout_threads", threads, ids=[f"{t}thr" for t in threads])
    if "ortho_n" in metafunc.fixturenames:
        metafunc.parametrize("ortho_n", [1024] if metafunc.config.getoption("--quick") else [1024, 4096])


@pytest.fixture(scope="module", autouse=True)
def all_threads():
    n = os.cpu_count() or 1
    fastinit.set_num_threads(n)
    if torch is not None:
        torch.set_num_threads(n)


def _check(fill: str, a: np.ndarray) -> None:
    """The timed output is a plausible sample: mean and std of a strided subsample."""
    s = np.asarray(a.reshape(-1)[:: max(1, a.size // 100_000)], dtype=np.float64)
    want_mean, want_std = {"uniform": (0.5, 12 ** -0.5), "normal": (0.0, 1.0),
                           "truncated_normal": (0.0, 0.87962566103423978)}[fill]
    tol = 6 / np.sqrt(s.size) + 0.01  # sampling error plus bfloat16 rounding
    assert abs(s.mean() - want_mean) < tol and abs(s.std() - want_std) < tol


def _fastinit(fill: str, out: np.ndarray):
    return lambda: getattr(fastinit, fill)(out, seed=1)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("fill", FILLS)
def test_fastinit_vs_numpy(fill, dtype, nbytes, rounds):
    dt = DTYPES[dtype]
    out = np.empty(nbytes // dt.itemsize, dt)
    n = out.size
    record(fill, dtype, n, dt.itemsize, "fastinit", median_seconds(_fastinit(fill, out), rounds))
    _check(fill, out)
    rng = np.random.default_rng(0)
    if dtype in ("float32", "float64") and fill != "truncated_normal":
        peer = {"uniform": lambda: rng.random(dtype=dt, out=out),
                "normal": lambda: rng.standard_normal(dtype=dt, out=out)}[fill]
        record(fill, dtype, n, dt.itemsize, "numpy", median_seconds(peer, rounds))
        _check(fill, out)


def _store_roofline(dtype: str, nbytes: int, rounds: int) -> None:
    """One thread writing nbytes with plain and with non-temporal stores (the median of the
    rounds, as the other rows)."""
    dt = DTYPES[dtype]
    times = [_core.measure_stores(nbytes, 1) for _ in range(rounds)]
    for impl, kind in (("plain stores", 0), ("non-temporal stores", 1)):
        record("(roofline)", dtype, nbytes // dt.itemsize, dt.itemsize, impl, statistics.median(t[kind] for t in times))


@pytest.mark.parametrize("dtype", list(DTYPES))
def test_roofline(dtype, nbytes, rounds):
    """Writing memory at all: out.fill on the same bytes (through an integer view, so that
    ml_dtypes' slow scalar casts do not count), and one thread's plain and non-temporal stores."""
    dt = DTYPES[dtype]
    out = np.empty(nbytes // dt.itemsize, dt)
    raw = out.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[dt.itemsize])
    record("(roofline)", dtype, out.size, dt.itemsize, "out.fill", median_seconds(lambda: raw.fill(1), rounds))
    assert (raw == 1).all()
    _store_roofline(dtype, nbytes, rounds)


ROOF_BYTES = {"full": 512 << 20, "quick": 64 << 20}


@pytest.mark.parametrize("fill", ["constant", "zeros"])
def test_constant_at_the_roofline(fill, quick, rounds):
    """constant and zeros on one thread against the best of out.fill and one thread's plain and
    non-temporal stores on the same bytes (target >= 0.9), float32, 512 MB (quick: 64 MB)."""
    nbytes = ROOF_BYTES["quick" if quick else "full"]
    out = np.empty(nbytes // 4, np.float32)
    raw = out.view(np.uint32)
    best_roof = min(min(_core.measure_stores(nbytes, rounds + 1)), best_seconds(lambda: raw.fill(1), rounds + 1))
    before = fastinit.get_num_threads()
    fastinit.set_num_threads(1)
    try:
        op = (lambda: fastinit.constant(out, 0.5)) if fill == "constant" else (lambda: fastinit.zeros(out))
        ours = best_seconds(op, rounds + 1)
    finally:
        fastinit.set_num_threads(before)
    assert (out == (0.5 if fill == "constant" else 0.0)).all()
    record_ratio("1 thread / best store roofline", fill, "float32", nbytes, best_roof / ours, 0.9,
                 f"{nbytes / ours / 1e9:.1f}/{nbytes / best_roof / 1e9:.1f} GB/s {fastinit.store_kind()}")


@NEED_TORCH
@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("fill", FILLS)
def test_torch(fill, dtype, nbytes, rounds):
    tdt = getattr(torch, dtype)
    t = torch.empty(nbytes // DTYPES[dtype].itemsize, dtype=tdt)
    op = {"uniform": lambda: t.uniform_(0.0, 1.0), "normal": lambda: t.normal_(0.0, 1.0),
          "truncated_normal": lambda: torch.nn.init.trunc_normal_(t, 0.0, 1.0, -2.0, 2.0)}[fill]
    record(fill, dtype, t.numel(), t.element_size(), "torch", median_seconds(op, rounds))
    _check(fill, t.float().numpy())


@NEED_JAX
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
@pytest.mark.parametrize("fill", FILLS)
def test_jax(fill, dtype, nbytes, rounds):
    if nbytes > (256 << 20) and fill == "truncated_normal":
        pytest.skip("jax truncated_normal at 1 GB needs several temporaries of the tensor's size")
    jdt = {"float32": jnp.float32, "float64": jnp.float64, "bfloat16": jnp.bfloat16}[dtype]
    n = nbytes // DTYPES[dtype].itemsize
    key = jax.random.key(0)
    fn = {"uniform": lambda: jax.random.uniform(key, (n,), jdt),
          "normal": lambda: jax.random.normal(key, (n,), jdt),
          "truncated_normal": lambda: jax.random.truncated_normal(key, -2.0, 2.0, (n,), jdt)}[fill]
    seconds = median_seconds(lambda: fn().block_until_ready(), rounds)
    record(fill, dtype, n, DTYPES[dtype].itemsize, "jax", seconds, note="allocates (no in-place fill)")
    _check(fill, np.asarray(fn().astype(jnp.float32)))


def test_thread_scaling(quick, rounds):
    """Each row a median of rounds the VM's host stole no CPU time from (host_steal.py): on the
    2-core VM of the reference, a round after test_jax freed gigabytes overlapped 0.1-0.3 s of
    steal and ran normal on 2 threads at 1.46x 1 thread, against 2.02x in the rounds around it."""
    n = (16 << 20) // 4 if quick else (256 << 20) // 4
    out = np.empty(n, np.float32)
    cores = os.cpu_count() or 1
    for fill in ("uniform", "normal"):
        for threads in range(1, cores + 1):
            fastinit.set_num_threads(threads)
            timing = steady_median_seconds(_fastinit(fill, out), rounds)
            record_scaling(fill, "float32", n, threads, timing.seconds, note=timing.note())
            _check(fill, out)
    fastinit.set_num_threads(cores)


PRESET_SHAPE = {"full": (16384, 16384), "quick": (2048, 2048)}  # 1 GB / 16 MB of float32


@pytest.mark.parametrize("preset", ["glorot_uniform", "he_normal"])
def test_presets(preset, quick, rounds):
    """Presets cost what their sampler costs: fan math is a few Python operations."""
    shape = PRESET_SHAPE["quick" if quick else "full"]
    out = np.empty(shape, np.float32)
    fn = getattr(fastinit, preset)
    record(preset, "float32", out.size, 4, "fastinit", median_seconds(lambda: fn(out, seed=1), rounds))
    fan_in, fan_out = shape
    want = (6 / (fan_in + fan_out)) ** 0.5 / 3 ** 0.5 if preset == "glorot_uniform" else (2 / fan_in) ** 0.5
    sub = out[::16, ::16].astype(np.float64)
    assert abs(sub.std() / want - 1) < 0.02
    if torch is not None:
        t = torch.empty(shape)
        op = (lambda: torch.nn.init.xavier_uniform_(t)) if preset == "glorot_uniform" else \
             (lambda: torch.nn.init.trunc_normal_(t, 0.0, want / 0.87962566103423978, -2 * want / 0.87962566103423978,
                                                  2 * want / 0.87962566103423978))
        record(preset, "float32", out.size, 4, "torch", median_seconds(op, rounds),
               note="xavier_uniform_" if preset == "glorot_uniform" else "trunc_normal_ with he_normal's std")
    if jax is not None:
        init = getattr(jax.nn.initializers, preset)()
        key = jax.random.key(0)
        record(preset, "float32", out.size, 4, "jax",
               median_seconds(lambda: init(key, shape, jnp.float32).block_until_ready(), rounds))


# Square outputs of these sides (11585**2 float32: 512 MiB, odd columns), on 1 thread and on all.
LAYOUT_SIDES = {"full": [4096, 8192, 11585], "quick": [2048]}
LAYOUT_FILLS = {"uniform": lambda a: fastinit.uniform(a, seed=1), "normal": lambda a: fastinit.normal(a, seed=1),
                "truncated_normal": lambda a: fastinit.truncated_normal(a, seed=1),
                "constant": lambda a: fastinit.constant(a, 0.5),
                "random_bits": lambda a: fastinit.random_bits(a, seed=1)}
LAYOUT_DTYPES = {**DTYPES, "uint32": np.dtype(np.uint32)}
# (fill, dtype): random_bits writes uint32 only, the other fills every float dtype.
LAYOUT_CASES = [(fill, dtype) for fill in LAYOUT_FILLS if fill != "random_bits" for dtype in DTYPES]
LAYOUT_CASES.append(("random_bits", "uint32"))


@pytest.mark.parametrize(("fill", "dtype"), LAYOUT_CASES)
def test_layouts(fill, dtype, layout_n, layout_threads, rounds):
    """Fortran-order and transposed outputs against the C-order fill of the same shape: memory is
    walked in its own order (tiles transposed in cache; constants in memory order). Rows
    "<fill> layout <t>t" (truncated_normal as trunc_normal): the "F order" and "transposed"
    columns' x is their time / C-order time (target <= 1.5), each a median of rounds the VM's host
    stole no CPU time from (host_steal.py). Each layout's values are checked against the C-order
    fill."""
    dt = LAYOUT_DTYPES[dtype]
    n = layout_n
    op = LAYOUT_FILLS[fill]
    c_order = np.empty((n, n), dt)
    layouts = {"fastinit": c_order, "F order": np.empty((n, n), dt, order="F"), "transposed": np.empty((n, n), dt).T}
    before = fastinit.get_num_threads()
    fastinit.set_num_threads(layout_threads)
    try:
        for impl, out in layouts.items():
            timing = steady_median_seconds(lambda out=out: op(out), rounds)
            note = "; ".join(filter(None, ["" if impl == "fastinit" else "x = time / C", timing.note()]))
            record(f"{fill.replace('truncated_', 'trunc_')} layout {layout_threads}t", dtype, n * n, dt.itemsize, impl,
                   timing.seconds, note=note)
    finally:
        fastinit.set_num_threads(before)
    raw = {2: np.uint16, 4: np.uint32, 8: np.uint64}[dt.itemsize]
    for impl, out in layouts.items():
        assert np.array_equal(out[::97].view(raw), c_order[::97].view(raw)), impl


def test_orthogonal(ortho_n, rounds):
    n = ortho_n
    out = np.empty((n, n), np.float32)
    r = min(rounds, 3)
    record(f"orthogonal {n}x{n}", "float32", out.size, 4, "fastinit",
           median_seconds(lambda: fastinit.orthogonal(out, seed=1), r))
    sub = out[:256].astype(np.float64)
    np.testing.assert_allclose(sub @ sub.T, np.eye(256), atol=1e-4)
    if torch is not None:
        t = torch.empty(n, n)
        record(f"orthogonal {n}x{n}", "float32", out.size, 4, "torch",
               median_seconds(lambda: torch.nn.init.orthogonal_(t), r))
    if jax is not None:
        init = jax.nn.initializers.orthogonal()
        key = jax.random.key(0)
        record(f"orthogonal {n}x{n}", "float32", out.size, 4, "jax",
               median_seconds(lambda: init(key, (n, n), jnp.float32).block_until_ready(), r))


def test_unreliable_flags(monkeypatch):
    """The summary's UNRELIABLE marks: none for a quiet machine with plausible scaling; the load
    and each implausible scaling row named otherwise, a scaling row's note whole within 120
    columns (checked on made-up numbers)."""
    import conftest

    cores = os.cpu_count() or 1
    rows = [{"fill": "normal", "dtype": "float32", "n": 1000, "threads": 1, "seconds": 1.0, "mvalues_per_s": 0.001,
             "note": ""},
            {"fill": "normal", "dtype": "float32", "n": 1000, "threads": 2, "seconds": 0.55, "mvalues_per_s": 0.002,
             "note": ""}]
    monkeypatch.setattr(conftest, "SCALING", rows)
    monkeypatch.setattr(conftest, "RESULTS", [])
    monkeypatch.setattr(conftest, "LOAD", {"start": cores * 0.5, "end": None})
    assert conftest.unreliable_reasons() == []
    assert not any("UNRELIABLE" in line for line in conftest._header([]) + conftest._tables([]))

    rows[1]["seconds"] = 1.5  # 2 threads slower than 1: efficiency 33 %
    rows[1]["note"] = "2 round(s) with host steal retimed"
    monkeypatch.setattr(conftest, "LOAD", {"start": 0.1, "end": cores + 0.5})
    reasons = conftest.unreliable_reasons()
    assert [short for short, _ in reasons] == [f"load {cores + 0.5:.2f} > {cores} cores at end",
                                              "scaling 33% (normal, 2 threads)"]
    header, tables = conftest._header(reasons), conftest._tables(reasons)
    assert sum(line.startswith("UNRELIABLE: ") for line in header) == 2
    assert any("2 threads" in line and "UNRELIABLE" in line for line in tables)
    assert not any("1 threads" in line and "UNRELIABLE" in line for line in tables)
    assert max(map(len, tables)) <= 120, max(tables, key=len)
    row = next(i for i, line in enumerate(tables) if line.startswith("  normal") and "2 threads" in line)
    assert " ".join(" ".join(tables[row:row + 2]).split()).endswith("; 2 round(s) with host steal retimed")


def test_summary_layout(monkeypatch):
    """The summary on made-up numbers: one line per measurement, at most 120 columns, the
    roofline once per dtype and size (the fastest of its measurements), and a slow small fill
    marked as an outlier with the line that explains it."""
    import conftest

    results = []
    monkeypatch.setattr(conftest, "RESULTS", results)
    monkeypatch.setattr(conftest, "SCALING", [])
    for nbytes, seconds in ((1 << 20, 0.002), (16 << 20, 0.004)):  # 1 MB at a eighth of 16 MB's rate
        conftest.record("truncated_normal layouts", "bfloat16", nbytes // 2, 2, "fastinit", seconds)
        conftest.record("truncated_normal layouts", "bfloat16", nbytes // 2, 2, "transposed", seconds * 1.2,
                        note="x = time / C-order time " * 5)
        conftest.record("(roofline)", "bfloat16", nbytes // 2, 2, "out.fill", seconds / 10)
        conftest.record("(roofline)", "bfloat16", nbytes // 2, 2, "out.fill", seconds / 8)  # a second benchmark's
        nontemporal = seconds / (11 if nbytes > 1 << 20 else 7)  # the fastest at 16 MB only
        conftest.record("(roofline)", "bfloat16", nbytes // 2, 2, "non-temporal stores", nontemporal)
    lines = conftest._tables([("load 9.00 > 2 cores at end", "x" * 300)])
    assert max(map(len, lines)) <= 120, max(lines, key=len)
    rows = [line for line in lines if line.startswith("truncated_normal layouts")]
    assert len(rows) == 4
    assert [row.split()[8] == "1.20" for row in rows if "transposed" in row] == [True, True]
    roofline = [line for line in lines if line.startswith("  bfloat16")]
    assert [line.split()[1:4] + line.split()[7:] for line in roofline] == [
        ["1", "MB", "2,621", "out.fill"], ["16", "MB", "23,069", "non-temporal", "stores"]]
    flagged = [row for row in rows if "*" in row]
    assert len(flagged) == 2 and all(" 1 MB " in row for row in flagged), flagged
    assert any(line.startswith("* outlier:") for line in lines)
