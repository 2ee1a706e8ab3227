"""fastinit.torch.build / deferred on the constructor-time init patterns of model zoos, with minimal
modules of our own: a ResNet-like ``kaiming_normal_`` loop and zero-init of the last BatchNorm's
weight, a ConvNeXt-like layer scale, a ViT-like class token initialized by a model-level
``init_weights()``, a module-level init helper, ``torch.rand`` copied into a parameter, a tied
weight and ``orthogonal_``.

Expectations come from outside the replay: deterministic tensors from the same model built by plain
torch; random ones from fastinit's own NumPy functions on the stream the keying rule names
(``name``, then ``name#1`` ...), from :class:`fastinit.torch.seeded` on a separately built model,
or from the distribution's mean and standard deviation.
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

SEED = 5


def _init_helper(linear: nn.Linear) -> None:
    """A module-level init helper, as model zoos keep them."""
    nn.init.xavier_uniform_(linear.weight)
    nn.init.zeros_(linear.bias)


class Bottleneck(nn.Module):
    def __init__(self, width: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(width, width, 3, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.gamma = nn.Parameter(1e-6 * torch.ones(width))  # ConvNeXt's layer scale


class ResNetLike(nn.Module):
    """torchvision's ResNet pattern: kaiming_normal_ over all convs in the constructor, BN weights
    one, and the last BN of each block zero (zero_init_residual)."""

    def __init__(self, width: int = 64) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, width, 3)
        self.blocks = nn.Sequential(Bottleneck(width), Bottleneck(width))
        self.fc = nn.Linear(width, 96)
        self.proj = nn.Linear(width, 32)
        _init_helper(self.proj)
        self.noise = nn.Parameter(torch.empty(128, 96))
        with torch.no_grad():
            self.noise.copy_(torch.rand(128, 96))  # a draw into a temporary, copied in
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        for block in self.blocks:
            nn.init.constant_(block.bn.weight, 0)


class ViTLike(nn.Module):
    """timm's ViT pattern: zeros for the class token, then trunc_normal_ in a model-level
    init_weights() called by the constructor, and _init_weights over the submodules."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__()
        self.cls_token = nn.Parameter(torch.zeros(1, 1, dim))
        self.qkv = nn.Linear(dim, 3 * dim)
        self.head = nn.Linear(dim, 200)
        self.norm = nn.LayerNorm(dim)
        self.init_weights()

    def init_weights(self) -> None:
        nn.init.trunc_normal_(self.cls_token, std=0.02)
        self.apply(self._init_weights)

    def _init_weights(self, m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)


class Tied(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        self.out = nn.Linear(16, 50, bias=False)
        self.out.weight = self.embed.weight
        nn.init.normal_(self.embed.weight, std=0.5)


MODELS: dict[str, Callable[[], nn.Module]] = {"resnet": ResNetLike, "vit": ViTLike, "tied": Tied}


def _np(t: torch.Tensor) -> np.ndarray:
    return t.detach().numpy()


def _state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a: nn.Module, b: nn.Module) -> None:
    sa, sb = _state(a), _state(b)
    assert sa.keys() == sb.keys()
    for k in sa:
        assert torch.equal(sa[k], sb[k]), k


def _quiet_build(fn: Callable[[], nn.Module], seed: int = SEED, **kwargs: object) -> nn.Module:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no draw of these models may go unkeyed
        return ft.build(fn, seed, **kwargs)  # type: ignore[arg-type]


# ---------------------------------------------------------------- reproducible, seeded, device-free


@pytest.mark.parametrize("name", MODELS)
def test_rebuild_gives_the_same_bits(name: str) -> None:
    _same(_quiet_build(MODELS[name]), _quiet_build(MODELS[name]))


@pytest.mark.parametrize("name", MODELS)
def test_meta_and_cpu_builds_are_equal(name: str) -> None:
    _same(_quiet_build(MODELS[name]), _quiet_build(MODELS[name], build_on="cpu"))


@pytest.mark.parametrize("name", MODELS)
def test_deferred_is_build(name: str) -> None:
    with ft.deferred(SEED) as d:
        model = MODELS[name]()
    assert all(t.is_meta for t in model.state_dict().values())
    _same(d.materialize(model), _quiet_build(MODELS[name]))
    assert d.reports == []


def _random_names(model: nn.Module) -> list[str]:
    return [k for k, v in model.state_dict().items() if v.is_floating_point() and v.numel() > 1 and v.std() > 0]


@pytest.mark.parametrize("name", MODELS)
def test_every_random_tensor_changes_with_the_seed(name: str) -> None:
    a, b = _state(_quiet_build(MODELS[name], 1)), _state(_quiet_build(MODELS[name], 2))
    randoms = [k for k in a if a[k].is_floating_point() and a[k].numel() > 1 and a[k].std() > 0]
    assert len(randoms) >= 2
    for k in a:
        assert torch.equal(a[k], b[k]) != (k in randoms), k


# ---------------------------------------------------------------- deterministic values: torch's, exactly


@pytest.mark.parametrize("name", ["resnet", "vit"])
def test_deterministic_tensors_are_torchs(name: str) -> None:
    built = _state(_quiet_build(MODELS[name]))
    torch.manual_seed(0)
    eager = _state(MODELS[name]())
    torch.manual_seed(1)
    other = _state(MODELS[name]())
    fixed = [k for k in eager if torch.equal(eager[k], other[k])]  # what torch's generator does not change
    assert fixed, "no deterministic tensor to compare"
    for k in fixed:
        assert torch.equal(built[k], eager[k]), k
    if name == "resnet":
        assert {"blocks.0.gamma", "blocks.1.bn.weight", "blocks.0.bn.running_var", "proj.bias"} <= set(fixed)
        assert built["blocks.1.bn.weight"].abs().sum() == 0 and built["stem.weight"].std() > 0


def test_tied_weight_stays_tied() -> None:
    model = _quiet_build(Tied)
    assert model.out.weight is model.embed.weight
    expected = fastinit.normal((50, 16), std=0.5, seed=SEED, stream="embed.weight")
    np.testing.assert_array_equal(_np(model.embed.weight), expected)


# ---------------------------------------------------------------- random values: keyed as seeded keys them


def test_draws_equal_seeded_on_the_same_names() -> None:
    """Each live draw is the first into its tensor: what seeded gives for the same call and name."""
    built = _quiet_build(ResNetLike)
    torch.manual_seed(0)
    ref = ResNetLike()
    with ft.seeded(ref, SEED):
        for m in ref.modules():
            if isinstance(m, nn.Conv2d):
                m.reset_parameters()  # the stem's bias: its default init
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
        _init_helper(ref.proj)
        ref.noise.uniform_()  # torch.rand's values, drawn into the parameter itself
        ref.fc.reset_parameters()
    _same(built, ref)


def test_vit_like_equals_init_module() -> None:
    """init_module runs _init_weights; the constructor's init_weights() draws the same, keyed the same
    (the nn.Linear defaults it overwrites are not replayed); cls_token by seeded's trunc_normal_."""
    built = _quiet_build(ViTLike)
    with torch.device("meta"):
        model = ViTLike()
    ft.init_module(model, SEED, scheme={"cls_token": "zeros"})  # not under _init_weights: given here
    state, expected = _state(built), _state(model)
    for k in expected:
        if k != "cls_token":
            assert torch.equal(state[k], expected[k]), k
    holder = nn.Module()
    holder.cls_token = nn.Parameter(torch.zeros(1, 1, 64))
    with ft.seeded(holder, SEED):
        nn.init.trunc_normal_(holder.cls_token, std=0.02)
    assert torch.equal(built.cls_token, holder.cls_token)


def _moments(t: torch.Tensor) -> tuple[float, float]:
    x = t.detach().double().flatten()
    return float(x.mean()), float(x.std())


def test_random_tensors_have_the_distributions_asked_for() -> None:
    """Mean and std against the init's formula (n >= 36864 elements: a few per mille of noise)."""
    model = _quiet_build(lambda: ResNetLike(width=64))
    cases = {
        "blocks.0.conv.weight": (0.0, math.sqrt(2.0 / (64 * 9))),  # kaiming_normal_ fan_out, relu
        "noise": (0.5, math.sqrt(1 / 12)),  # torch.rand: U(0, 1)
    }
    for name, (mean, std) in cases.items():
        got_mean, got_std = _moments(model.get_parameter(name))
        assert abs(got_mean - mean) < 0.03 * std + 1e-12, name
        assert abs(got_std / std - 1) < 0.03, name
    vit = _quiet_build(lambda: ViTLike(dim=128))
    got_mean, got_std = _moments(vit.qkv.weight)
    assert abs(got_mean) < 0.03 * 0.02 and abs(got_std / 0.02 - 1) < 0.03  # truncation at +-2: no effect at 0.02


def test_orthogonal_qr_input_keyed_by_its_parameter() -> None:
    class Rnn(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.empty(48, 32))
            nn.init.orthogonal_(self.w)

    a, b, c = _quiet_build(Rnn), _quiet_build(Rnn), _quiet_build(Rnn, SEED + 1)
    gram = a.w.detach().double().T @ a.w.detach().double()
    assert torch.allclose(gram, torch.eye(32, dtype=torch.float64), atol=1e-5)
    assert torch.equal(a.w, b.w) and not torch.equal(a.w, c.w)
