"""fastinit.cupy fills CuPy arrays (any CUDA/ROCm array exporting DLPack) on their GPU, faked as far as
Triton's interpreter allows.

CuPy is not installed here (it needs a GPU), so a "CuPy array" is :class:`CupyLike`: an object with
``__dlpack__`` and ``__dlpack_device__`` (reporting CUDA device 0) over a CPU tensor's memory.
``torch.utils.dlpack.from_dlpack`` is patched to hand back that very memory as a tensor that reports
a CUDA device, and the kernels run under Triton's interpreter (``TRITON_INTERPRET=1``). A passing
fill therefore went through DLPack (the array object itself reached ``from_dlpack``) and the
kernels (``fastinit.gpu.launch.fill`` is counted), wrote the array's own memory (no host copy),
and its bits must equal the NumPy fill's.
"""

import numpy as np
import pytest

pytest.importorskip("triton", reason="the device kernels need Triton (fastinit[gpu]); CI installs it")
torch = pytest.importorskip("torch")

import fastinit  # noqa: E402
import fastinit.cupy as fc  # noqa: E402
from fastinit.core.dtypes import bfloat16  # noqa: E402
from fastinit.gpu import launch  # noqa: E402

CUDA, CPU = 2, 1
_from_dlpack = torch.utils.dlpack.from_dlpack


class CudaLike(torch.Tensor):
    """A CPU tensor that reports a CUDA device."""

    @property
    def device(self):
        return torch.device("cuda", 0)


class CupyLike:
    """A CuPy-like GPU array: DLPack's two methods, over ``memory`` (a CPU tensor), on ``device_type``."""

    def __init__(self, memory, device_type=CUDA):
        self.memory, self.device_type = memory, device_type

    def __dlpack__(self, stream=None, **kwargs):
        return self.memory.__dlpack__()

    def __dlpack_device__(self):
        return (self.device_type, 0)


@pytest.fixture
def fake_gpu(monkeypatch):
    """``from_dlpack`` of a CupyLike gives its memory as a CudaLike tensor; launches are counted."""
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    seen = {"from_dlpack": [], "launches": 0}

    def from_dlpack(obj):
        seen["from_dlpack"].append(obj)
        return _from_dlpack(obj.memory).as_subclass(CudaLike)  # the memory the object exports, as CUDA

    real_fill = launch.fill

    def counted(*args, **kwargs):
        seen["launches"] += 1
        return real_fill(*args, **kwargs)
    monkeypatch.setattr(torch.utils.dlpack, "from_dlpack", from_dlpack)
    monkeypatch.setattr(launch, "fill", counted)
    return seen


def _array(shape, dtype=torch.float32, transpose=False):
    memory = torch.full(shape[::-1] if transpose else shape, 7.0, dtype=dtype)
    return CupyLike(memory.t() if transpose else memory)


def _bits(x):
    if isinstance(x, np.ndarray):
        x = x[..., np.newaxis].view({8: np.float32, 16: np.float64}[x.itemsize]) if x.dtype.kind == "c" else x
        return x.view({2: np.int16, 4: np.int32, 8: np.int64}[x.itemsize])
    x = torch.view_as_real(x) if x.is_complex() else x
    return x.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[x.element_size()]).numpy()


_NP = {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16, torch.bfloat16: bfloat16,
       torch.complex64: np.complex64}
SEEDED = {"seed": 11, "stream": "w"}
CALLS = [
    ("uniform", (-0.5, 0.5), SEEDED), ("normal", (0.1, 0.02), SEEDED),
    ("truncated_normal", (0.0, 0.02, -2.0, 1.5), SEEDED), ("constant", (0.3,), {}), ("zeros", (), {}),
    ("ones", (), {}), ("glorot_normal", (), SEEDED), ("glorot_uniform", (), SEEDED), ("he_normal", (), SEEDED),
    ("he_uniform", (), SEEDED), ("lecun_normal", (), SEEDED), ("lecun_uniform", (), SEEDED),
    ("kaiming_normal", (0.0, "fan_out"), SEEDED), ("kaiming_uniform", (5 ** 0.5,), SEEDED),
    ("xavier_normal", (2.0,), SEEDED), ("xavier_uniform", (), SEEDED), ("random_normal", (0.0, 0.1), SEEDED),
    ("random_uniform", (-0.1, 0.1), SEEDED), ("random_truncated_normal", (0.0, 0.1), SEEDED),
    ("variance_scaling", (2.0, "fan_avg", "uniform"), SEEDED),
]
DTYPES = [torch.float32, torch.bfloat16, torch.float16, torch.float64, torch.complex64]
#: On complex arrays: JAX's complex disks (computed on the host from uniforms: not one pass, refused
#: with a ValueError), and functions NumPy's fastinit refuses (TypeError, the same here).
COMPLEX_DISKS = {"glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "lecun_normal", "lecun_uniform",
                 "variance_scaling"}
COMPLEX_REFUSED = {"kaiming_normal", "kaiming_uniform", "xavier_normal", "xavier_uniform"}
CASES = [(c, dt) for c in CALLS for dt in DTYPES
         if not (dt.is_complex and c[0] in COMPLEX_DISKS | COMPLEX_REFUSED)]
COMPLEX_CASES = [c for c in CALLS if c[0] in COMPLEX_DISKS | COMPLEX_REFUSED]


def test_every_function_is_covered():
    assert sorted([c[0] for c in CALLS] + ["random_bits"]) == sorted(fc.__all__)


@pytest.mark.parametrize("call, dtype", CASES, ids=[f"{c[0]}-{dt}" for c, dt in CASES])
def test_each_fill_takes_the_kernels_through_dlpack(fake_gpu, call, dtype):
    name, args, kwargs = call
    expected = getattr(fastinit, name)(np.empty((6, 10), _NP[dtype]), *args, **kwargs)
    out = _array((6, 10), dtype, transpose=True)
    assert getattr(fc, name)(out, *args, **kwargs) is out
    assert fake_gpu["from_dlpack"] == [out]  # the array itself went through DLPack, once
    assert fake_gpu["launches"] >= 1  # computed by the kernels
    np.testing.assert_array_equal(_bits(out.memory), _bits(expected))  # in the array's own memory


@pytest.mark.parametrize("call", COMPLEX_CASES, ids=[c[0] for c in COMPLEX_CASES])
def test_complex_fills_without_one_pass_are_refused_before_writing(fake_gpu, call):
    name, args, kwargs = call
    out = _array((6, 10), torch.complex64)
    error, match = (ValueError, f"fastinit.{name} and copy it") if name in COMPLEX_DISKS else (TypeError, "complex64")
    with pytest.raises(error, match=match):
        getattr(fc, name)(out, *args, **kwargs)
    assert _unchanged(out) and fake_gpu["launches"] == 0


def test_random_bits_of_a_uint32_array(fake_gpu):
    out = CupyLike(torch.zeros((5, 7), dtype=torch.uint32))
    fc.random_bits(out, seed=3, stream=9)
    np.testing.assert_array_equal(out.memory.numpy(), fastinit.random_bits((5, 7), seed=3, stream=9))


def test_a_shard_gets_the_whole_tensors_values(fake_gpu):
    place = {"full_shape": (2**33, 6), "index": (slice(2**32 - 1, 2**32 + 2), slice(2, 6))}
    out = _array((3, 4), torch.float64)
    fc.he_uniform(out, seed=5, stream="s", **place)
    expected = fastinit.he_uniform((3, 4), seed=5, stream="s", dtype="float64", **place)
    np.testing.assert_array_equal(out.memory.numpy(), expected)


def _unchanged(out):
    return bool((out.memory == 7.0).all())


def test_refused_parameters_raise_before_writing(fake_gpu):
    out = _array((3, 4))
    with pytest.raises(ValueError, match="std"):
        fc.normal(out, 0.0, -1.0, seed=1)
    with pytest.raises(TypeError, match="dtype"):
        fc.uniform(out, seed=1, dtype="float64")  # out is float32
    assert _unchanged(out) and fake_gpu["launches"] == 0


@pytest.mark.parametrize("out, match", [
    (np.zeros(3, np.float32), "for NumPy arrays and shapes use fastinit.normal"),
    ((3, 4), "out must be a CuPy array"),
    (CupyLike(torch.zeros(3), CPU), "CPU memory, not on a CUDA or ROCm GPU"),
    (CupyLike(torch.zeros(3), 13), "CUDA managed memory"),
], ids=["numpy", "shape", "cpu", "managed"])
def test_what_is_not_a_gpu_array_is_a_type_error(fake_gpu, out, match):
    with pytest.raises(TypeError, match=match):
        fc.normal(out, seed=1)
    assert fake_gpu["from_dlpack"] == []


def test_a_jax_array_is_refused_as_immutable(fake_gpu):
    jnp = pytest.importorskip("jax.numpy")
    with pytest.raises(TypeError, match="JAX array, which is immutable"):
        fc.normal(jnp.zeros(3), seed=1)


def test_unsupported_dtypes_and_overlapping_memory(fake_gpu):
    ints = CupyLike(torch.full((3,), 7, dtype=torch.int64))
    with pytest.raises(TypeError, match="int64"):
        fc.normal(ints, seed=1)
    broadcast = CupyLike(torch.full((1, 4), 7.0).expand(3, 4))  # a zero stride
    with pytest.raises(ValueError, match="overlap"):
        fc.normal(broadcast, seed=1)
    assert (ints.memory == 7).all() and _unchanged(broadcast) and fake_gpu["launches"] == 0


def test_without_triton_an_import_error_names_the_extra(fake_gpu, monkeypatch):
    import fastinit.gpu
    monkeypatch.setattr(fastinit.gpu, "available", lambda: False)
    out = _array((2, 3))
    with pytest.raises(ImportError, match=r"fastinit\[gpu\]"):
        fc.uniform(out, seed=1)
    assert _unchanged(out)


def test_functions_without_a_kernel_are_not_offered():
    assert not hasattr(fc, "orthogonal") and not hasattr(fc, "sparse")
    assert fc.normal.__wrapped__ is fastinit.normal and "fastinit.normal" in fc.normal.__doc__


def test_an_array_torch_cannot_view_is_a_value_error(fake_gpu, monkeypatch):
    def refuse(obj):
        raise BufferError("negative strides are not supported")
    monkeypatch.setattr(torch.utils.dlpack, "from_dlpack", refuse)
    out = _array((2, 3))
    with pytest.raises(ValueError, match="torch cannot view out through DLPack .negative strides"):
        fc.normal(out, seed=1)
    assert _unchanged(out)


def test_numpy_functions_point_gpu_arrays_to_fastinit_cupy():
    with pytest.raises(TypeError, match="for CuPy arrays .GPU arrays exporting DLPack. use fastinit.cupy"):
        fastinit.normal(CupyLike(torch.zeros(3)), seed=1)
