"""eye_, dirac_, orthogonal_, sparse_, rows_ and init_module's scheme initializers on CUDA tensors
write on the device (fastinit.torch.device_presets), faked as tests/test_gpu_dispatch.py fakes it.

A "CUDA tensor" is a CPU tensor whose ``device`` says ``cuda:0`` and the kernels run under
Triton's interpreter. The host-staging path warns (SlowPathWarning, an error in this suite) or,
for the chunked fills, is made to fail; so a passing fill went through the device path. Its bits
must equal the CPU fill's, except orthogonal_'s QR (to rounding, as documented), whose input
matrix must equal the CPU draw bit for bit.
"""

import numpy as np
import pytest

pytest.importorskip("triton", reason="the device kernels need Triton (fastinit[gpu]); CI installs it")
torch = pytest.importorskip("torch")

from test_gpu_dispatch import _bits, _cuda, fake_cuda  # noqa: E402, F401

import fastinit  # noqa: E402
import fastinit.torch as ft  # noqa: E402
from fastinit.torch import device_fill, device_presets, module_init  # noqa: E402

DTYPES = [torch.float32, torch.bfloat16, torch.float16, torch.float64, torch.complex64]
pytestmark = pytest.mark.usefixtures("fake_cuda")


def _plain(t):
    return t.as_subclass(torch.Tensor)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_eye_and_dirac_write_the_cpu_bits(dtype):
    dev = ft.eye_(_cuda((4, 6), dtype, transpose=True))
    np.testing.assert_array_equal(_bits(dev), _bits(ft.eye_(torch.full((4, 6), 7.0, dtype=dtype))))
    dev = ft.dirac_(_cuda((6, 2, 3, 4), dtype), groups=3)
    np.testing.assert_array_equal(_bits(dev), _bits(ft.dirac_(torch.full((6, 2, 3, 4), 7.0, dtype=dtype), 3)))
    assert int((_plain(dev) != 0).sum()) == 6  # the ones of each group, the rest zero (7 everywhere before)


@pytest.mark.parametrize("dtype", DTYPES, ids=str)
def test_sparse_writes_the_cpu_values_and_zeros(dtype):
    dev = ft.sparse_(_cuda((30, 9), dtype, transpose=True), 0.3, std=0.5, seed=3, stream="s")
    cpu = ft.sparse_(torch.full((30, 9), 7.0, dtype=dtype), 0.3, std=0.5, seed=3, stream="s")
    np.testing.assert_array_equal(_bits(dev), _bits(cpu))
    assert ((_plain(dev) == 0).sum(dim=0) == 9).all()  # ceil(0.3 * 30) zeros in every column


def test_orthogonal_draws_the_cpu_matrix_and_factors_it_on_the_device(monkeypatch):
    factored = []
    qr = torch.linalg.qr
    monkeypatch.setattr(torch.linalg, "qr", lambda a: factored.append(_plain(a).clone()) or qr(a))
    dev = ft.orthogonal_(_cuda((3, 4, 2), torch.float64), gain=2.0, seed=4, stream="o")
    drawn = fastinit.normal((8, 3), 0.0, 1.0, seed=4, stream="o", dtype="float64")  # big x small
    np.testing.assert_array_equal(factored[0].numpy().view(np.int64), drawn.view(np.int64))
    cpu = ft.orthogonal_(torch.empty(3, 4, 2, dtype=torch.float64), gain=2.0, seed=4, stream="o")
    np.testing.assert_allclose(_plain(dev).numpy(), cpu.numpy(), rtol=0, atol=1e-13)  # the QR: to rounding
    m = _plain(dev).reshape(3, 8)
    np.testing.assert_allclose((m @ m.T).numpy(), 4 * np.eye(3), atol=1e-12)


def test_orthogonal_float32_and_its_checks():
    dev = ft.orthogonal_(_cuda((5, 3), torch.float32, transpose=True), seed=1)
    cpu = ft.orthogonal_(torch.empty(5, 3), seed=1)
    np.testing.assert_allclose(_plain(dev).numpy(), cpu.numpy(), rtol=0, atol=1e-6)
    t = _cuda((4, 4), torch.float16)
    with pytest.raises(ValueError, match="overflows"):
        ft.orthogonal_(t, gain=1e6, seed=1)  # the CPU preset's check, before anything is written
    assert (_plain(t) == 7.0).all()


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.complex64], ids=str)
def test_rows_gather_on_the_device(dtype):
    ids = torch.tensor([5, 1, 9, 1])
    dev = ft.rows_(_cuda((4, 6), dtype, transpose=True), "normal", ids, seed=1, stream="e", num_rows=10, std=0.02)
    cpu = ft.rows_(torch.empty(4, 6, dtype=dtype), "normal", ids, seed=1, stream="e", num_rows=10, std=0.02)
    np.testing.assert_array_equal(_bits(dev), _bits(cpu))


@pytest.mark.parametrize("dtype", [torch.float32, torch.complex128], ids=str)
def test_hashed_rows_of_several_streams(dtype):
    ids = np.array([5, 2**63 + 5, 3, 2**62 + 1, 2**63 + 9, 7], np.uint64)  # three streams, mixed order
    dev = ft.rows_(_cuda((6, 5), dtype), "uniform", ids, seed=2, stream="h", hashed=True)
    cpu = ft.rows_(torch.empty(6, 5, dtype=dtype), "uniform", ids, seed=2, stream="h", hashed=True)
    np.testing.assert_array_equal(_bits(dev), _bits(cpu))
    expected = fastinit.rows("uniform", ids, 5, seed=2, stream="h", hashed=True,
                             dtype=str(dtype).removeprefix("torch."))
    np.testing.assert_array_equal(_plain(dev).numpy(), expected)


def test_rows_refused_before_writing():
    t = _cuda((2, 3))
    with pytest.raises(IndexError, match="out of range"):
        ft.rows_(t, "normal", [1, 10], seed=0, stream="e", num_rows=10)
    with pytest.raises(ValueError, match="omit num_rows"):
        ft.rows_(t, "normal", [1, 2], seed=0, stream="e", num_rows=10, hashed=True)
    with pytest.raises(ValueError, match="rows have shape"):
        ft.rows_(t, "normal", np.array([1, 2, 3], np.uint64), seed=0, stream="e", hashed=True)
    assert (_plain(t) == 7.0).all()


def test_rows_without_triton_copy_from_the_host_and_say_so(monkeypatch):
    import fastinit.gpu
    monkeypatch.setattr(fastinit.gpu, "available", lambda: False)
    with pytest.warns(device_fill.SlowPathWarning, match="Triton is not installed"):
        dev = ft.rows_(_cuda((2, 4)), "normal", [3, 0], seed=0, stream="e", num_rows=5)
    np.testing.assert_array_equal(_plain(dev).numpy(), fastinit.normal((5, 4), seed=0, stream="e")[[3, 0]])


def test_eye_needs_no_triton(monkeypatch):
    import fastinit.gpu
    monkeypatch.setattr(fastinit.gpu, "available", lambda: False)
    np.testing.assert_array_equal(_plain(ft.eye_(_cuda((3, 2)))).numpy(), np.eye(3, 2, dtype=np.float32))


PLACES = [
    {"full_shape": (9, 7), "index": (slice(2, 7), slice(1, 5))},
    {"full_shape": (9, 7), "index": (np.array([8, 0, 3]), np.array([6, 2, 2, 0]))},  # _StridedShard-like ids
]


@pytest.mark.parametrize("place", PLACES, ids=["slices", "index-arrays"])
def test_shards_get_the_whole_tensors_values(place):
    """A DTensor's local shard (``place``) gets the whole tensor's values at its positions."""
    shape = tuple(len(range(9)[e]) if isinstance(e, slice) else len(e) for e in place["index"])
    paths = [(device_presets.eye_path(2.0), lambda: fastinit.identity(shape, 2.0, dtype="float64", **place)),
             (device_presets.sparse_path(0.4, 0.1, 5, "s"),
              lambda: fastinit.sparse(shape, 0.4, 0.1, seed=5, stream="s", dtype="float64", **place)),
             (device_presets.orthogonal_path(1.5, 6, "o"),
              lambda: fastinit.orthogonal(shape, 1.5, layout="torch", seed=6, stream="o", dtype="float64", **place))]
    for path, expected in paths:
        t = _cuda(shape, torch.float64)
        path.fill(t, place)
        np.testing.assert_allclose(_plain(t).numpy(), expected(), rtol=0, atol=1e-14 if path.kernels else 0)
    t = _cuda((4, 2, 3), torch.float32)
    place3 = {"full_shape": (6, 2, 3), "index": (np.array([5, 1, 2, 4]), slice(0, 2), slice(0, 3))}
    device_presets.dirac_path(2).fill(t, place3)
    np.testing.assert_array_equal(_plain(t).numpy(), fastinit.dirac((4, 2, 3), 2, **place3))


SCHEMES = ["glorot_uniform", {"class_name": "TruncatedNormal", "config": {"stddev": 0.1}}, "eye",
           {"class_name": "Identity", "config": {"gain": 0.3}}, {"class_name": "dirac", "config": {"groups": 2}},
           {"class_name": "sparse", "config": {"sparsity": 0.5}}]


@pytest.mark.parametrize("scheme", SCHEMES, ids=str)
def test_init_module_schemes_by_name_or_config(scheme):
    """What init_module does with a scheme given by name or config, on a CUDA tensor (a DTensor's shard)."""
    shape = (4, 2, 3) if "dirac" in str(scheme) else (6, 4)
    rule = module_init._scheme_rule(scheme, "")
    dev, cpu = _cuda(shape, torch.bfloat16), torch.empty(shape, dtype=torch.bfloat16)
    rule(dev, 9, "layer.weight")
    rule(cpu, 9, "layer.weight")
    np.testing.assert_array_equal(_bits(dev), _bits(cpu))


@pytest.mark.parametrize("config", [{"gain": 2.0}, {"gain": 1.0, "layout": "keras", "column_axis": 1}], ids=str)
def test_init_module_orthogonal_scheme(config):
    rule = module_init._scheme_rule({"class_name": "Orthogonal", "config": config}, "")
    dev, cpu = _cuda((5, 2, 3), torch.float64), torch.empty(5, 2, 3, dtype=torch.float64)
    rule(dev, 9, "w")
    rule(cpu, 9, "w")
    np.testing.assert_allclose(_plain(dev).numpy(), cpu.numpy(), rtol=0, atol=1e-13)


@pytest.mark.parametrize("config", [{"gain": 2.0}, {"gain": 0.5, "column_axis": 0}], ids=str)
def test_init_module_delta_orthogonal_scheme(config, monkeypatch):
    """Zeros, and the centre drawn as the CPU draws it and factored on the device (to rounding)."""
    factored = []
    qr = torch.linalg.qr
    monkeypatch.setattr(torch.linalg, "qr", lambda a: factored.append(_plain(a).clone()) or qr(a))
    rule = module_init._scheme_rule({"class_name": "delta_orthogonal", "config": config}, "")
    dev, cpu = _cuda((3, 4, 4, 6), torch.float64), torch.empty(3, 4, 4, 6, dtype=torch.float64)
    rule(dev, 9, "conv.weight")
    rule(cpu, 9, "conv.weight")
    drawn = fastinit.normal((6, 4), seed=9, stream="conv.weight", dtype="float64")  # big x small
    np.testing.assert_array_equal(factored[0].numpy().view(np.int64), drawn.view(np.int64))
    np.testing.assert_allclose(_plain(dev).numpy(), cpu.numpy(), rtol=0, atol=1e-13)
    nonzero = (_plain(dev) != 0).nonzero()
    assert set(nonzero[:, 0].tolist()) == {1} and set(nonzero[:, 1].tolist()) == {1}  # the centre only
    centre = _plain(dev)[1, 1]
    np.testing.assert_allclose((centre @ centre.T).numpy(), config["gain"] ** 2 * np.eye(4), atol=1e-12)


def test_delta_orthogonal_on_a_shard_and_its_checks():
    place = {"full_shape": (3, 2, 5), "index": (slice(1, 3), np.array([1, 0]), slice(0, 5))}
    t = _cuda((2, 2, 5), torch.float32)
    device_presets.delta_orthogonal_path(1.5, 4, "d").fill(t, place)
    expected = fastinit.delta_orthogonal((2, 2, 5), 1.5, seed=4, stream="d", **place)
    np.testing.assert_allclose(_plain(t).numpy(), expected, rtol=0, atol=1e-6)
    t = _cuda((3, 5, 2), torch.float32)
    with pytest.raises(ValueError, match="in <= out"):  # the CPU preset's check, before anything is written
        module_init._scheme_rule("delta_orthogonal", "")(t, 1, "w")
    assert (_plain(t) == 7.0).all()


STFTS = [{}, {"side": "imag", "window": None}, {"window": "hamming", "periodic": True, "scaling": "spectrum"},
         {"window": "blackman", "scaling": None}]


@pytest.mark.parametrize("config", STFTS, ids=str)
@pytest.mark.parametrize("dtype", DTYPES[:4], ids=str)
def test_init_module_stft_scheme_writes_the_cpu_bits(config, dtype):
    rule = module_init._scheme_rule({"class_name": "STFT", "config": config}, "")
    dev = _cuda((33, 2, 24), dtype).permute(2, 1, 0)  # not C-ordered
    cpu = torch.empty(24, 2, 33, dtype=dtype)
    rule(dev, 0, "stft.weight")
    rule(cpu, 0, "stft.weight")
    np.testing.assert_array_equal(_bits(dev), _bits(cpu))


def test_stft_on_a_shard_needs_no_triton(monkeypatch):
    import fastinit.gpu
    monkeypatch.setattr(fastinit.gpu, "available", lambda: False)  # no kernel: no warning either
    place = {"full_shape": (16, 3, 9), "index": (np.array([15, 0, 7]), slice(1, 3), slice(2, 9))}
    t = _cuda((3, 2, 7), torch.bfloat16)
    device_presets.stft_path("real", "hann", "density", False).fill(t, place)
    expected = fastinit.stft((3, 2, 7), dtype="bfloat16", **place)
    np.testing.assert_array_equal(_bits(t), expected.view(np.int16))
    with pytest.raises(ValueError, match="one value per frame"):
        device_presets.stft_path("real", [1.0, 2.0], None, False).fill(t, place)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32], ids=str)
def test_rounded_once_rounds_as_numpy(dtype):
    """torch's float64 -> float16/bfloat16 cast rounds twice (through float32); rounded_once as NumPy, once."""
    from fastinit.core.dtypes import bfloat16
    ties = [1 + 2.0**-11 + 2.0**-40, 1 + 2.0**-8 + 2.0**-40, -(1 + 2.0**-11 + 2.0**-40), 2.0**-130, 7e38, -0.0]
    x = np.concatenate([ties, np.random.default_rng(0).standard_normal(100_000) * 10.0 ** np.arange(-6, 6).repeat(
        100_000 // 12 + 1)[:100_000]])
    expected = np.empty(x.shape, {torch.float16: np.float16, torch.bfloat16: bfloat16}.get(dtype, np.float32))
    with np.errstate(over="ignore"):  # 7e38: inf in all three
        expected[...] = x
    got = device_presets.rounded_once(torch.from_numpy(x), dtype)
    np.testing.assert_array_equal(_bits(got), expected.view(_bits(got).dtype))
