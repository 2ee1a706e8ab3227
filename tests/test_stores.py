"""The stores of large contiguous outputs (cpp/stores.hpp): plain or non-temporal, measured once
per process unless forced by fastinit.set_store_kind or FASTINIT_STORES; never a different value.
The fills' values under each kind are checked in test_invariance.py and test_gather_core.py (the
``large_stores`` fixture); here: the choice, its controls and the constant fills."""

import os
import subprocess
import sys

import ml_dtypes
import numpy as np
import pytest

import fastinit
from fastinit import _core

MiB = 1 << 20


def _run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != fastinit.STORES_ENV_VAR}
    return subprocess.run([sys.executable, "-c", code], env=dict(clean, **env), capture_output=True, text=True,
                          timeout=120)


def test_a_fresh_process_measures_a_kind():
    done = _run("import fastinit; print(fastinit.store_kind())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() in ("plain", "nontemporal")


@pytest.mark.parametrize("kind", ["plain", "nontemporal"])
def test_environment_variable_forces_the_kind(kind):
    done = _run("import fastinit; print(fastinit.store_kind())", FASTINIT_STORES=f" {kind.upper()} ")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == kind


def test_environment_variable_refuses_unknown_kinds():
    done = _run("import fastinit", FASTINIT_STORES="fast")
    assert done.returncode != 0
    assert "ImportError: FASTINIT_STORES='fast': must be one of 'auto', 'plain', 'nontemporal'" in done.stderr


def test_set_store_kind_forces_and_auto_returns_to_the_measured_kind(large_stores):
    assert fastinit.store_kind() == large_stores
    fastinit.set_store_kind("auto")
    measured = fastinit.store_kind()
    assert measured in ("plain", "nontemporal")
    other = "plain" if measured == "nontemporal" else "nontemporal"
    fastinit.set_store_kind(other)
    assert fastinit.store_kind() == other
    fastinit.set_store_kind("auto")
    assert fastinit.store_kind() == measured


@pytest.mark.parametrize("bad,exc,match", [(None, TypeError, "kind must be a str, got NoneType"),
                                           ("Plain", ValueError, "kind must be one of 'auto', 'plain', 'nontemporal', "
                                                                 "got 'Plain'"),
                                           ("", ValueError, "got ''")])
def test_set_store_kind_refuses_bad_input(bad, exc, match):
    before = fastinit.store_kind()
    with pytest.raises(exc, match=match):
        fastinit.set_store_kind(bad)
    assert fastinit.store_kind() == before


def test_measure_stores_times_both_kinds():
    plain, nt = _core.measure_stores(4 * MiB, 2)
    assert plain > 0 and nt > 0
    assert _core.measure_stores(0, 2) is None
    assert _core.measure_stores(4 * MiB, 0) is None
    assert _core.measure_stores(2**62, 1) is None  # cannot be allocated: nothing timed, no exception
    assert _core.measure_stores(8191, 1) is None  # under one 8 KiB piece: nothing to time
    assert 64 * MiB <= _core.calibration_bytes() <= 128 * MiB


def test_compare_stores_times_both_kinds():
    """The per-process choice's measurement: 2 MiB slices written both ways in turn; nothing timed
    (None, no exception) for fewer than 2 slices or passes outside 1-16."""
    plain, nt = _core.compare_stores(4 * MiB, 1)  # two slices, one of each kind
    assert plain > 0 and nt > 0
    assert _core.compare_stores(4 * MiB - 1, 3) is None
    assert _core.compare_stores(0, 3) is None
    assert _core.compare_stores(8 * MiB, 0) is None
    assert _core.compare_stores(8 * MiB, 17) is None
    assert _core.compare_stores(8 * MiB, 16) is not None


@pytest.mark.parametrize("line_offset", [0, 16, 48])
@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "bfloat16"])
def test_large_constant_writes_exactly_its_elements(dtype, line_offset, large_stores):
    """A constant fill of more than 32 MiB starting `line_offset` bytes into a 64-byte line (the
    first piece of non-temporal stores runs to the next line) and ending inside one, under each
    kind of store: every element the value, nothing around it touched."""
    dt = np.dtype(ml_dtypes.bfloat16 if dtype == "bfloat16" else dtype)
    n = 33 * MiB // dt.itemsize + 5
    raw = np.full(n + 2 * 64 // dt.itemsize, np.nan, dt)
    lead = 64 // dt.itemsize + (line_offset - raw.ctypes.data) % 64 // dt.itemsize  # at least a line of sentinels
    out = raw[lead : lead + n]
    assert out.ctypes.data % 64 == line_offset
    assert fastinit.constant(out, -1.5) is out
    assert (out.astype(np.float64) == -1.5).all()
    around = np.r_[raw[:lead], raw[lead + n :]].astype(np.float64)
    assert np.isnan(around).all()
    fastinit.zeros(out)
    assert not out.view(np.uint8).any()
    assert np.isnan(np.r_[raw[:lead], raw[lead + n :]].astype(np.float64)).all()
