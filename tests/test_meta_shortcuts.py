"""fastinit.torch.meta_shortcuts: the in-place ops on meta tensors that recording does not run give
what torch gives when it runs them (the same tensor, shape, strides, dtype and version step), and
every other call runs as torch runs it (its errors included)."""

from __future__ import annotations

from typing import Any, Callable

import pytest
import torch
from torch.overrides import TorchFunctionMode
from torch.utils._python_dispatch import TorchDispatchMode

from fastinit.torch.meta_shortcuts import meta_call
from fastinit.torch.record import Recorder

T = torch._C.TensorBase
KNOWN = [(T.erfinv_, (), {}), (T.mul_, (0.5,), {}), (T.add_, (3,), {}), (T.clamp_, (-2.0, 2.0), {}),
         (T.clamp_, (), {"min": -2.0, "max": 2}), (T.clamp_, (None, 1.0), {}), (T.clamp_, (-1.0,), {"max": 1.0}),
         (T.normal_, (), {}), (T.normal_, (0.1, 0.02), {}), (T.normal_, (1,), {"std": 0}),
         (T.normal_, (), {"std": 2.0}), (T.normal_, (0.0, 0.02), {"generator": None}),
         (torch.nn.init.normal_, (), {}), (torch.nn.init.normal_, (0.0, 1e-6), {}),
         (torch.nn.init.normal_, (), {"std": 0.02, "generator": None})]


class Calls(TorchFunctionMode):
    """Runs each call, keeping the ones that reached it."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Any] = []

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        self.seen.append(func)
        return func(*args, **(kwargs or {}))


class Aten(TorchDispatchMode):
    """Runs each aten op, keeping the ones that reached it (what torch ran, below any function mode)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[Any] = []

    def __torch_dispatch__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        self.seen.append(func)
        return func(*args, **(kwargs or {}))


class Caller(TorchFunctionMode):
    """Calls through meta_call, as the recorder does."""

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        return meta_call(func, args, kwargs or {})


def _shortcut(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, bool]:
    """(meta_call's result, whether torch ran ``func``)."""
    with Aten() as aten, Caller():
        result = func(*args, **kwargs)
    return result, bool(aten.seen)


@pytest.mark.parametrize("func,rest,kwargs", KNOWN)
@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16, torch.float64])
def test_a_known_call_is_not_run_and_gives_what_torch_gives(func: Any, rest: tuple[Any, ...], kwargs: dict[str, Any],
                                                            dtype: torch.dtype) -> None:
    ran = torch.empty(4, 6, device="meta", dtype=dtype)
    expected = func(ran, *rest, **kwargs)
    t = torch.empty(4, 6, device="meta", dtype=dtype)
    before = t._version
    got, called = _shortcut(func, (t, *rest), kwargs)
    assert not called and got is t and expected is ran
    assert (got.shape, got.stride(), got.dtype, got._version - before) == \
        (expected.shape, expected.stride(), expected.dtype, ran._version - 0)


def _leaf() -> torch.Tensor:
    return torch.nn.Parameter(torch.empty(3, device="meta"))


OTHERS = [
    (T.erfinv_, lambda: torch.empty(3, device="meta", dtype=torch.int64), (), {}),  # an integer tensor
    (T.mul_, lambda: torch.empty(3), (0.5,), {}),  # not meta
    (T.mul_, lambda: torch.empty(3, device="meta"), (torch.ones(()),), {}),  # a tensor factor
    (T.mul_, lambda: torch.empty(3, device="meta"), (2**70,), {}),  # an int torch cannot take
    (T.add_, lambda: torch.empty(3, device="meta"), (1.0,), {"alpha": 2}),
    (T.add_, lambda: torch.empty(3, device="meta"), (True,), {}),
    (T.clamp_, lambda: torch.empty(3, device="meta"), (), {}),  # no bound: torch's error
    (T.clamp_, lambda: torch.empty(3, device="meta"), (0.0,), {"min": 1.0}),  # min twice: torch's error
    (T.mul_, lambda: torch.empty(4, 6, device="meta").t(), (0.5,), {}),  # not contiguous
    (T.mul_, _leaf, (0.5,), {}),  # a leaf that requires grad, grad mode on: torch's error
    (T.normal_, lambda: torch.empty(3, device="meta"), (0.0, -1.0), {}),  # std < 0: torch's error
    (T.normal_, lambda: torch.empty(3, device="meta"), (0.0, float("nan")), {}),
    (T.normal_, lambda: torch.empty(3, device="meta"), (), {"generator": torch.Generator()}),
    (T.normal_, lambda: torch.empty(3, device="meta"), (0.0,), {"mean": 1.0}),  # mean twice: torch's error
    (torch.nn.init.normal_, lambda: torch.empty(3, device="meta"), (0.0, -1.0), {}),
    (torch.nn.init.normal_, lambda: torch.empty(3, device="meta"), (0.0,), {"mean": 1.0}),
    (torch.nn.init.normal_, lambda: torch.empty(3, device="meta", dtype=torch.int32), (), {}),
]


def test_torch_nn_init_normal_on_a_parameter_is_known_under_grad_mode() -> None:
    p = _leaf()  # requires grad; torch.nn.init.normal_ draws under no_grad, so torch raises nothing
    got, called = _shortcut(torch.nn.init.normal_, (p, 0.0, 0.02), {})
    assert not called and got is p and p._version == 1
    ran = _leaf()
    assert torch.nn.init.normal_(ran, 0.0, 0.02) is ran and ran._version == 1


@pytest.mark.parametrize("func,make,rest,kwargs", OTHERS)
def test_any_other_call_runs_as_torch_runs_it(func: Any, make: Callable[[], torch.Tensor], rest: tuple[Any, ...],
                                              kwargs: dict[str, Any]) -> None:
    try:
        expected: Any = func(make(), *rest, **kwargs)
    except (RuntimeError, TypeError, ValueError, OverflowError) as exc:
        expected = exc
    try:
        got, called = _shortcut(func, (make(), *rest), kwargs)
    except (RuntimeError, TypeError, ValueError, OverflowError) as exc:
        got, called = exc, True
    assert called
    if isinstance(expected, Exception):
        assert type(got) is type(expected) and str(got) == str(expected)
    else:
        assert got.shape == expected.shape and got.dtype == expected.dtype


def test_a_mode_under_the_recorder_sees_every_call() -> None:
    with Calls() as calls, Recorder() as rec:
        with torch.no_grad():
            torch.empty(3, device="meta").erfinv_()
    assert T.erfinv_ in calls.seen and len(rec.recording.ops) == 2


def test_the_recorder_records_a_known_call_as_a_write() -> None:
    with Recorder() as rec:
        with torch.no_grad():
            t = torch.empty(2, 3, device="meta")
            t.mul_(2.0).clamp_(min=-1.0, max=1.0)
    funcs = [op.func for op in rec.recording.ops]
    assert funcs == [torch.empty, T.mul_, T.clamp_]
    key = rec.recording.ops[0].results[0].key
    assert all(op.mutated == {key} for op in rec.recording.ops[1:]) and t._version == 2
