"""fastinit.torch against the real torch (2.13.0 in CI).

- the functions: torch.nn.init's signatures exactly (plus keyword-only seed/stream); in-place fills
  through the tensor's own memory (data_ptr and object unchanged) for float32/64/16 and bfloat16,
  contiguous, transposed and sliced (nothing outside the view written); values equal fastinit's
  NumPy presets for the same (seed, stream) bit for bit, and bfloat16/float16 equal the float32
  values rounded to nearest even; samples match torch.nn.init's own samples statistically
  (parity_stats: KS p > 1e-4, std within 5 standard errors of the formula); parameters under
  autograd (version counter bumped, so autograd sees the in-place change); torch's errors;
  clear errors for meta/CUDA tensors, other dtypes, overlapping views and generator=;
- (init_module: tests/test_init_module.py);
- import fastinit does not import torch, keras or jax.
"""

import inspect
import math
import subprocess
import sys

import numpy as np
import pytest
import torch
from torch import nn

import fastinit
import fastinit.torch as ft
from fastinit.core.dtypes import bfloat16 as np_bfloat16

from parity_stats import TRUNC_STD, assert_same_distribution, half_of_truncated

SEED = 97
TORCH_INIT = [n for n in torch.nn.init.__all__ if n.endswith("_") or n == "calculate_gain"]
NP_DTYPES = {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16,
             torch.bfloat16: np_bfloat16}


def test_import_fastinit_imports_no_framework():
    code = ("import sys, fastinit; fastinit.uniform((3,), seed=1); "
            "print(sorted({'torch', 'keras', 'jax'} & set(sys.modules))); "
            "fastinit.torch.init_module; print('torch' in sys.modules, 'jax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[:2] == ["[]", "True False"]  # fastinit.torch loads on first use


def test_the_real_torch_inside():
    assert ft.torch is torch
    assert set(ft.__all__) == set(TORCH_INIT) | {
        "init_module", "numpy_view", "ParameterError", "UnsupportedDtypeError", "NotATensorError",
        "dtensor_index",  # a DTensor's place in the global tensor
        "fingerprint", "fingerprint_module", "shard_fingerprint",  # digests across ranks
        "rows_",  # rows by id (index arrays)
        "seeded", "UnkeyedDrawError", "UnkeyedDrawWarning",  # a model's own init code, keyed
    }
    assert all(hasattr(ft, n) for n in ft.__all__)


# ---------------------------------------------------------------- signatures


@pytest.mark.parametrize("name", TORCH_INIT)
def test_signature_is_torchs(name):
    theirs = list(inspect.signature(getattr(torch.nn.init, name)).parameters.values())
    ours = list(inspect.signature(getattr(ft, name)).parameters.values())
    positional = [p for p in ours if p.kind is not inspect.Parameter.KEYWORD_ONLY]
    assert [(p.name, p.kind, repr(p.default)) for p in positional] == \
        [(p.name, p.kind, repr(p.default)) for p in theirs]
    extra = {p.name: p.default for p in ours if p.kind is inspect.Parameter.KEYWORD_ONLY}
    assert extra == ({} if name == "calculate_gain" else {"seed": None, "stream": 0})
    assert getattr(ft, name).__doc__


# ---------------------------------------------------------------- in place, values, dtypes

SHAPE = (48, 40)
# (function, torch positional args, the NumPy fill that must give the same values, shape)
CASES = [
    ("uniform_", (-0.5, 1.5), lambda x: fastinit.uniform(x, -0.5, 1.5, seed=SEED, stream="s"), SHAPE),
    ("normal_", (0.3, 2.0), lambda x: fastinit.normal(x, 0.3, 2.0, seed=SEED, stream="s"), SHAPE),
    ("trunc_normal_", (0.1, 0.02, 0.07, 0.16),
     lambda x: fastinit.truncated_normal(x, 0.1, 0.02, (0.07 - 0.1) / 0.02, (0.16 - 0.1) / 0.02, seed=SEED,
                                         stream="s"), SHAPE),
    ("xavier_uniform_", (1.5,), lambda x: fastinit.xavier_uniform(x, 1.5, seed=SEED, stream="s"), SHAPE),
    ("xavier_normal_", (), lambda x: fastinit.xavier_normal(x, seed=SEED, stream="s"), (12, 8, 3, 3)),
    ("kaiming_uniform_", (math.sqrt(5),), lambda x: fastinit.kaiming_uniform(x, math.sqrt(5), seed=SEED, stream="s"),
     (12, 8, 3, 3)),
    ("kaiming_normal_", (0, "fan_out", "relu"),
     lambda x: fastinit.kaiming_normal(x, 0, "fan_out", "relu", seed=SEED, stream="s"), SHAPE),
    ("orthogonal_", (2.0,), lambda x: fastinit.orthogonal(x, 2.0, layout="torch", seed=SEED, stream="s"), SHAPE),
    ("sparse_", (0.25, 0.05), lambda x: fastinit.sparse(x, 0.25, 0.05, seed=SEED, stream="s"), SHAPE),
    ("constant_", (0.3,), lambda x: fastinit.constant(x, 0.3), SHAPE),
    ("ones_", (), fastinit.ones, SHAPE),
    ("zeros_", (), fastinit.zeros, SHAPE),
    ("eye_", (), fastinit.eye, SHAPE),
    ("dirac_", (2,), lambda x: fastinit.dirac(x, 2), (8, 4, 3, 3)),
]
CASE_IDS = [c[0] for c in CASES]


def call(name, tensor, args):
    return getattr(ft, name)(tensor, *args, seed=SEED, stream="s")


def as_f32(t):
    return t.detach().to(torch.float32).numpy()


@pytest.mark.parametrize("dtype", list(NP_DTYPES))
@pytest.mark.parametrize("name,args,expected,shape", CASES, ids=CASE_IDS)
def test_fills_in_place_with_fastinits_values(name, args, expected, shape, dtype):
    t = torch.full(shape, float("nan"), dtype=dtype)
    ptr = t.data_ptr()
    assert call(name, t, args) is t
    assert t.data_ptr() == ptr and t.dtype == dtype and t.shape == shape
    want = expected(np.empty(shape, NP_DTYPES[dtype]))
    np.testing.assert_array_equal(as_f32(t), want.astype(np.float32))
    if dtype in (torch.float16, torch.bfloat16) and name not in ("orthogonal_",):
        # the fastinit contract: float16/bfloat16 values are the float32 values rounded to nearest even
        # (for a truncated normal, clamped to its bounds rounded inward)
        t32 = call(name, torch.empty(shape), args)
        want = as_f32(t32.to(dtype))
        if name == "trunc_normal_":
            half = NP_DTYPES[dtype]
            want = half_of_truncated(t32.numpy(), args[2], args[3], half).astype(np.float32)
        np.testing.assert_array_equal(as_f32(t), want)


@pytest.mark.parametrize("name,args,expected,shape", CASES, ids=CASE_IDS)
def test_non_contiguous_views_are_filled_in_place(name, args, expected, shape):
    want = expected(np.empty(shape, np.float32))
    # transposed: strides reversed
    t = torch.empty(tuple(reversed(shape))).permute(*reversed(range(len(shape))))
    assert not t.is_contiguous()
    ptr = t.data_ptr()
    call(name, t, args)
    assert t.data_ptr() == ptr
    np.testing.assert_array_equal(t.numpy(), want)
    # a window of a bigger tensor: the window gets the values, nothing around it is written
    base = torch.zeros(tuple(n + 5 for n in shape))
    window = base[tuple(slice(2, 2 + n) for n in shape)]
    call(name, window, args)
    np.testing.assert_array_equal(window.numpy(), want)
    mask = torch.ones_like(base, dtype=torch.bool)
    mask[tuple(slice(2, 2 + n) for n in shape)] = False
    assert (base[mask] == 0).all()


def test_parameters_under_autograd():
    p = nn.Parameter(torch.empty(30, 20))
    version = p._version
    ft.xavier_uniform_(p, seed=1)  # no torch.no_grad() needed, as with torch.nn.init
    assert p.requires_grad and p.is_leaf and p.grad_fn is None and p._version > version
    with torch.no_grad():
        ft.kaiming_normal_(p, seed=2)
    np.testing.assert_array_equal(p.detach().numpy(), fastinit.kaiming_normal((30, 20), seed=2))
    # autograd sees the in-place change of a tensor saved for backward
    w = nn.Parameter(torch.ones(4))
    x = torch.ones(4, requires_grad=True)
    y = (w * x).sum()
    ft.normal_(w, seed=3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()


def test_seed_none_draws_from_torchs_generator():
    torch.manual_seed(5)
    a = ft.normal_(torch.empty(100)).clone()
    b = ft.normal_(torch.empty(100)).clone()
    torch.manual_seed(5)
    a2 = ft.normal_(torch.empty(100))
    assert torch.equal(a, a2) and not torch.equal(a, b)
    assert not torch.equal(ft.normal_(torch.empty(100), seed=1), ft.normal_(torch.empty(100), seed=1, stream="x"))


def test_numpy_view_shares_memory():
    t = torch.zeros(6, 4, dtype=torch.bfloat16)[:, 1:3]
    view = ft.numpy_view(t)
    assert view.dtype == np_bfloat16 and view.shape == (6, 2)
    view[...] = 1.5
    assert (t == 1.5).all() and t.sum() == 18


# ---------------------------------------------------------------- the same distributions as torch.nn.init

N = (300, 200)
FAN_IN, FAN_OUT = 200, 300
# (function, args, kind, mean, sigma of the values)
STAT_CASES = [
    ("uniform_", (-1.0, 3.0), "uniform", 1.0, 4 / math.sqrt(12)),
    ("normal_", (0.5, 2.0), "normal", 0.5, 2.0),
    ("trunc_normal_", (0.0, 0.02, -0.04, 0.04), "truncated_normal", 0.0, 0.02 * TRUNC_STD),
    ("xavier_uniform_", (1.5,), "uniform", 0.0, 1.5 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("xavier_normal_", (0.7,), "normal", 0.0, 0.7 * math.sqrt(2 / (FAN_IN + FAN_OUT))),
    ("kaiming_uniform_", (math.sqrt(5),), "uniform", 0.0, 1 / math.sqrt(3 * FAN_IN)),
    ("kaiming_uniform_", (0, "fan_out", "relu"), "uniform", 0.0, math.sqrt(2 / FAN_OUT)),
    ("kaiming_normal_", (), "normal", 0.0, math.sqrt(2 / FAN_IN)),
    ("kaiming_normal_", (0.2, "fan_out", "leaky_relu"), "normal", 0.0, math.sqrt(2 / 1.04 / FAN_OUT)),
    ("orthogonal_", (1.5,), "normal", 0.0, 1.5 / math.sqrt(300)),
]


@pytest.mark.parametrize("name,args,kind,mean,sigma", STAT_CASES)
def test_same_distribution_as_torch(name, args, kind, mean, sigma):
    torch.manual_seed(SEED)
    theirs = getattr(torch.nn.init, name)(torch.empty(N), *args)
    ours = getattr(ft, name)(torch.empty(N), *args, seed=SEED, stream=name)
    bound = None
    if kind == "uniform":
        bound = sigma * math.sqrt(3)
    elif kind == "truncated_normal":
        bound = 2 * 0.02
    assert_same_distribution(ours, theirs, sigma, kind, f"{name}{args}", mean=mean, bound=bound)


def test_sparse_like_torch():
    torch.manual_seed(SEED)
    theirs = torch.nn.init.sparse_(torch.empty(N), 0.3, 0.05).numpy()
    ours = ft.sparse_(torch.empty(N), 0.3, 0.05, seed=SEED).numpy()
    np.testing.assert_array_equal((ours == 0).sum(axis=0), (theirs == 0).sum(axis=0))
    assert_same_distribution(ours[ours != 0], theirs[theirs != 0], 0.05, "normal", "sparse_")


@pytest.mark.parametrize("name,args", [("eye_", ()), ("dirac_", (2,)), ("constant_", (0.25,)), ("ones_", ()),
                                       ("zeros_", ())])
def test_deterministic_equal_torch(name, args):
    shape = (8, 4, 3, 3) if name == "dirac_" else (5, 7)
    theirs = getattr(torch.nn.init, name)(torch.empty(shape), *args)
    assert torch.equal(getattr(ft, name)(torch.empty(shape), *args), theirs)


def test_calculate_gain_is_torchs():
    for nl in ("linear", "tanh", "relu", "selu", "conv2d", "sigmoid"):
        assert ft.calculate_gain(nl) == torch.nn.init.calculate_gain(nl)
    assert ft.calculate_gain("leaky_relu", 0.2) == torch.nn.init.calculate_gain("leaky_relu", 0.2)


# ---------------------------------------------------------------- torch's errors, and ours


@pytest.mark.parametrize("name", ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"])
@pytest.mark.parametrize("shape", [(), (5,)])
def test_rank_below_2_refused_like_torch(name, shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions") as theirs:
        getattr(torch.nn.init, name)(torch.empty(shape))
    with pytest.raises(ValueError) as ours:
        getattr(ft, name)(torch.empty(shape), seed=1)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name,shape", [("orthogonal_", (5,)), ("eye_", (2, 3, 4)), ("sparse_", (2, 3, 4)),
                                        ("dirac_", (3, 4))])
def test_shape_errors_like_torch(name, shape):
    args = (0.5,) if name == "sparse_" else ()
    with pytest.raises(ValueError) as theirs:
        getattr(torch.nn.init, name)(torch.empty(shape), *args)
    with pytest.raises(ValueError) as ours:
        getattr(ft, name)(torch.empty(shape), *args)
    assert str(ours.value) == str(theirs.value)


@pytest.mark.parametrize("name", ["kaiming_uniform_", "kaiming_normal_"])
def test_zero_element_kaiming_warns_like_torch(name):
    for fn in (getattr(torch.nn.init, name), getattr(ft, name)):
        t = torch.empty(0, 5)
        with pytest.warns(UserWarning, match="zero-element tensors is a no-op"):
            assert fn(t) is t


def test_bad_input():
    t = torch.empty(4, 5)
    with pytest.raises(TypeError, match="generator must be a torch.Generator"):
        ft.normal_(t, 0.0, 1.0, 5)
    with pytest.raises(ValueError, match="not both"):
        ft.normal_(t, 0.0, 1.0, torch.Generator(), seed=1)
    with pytest.raises(TypeError, match="torch.Tensor"):
        ft.normal_(np.empty((4, 5), np.float32))
    with pytest.raises(ValueError, match="meta.*init_module"):
        ft.normal_(torch.empty(4, 5, device="meta"))
    for dtype in (torch.int64, torch.int8, torch.bool):
        with pytest.raises(TypeError, match="dtype"):
            ft.uniform_(torch.zeros(4, 5, dtype=dtype))
    with pytest.raises(TypeError, match="layout"):
        ft.zeros_(torch.sparse_coo_tensor(torch.zeros(2, 0, dtype=torch.long), torch.zeros(0), (3, 3),
                                           check_invariants=True))
    expanded = torch.zeros(5).expand(4, 5)
    with pytest.raises(ValueError, match="overlapping"):
        ft.normal_(expanded)
    assert (expanded == 0).all()
    with pytest.raises(ValueError, match="std"):
        ft.trunc_normal_(t, 0.0, 0.0)
    with pytest.raises(ValueError, match="a < b"):
        ft.trunc_normal_(t, 0.0, 1.0, 1.0, -1.0)
    with pytest.raises(ValueError, match="std"):
        ft.normal_(t, 0.0, -1.0, seed=1)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        ft.kaiming_uniform_(t, mode="fan_avg")
    with pytest.raises(ValueError, match="nonlinearity"):
        ft.kaiming_normal_(t, nonlinearity="gelu")
    with pytest.raises(TypeError, match="seed"):
        ft.normal_(t, seed="1")
    with pytest.raises(ValueError, match="uninitialized lazy"):
        ft.normal_(nn.LazyLinear(3).weight)


class CudaLike(torch.Tensor):
    """A CPU tensor that reports a CUDA device (this torch is CPU-only)."""

    @property
    def device(self):
        return torch.device("cuda", 0)


def test_cuda_tensor_error_says_what_to_do():
    t = torch.zeros(3, 4).as_subclass(CudaLike)
    with pytest.raises(ValueError, match=r"cuda:0.*CPU.*\.to\("):
        ft.uniform_(t, seed=1)
    assert (t.as_subclass(torch.Tensor) == 0).all()


# ---------------------------------------------------------------- drop-in details

RANDOM_FNS = {
    "uniform_": (), "normal_": (), "trunc_normal_": (), "xavier_uniform_": (), "xavier_normal_": (),
    "kaiming_uniform_": (), "kaiming_normal_": (), "orthogonal_": (), "sparse_": (0.3,),
}


@pytest.mark.parametrize("name", sorted(RANDOM_FNS))
def test_generator_draws_the_seed_like_the_default_generator(name):
    fn, args = getattr(ft, name), RANDOM_FNS[name]
    torch.manual_seed(42)
    by_default = fn(torch.empty(6, 5), *args)
    gen = torch.Generator().manual_seed(42)
    by_generator = fn(torch.empty(6, 5), *args, generator=gen)
    assert torch.equal(by_default, by_generator)
    again = fn(torch.empty(6, 5), *args, generator=gen)  # the generator advanced: a new seed
    assert not torch.equal(again, by_generator)
    gen2 = torch.Generator().manual_seed(42)
    assert torch.equal(fn(torch.empty(6, 5), *args, generator=gen2), by_generator)
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    fn(torch.empty(6, 5), *args, generator=torch.Generator().manual_seed(1))
    assert torch.equal(torch.random.get_rng_state(), state)  # the default generator untouched


def test_generator_is_drawn_only_after_the_checks():
    gen = torch.Generator().manual_seed(3)
    before = gen.get_state()
    with pytest.raises(ValueError):
        ft.xavier_uniform_(torch.empty(5), generator=gen)
    with pytest.raises(TypeError):
        ft.normal_(torch.empty(3, dtype=torch.int32), generator=gen)
    assert torch.equal(gen.get_state(), before)


def _torch_and_ours(name, *args, **kwargs):
    """(torch's exception, ours) for the same call on fresh tensors built by ``args[0]()``."""
    got = []
    for module in (torch.nn.init, ft):
        call_args = (args[0](),) + args[1:]
        with pytest.raises(Exception) as info:
            getattr(module, name)(*call_args, **kwargs)
        got.append(info.value)
    return got


BAD_CALLS = [
    ("calculate_gain", lambda: "leaky_relu", True),
    ("calculate_gain", lambda: "leaky_relu", "0.1"),
    ("calculate_gain", lambda: "leaky_relu", [0.1]),
    ("calculate_gain", lambda: "gelu"),
    ("calculate_gain", lambda: 5),
    ("uniform_", lambda: torch.empty(3, 4), 2.0, 1.0),
    ("uniform_", lambda: torch.empty(3, 4), math.nan, 1.0),
    ("uniform_", lambda: torch.empty(3, 4), "a"),
    ("normal_", lambda: torch.empty(3, 4), 0.0, -1.0),
    ("normal_", lambda: torch.empty(3, dtype=torch.int64)),
    ("uniform_", lambda: torch.empty(3, dtype=torch.int32)),
    ("normal_", lambda: np.zeros(3)),
    ("xavier_uniform_", lambda: np.zeros((3, 3))),
    ("xavier_uniform_", lambda: torch.empty(5)),
    ("xavier_normal_", lambda: torch.empty(())),
    ("kaiming_uniform_", lambda: torch.empty(5)),
    ("kaiming_normal_", lambda: torch.empty(3, 3), 0, "fan_avg"),
    ("kaiming_normal_", lambda: torch.empty(3, 3), 0, "fan_in", "gelu"),
    ("kaiming_uniform_", lambda: torch.empty(3, 3), True),
    ("orthogonal_", lambda: torch.empty(4)),
    ("orthogonal_", lambda: torch.empty(3, 4, dtype=torch.complex64)),
    ("trunc_normal_", lambda: torch.empty(3, 4, dtype=torch.complex64)),
    ("sparse_", lambda: torch.empty(3, 4, 5), 0.1),
    ("sparse_", lambda: torch.empty(4), 0.1),
    ("eye_", lambda: torch.empty(3)),
    ("eye_", lambda: torch.empty(2, 3, 4)),
    ("dirac_", lambda: torch.empty(3, 3)),
    ("dirac_", lambda: torch.empty(2, 2, 2, 2, 2, 2)),
    ("dirac_", lambda: torch.empty(4, 3, 3), 3),
    ("uniform_", lambda: torch.empty(3), 0.0, 1.0, 5),
    ("constant_", lambda: torch.empty(3), 1 + 2j),
]


@pytest.mark.parametrize("call", BAD_CALLS, ids=[f"{c[0]}-{i}" for i, c in enumerate(BAD_CALLS)])
def test_exception_types_are_torchs(call):
    name, make, *rest = call
    theirs, ours = _torch_and_ours(name, make, *rest)
    assert isinstance(ours, type(theirs)), f"torch raises {type(theirs).__name__}, fastinit {type(ours).__mro__}"
    assert str(ours)  # and says what is wrong


def test_number_like_parameters_are_accepted():
    t = torch.empty(30, 40)
    for a, b in ((torch.tensor(-0.5), torch.tensor(0.5)), (np.array(-0.5), np.array(0.5)),
                 (np.float32(-0.5), np.float64(0.5))):
        got = ft.uniform_(t, a, b, seed=5).clone()
        assert torch.equal(got, ft.uniform_(torch.empty(30, 40), -0.5, 0.5, seed=5))
    checks = [
        (ft.normal_, (torch.tensor(1.0), np.array(2.0)), (1.0, 2.0)),
        (ft.trunc_normal_, (np.array(0.0), torch.tensor(1.0), torch.tensor(-1.0), np.array(2.0)),
         (0.0, 1.0, -1.0, 2.0)),
        (ft.constant_, (torch.tensor(0.25),), (0.25,)),
        (ft.xavier_normal_, (torch.tensor(2.0),), (2.0,)),
        (ft.kaiming_uniform_, (np.array(0.2),), (0.2,)),
        (ft.orthogonal_, (torch.tensor(3.0),), (3.0,)),
        (ft.sparse_, (torch.tensor(0.5), np.array(0.1)), (0.5, 0.1)),
    ]
    for fn, tensor_args, plain in checks:
        want = fn(torch.empty(6, 8), *plain, seed=9)
        assert torch.equal(fn(torch.empty(6, 8), *tensor_args, seed=9), want), fn.__name__
    want = ft.dirac_(torch.empty(4, 2, 3), 2)
    assert torch.equal(ft.dirac_(torch.empty(4, 2, 3), torch.tensor(2)), want)
    assert ft.calculate_gain("leaky_relu", torch.tensor(0.5)) == pytest.approx(torch.nn.init.calculate_gain(
        "leaky_relu", 0.5))


@pytest.mark.parametrize("dtype", [torch.complex64, torch.complex128])
def test_complex_tensors_get_torchs_distributions(dtype):
    """torch on complex: each part U(a, b) / N(mean, std**2/2) / the fan-based bounds and stds."""
    shape = (300, 400)
    cases = [
        ("uniform_", (-1.0, 3.0)), ("normal_", (0.5, 2.0)), ("xavier_uniform_", (1.5,)), ("xavier_normal_", (1.5,)),
        ("kaiming_uniform_", (0.1,)), ("kaiming_normal_", (0.1,)), ("sparse_", (0.25, 0.3)),
    ]
    for name, args in cases:
        torch.manual_seed(0)
        theirs = getattr(torch.nn.init, name)(torch.empty(shape, dtype=dtype), *args)
        ours = getattr(ft, name)(torch.empty(shape, dtype=dtype), *args, seed=11)
        for part in ("real", "imag"):
            t, o = getattr(theirs, part).double().numpy().ravel(), getattr(ours, part).double().numpy().ravel()
            assert abs(o.std() / t.std() - 1) < 0.02, (name, part)
            assert abs(o.mean() - t.mean()) < 0.02 * t.std() + 1e-3, (name, part)
            assert o.min() >= t.min() - 0.1 * t.std() or name.endswith("normal_") or name == "sparse_", (name, part)
            assert np.mean(o == 0) == pytest.approx(np.mean(t == 0), abs=1e-3), (name, part)
    for name, args in (("constant_", (1.5 - 2j,)), ("ones_", ()), ("zeros_", ())):
        want = getattr(torch.nn.init, name)(torch.empty(3, 4, dtype=dtype), *args)
        assert torch.equal(getattr(ft, name)(torch.empty(3, 4, dtype=dtype), *args), want)
    assert torch.equal(ft.eye_(torch.empty(3, 5, dtype=dtype)), torch.nn.init.eye_(torch.empty(3, 5, dtype=dtype)))
    assert torch.equal(ft.dirac_(torch.empty(4, 2, 3, 3, dtype=dtype), 2),
                       torch.nn.init.dirac_(torch.empty(4, 2, 3, 3, dtype=dtype), 2))


def test_complex_values_are_fastinits_complex_fills():
    z = ft.normal_(torch.empty(5, 6, dtype=torch.complex64), 0.5, 2.0, seed=3, stream="w")
    want = fastinit.normal((5, 6), 0.5, 2.0, seed=3, stream="w", dtype=np.complex64)
    assert np.array_equal(z.numpy(), want)
    z = ft.xavier_uniform_(torch.empty(5, 6, dtype=torch.complex128), seed=3)
    bound = math.sqrt(6 / 11)
    assert np.array_equal(z.numpy(), fastinit.uniform((5, 6), -bound, bound, seed=3, dtype=np.complex128))
    s = ft.sparse_(torch.empty(10, 6, dtype=torch.complex64), 0.3, seed=4)
    real = ft.sparse_(torch.empty(10, 6), 0.3, seed=4)
    assert torch.equal(s == 0, real == 0)


def test_deterministic_fills_on_other_dtypes_use_torchs_values():
    for dtype in (torch.int64, torch.int8, torch.bool, torch.uint8):
        for name, args, shape in (("constant_", (3,), (2, 3)), ("ones_", (), (2, 3)), ("zeros_", (), (2, 3)),
                                  ("eye_", (), (3, 4)), ("dirac_", (2,), (4, 2, 3, 3))):
            if dtype == torch.bool and name == "constant_":
                args = (True,)
            want = getattr(torch.nn.init, name)(torch.full(shape, 7).to(dtype), *args)
            got = getattr(ft, name)(torch.full(shape, 7).to(dtype), *args)
            assert got.dtype == dtype and torch.equal(got, want), (name, dtype)


def test_deprecated_names_warn_and_call_the_new_ones():
    for old in ("uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
                "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"):
        assert hasattr(torch.nn.init, old)
        shape = (4, 2, 3) if old == "dirac" else (4, 5)
        args = (0.5,) if old in ("constant", "sparse") else ()
        with pytest.warns(FutureWarning, match=f"nn.init.{old}` is now deprecated in favor of `nn.init.{old}_`"):
            got = getattr(ft, old)(torch.empty(shape), *args, seed=2)
        assert torch.equal(got, getattr(ft, old + "_")(torch.empty(shape), *args, seed=2))
        assert getattr(ft, old).__name__ == old
