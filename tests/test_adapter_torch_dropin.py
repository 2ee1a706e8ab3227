"""fastinit.torch against the real torch (2.13.0 in CI), part two: torch's errors (the same
exception types and messages, raised before anything is written) and drop-in details (generator=,
number-like parameters, complex tensors, deterministic fills on other dtypes, deprecated names).
Part one, the values and signatures: tests/test_adapter_torch.py.
"""

import math

import numpy as np
import pytest
import torch
from torch import nn

import fastinit
import fastinit.torch as ft

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
