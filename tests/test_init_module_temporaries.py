"""init_module keys a draw into a temporary whose values the model's own init code writes into a
parameter as build does (python/fastinit/torch/temporary_draws.py): Mamba's ``torch.rand`` turned
into a bias, the QR input of ``orthogonal_`` on a fresh tensor copied into a weight, and a second
draw added to a parameter (its own draw position), with minimal modules of our own. The
meta-built model's values equal ``build(make, seed, build_on="cpu")`` bit for bit, with no
UnkeyedDrawWarning, and are checked against fastinit's own draws and the distributions' ranges.
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np
import pytest
import torch
from torch import nn

import fastinit
import fastinit.torch as ft

DT_MIN, DT_MAX, DT_FLOOR = 1e-3, 1e-1, 1e-4


def _inv_softplus_dt(u: torch.Tensor) -> torch.Tensor:
    """Mamba's time-step bias from uniform draws ``u``: log-uniform dt in [DT_MIN, DT_MAX], then softplus^-1."""
    dt = torch.exp(u * (math.log(DT_MAX) - math.log(DT_MIN)) + math.log(DT_MIN)).clamp(min=DT_FLOOR)
    return dt + torch.log(-torch.expm1(-dt))


class TimeStep(nn.Module):
    """Mamba's pattern: ``torch.rand`` into a temporary, a function of it copied into ``dt_proj.bias``."""

    def __init__(self) -> None:
        super().__init__()
        self.dt_proj = nn.Linear(4, 64)
        self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        if module is self.dt_proj:
            nn.init.uniform_(module.weight, -0.5, 0.5)
            inv_dt = _inv_softplus_dt(torch.rand(64, dtype=torch.float32))
            with torch.no_grad():
                module.bias.copy_(inv_dt)


class Orthogonal(nn.Module):
    """RWKV's pattern on a temporary: ``orthogonal_`` of a fresh tensor, copied into the weight
    after ``normal_`` drew into it (that draw is overwritten unread: it takes no draw position)."""

    def __init__(self, gain: float = 2.0) -> None:
        super().__init__()
        self.proj = nn.Linear(12, 5, bias=False)
        self.gain = gain
        self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        if module is self.proj:
            nn.init.normal_(module.weight, std=0.02)
            tmp = torch.empty(5, 12)
            nn.init.orthogonal_(tmp, gain=self.gain)
            with torch.no_grad():
                module.weight.copy_(tmp)


class Perturbed(nn.Module):
    """A draw into the weight, then a temporary's draw added to it: the temporary is the weight's
    second draw (stream ``"w#1"``), not a copy of the first."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(3, 7))
        self._init_weights()

    def _init_weights(self) -> None:
        with torch.no_grad():
            self.w.normal_()
            self.w.add_(0.5 * torch.randn_like(self.w))


class Halves(nn.Module):
    """A temporary's values written into half of a weight (through ``out=`` and a transposed view),
    then a draw into the other half: that draw follows the temporary's (stream ``"weight#1"``), as
    build counts a temporary's draw as a draw into every element of its tensor."""

    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 6)
        self.apply(self._init_weights)

    def _init_weights(self, module: nn.Module) -> None:
        if module is self.lin:
            with torch.no_grad():
                module.weight.zero_()
                scaled = torch.empty(4, 6)
                torch.mul(torch.randn(4, 6), 0.1, out=scaled)
                module.weight[:, :2] = scaled.t()[:, :2]
                module.weight[:, 2:].uniform_(-1, 1)
                module.bias.zero_()


def _init_module_meta(make: Callable[[], nn.Module], seed: int) -> nn.Module:
    with torch.device("meta"):
        model = make()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ft.UnkeyedDrawWarning)
        return ft.init_module(model, seed)


def _build_cpu(make: Callable[[], nn.Module], seed: int) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ft.UnkeyedDrawWarning)
        return ft.build(make, seed, build_on="cpu")


@pytest.mark.parametrize("make", [TimeStep, Orthogonal, Perturbed, Halves], ids=lambda m: m.__name__)
def test_init_module_equals_build_bit_for_bit(make: Callable[[], nn.Module]) -> None:
    ours, built = _init_module_meta(make, 5).state_dict(), _build_cpu(make, 5).state_dict()
    assert ours.keys() == built.keys()
    for name, t in ours.items():
        assert torch.equal(t, built[name]), name
    other = _init_module_meta(make, 6).state_dict()
    drawn = [name for name, t in ours.items() if t.unique().numel() > 1]  # not a constant (a zero bias)
    assert drawn and all(not torch.equal(ours[name], other[name]) for name in drawn), "values change with the seed"


def test_halves_are_the_temporarys_draw_and_the_weights_second() -> None:
    w = _init_module_meta(Halves, 2).lin.weight.detach()
    tmp = torch.from_numpy(fastinit.normal(np.empty((4, 6), np.float32), seed=2, stream="lin.weight"))
    rest = torch.from_numpy(fastinit.uniform(np.empty((6, 4), np.float32), -1.0, 1.0, seed=2, stream="lin.weight#1"))
    assert torch.equal(w[:, :2], (tmp * 0.1).t()[:, :2])
    assert torch.equal(w[:, 2:], rest[:, 2:])


def test_time_step_bias_is_keyed_uniform_through_mambas_transform() -> None:
    bias = _init_module_meta(TimeStep, 3).dt_proj.bias.detach()
    u = torch.from_numpy(fastinit.uniform(np.empty(64, np.float32), seed=3, stream="dt_proj.bias"))
    assert torch.equal(bias, _inv_softplus_dt(u))
    dt = torch.nn.functional.softplus(bias.double())  # softplus undoes the inverse: dt itself
    assert float(dt.min()) >= DT_MIN * (1 - 1e-5) and float(dt.max()) <= DT_MAX * (1 + 1e-5)
    log_dt = (dt.log() - math.log(DT_MIN)) / (math.log(DT_MAX) - math.log(DT_MIN))
    assert float(log_dt.min()) < 0.2 and float(log_dt.max()) > 0.8  # spread over the range, not one value


def test_orthogonal_temporary_gives_scaled_orthonormal_rows() -> None:
    w = _init_module_meta(Orthogonal, 0).proj.weight.detach().double()
    assert torch.allclose(w @ w.T, 4.0 * torch.eye(5, dtype=torch.float64), atol=1e-5)  # gain 2: rows of norm 2


def test_second_draw_into_a_parameter_is_its_own_stream() -> None:
    w = _init_module_meta(Perturbed, 9).w.detach()
    first = torch.from_numpy(fastinit.normal(np.empty((3, 7), np.float32), seed=9, stream="w"))
    second = torch.from_numpy(fastinit.normal(np.empty((3, 7), np.float32), seed=9, stream="w#1"))
    assert torch.equal(w, first + 0.5 * second)


class Unused(nn.Module):
    """A temporary whose values reach no tensor of the model (a scalar taken from it)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(4))  # (its values: init_module's call of _init_weights)

    def _init_weights(self) -> None:
        scale = float(torch.rand(8).sum())
        with torch.no_grad():
            self.w.fill_(scale)


def test_a_temporary_whose_values_reach_no_tensor_is_still_reported() -> None:
    with torch.device("meta"):
        model = Unused()
    with pytest.warns(ft.UnkeyedDrawWarning, match=r"torch\.rand draws from torch's generator"):
        ft.init_module(model, 0)
