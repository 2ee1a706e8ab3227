"""fastinit.torch.seeded on bad parameters and lazy modules.

Each bad call runs on plain torch first: the exception torch raises there (type and message) is the
expectation, and inside ``seeded`` the same call must raise the same, with the tensor untouched.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable

import numpy as np
import pytest
import torch
from torch import nn

import fastinit.torch as ft

NAN, INF = math.nan, math.inf
SHAPE = (4, 6)

#: (method, args) that torch refuses on a float tensor.
BAD_METHOD_CALLS: list[tuple[str, tuple[Any, ...]]] = [
    ("normal_", (0.0, -1.0)), ("normal_", (0.0, NAN)),
    ("uniform_", (1.0, 0.0)), ("uniform_", (NAN, 1.0)), ("uniform_", (0.0, INF)), ("uniform_", (-3.4e38, 3.4e38)),
    ("exponential_", (0.0,)), ("exponential_", (-1.0,)), ("exponential_", (NAN,)),
    ("cauchy_", (0.0, 0.0)), ("cauchy_", (0.0, -1.0)), ("cauchy_", (0.0, NAN)),
    ("log_normal_", (1.0, 0.0)), ("log_normal_", (1.0, -2.0)), ("log_normal_", (1.0, NAN)),
    ("bernoulli_", (1.5,)), ("bernoulli_", (NAN,)), ("bernoulli_", (-0.1,)),
    ("bernoulli_", (torch.full(SHAPE, 1.5),)), ("bernoulli_", (torch.tensor(NAN),)),
    ("bernoulli_", (torch.full((3,), 0.5),)),
    ("geometric_", (0.0,)), ("geometric_", (1.0,)), ("geometric_", (NAN,)),
    ("random_", (5, 5)), ("random_", (5, 2)),
]

#: (torch.nn.init function, args, kwargs) that torch refuses on a float (4, 6) tensor.
BAD_INIT_CALLS: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = [
    (nn.init.normal_, (0.0, -1.0), {}), (nn.init.uniform_, (1.0, 0.0), {}), (nn.init.uniform_, (0.0, INF), {}),
    (nn.init.kaiming_uniform_, (), {"mode": "fan_middle"}), (nn.init.kaiming_uniform_, (), {"nonlinearity": "nope"}),
    (nn.init.kaiming_uniform_, ("x",), {}), (nn.init.kaiming_uniform_, (NAN,), {}),
    (nn.init.xavier_uniform_, (NAN,), {}), (nn.init.xavier_normal_, (-1.0,), {}),
    (nn.init.kaiming_normal_, (), {"mode": "fan_middle"}),
]


def _raised(call: Callable[[], Any]) -> BaseException:
    with pytest.raises(Exception) as info:
        call()
    return info.value


def _model(dtype: torch.dtype = torch.float32) -> nn.Module:
    model = nn.Module()
    model.w = nn.Parameter(torch.arange(24, dtype=dtype).reshape(SHAPE))
    return model


def _same_error(expected: BaseException, got: BaseException) -> None:
    assert type(got) is type(expected), (got, expected)
    assert str(got) == str(expected)


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize(("method", "args"), BAD_METHOD_CALLS,
                         ids=[f"{m}{i}" for i, (m, _) in enumerate(BAD_METHOD_CALLS)])
def test_bad_method_parameters_raise_torchs_error(method: str, args: tuple[Any, ...], strict: bool) -> None:
    expected = _raised(lambda: getattr(torch.empty(SHAPE), method)(*args))
    model = _model()
    before = model.w.detach().clone()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error")  # torch's error comes first, not a report
        with ft.seeded(model, 3, strict=strict):
            got = _raised(lambda: getattr(model.w, method)(*args))
    _same_error(expected, got)
    assert torch.equal(model.w.detach(), before)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float16, torch.bfloat16])
@pytest.mark.parametrize("bounds", [(0.0, INF), (-1e5, 1e5), (-1e39, 0.0), (0.0, 1e300), (2.0, 1.0)])
def test_uniform_bounds_per_dtype_as_torch(dtype: torch.dtype, bounds: tuple[float, float]) -> None:
    plain = torch.empty(SHAPE, dtype=dtype)
    try:
        plain.uniform_(*bounds)
    except RuntimeError as exc:
        expected: BaseException | None = exc
    else:
        expected = None
    model = _model(dtype)
    with torch.no_grad(), ft.seeded(model, 3, strict=True):
        if expected is None:
            model.w[1:3].uniform_(*bounds)  # torch accepts: fastinit draws
            assert torch.isfinite(model.w).all()
        else:
            _same_error(expected, _raised(lambda: model.w[1:3].uniform_(*bounds)))
            assert torch.equal(model.w.detach(), _model(dtype).w.detach())


@pytest.mark.parametrize(("func", "args", "kwargs"), BAD_INIT_CALLS,
                         ids=[f"{f.__name__}{i}" for i, (f, _, _) in enumerate(BAD_INIT_CALLS)])
def test_bad_init_parameters_raise_torchs_error(func: Callable[..., Any], args: tuple[Any, ...],
                                                kwargs: dict[str, Any]) -> None:
    expected = _raised(lambda: func(torch.empty(SHAPE), *args, **kwargs))
    model = _model()
    with torch.no_grad(), ft.seeded(model, 3, strict=True):
        got = _raised(lambda: func(model.w, *args, **kwargs))
    _same_error(expected, got)
    assert torch.equal(model.w.detach(), _model().w.detach())


@pytest.mark.parametrize(("args"), [(0.0, 1.0, 1.0, 0.0), (0.0, 1.0, NAN, 2.0)])
def test_trunc_normal_refusals_are_runtime_errors(args: tuple[float, ...]) -> None:
    with pytest.raises(RuntimeError):
        nn.init.trunc_normal_(torch.empty(SHAPE), *args)  # torch's own type
    model = _model()
    with pytest.raises(RuntimeError), torch.no_grad(), ft.seeded(model, 3, strict=True):
        nn.init.trunc_normal_(model.w, *args)
    assert torch.equal(model.w.detach(), _model().w.detach())


def test_good_parameters_still_draw_and_leave_torchs_generator_alone() -> None:
    model = _model(torch.float64)
    state = torch.get_rng_state()
    with torch.no_grad(), ft.seeded(model, 3, strict=True):
        model.w.bernoulli_(torch.full(SHAPE, 0.5, dtype=torch.float64))
        assert set(np.unique(model.w.numpy())) == {0.0, 1.0}
        model.w.exponential_(INF)  # torch accepts an infinite rate: all zeros
        assert not model.w.any()
    assert torch.equal(state, torch.get_rng_state())


class _LazyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.LazyLinear(5)
        self.out = nn.Linear(5, 2)


class _Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 5)
        self.out = nn.Linear(5, 2)


def test_lazy_parameters_are_skipped_then_keyed_once_materialized() -> None:
    lazy = _LazyNet()
    plain = _Net()
    with torch.no_grad(), ft.seeded(plain, 11, strict=True):
        plain.fc.reset_parameters()
        plain.out.reset_parameters()
    x = torch.ones(2, 3)
    with torch.no_grad(), ft.seeded(lazy, 11, strict=True) as ctx:  # was: torch's "uninitialized parameter"
        lazy.out.reset_parameters()
        lazy.fc(x)  # materializes fc.weight/fc.bias and runs reset_parameters on them
    assert ctx.written == {"fc.weight", "fc.bias", "out.weight", "out.bias"}
    for name, t in plain.state_dict().items():
        assert torch.equal(lazy.state_dict()[name], t), name
