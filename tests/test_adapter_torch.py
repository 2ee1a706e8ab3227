"""fastinit.torch against the real torch (2.13.0 in CI).

- the functions: torch.nn.init's signatures exactly (plus keyword-only seed/stream); in-place fills
  through the tensor's own memory (data_ptr and object unchanged) for float32/64/16 and bfloat16,
  contiguous, transposed and sliced (nothing outside the view written); values equal fastinit's
  NumPy presets for the same (seed, stream) bit for bit, and bfloat16/float16 equal the float32
  values rounded to nearest even; samples match torch.nn.init's own samples statistically
  (parity_stats: KS p > 1e-4, std within 5 standard errors of the formula); parameters under
  autograd (version counter bumped, so autograd sees the in-place change);
- torch's errors, clear errors for meta/CUDA tensors, other dtypes, overlapping views and
  generator=, and other drop-in details: tests/test_adapter_torch_dropin.py;
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
        "build", "deferred",  # a model's construction recorded and replayed, keyed
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
