"""init_module keys a draw into a temporary whose values the model's own init code writes into a
parameter as build does (python/fastinit/torch/temporary_draws.py): Mamba's ``torch.rand`` turned
into a bias, the QR input of ``orthogonal_`` on a fresh tensor copied into a weight, and a second
draw added to a parameter (its own draw position), with minimal modules of our own. The
meta-built model's values equal ``build(make, seed, build_on="cpu")`` bit for bit, with no
UnkeyedDrawWarning, and are checked against fastinit's own draws and the distributions' ranges.
The replay starts from the group's memory as it was before the group (a half-drawn buffer, an
``out=`` argument); empty tensors join no group. A value read into Python, a replay that fails
halfway, and a temporary copied into two weights are reported (torch's values in the first two).
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


class PartlyDrawn(nn.Module):
    """A draw into half of a temporary of ones, the whole then doubled: the undrawn half is 2, not 4
    (the replay starts from the memory as it was before the draw, not as it is at the landing)."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(10))
        self._init_weights()

    def _init_weights(self) -> None:
        with torch.no_grad():
            buf = torch.ones(10)
            buf[:5].normal_()
            buf.mul_(2)
            self.w.copy_(buf)


class AddOut(nn.Module):
    """A temporary of ones that joins a draw's group as an ``out=`` argument: ones plus one keyed draw."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(4))
        self._init_weights()

    def _init_weights(self) -> None:
        with torch.no_grad():
            buf = torch.ones(4)
            torch.add(buf, torch.rand(4), out=buf)
            self.w.copy_(buf)


class EmptySlices(nn.Module):
    """A zero-size tensor made from a temporary, and an unrelated empty tensor made sparse (every
    empty tensor has data pointer 0; a sparse result would end a group it touched): the temporary
    goes into ``w``, keyed on it."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(4))
        if not self.w.is_meta:  # (no meta kernel for to_sparse)
            self._init_weights()

    def _init_weights(self) -> None:
        with torch.no_grad():
            t = torch.randn(4)
            _ = t[:0] * 2
            _ = torch.zeros(0).to_sparse()
            self.w.copy_(t)


@pytest.mark.parametrize("make", [PartlyDrawn, AddOut, EmptySlices], ids=lambda m: m.__name__)
def test_replay_starts_from_the_memory_before_the_group(make: Callable[[], nn.Module]) -> None:
    ours, built = _init_module_meta(make, 4).state_dict(), _build_cpu(make, 4).state_dict()
    assert ours.keys() == built.keys()
    for name, t in ours.items():
        assert torch.equal(t, built[name]), name
    w = ours["w"]
    if make is PartlyDrawn:
        drawn = torch.from_numpy(fastinit.normal(np.empty(5, np.float32), seed=4, stream="w"))
        assert torch.equal(w, torch.cat([drawn * 2, torch.full((5,), 2.0)]))
    elif make is AddOut:
        assert torch.equal(w, 1 + torch.from_numpy(fastinit.uniform(np.empty(4, np.float32), seed=4, stream="w")))
    else:
        assert torch.equal(w, torch.from_numpy(fastinit.normal(np.empty(4, np.float32), seed=4, stream="w")))


class ReadOut(nn.Module):
    """A temporary scaled by a number read from it into Python: torch's draw is a constant of the
    scaling, which a keyed replay cannot change."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(4))
        if not self.w.is_meta:
            self._init_weights()

    def _init_weights(self) -> None:
        with torch.no_grad():
            t = torch.randn(4)
            t /= t.norm().item()
            self.w.copy_(t)


def test_a_value_read_into_python_gives_torchs_values_and_a_report() -> None:
    torch.manual_seed(3)
    t = torch.randn(4)
    expected = t / t.norm().item()
    with torch.device("meta"):
        model = ReadOut()
    torch.manual_seed(3)
    with pytest.warns(ft.UnkeyedDrawWarning, match=r"torch\.randn draws from torch's generator"):
        ft.init_module(model, 0)
    assert torch.equal(model.w.detach(), expected)


class FailingReplay(nn.Module):
    """A temporary indexed by a mask of its own values: the selection has another size when the draw
    is keyed, so the replay fails after it rewrote the temporary; the temporary goes into ``w``."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.empty(8))

    def _init_weights(self) -> None:
        with torch.no_grad():
            x = torch.rand(8)
            _ = x[x > 0.5]
            self.w.copy_(x)


def test_a_replay_failing_halfway_leaves_torchs_values() -> None:
    keyed = torch.from_numpy(fastinit.uniform(np.empty(8, np.float32), seed=1, stream="w"))
    torch.manual_seed(0)
    torchs = torch.rand(8)
    assert int((keyed > 0.5).sum()) != int((torchs > 0.5).sum())  # the premise: the replay's selection fails
    with torch.device("meta"):
        model = FailingReplay()
    torch.manual_seed(0)
    with pytest.warns(ft.UnkeyedDrawWarning, match=r"torch\.rand draws from torch's generator"):
        ft.init_module(model, 1)
    assert torch.equal(model.w.detach(), torchs)


class TwoLandings(nn.Module):
    """One temporary copied into two weights."""

    def __init__(self) -> None:
        super().__init__()
        self.q = nn.Linear(4, 4, bias=False)
        self.k = nn.Linear(4, 4, bias=False)
        self._init_weights()

    def _init_weights(self) -> None:
        with torch.no_grad():
            t = torch.randn(4, 4)
            self.q.weight.copy_(t)
            self.k.weight.copy_(t)


def test_a_temporary_going_into_two_tensors_is_reported() -> None:
    with pytest.warns(ft.UnkeyedDrawWarning, match=r"torch\.randn draws from torch's generator"):
        ft.build(TwoLandings, 2, build_on="cpu")  # build reports it too (and keeps torch's values)
    with torch.device("meta"):
        model = TwoLandings()
    with pytest.warns(ft.UnkeyedDrawWarning, match=r"went into q\.weight \(keyed on it\) and now into k\.weight"):
        ft.init_module(model, 2)
    q = torch.from_numpy(fastinit.normal(np.empty((4, 4), np.float32), seed=2, stream="q.weight"))
    assert torch.equal(model.q.weight.detach(), q) and torch.equal(model.k.weight.detach(), q)
