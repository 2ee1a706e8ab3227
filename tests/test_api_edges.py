"""API edges: truncated normal bounds in float16/bfloat16, overlapping outputs,
buffers passed as ``out``, errors that used to leak from pybind/NumPy, the thread count and SIMD
path read by concurrent fills, and init_module's scheme checked before anything is written."""

import array
import subprocess
import sys
import threading

import ml_dtypes
import numpy as np
import pytest

import fastinit

HALF = {"float16": np.float16, "bfloat16": ml_dtypes.bfloat16}


# ---------------------------------------------------------------- truncated normal, 16-bit


@pytest.mark.parametrize("dtype", list(HALF))
def test_truncated_normal_half_stays_inside_unrepresentable_bounds(dtype):
    """The issue's example: bfloat16, std 0.02, +-2 sigma; the bounds +-0.04 are not bfloat16
    values, and rounding clamped float32 values used to give +-0.0400390625 (7,896 of them)."""
    v = fastinit.truncated_normal(4_000_000, 0.0, 0.02, -2.0, 2.0, seed=0, dtype=dtype).astype(np.float64)
    assert v.min() >= -0.04 and v.max() <= 0.04
    # The bounds rounded inward in the format are reached: the largest value <= 0.04.
    top = float(np.nextafter(np.asarray(0.04, HALF[dtype]), np.asarray(0, HALF[dtype])))
    if float(np.asarray(0.04, HALF[dtype])) <= 0.04:
        top = float(np.asarray(0.04, HALF[dtype]))
    assert v.max() == top and v.min() == -top


@pytest.mark.parametrize("dtype", list(HALF))
def test_truncated_normal_half_is_the_float32_value_rounded_except_at_the_bounds(dtype):
    lo, hi = 0.07, 0.16  # torch-style absolute bounds of N(0.1, 0.02): neither is a 16-bit value
    mean, std = 0.1, 0.02
    a, b = (lo - mean) / std, (hi - mean) / std
    v16 = fastinit.truncated_normal(200_000, mean, std, a, b, seed=3, dtype=dtype).astype(np.float64)
    v32 = fastinit.truncated_normal(200_000, mean, std, a, b, seed=3).astype(HALF[dtype]).astype(np.float64)
    inside = (v32 >= mean + a * std) & (v32 <= mean + b * std)
    np.testing.assert_array_equal(v16[inside], v32[inside])  # only values that broke the bounds change
    assert (v16 >= mean + a * std).all() and (v16 <= mean + b * std).all()
    assert (~inside).any()  # the test exercises the clamp


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float32"])
def test_truncated_normal_without_a_representable_value_is_refused(dtype):
    out = np.full(8, 5.0, HALF.get(dtype, np.float32))
    with pytest.raises(ValueError, match=rf"no {dtype} value lies in .*mean=.*std=.*a=.*b="):
        fastinit.truncated_normal(out, 0.1, 1e-12, -2.0, 2.0, seed=0)
    assert (out.astype(np.float64) == 5.0).all()
    # float64 always has a value in [lo, hi]; std 0 is the point mean (documented clamp).
    assert fastinit.truncated_normal(8, 0.1, 1e-12, -2.0, 2.0, seed=0, dtype="float64").min() >= 0.1 - 2e-12
    assert fastinit.truncated_normal(8, 0.5, 0.0, seed=0, dtype=dtype).astype(np.float64).tolist() == [0.5] * 8


# ---------------------------------------------------------------- overlapping outputs


VIEWS = {  # (shape, byte strides) over a float32 buffer of 64 elements
    "zero_stride": ((4, 6), (0, 4)),
    "overlapping_rows": ((4, 6), (8, 4)),
    "interleaved": ((3, 3), (8, 12)),  # no element shared, but not provably so: refused
    "broadcast_writable": ((5, 6), (0, 4)),
}


@pytest.mark.parametrize("view", list(VIEWS))
@pytest.mark.parametrize("fill", ["uniform", "normal", "truncated_normal", "constant", "zeros", "glorot_uniform"])
def test_overlapping_outputs_are_refused(view, fill):
    base = np.zeros(64, np.float32)
    out = np.lib.stride_tricks.as_strided(base, *VIEWS[view])
    args = (0.25,) if fill == "constant" else ()
    kw = {} if fill in ("constant", "zeros") else {"seed": 1}
    with pytest.raises(ValueError, match="overlap"):
        getattr(fastinit, fill)(out, *args, **kw)
    assert (base == 0).all()


def test_core_refuses_overlap_itself():
    """The compiled core checks too (fastinit.torch and any other caller go through it)."""
    out = np.lib.stride_tricks.as_strided(np.zeros(10, np.float32), (4, 4), (4, 4))
    with pytest.raises(ValueError, match="overlap"):
        fastinit._core.fill_normal(out, "float32", 0, 0, [4, 1], 0, 0.0, 1.0)
    with pytest.raises(ValueError, match="overlap"):
        fastinit._core.fill_constant(out, "float32", np.float32(1).tobytes())


def test_non_overlapping_unusual_strides_are_filled():
    base = np.full(200, np.nan, np.float32)
    out = np.lib.stride_tricks.as_strided(base, (5, 4), (4, 20))  # F order written by hand
    fastinit.normal(out, seed=2)
    np.testing.assert_array_equal(out, fastinit.normal((5, 4), seed=2))


def test_torch_overlapping_tensors_are_refused():
    torch = pytest.importorskip("torch")  # installed by the test extra: never skipped in CI
    import fastinit.torch as ft

    base = torch.zeros(16)
    too_hard = base.as_strided((3, 3), (2, 1))  # torch: internal overlap "too hard" to decide
    assert torch._debug_has_internal_overlap(too_hard) == 2
    expanded = torch.zeros(1, 6).expand(4, 6)
    for t in (too_hard, expanded):
        with pytest.raises(ValueError, match="overlap"):
            ft.normal_(t, seed=0)
        with pytest.raises(ValueError, match="overlap"):
            ft.uniform_(t, seed=0)
    assert (base == 0).all()


# ---------------------------------------------------------------- buffers are not shapes


@pytest.mark.parametrize("make", [lambda: memoryview(bytearray(24)), lambda: bytearray(24), lambda: bytes(24),
                                  lambda: array.array("f", [0.0] * 6), lambda: memoryview(np.zeros(6, np.float32))],
                         ids=["memoryview", "bytearray", "bytes", "array.array", "memoryview_of_ndarray"])
@pytest.mark.parametrize("fill", ["normal", "constant", "random_bits"])
def test_buffers_passed_as_out_are_refused(make, fill):
    buf = make()
    before = bytes(buf)
    args = (0.5,) if fill == "constant" else ()
    kw = {} if fill == "constant" else {"seed": 0}
    with pytest.raises(TypeError, match="buffer is not a shape.*np.frombuffer"):
        getattr(fastinit, fill)(buf, *args, **kw)
    assert bytes(buf) == before


# ---------------------------------------------------------------- errors that used to leak


@pytest.mark.parametrize("call,exc,words", [
    (lambda: fastinit.set_num_threads(2**31), ValueError, "n must be <= 2147483647"),
    (lambda: fastinit.set_num_threads(2**70), ValueError, "n must be <="),
    (lambda: fastinit.normal(np.empty((0, 5), np.float32), full_shape=(0, 2**70)), ValueError, "full_shape"),
    (lambda: fastinit.normal((0, 2**70)), ValueError, "shape has a dimension"),
    (lambda: fastinit.uniform((2**64, 0)), ValueError, "shape has a dimension"),
])
def test_out_of_range_integers_give_clear_errors(call, exc, words, restore_runtime):
    with pytest.raises(exc, match=words.replace("(", r"\(")):
        call()


def test_info_size_too_large_is_a_usage_error():
    proc = subprocess.run([sys.executable, "-m", "fastinit", "info", "--size", str(10**14), "--repeat", "1"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    assert "--size" in proc.stderr and "Traceback" not in proc.stderr and "MemoryError" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


# ---------------------------------------------------------------- atomics


def test_concurrent_fills_while_threads_and_paths_change(restore_runtime):
    """Fills on several Python threads while another thread keeps changing the thread count and
    SIMD path: every fill gives the same bits (the settings are atomics, read once per fill)."""
    ref = fastinit.normal((300, 700), seed=5, dtype="float64")
    stop = threading.Event()
    errors = []

    def churn():
        paths = fastinit.simd_paths()
        k = 0
        while not stop.is_set():
            fastinit.set_num_threads(1 + k % 3)
            fastinit.set_simd_path(paths[k % len(paths)])
            k += 1

    def work():
        try:
            for _ in range(20):
                np.testing.assert_array_equal(fastinit.normal((300, 700), seed=5, dtype="float64"), ref)
        except AssertionError as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    changer = threading.Thread(target=churn)
    workers = [threading.Thread(target=work) for _ in range(3)]
    changer.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stop.set()
    changer.join()
    assert not errors


# ---------------------------------------------------------------- init_module


def test_init_module_scheme_that_cannot_fill_a_tensor_writes_nothing():
    torch = pytest.importorskip("torch")  # installed by the test extra: never skipped in CI
    from fastinit.torch import init_module

    model = torch.nn.Sequential(torch.nn.Conv1d(2, 3, 3), torch.nn.Linear(4, 5))
    before = {k: v.clone() for k, v in model.state_dict().items()}
    # dirac_ fills the Conv1d weight (rank 3) but not the Linear weight (rank 2)
    with pytest.raises(ValueError, match=r"scheme.*1\.weight.*dirac"):
        init_module(model, 0, scheme="dirac_")
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    with pytest.raises(ValueError, match=r"scheme\['\*weight'\].*1\.weight"):
        init_module(model, 0, scheme={"*weight": "dirac_"})
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k
    init_module(model, 0, scheme={"0.weight": "dirac_"})  # where it fits, it works
    assert not torch.equal(model[0].weight, before["0.weight"])


def test_init_module_scheme_checked_before_materializing_a_meta_module():
    torch = pytest.importorskip("torch")  # installed by the test extra: never skipped in CI
    from fastinit.torch import init_module

    with torch.device("meta"):
        model = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Linear(5, 1))
    model.to(torch.bfloat16)
    with pytest.raises(ValueError, match="no bfloat16 value"):
        init_module(model, 0, scheme={"*.weight": {"class_name": "TruncatedNormal",
                                                   "config": {"mean": 0.1, "stddev": 1e-12}}})
    assert all(p.is_meta for p in model.parameters())
    with pytest.raises(ValueError, match="orthogonal"):
        init_module(model, 0, scheme={"*": "orthogonal_"})  # biases are rank 1
    assert all(p.is_meta for p in model.parameters())
