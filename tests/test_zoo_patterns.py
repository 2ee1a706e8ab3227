"""init_module and seeded on the init patterns of model zoos (docs/guide/model-zoos.md), with minimal
modules of our own: reads of a tensor are no writes (a tensor nothing wrote is an error, on the CPU
as on the meta device), ``_init_weights`` called by its required arguments (none, the module, or
the module and its name), a buffer re-registered by ``reset_parameters`` counts as written, a tensor
the model's own code skips falls through to its layer's default rule, and the inverse-CDF truncated
normal written out op by op is one truncated-normal draw.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import pytest
import torch
from torch import nn

import fastinit.torch as ft

SEED = 11


def _build(factory: Callable[[], nn.Module], meta: bool) -> nn.Module:
    if meta:
        with torch.device("meta"):
            return factory()
    torch.manual_seed(0)
    return factory()


# ---------------------------------------------------------------- reads are no writes


class Head(nn.Module):
    """A decoder with an output-only bias that nothing in the model's init code writes."""

    def __init__(self) -> None:
        super().__init__()
        self.decoder = nn.Linear(4, 8)
        self.bias = nn.Parameter(torch.zeros(8))


class ReadsBias(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.head = Head()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            module.weight.data.normal_(0.0, 0.02)
            module.bias.data.zero_()
        if isinstance(module, Head):
            assert module.bias.data.shape == (8,) and module.bias.shape[0] == 8  # reads, writes nothing


def test_seeded_counts_writes_not_reads() -> None:
    m = Head()
    with ft.seeded(m, SEED) as ctx:
        _ = m.bias.data, m.bias.shape, m.bias.dtype, m.decoder.weight.data.sum()
        m.bias.requires_grad_(True)  # a flag, not the values
    assert ctx.written == set()
    with torch.no_grad(), ft.seeded(m, SEED) as ctx:
        m.bias[0] = 1.0
        torch.add(m.decoder.bias, 1.0, out=m.decoder.bias.data)
    assert ctx.written == {"bias", "decoder.bias"}


@pytest.mark.parametrize("meta", [False, True])
def test_a_tensor_nothing_wrote_is_an_error(meta: bool) -> None:
    with pytest.raises(RuntimeError, match=r"did not write head\.bias, and no layer default"):
        ft.init_module(_build(ReadsBias, meta), SEED)
    m = ft.init_module(_build(ReadsBias, meta), SEED, scheme={"head.bias": "zeros"})
    assert torch.equal(m.head.bias, torch.zeros(8))
    expected = ft.normal_(torch.empty(8, 4), 0.0, 0.02, seed=SEED, stream="head.decoder.weight")
    assert torch.equal(m.head.decoder.weight, expected) and torch.equal(m.head.decoder.bias, torch.zeros(8))


# ---------------------------------------------------------------- _init_weights by its required arguments


class Tree(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 3))
        self.b = nn.Linear(3, 3)


class NamedInit(Tree):
    """timm's MaxViT signature: called as fn(module=..., name=...) for every submodule, children first."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def _init_weights(self, module: nn.Module, name: str, scheme: str = "") -> None:
        self.calls.append(name)
        if isinstance(module, nn.Linear):
            nn.init.constant_(module.weight, 2.0 if name.startswith("a.") else 3.0)
            nn.init.zeros_(module.bias)


class NoArgInit(Tree):
    """Only optional parameters: called once, with none."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def _init_weights(self, scheme: str = "") -> None:
        self.calls += 1
        for lin in (self.a[0], self.a[1], self.b):
            nn.init.constant_(lin.weight, 5.0)
            nn.init.zeros_(lin.bias)


class ThreeArgInit(Tree):
    def _init_weights(self, module: nn.Module, name: str, depth: int) -> None:
        raise AssertionError("not to be called")


@pytest.mark.parametrize("meta", [False, True])
def test_init_weights_called_by_its_required_arguments(meta: bool) -> None:
    m = ft.init_module(_build(NamedInit, meta), SEED)
    assert m.calls == ["a.0", "a.1", "a", "b"]  # post-order, the model itself left out
    assert (m.a[0].weight == 2).all() and (m.a[1].weight == 2).all() and (m.b.weight == 3).all()
    one = ft.init_module(_build(NoArgInit, meta), SEED)
    assert one.calls == 1 and (one.b.weight == 5).all()
    three = _build(ThreeArgInit, meta)
    with pytest.raises(TypeError, match=r"ThreeArgInit\._init_weights\(module, name, depth\) takes required.*seeded"):
        ft.init_module(three, SEED)


# ---------------------------------------------------------------- tensors replaced by the model's code


class MaskBlock(nn.Module):
    """timm Swin's pattern: the buffer registered again, as a new tensor, by reset_parameters."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("mask", None, persistent=False)
        self.scale = nn.Parameter(torch.empty(3))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        device = self.scale.device
        self.register_buffer("mask", torch.full((3, 3), -100.0, device=device).triu(1), persistent=False)
        nn.init.constant_(self.scale, 0.5)


class Repadded(nn.Module):
    """transformers' re-tie of an output bias: new memory under the same parameter, a copy of its values."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.bias = nn.Parameter(torch.zeros(4))

    def _init_weights(self, module: nn.Module) -> None:
        if module is self:
            self.bias.data = nn.functional.pad(self.bias.data, (0, 0), "constant", 0)


@pytest.mark.parametrize("meta", [False, True])
def test_a_new_tensor_put_under_a_name_counts_as_written(meta: bool) -> None:
    m = ft.init_module(nn.Sequential(_build(MaskBlock, meta)), SEED)
    assert torch.equal(m[0].mask, torch.full((3, 3), -100.0).triu(1)) and not m[0].mask.is_meta
    assert torch.equal(m[0].scale, torch.full((3,), 0.5))
    with pytest.raises(RuntimeError, match=r"did not write bias,"):  # a copy into new memory writes nothing
        ft.init_module(_build(Repadded, meta), SEED)


class AssignsData(nn.Module):
    """Old-style init by ``.data =``: new memory with written values under a layer's and a custom parameter."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 3)
        self.w = nn.Parameter(torch.empty(3))
        self.v = nn.Parameter(torch.empty(2))
        self.b = nn.Parameter(torch.empty(4))

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            module.weight.data = torch.eye(3)
            module.bias.data.zero_()
        if module is self:
            self.w.data = torch.ones(3)
            self.v.data = torch.full_like(self.v, 2.0)  # *_like: the values are not v's
            self.b.data = nn.functional.pad(self.b.data, (0, 0), "constant", 0)  # a copy of unwritten values ...
            self.b.data.fill_(3.0)  # ... written into afterwards


class CopiesAnother(nn.Module):
    """A parameter given a copy of another one that nothing had written (the Linear's bias, filled after)."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.b = nn.Parameter(torch.empty(4))

    def _init_weights(self, module: nn.Module) -> None:
        if module is self:
            self.b.data = self.fc.bias.data.clone() * 1.0


@pytest.mark.parametrize("meta", [False, True])
def test_new_memory_with_written_values_counts_as_written(meta: bool) -> None:
    m = ft.init_module(_build(AssignsData, meta), SEED)
    assert torch.equal(m.fc.weight, torch.eye(3)) and torch.equal(m.fc.bias, torch.zeros(3))  # not the Linear rule
    assert torch.equal(m.w, torch.ones(3)) and torch.equal(m.v, torch.full((2,), 2.0))
    assert torch.equal(m.b, torch.full((4,), 3.0))
    with pytest.raises(RuntimeError, match=r"did not write b,"):
        ft.init_module(_build(CopiesAnother, meta), SEED)


# ---------------------------------------------------------------- falling through to the layer's default


class RelTable(nn.Module):
    """A custom layer whose default is its own reset_parameters (timm's relative position bias)."""

    def __init__(self) -> None:
        super().__init__()
        self.table = nn.Parameter(torch.empty(5, 2))
        self.extra = nn.Parameter(torch.empty(2))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.trunc_normal_(self.table, std=0.02)
        nn.init.normal_(self.extra, std=0.5)


class SkipsSome(nn.Module):
    """An _init_weights that writes Linear weights only, and one tensor of the custom layer."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(6, 4)
        self.norm = nn.LayerNorm(4)
        self.rel = RelTable()

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=0.02)
        if isinstance(module, RelTable):
            nn.init.zeros_(module.extra)


@pytest.mark.parametrize("meta", [False, True])
def test_tensors_the_code_skips_take_their_layers_default(meta: bool) -> None:
    m = ft.init_module(_build(SkipsSome, meta), SEED)
    assert torch.equal(m.fc.weight, ft.normal_(torch.empty(4, 6), std=0.02, seed=SEED, stream="fc.weight"))
    bound = 1 / math.sqrt(6)  # nn.Linear's bias rule: U(+-1/sqrt(fan_in))
    assert torch.equal(m.fc.bias, ft.uniform_(torch.empty(4), -bound, bound, seed=SEED, stream="fc.bias"))
    assert torch.equal(m.norm.weight, torch.ones(4)) and torch.equal(m.norm.bias, torch.zeros(4))
    # the custom layer's own reset_parameters ran first (as in its constructor), _init_weights after it
    assert torch.equal(m.rel.table, ft.trunc_normal_(torch.empty(5, 2), std=0.02, seed=SEED, stream="rel.table"))
    assert torch.equal(m.rel.extra, torch.zeros(2))
    # a scheme entry still comes first
    m = ft.init_module(_build(SkipsSome, meta), SEED, scheme={"fc.bias": "ones", "rel.table": "zeros"})
    assert torch.equal(m.fc.bias, torch.ones(4)) and torch.equal(m.rel.table, torch.zeros(5, 2))


# ---------------------------------------------------------------- the truncated normal written out op by op


def _cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def by_inverse_cdf(t: torch.Tensor, mean: float, std: float, a: float, b: float,
                   between: Callable[[torch.Tensor], Any] | None = None) -> torch.Tensor:
    """N(mean, std) truncated to [a, b] by inverse transform sampling, in place (``between``: an
    extra step after erfinv_)."""
    low, high = _cdf((a - mean) / std), _cdf((b - mean) / std)
    with torch.no_grad():
        t.uniform_(2 * low - 1, 2 * high - 1)
        t.erfinv_()
        if between is not None:
            between(t)
        t.mul_(std * math.sqrt(2.0))
        t.add_(mean)
        t.clamp_(min=a, max=b)
    return t


PARAMS = [(0.0, 0.02, -2.0, 2.0), (0.1, 0.02, -0.03, 0.05), (1.0, 3.0, -1.0, 2.5)]


@pytest.mark.parametrize("params", PARAMS)
def test_inverse_cdf_sequence_is_one_truncated_normal_draw(params: tuple[float, float, float, float]) -> None:
    m = nn.Linear(40, 30)
    with ft.seeded(m, SEED) as ctx:
        by_inverse_cdf(m.weight, *params)
    expected = ft.trunc_normal_(torch.empty(30, 40), *params, seed=SEED, stream="weight")
    assert torch.equal(m.weight, expected) and ctx.written == {"weight"}


class TruncInit(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(16, 8)

    def _init_weights(self, module: nn.Module) -> None:
        if isinstance(module, nn.Linear):
            by_inverse_cdf(module.weight, 0.0, 0.02, -0.04, 0.04)
            nn.init.zeros_(module.bias)


@pytest.mark.parametrize("meta", [False, True])
def test_inverse_cdf_sequence_in_init_module(meta: bool) -> None:
    m = ft.init_module(_build(TruncInit, meta), SEED)
    expected = ft.trunc_normal_(torch.empty(8, 16), 0.0, 0.02, -0.04, 0.04, seed=SEED, stream="fc.weight")
    assert torch.equal(m.fc.weight, expected)


def _faithful(shape: tuple[int, ...], low: float, high: float, steps: Callable[[torch.Tensor], Any]) -> torch.Tensor:
    """fastinit's uniform on the stream "weight", then the remaining ops run as torch runs them."""
    t = ft.uniform_(torch.empty(shape), low, high, seed=SEED, stream="weight")
    with torch.no_grad():
        steps(t)
    return t


def test_any_other_step_leaves_each_ops_own_result() -> None:
    mean, std, a, b = 0.0, 1.0, -1.5, 1.5
    low, high = 2 * _cdf(a) - 1, 2 * _cdf(b) - 1

    def rest(t: torch.Tensor, extra: float = 0.0) -> None:
        t.erfinv_()
        t.add_(extra)
        t.mul_(std * math.sqrt(2.0))
        t.add_(mean)
        t.clamp_(min=a, max=b)

    m = nn.Linear(20, 10)
    with ft.seeded(m, SEED):  # an op in between
        by_inverse_cdf(m.weight, mean, std, a, b, between=lambda t: t.add_(0.25))
    assert torch.equal(m.weight, _faithful((10, 20), low, high, lambda t: rest(t, 0.25)))
    with ft.seeded(m, SEED):  # a read in between
        by_inverse_cdf(m.weight, mean, std, a, b, between=lambda t: t.shape)
    assert torch.equal(m.weight, _faithful((10, 20), low, high, rest))
    with ft.seeded(m, SEED):  # bounds that do not fit step 1's
        with torch.no_grad():
            m.weight.uniform_(-0.5, 0.5)
            m.weight.erfinv_().mul_(math.sqrt(2.0)).add_(0.0).clamp_(min=a, max=b)
    assert torch.equal(m.weight, _faithful((10, 20), -0.5, 0.5, rest))
    truncated = ft.trunc_normal_(torch.empty(10, 20), mean, std, a, b, seed=SEED, stream="weight")
    assert not torch.equal(m.weight, truncated)
