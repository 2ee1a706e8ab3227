"""fastinit.torch.seeded on a model whose tensors are CUDA tensors: its draws are written on the
device by fastinit.gpu's kernels, faked as tests/test_gpu_dispatch.py fakes it.

A "CUDA tensor" is a CPU tensor whose ``device`` says ``cuda:0`` and the kernels run under
Triton's interpreter. Both host routes are made to fail (the NumPy view a CPU draw writes, and
the host buffer a draw without Triton is staged through), so a passing draw went through the
kernels. A draw of the stream kernels in the tensor's dtype must give the CPU's bits; the
transforms (``exponential_`` ...) run torch's functions on the device, equal to the CPU's to
rounding (exact where no function of floats is involved: ``bernoulli_``).
"""

import math

import numpy as np
import pytest

pytest.importorskip("triton", reason="the device kernels need Triton (fastinit[gpu]); CI installs it")
torch = pytest.importorskip("torch")

from test_gpu_dispatch import CudaLike, _bits, fake_cuda  # noqa: E402, F401
from test_zoo_patterns import by_inverse_cdf  # noqa: E402

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402
from fastinit.torch import device_draws, device_fill, draws  # noqa: E402
from fastinit.torch.checks import numpy_view  # noqa: E402

SEED = 17


def _no_host(*args, **kwargs):
    raise AssertionError("a host route ran")


@pytest.fixture
def kernels_only(fake_cuda, monkeypatch):  # noqa: F811
    monkeypatch.setattr(draws, "numpy_view", _no_host)
    monkeypatch.setattr(device_draws, "numpy_view", _no_host)


class Net(torch.nn.Module):
    def __init__(self, dtype, cuda):
        super().__init__()
        self.fc = torch.nn.Linear(6, 5, dtype=dtype)
        self.register_buffer("table", torch.full((4, 3), 7.0, dtype=dtype))
        if cuda:
            self.fc.weight = torch.nn.Parameter(torch.full((5, 6), 7.0, dtype=dtype).as_subclass(CudaLike))
            self.fc.bias = torch.nn.Parameter(torch.full((5,), 7.0, dtype=dtype).as_subclass(CudaLike))
            self.table = self.table.as_subclass(CudaLike)


def _keyed_draws(m):
    torch.nn.init.kaiming_uniform_(m.fc.weight, a=math.sqrt(5))
    torch.nn.init.trunc_normal_(m.fc.weight[1:4], std=0.02, a=-0.03, b=0.03)  # a view: its rows' positions
    m.fc.bias.data.uniform_(-0.5, 0.5)
    torch.nn.init.normal_(m.table.t()[1], 0.1, 0.02)  # a strided view of a buffer


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float16, torch.float64], ids=str)
def test_keyed_draws_write_the_cpu_bits_on_the_device(kernels_only, dtype):
    cpu, dev = Net(dtype, cuda=False), Net(dtype, cuda=True)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(draws, "numpy_view", numpy_view)  # the CPU route, for the reference only
        with ft.seeded(cpu, SEED):
            _keyed_draws(cpu)
    with ft.seeded(dev, SEED) as ctx:
        _keyed_draws(dev)
    assert ctx.reports == [] and ctx.written == {"fc.weight", "fc.bias", "table"}
    for a, b in ((dev.fc.weight, cpu.fc.weight), (dev.fc.bias, cpu.fc.bias), (dev.table, cpu.table)):
        np.testing.assert_array_equal(_bits(a.detach()), _bits(b.detach()))
    expected = fastinit.normal((4, 3), 0.1, 0.02, seed=SEED, stream="table", dtype=str(dtype)[6:])[:, 1]
    np.testing.assert_array_equal(_bits(dev.table)[:, 1], np.ascontiguousarray(expected).view(_bits(dev.table).dtype))


def test_the_truncated_normal_written_out_op_by_op(kernels_only):
    """timm's trunc_normal_ (uniform_, erfinv_, mul_, add_, clamp_) on a CUDA weight: one keyed draw."""
    m = Net(torch.float32, cuda=True)
    with ft.seeded(m, SEED):
        by_inverse_cdf(m.fc.weight, 0.0, 0.02, -0.04, 0.04)
    expected = ft.trunc_normal_(torch.empty(5, 6), 0.0, 0.02, -0.04, 0.04, seed=SEED, stream="fc.weight")
    np.testing.assert_array_equal(_bits(m.fc.weight.detach()), _bits(expected))


TRANSFORMS = [("exponential_", (2.0,)), ("log_normal_", (0.5, 0.25)), ("cauchy_", (1.0, 0.5)),
              ("geometric_", (0.3,)), ("bernoulli_", (0.25,))]


@pytest.mark.parametrize("method, args", TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_transforms_draw_their_uniform_or_normal_on_the_device(kernels_only, method, args):
    scratch = []
    fill = device_draws.fill_on_device
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(device_draws, "fill_on_device", lambda view, f: scratch.append(view) or fill(view, f))
        m = Net(torch.float64, cuda=True)
        with ft.seeded(m, SEED):
            getattr(m.fc.weight.data, method)(*args)
    assert len(scratch) == 1 and scratch[0].dtype == torch.float64 and scratch[0].device.type == "cuda"
    stream = "fc.weight"
    u = fastinit.uniform((5, 6), seed=SEED, stream=stream, dtype="float64")
    z = fastinit.normal((5, 6), 0.5, 0.25, seed=SEED, stream=stream, dtype="float64")
    expected = {"exponential_": -np.log1p(-u) / 2.0, "log_normal_": np.exp(z),
                "cauchy_": 1.0 + 0.5 * np.tan(np.pi * (u - 0.5)),
                "geometric_": np.floor(np.log1p(-u) / np.log1p(-0.3)) + 1, "bernoulli_": (u < 0.25) * 1.0}[method]
    got = m.fc.weight.detach().as_subclass(torch.Tensor).numpy()
    if method == "bernoulli_":
        np.testing.assert_array_equal(got, expected)
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-13)


def test_bernoulli_with_a_tensor_of_probabilities(kernels_only):
    m = Net(torch.float32, cuda=True)
    p = torch.linspace(0.0, 1.0, 30).reshape(5, 6).as_subclass(CudaLike)
    with ft.seeded(m, SEED):
        m.fc.weight.data.bernoulli_(p)
    u = fastinit.uniform((5, 6), seed=SEED, stream="fc.weight", dtype="float64")
    np.testing.assert_array_equal(m.fc.weight.detach().as_subclass(torch.Tensor).numpy(),
                                  (u < p.as_subclass(torch.Tensor).double().numpy()).astype(np.float32))


def test_refused_parameters_raise_before_writing(kernels_only):
    m = Net(torch.float32, cuda=True)
    with ft.seeded(m, SEED):
        with pytest.raises(RuntimeError, match="normal expects std >= 0.0"):
            m.fc.weight.data.normal_(0.0, -1.0)
        with pytest.raises(ValueError):
            torch.nn.init.trunc_normal_(m.fc.weight, std=0.02, a=0.5, b=-0.5)
    assert (m.fc.weight.detach().as_subclass(torch.Tensor) == 7.0).all()


def test_a_local_shard_placed_in_the_global_tensor(kernels_only):
    """A DTensor's CUDA local shard whose rows are not one block: placed by full_shape/index."""
    place = {"full_shape": (2**33, 4), "index": (np.array([2**32 + 3, 5, 2**33 - 1]), slice(0, 4))}
    view = torch.full((3, 4), 7.0, dtype=torch.bfloat16).as_subclass(CudaLike)
    draws.draw("normal_", draws.Target(view, "emb", [], 0, place), SEED, [0.0, 0.02])
    expected = fastinit.normal((3, 4), 0.0, 0.02, seed=SEED, stream="emb", dtype="bfloat16", **place)
    np.testing.assert_array_equal(_bits(view), expected.view(np.int16))


def test_without_triton_draws_are_staged_and_said_once(fake_cuda, monkeypatch):  # noqa: F811
    import fastinit.gpu
    monkeypatch.setattr(fastinit.gpu, "available", lambda: False)
    m, cpu = Net(torch.bfloat16, cuda=True), Net(torch.bfloat16, cuda=False)
    with pytest.warns(device_fill.SlowPathWarning, match="Triton is not installed") as said:
        with ft.seeded(m, SEED):
            _keyed_draws(m)
            m.fc.bias.data.exponential_()
    assert len(said) == 1
    with ft.seeded(cpu, SEED):
        _keyed_draws(cpu)
        cpu.fc.bias.data.exponential_()
    for a, b in ((m.fc.weight, cpu.fc.weight), (m.fc.bias, cpu.fc.bias), (m.table, cpu.table)):
        np.testing.assert_array_equal(_bits(a.detach()), _bits(b.detach()))
