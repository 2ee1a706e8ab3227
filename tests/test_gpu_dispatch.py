"""fastinit.torch on CUDA tensors takes the device kernels (fastinit.gpu), faked as far as Triton's interpreter allows.

This torch is CPU-only, so a "CUDA tensor" here is a CPU tensor whose ``device`` says ``cuda:0``
(``torch.cuda.is_available`` patched to True) and the kernels run under Triton's interpreter
(``TRITON_INTERPRET=1``). The host-staging path is made to fail, so a passing fill went through
:mod:`fastinit.torch.device_fill` and the kernels; its bits must equal the CPU fill's.
"""

import math

import numpy as np
import pytest

pytest.importorskip("triton", reason="the device kernels need Triton (fastinit[gpu]); CI installs it")
torch = pytest.importorskip("torch")

import fastinit.torch as ft  # noqa: E402
from fastinit.torch import device_fill, dtensor  # noqa: E402


class CudaLike(torch.Tensor):
    """A CPU tensor that reports a CUDA device."""

    @property
    def device(self):
        return torch.device("cuda", 0)


@pytest.fixture
def fake_cuda(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)

    def no_host_path(*args, **kwargs):
        raise AssertionError("the host-staging path ran")
    monkeypatch.setattr(dtensor, "_fill_chunks", no_host_path)
    monkeypatch.setattr(device_fill, "_warned", set())


def _cuda(shape, dtype=torch.float32, transpose=False):
    t = torch.full(shape[::-1] if transpose else shape, 7.0, dtype=dtype)
    t = t.t() if transpose else t
    return t.as_subclass(CudaLike)


def _bits(t):
    t = t.as_subclass(torch.Tensor)
    t = torch.view_as_real(t) if t.is_complex() else t
    return t.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[t.element_size()]).numpy()


CALLS = [
    ("uniform_", (-0.5, 0.5), {}), ("normal_", (0.1, 0.02), {}), ("trunc_normal_", (0.0, 0.02, -0.04, 0.04), {}),
    ("xavier_uniform_", (), {}), ("xavier_normal_", (2.0,), {}), ("kaiming_uniform_", (math.sqrt(5),), {}),
    ("kaiming_normal_", (), {"mode": "fan_out"}), ("constant_", (0.3,), None), ("ones_", (), None),
    ("zeros_", (), None),
]


DTYPES = [torch.float32, torch.bfloat16, torch.float16, torch.float64, torch.complex64]
CASES = [(c, dt) for c in CALLS for dt in DTYPES if not (dt.is_complex and c[0] == "trunc_normal_")]  # refused


@pytest.mark.parametrize("call, dtype", CASES, ids=[f"{c[0]}-{dt}" for c, dt in CASES])
def test_every_device_fill_takes_the_kernels(fake_cuda, call, dtype):
    name, args, kwargs = call
    fn = getattr(ft, name)
    seeded = {} if kwargs is None else {**kwargs, "seed": 11, "stream": "w"}
    cpu = fn(torch.full((6, 10), 7.0, dtype=dtype), *args, **seeded)
    dev = fn(_cuda((6, 10), dtype, transpose=True), *args, **seeded)
    np.testing.assert_array_equal(_bits(dev), _bits(cpu))


def test_refused_parameters_raise_before_writing(fake_cuda):
    t = _cuda((3, 4))
    with pytest.raises(ValueError):
        ft.normal_(t, 0.0, -1.0, seed=1)
    assert (t.as_subclass(torch.Tensor) == 7.0).all()


def test_fills_without_kernels_stay_on_the_host_and_say_so(fake_cuda):
    ran = []
    with pytest.warns(device_fill.SlowPathWarning, match="sparse_ has no device kernel"):
        assert not device_fill.fill_on_device(_cuda((6, 4)), "sparse_", ran.append, None, {})
    assert ran == []  # nothing recorded or written: the caller stages it through the host


def test_two_fills_of_one_tensor_stay_on_the_host(fake_cuda):
    """A description that is not one fill of the whole tensor (here: two halves) is not taken to the device."""
    import fastinit
    def halves(x):
        fastinit.normal(x[:3], seed=1)
        fastinit.normal(x[3:], seed=2)
    with pytest.warns(device_fill.SlowPathWarning, match="not one core fill of the whole tensor"):
        assert not device_fill.fill_on_device(_cuda((6, 4)), "normal_", halves, None, {})


def test_a_fill_that_writes_with_numpy_after_its_core_call_is_not_launched(fake_cuda):
    """uniform_disk draws uniforms with the core, then writes the points with NumPy: launching the
    recorded uniforms would write other values, so nothing is launched (the host path computes it)."""
    import fastinit
    t = _cuda((4, 4), torch.complex64)
    assert not device_fill.launch_recorded(t, lambda x, p: fastinit.uniform_disk(x, seed=1, **p), {})
    assert (t.as_subclass(torch.Tensor) == 7.0).all()


def test_without_triton_the_host_path_warns_once(fake_cuda, monkeypatch):
    import fastinit.gpu
    staged = []
    monkeypatch.setattr(fastinit.gpu, "available", lambda: False)
    monkeypatch.setattr(dtensor, "_fill_chunks", lambda tensor, *a: staged.append(tensor.shape))
    with pytest.warns(device_fill.SlowPathWarning, match="Triton is not installed"):
        ft.normal_(_cuda((2, 3)), seed=1)
    ft.normal_(_cuda((2, 3)), seed=1)  # no second warning (warnings are errors in this suite)
    assert len(staged) == 2


def test_recorder_leaves_the_core_as_it_was(fake_cuda):
    from fastinit.core import fills
    core = fills._core
    with pytest.raises(ValueError):
        ft.uniform_(_cuda((2, 2)), 1.0, 0.0, seed=1)
    ft.uniform_(_cuda((2, 2)), seed=1)
    assert fills._core is core


def test_a_shard_placed_in_the_global_tensor(fake_cuda):
    """A DTensor local shard (``place``: full_shape and index) gets the global tensor's values."""
    import fastinit
    place = {"full_shape": (2**33, 5), "index": (slice(2**32 - 2, 2**32 + 1), slice(1, 4))}
    t = _cuda((3, 3), torch.float64)

    def located(x, p):
        return fastinit.truncated_normal(x, 0.0, 1.0, -1.0, 2.5, seed=5, stream="s", **p)
    assert device_fill.fill_on_device(t, "trunc_normal_", lambda x: located(x, {}), located, place)
    expected = fastinit.truncated_normal((3, 3), 0.0, 1.0, -1.0, 2.5, seed=5, stream="s", dtype="float64", **place)
    np.testing.assert_array_equal(_bits(t), expected.view(np.int64))


def test_a_strided_shard_with_index_arrays(fake_cuda):
    """A ``_StridedShard`` local shard (its rows an index array) is filled on the device too."""
    import fastinit
    place = {"full_shape": (2**34, 6), "index": (np.array([2**33 + 5, 1, 2**34 - 1]), slice(0, 6))}
    t = _cuda((3, 6), torch.bfloat16)

    def located(x, p):
        return fastinit.normal(x, 0.0, 0.02, seed=3, stream="rows", **p)
    assert device_fill.fill_on_device(t, "normal_", lambda x: located(x, {}), located, place)
    expected = fastinit.normal((3, 6), 0.0, 0.02, seed=3, stream="rows", dtype="bfloat16", **place)
    np.testing.assert_array_equal(_bits(t), expected.view(np.int16))


def test_importing_fastinit_imports_no_triton():
    import subprocess
    import sys
    code = ("import sys, fastinit, fastinit.torch; "
            "assert 'triton' not in sys.modules and 'fastinit.gpu' not in sys.modules, sorted(sys.modules)")
    subprocess.run([sys.executable, "-c", code], check=True)
