"""init_module on layers with parametrized tensors (``torch.nn.utils.parametrize``): the layer's
default fills the unparametrized weight and the first parametrization's ``right_inverse`` gives
the originals (python/fastinit/torch/parametrized.py), the bits ``build`` gives the same model.
The pattern is transformers' wav2vec2/HuBERT positional conv: a ``weight_norm`` Conv1d whose
model ``_init_weights`` writes only the computed ``conv.weight`` (a new tensor at each access).
"""

from __future__ import annotations

import math
import warnings
from typing import Callable

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import weight_norm

import fastinit
import fastinit.torch as ft

SEED = 5
G, V = "conv.parametrizations.weight.original0", "conv.parametrizations.weight.original1"


class PosConv(nn.Module):
    """A grouped Conv1d under weight_norm(dim=2), its model init writing the computed weight or nothing."""

    def __init__(self, write_computed: bool = True) -> None:
        super().__init__()
        self.write_computed = write_computed
        self.conv = weight_norm(nn.Conv1d(8, 8, kernel_size=4, padding=2, groups=2), name="weight", dim=2)
        self.apply(self._init_weights)

    def _init_weights(self, m: nn.Module) -> None:
        if isinstance(m, nn.Conv1d):
            if self.write_computed:
                nn.init.normal_(m.weight, std=0.1)  # a fresh tensor: the originals keep their values
            nn.init.constant_(m.bias, 0.0)


def _meta(factory: Callable[[], nn.Module]) -> nn.Module:
    with torch.device("meta"):
        return factory()


def _fastinit_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if str(w.message).startswith("fastinit")]


def _assert_same(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert list(sa) == list(sb)
    for name, t in sa.items():
        assert torch.equal(t, sb[name]), name


@pytest.mark.parametrize("write_computed", [True, False])
@pytest.mark.parametrize("device", ["meta", "cpu"])
def test_weight_norm_conv_under_model_init_takes_the_layer_default(write_computed, device):
    with torch.device(device):
        m = PosConv(write_computed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ft.init_module(m, SEED)
    built = ft.build(lambda: PosConv(write_computed), seed=SEED, build_on="cpu")
    _assert_same(m, built)
    assert not _fastinit_warnings(caught)
    g, v = m.conv.parametrizations.weight.original0, m.conv.parametrizations.weight.original1
    # v: Conv1d's kaiming_uniform_(a=sqrt(5)), bound 1/sqrt(fan_in), fan_in = 8 / 2 groups * 4 taps
    assert v.shape == (8, 4, 4) and 0 < v.abs().max() <= 1 / math.sqrt(16)
    want = fastinit.kaiming_uniform((8, 4, 4), math.sqrt(5), seed=SEED, stream=V, layout="torch")
    np.testing.assert_array_equal(v.detach().numpy(), want)
    # g: weight_norm's right_inverse, the norm of v over every dimension but 2
    assert g.shape == (1, 1, 4)
    torch.testing.assert_close(g, v.detach().pow(2).sum(dim=(0, 1), keepdim=True).sqrt(), rtol=1e-6, atol=0)
    torch.testing.assert_close(m.conv.weight, v.detach(), rtol=1e-5, atol=1e-7)  # g * v / |v| is v again
    assert torch.equal(m.conv.bias, torch.zeros(8))  # the model's init
    assert not m.conv.parametrizations.weight._forward_hooks  # init_module's hook on the computed weight is gone


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_weight_norm_linear_alone(device):
    def make() -> nn.Module:
        return weight_norm(nn.Linear(5, 3))
    with torch.device(device):
        m = make()
    ft.init_module(m, SEED)
    _assert_same(m, ft.build(make, seed=SEED, build_on="cpu"))
    bias = fastinit.uniform((3,), -1 / math.sqrt(5), 1 / math.sqrt(5), seed=SEED, stream="bias")
    np.testing.assert_array_equal(m.bias.detach().numpy(), bias)
    v = m.parametrizations.weight.original1.detach()
    torch.testing.assert_close(m.parametrizations.weight.original0.detach(), v.norm(dim=1, keepdim=True))


class Symmetric(nn.Module):
    """A parametrization without right_inverse: its original is the weight the layer drew."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.triu() + x.triu(1).transpose(0, 1)


class SymmetricRefusing(Symmetric):
    """A right_inverse raising NotImplementedError: torch takes the weight itself, as without one."""

    def right_inverse(self, x: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def _symmetric_linear(kind: type[nn.Module] = Symmetric) -> nn.Module:
    layer = nn.Linear(4, 4)
    parametrize.register_parametrization(layer, "weight", kind())
    return layer


@pytest.mark.parametrize("kind", [Symmetric, SymmetricRefusing])
@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_without_right_inverse_the_original_is_the_drawn_weight(device, kind):
    with torch.device(device):
        m = _symmetric_linear(kind)
    ft.init_module(m, SEED)
    _assert_same(m, ft.build(lambda: _symmetric_linear(kind), seed=SEED, build_on="cpu"))
    stream = "parametrizations.weight.original"
    want = fastinit.kaiming_uniform((4, 4), math.sqrt(5), seed=SEED, stream=stream, layout="torch")
    np.testing.assert_array_equal(m.parametrizations.weight.original.detach().numpy(), want)
    assert torch.equal(m.weight, m.weight.T)


def test_only_the_first_parametrization_maps_the_weight():
    """weight_norm, then Symmetric: the originals are weight_norm's of the drawn weight (torch
    leaves them alone when the second one is registered)."""
    def make() -> nn.Module:
        layer = weight_norm(nn.Linear(4, 4))
        parametrize.register_parametrization(layer, "weight", Symmetric())
        return layer
    m = ft.init_module(_meta(make), SEED)
    _assert_same(m, ft.build(make, seed=SEED, build_on="cpu"))


class RowNorm(nn.Module):
    """weight_norm over rows, whose right_inverse has no meta-device path (a layer built on the CPU):
    init_module's probe of it on meta-device stand-ins is made again on the CPU."""

    def forward(self, g: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
        return g * v / v.norm(dim=1, keepdim=True)

    def right_inverse(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.is_meta:
            raise NotImplementedError("no meta kernel")
        return x.norm(dim=1, keepdim=True), x


def test_a_right_inverse_without_meta_support_is_probed_on_the_cpu():
    def make() -> nn.Module:
        layer = nn.Linear(6, 3)
        parametrize.register_parametrization(layer, "weight", RowNorm())
        return layer
    m = ft.init_module(make(), SEED)
    _assert_same(m, ft.build(make, seed=SEED, build_on="cpu"))
    v = m.parametrizations.weight.original1.detach()
    want = fastinit.kaiming_uniform((3, 6), math.sqrt(5), seed=SEED, stream="parametrizations.weight.original1",
                                    layout="torch")
    np.testing.assert_array_equal(v.numpy(), want)
    torch.testing.assert_close(m.parametrizations.weight.original0.detach(), v.norm(dim=1, keepdim=True))


class Scaled(nn.Module):
    """A right_inverse whose two originals both depend on the weight and neither is it: no layer
    default (which stream would key the draw?)."""

    def forward(self, direction: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
        return direction * scale

    def right_inverse(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        scale = x.abs().amax().reshape(1)
        return x / scale, scale


def _scaled_linear() -> nn.Module:
    layer = nn.Linear(4, 3)
    parametrize.register_parametrization(layer, "weight", Scaled())
    return layer


def test_ambiguous_originals_raise_before_anything_is_written():
    m = _scaled_linear()
    bias = m.bias.detach().clone()
    with pytest.raises(ValueError, match=r"parametrizations\.weight\.original0.*parametrizations\.weight\.original1"):
        ft.init_module(m, SEED)
    assert torch.equal(m.bias, bias)
    ft.init_module(m, SEED, scheme={"*.original0": "glorot_uniform", "*.original1": "ones"})
    assert torch.equal(m.parametrizations.weight.original1, torch.ones(1))


def test_ambiguous_originals_under_model_init_name_them():
    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.fc = _scaled_linear()

        def _init_weights(self, m: nn.Module) -> None:
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    with pytest.raises(RuntimeError, match=r"did not write fc\.parametrizations\.weight\.original0.*no layer default"):
        ft.init_module(_meta(Net), SEED)


def test_a_computed_tensor_stays_keyed_when_lazy_tensors_make_the_context_look_the_model_up_again() -> None:
    """``computed_keyed`` keys the tensor a parametrization computes (python/fastinit/torch/computed_tensors.py);
    a draw that misses while a lazy tensor remains makes ``seeded`` index the model again, which must not
    forget it (a draw into it would then be reported as into a tensor not the model's)."""
    from fastinit.torch.computed_tensors import computed_keyed

    model = nn.Module()
    model.conv = weight_norm(nn.Conv1d(4, 4, kernel_size=3), name="weight", dim=2)
    model.lazy = nn.LazyLinear(3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ft.UnkeyedDrawWarning)
        with ft.seeded(model, seed=SEED) as ctx, computed_keyed(model, ctx):
            weight = model.conv.weight  # computed now: keyed as conv.weight
            torch.empty(2).normal_()  # not the model's: a miss, and the model is indexed again (lazy tensors remain)
            assert len(ctx.reports) == 1
            nn.init.normal_(weight, std=0.1)
    assert len(ctx.reports) == 1, ctx.reports  # the draw into the computed tensor was keyed, not reported
    expected = fastinit.normal(tuple(weight.shape), std=0.1, seed=SEED, stream="conv.weight")
    assert np.array_equal(weight.detach().numpy(), expected)  # independent: fastinit's own draw on that stream
    assert not ctx.computed  # let go when computed_keyed closed
