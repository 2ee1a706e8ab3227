"""fastinit.torch.build on the truncated normal written out op by op (timm's ``trunc_normal_``:
``uniform_``, ``erfinv_``, ``mul_``, ``add_``, ``clamp_`` on one tensor), with modules of our own:
the replay draws fastinit's truncated normal where the sequence starts and does not run its other
ops; a sequence with anything else in it still runs each op.

Expectations come from outside the replay: :class:`fastinit.torch.seeded` on a model built by plain
torch running the same code, fastinit's NumPy ``truncated_normal`` on the stream the keying rule
names, and the truncated normal's own bounds, mean and standard deviation (closed form).
"""

from __future__ import annotations

import math
from collections import Counter
from typing import Any, Callable

import numpy as np
import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

import fastinit
import fastinit.torch as ft

SEED = 9
MEAN, STD, A, B = 0.1, 0.5, -0.3, 0.6  # asymmetric bounds inside one std: the truncation shows in the moments


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def by_inverse_cdf(t: torch.Tensor, between: Callable[[torch.Tensor], Any] | None = None) -> None:
    """N(MEAN, STD) truncated to [A, B] written out op by op, as timm writes it (``between``: an extra op)."""
    low, high = _cdf((A - MEAN) / STD), _cdf((B - MEAN) / STD)
    with torch.no_grad():
        t.uniform_(2 * low - 1, 2 * high - 1)
        t.erfinv_()
        if between is not None:
            between(t)
        t.mul_(STD * math.sqrt(2.0))
        t.add_(MEAN)
        t.clamp_(min=A, max=B)


class Net(nn.Module):
    """A ViT-like module: a linear weight, a class token (zeros, then the sequence) and a table whose
    rows get the sequence one by one, all in the constructor."""

    def __init__(self, between: Callable[[torch.Tensor], Any] | None = None) -> None:
        super().__init__()
        self.fc = nn.Linear(100, 200)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, 100))
        self.table = nn.Parameter(torch.empty(3, 50))
        self.between = between
        self.init_values()

    def init_values(self) -> None:
        nn.init.zeros_(self.fc.bias)
        by_inverse_cdf(self.fc.weight, self.between)
        by_inverse_cdf(self.cls_token, self.between)
        for row in range(self.table.shape[0]):
            by_inverse_cdf(self.table[row], self.between)


class Counting(TorchFunctionMode):
    """Counts the torch calls on real (not meta) tensors by name."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: Counter[str] = Counter()

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        if args and isinstance(args[0], torch.Tensor) and not args[0].is_meta:
            self.calls[getattr(func, "__name__", "")] += 1
        return func(*args, **(kwargs or {}))


def _seeded(between: Callable[[torch.Tensor], Any] | None = None) -> Net:
    """The same code under seeded on a model built by plain torch."""
    net = Net(between)
    with ft.seeded(net, SEED):
        net.init_values()
    return net


def _truncated(shape: tuple[int, ...], stream: str) -> np.ndarray:
    """fastinit's NumPy truncated normal (its bounds in standard deviations from the mean)."""
    alpha, beta = (A - MEAN) / STD, (B - MEAN) / STD
    return fastinit.truncated_normal(np.empty(shape, np.float32), MEAN, STD, alpha, beta, seed=SEED, stream=stream)


def test_build_draws_the_truncated_normal_seeded_draws() -> None:
    net = ft.build(Net, SEED)
    ref = _seeded()
    for name, got in net.named_parameters():
        assert torch.equal(got, ref.get_parameter(name)), name
    np.testing.assert_array_equal(net.fc.weight.detach().numpy(), _truncated((200, 100), "fc.weight"))
    np.testing.assert_array_equal(net.cls_token.detach().numpy(), _truncated((1, 1, 100), "cls_token"))
    table = _truncated((3, 50), "table")  # rows drawn one by one: each a first draw, at its own positions
    np.testing.assert_array_equal(net.table.detach().numpy(), table)


def test_the_values_are_the_truncated_normal() -> None:
    w = ft.build(Net, SEED).fc.weight.detach().double()
    alpha, beta = (A - MEAN) / STD, (B - MEAN) / STD
    pdf = [math.exp(-z * z / 2) / math.sqrt(2 * math.pi) for z in (alpha, beta)]
    mass = _cdf(beta) - _cdf(alpha)
    mean = MEAN + STD * (pdf[0] - pdf[1]) / mass
    std = STD * math.sqrt(1 + (alpha * pdf[0] - beta * pdf[1]) / mass - ((pdf[0] - pdf[1]) / mass) ** 2)
    assert float(w.min()) >= np.float32(A) and float(w.max()) <= np.float32(B)
    n = w.numel()
    assert abs(float(w.mean()) - mean) < 5 * std / math.sqrt(n)
    assert abs(float(w.std()) / std - 1) < 0.03
    assert abs(std - STD) > 0.1 * STD  # the truncation matters: a plain normal's std would fail the check above


def test_the_sequences_other_ops_are_not_run() -> None:
    with Counting() as counting:
        ft.build(Net, SEED)
    ops = {k: counting.calls[k] for k in ("uniform_", "erfinv_", "mul_", "add_", "clamp_")}
    assert ops == dict.fromkeys(ops, 0)


def test_a_sequence_with_another_op_in_it_runs_each_op() -> None:
    def shift(t: torch.Tensor) -> None:
        t.add_(0.25)

    with Counting() as counting:
        net = ft.build(lambda: Net(shift), SEED)
    assert counting.calls["erfinv_"] == 5 and counting.calls["clamp_"] == 5
    ref = _seeded(shift)  # seeded does not recognize it either: fastinit's uniform, then torch's ops
    for name, got in net.named_parameters():
        assert torch.equal(got, ref.get_parameter(name)), name
    assert not np.array_equal(net.fc.weight.detach().numpy(), _truncated((200, 100), "fc.weight"))
    w = net.fc.weight.detach()
    assert float(w.min()) >= np.float32(A) and float(w.max()) <= np.float32(B)  # clamp_'s float32 bounds


class Temporary(nn.Module):
    """The sequence on a temporary copied into the parameter: keyed by the parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(20, 30))
        t = torch.empty(20, 30)
        by_inverse_cdf(t)
        with torch.no_grad():
            self.w.copy_(t)


@pytest.mark.parametrize("build_on", ["meta", "cpu"])
def test_a_temporarys_sequence_is_keyed_by_its_parameter(build_on: str) -> None:
    with Counting() as counting:
        net = ft.build(Temporary, SEED, build_on=build_on)
    replayed = counting.calls["erfinv_"] - (1 if build_on == "cpu" else 0)  # the cpu construction runs it once
    assert replayed == 0
    np.testing.assert_array_equal(net.w.detach().numpy(), _truncated((20, 30), "w"))
