"""fastinit.torch.build on the meta device with constructors that read tensor values
(python/fastinit/torch/value_reads.py): values computed from constants are computed on the CPU and the
meta build equals the CPU build bit for bit; values that depend on a random draw, on a parameter or
on a meta tensor made before the build raise NotImplementedError naming the cause and build_on='cpu';
torch's own errors stay as they are.

Expected structures come from the same constructor run eagerly by plain torch; expected values from
the CPU build (which runs the constructor as plain torch does, then replays it).
"""

from __future__ import annotations

import math
from typing import Callable

import pytest
import torch
from torch import nn

import fastinit.torch as ft

SEED = 5


class Widths(nn.Module):
    """Block widths computed as torchvision's RegNet computes them (arange, log, round, ``.int().tolist()``),
    and a drop rate read as timm reads its drop-path rates."""

    def __init__(self, depth: int = 7, w_0: int = 16, w_a: float = 12.5, w_m: float = 2.2) -> None:
        super().__init__()
        widths_cont = torch.arange(depth) * w_a + w_0
        capacity = torch.round(torch.log(widths_cont / w_0) / math.log(w_m))
        self.widths = (torch.round(torch.divide(w_0 * torch.pow(w_m, capacity), 8)) * 8).int().tolist()
        self.depths = torch.diff(torch.tensor([0, 2, depth])).int().tolist()
        self.rate = float(torch.linspace(0, 0.5, 3)[1])
        self.label = format(torch.tensor(2.0) / 3, ".3f")
        self.stages = nn.ModuleList(nn.Linear(a, b) for a, b in zip(self.widths, self.widths[1:]))
        self.gamma = nn.Parameter(self.rate * torch.ones(self.widths[-1]))
        for stage in self.stages:
            nn.init.kaiming_normal_(stage.weight)


def _same_state(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name in sa:
        assert torch.equal(sa[name], sb[name]), name


def test_widths_computed_from_constants_build_on_meta_as_on_cpu() -> None:
    eager = Widths()
    meta, cpu = ft.build(Widths, SEED), ft.build(Widths, SEED, build_on="cpu")
    assert meta.widths == cpu.widths == eager.widths and len(set(eager.widths)) > 2
    assert (meta.depths, meta.rate, meta.label) == (eager.depths, eager.rate, eager.label) == ([2, 5], 0.25, "0.667")
    _same_state(meta, cpu)
    assert meta.stages[0].weight.std() > 0 and torch.equal(meta.gamma, 0.25 * torch.ones(eager.widths[-1]))


def test_a_read_of_a_real_tensor_made_before_the_build_uses_its_values() -> None:
    """A real tensor made before the block is read with the values it had there."""
    base = torch.arange(4.0)

    class Outside(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            ramp = torch.arange(4.0) * base[3]  # a real 0-d tensor in a meta op: 3 * (0 + 1 + 2 + 3) = 18
            self.fc = nn.Linear(4, int(ramp.sum()))

    meta, cpu = ft.build(Outside, SEED), ft.build(Outside, SEED, build_on="cpu")
    assert meta.fc.out_features == Outside().fc.out_features == 18 and torch.equal(base, torch.arange(4.0))
    _same_state(meta, cpu)


def test_a_draw_overwritten_before_the_read_is_no_dependency() -> None:
    """Values filled over a draw do not depend on it: computed, and torch's generator left alone."""
    class Refilled(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            scratch = torch.empty(4)
            scratch.normal_()
            scratch.fill_(2.0)
            self.fc = nn.Linear(3, int(scratch.sum()))

    generator = torch.random.get_rng_state()
    meta = ft.build(Refilled, SEED)
    assert torch.equal(torch.random.get_rng_state(), generator)
    assert meta.fc.out_features == Refilled().fc.out_features == 8
    _same_state(meta, ft.build(Refilled, SEED, build_on="cpu"))


def _reads_a_draw() -> nn.Module:
    class Draw(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = nn.Linear(3, int(torch.randint(2, 5, ()).item()))
    return Draw()


def _reads_a_dropout() -> nn.Module:
    """A draw that no name tells (dropout in training mode): found by torch's generator moving."""
    class Dropout(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            kept = nn.functional.dropout(torch.ones(64), 0.5, training=True)
            self.fc = nn.Linear(3, 1 + int(kept.count_nonzero()))
    return Dropout()


def _reads_a_parameter() -> nn.Module:
    class Param(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.scale = nn.Parameter(torch.ones(3))
            self.total = float(self.scale.sum())
    return Param()


def _reads_an_outside_meta_tensor() -> nn.Module:
    class MetaOutside(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.n = int((OUTSIDE_META + 1).sum())
    return MetaOutside()


OUTSIDE_META = torch.ones(3, device="meta")


@pytest.mark.parametrize(("make", "cause"), [
    (_reads_a_draw, r"depend on a random draw \(torch\.randint\)"),
    (_reads_a_dropout, r"depend on a draw from torch's random generator"),
    (_reads_a_parameter, r"depend on a parameter \(nn\.Parameter\)"),
    (_reads_an_outside_meta_tensor, r"depend on a meta tensor made before the block"),
], ids=["randint", "dropout", "parameter", "meta-outside"])
def test_values_that_a_meta_build_cannot_know_raise_naming_the_cause(make: Callable[[], nn.Module],
                                                                     cause: str) -> None:
    generator = torch.random.get_rng_state()
    with pytest.raises(NotImplementedError, match=cause) as info:
        ft.build(make, SEED)
    assert "build_on='cpu'" in str(info.value) and info.value.__cause__ is not None  # torch's error, chained
    assert torch.equal(torch.random.get_rng_state(), generator)  # torch's generator left as it was
    if make is not _reads_an_outside_meta_tensor:
        assert isinstance(ft.build(make, SEED, build_on="cpu"), nn.Module)  # the advice works


class NonZero(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("index", torch.nonzero(torch.arange(4) % 2))


class ToCpu(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("index", (torch.arange(4) % 2).cpu())


@pytest.mark.parametrize(("make", "call", "expected"), [
    (NonZero, r"torch\.nonzero", [[1], [3]]),
    (ToCpu, r"Tensor\.cpu", [0, 1, 0, 1]),
], ids=["nonzero", "cpu"])
def test_a_call_returning_a_tensor_raises(make: Callable[[], nn.Module], call: str, expected: list[int]) -> None:
    with pytest.raises(NotImplementedError, match=call + r" returns a tensor \(a new tensor of data cannot be carried"):
        ft.build(make, SEED)
    assert ft.build(make, SEED, build_on="cpu").index.tolist() == expected


class SetAtTensorIndex(nn.Module):
    """``buf[torch.tensor(1)] = 5.0``: the 0-dim index is read (``.item()``), which fails on meta."""

    def __init__(self) -> None:
        super().__init__()
        buf = torch.zeros(4)
        buf[torch.tensor(1)] = 5.0
        self.register_buffer("buf", buf)


class NonZeroOut(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        index = torch.empty(0, 1, dtype=torch.long)
        torch.nonzero(torch.arange(4) % 2, out=index)
        self.register_buffer("index", index)


@pytest.mark.parametrize(("make", "call", "expected"), [
    (SetAtTensorIndex, r"Tensor\.__setitem__", {"buf": [0.0, 5.0, 0.0, 0.0]}),
    (NonZeroOut, r"torch\.nonzero", {"index": [[1], [3]]}),
], ids=["setitem", "out"])
def test_a_call_writing_a_tensor_raises_rather_than_losing_the_write(make: Callable[[], nn.Module], call: str,
                                                                     expected: dict[str, list[float]]) -> None:
    """Computed on the CPU, the write would not reach the meta build (which would then differ from the CPU one)."""
    with pytest.raises(NotImplementedError, match=call + r" writes a tensor.*build_on='cpu'") as info:
        ft.build(make, SEED)
    assert info.value.__cause__ is not None  # torch's error, chained
    on_cpu = ft.build(make, SEED, build_on="cpu")
    assert {name: t.tolist() for name, t in on_cpu.named_buffers()} == expected


def test_torchs_own_errors_are_left_as_they_are() -> None:
    """A call that fails for another reason than missing values raises torch's error unchanged."""
    class Mismatch(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.n = (torch.arange(3) + torch.arange(4)).tolist()

    with pytest.raises(RuntimeError) as on_meta:
        ft.build(Mismatch, SEED)
    with pytest.raises(RuntimeError):
        Mismatch()
    assert not isinstance(on_meta.value, NotImplementedError) and "build_on" not in str(on_meta.value)
