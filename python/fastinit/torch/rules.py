"""Per-layer default rules of :func:`fastinit.torch.init_module`: what each torch layer's own
``reset_parameters`` does with torch's defaults, as fastinit fills.

A :class:`Rule` fills one tensor given ``(tensor, seed, stream name)``; :func:`module_rules`
gives the rules of one module's own tensors, by name relative to it, when the module's reset
method is torch's own (a subclass that overrides it gets none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, cast

import torch  # absolute import: the real PyTorch

from ..presets.fans import compute_fans
from .checks import Tensor, numpy_view
from .deterministic import constant_
from .fan_scaled import kaiming_uniform_, xavier_normal_, xavier_uniform_
from .functions import normal_, uniform_

__all__ = ["Rule", "ONES", "ZEROS", "module_rules"]


@dataclass(frozen=True)
class Rule:
    """How to fill one tensor.

    Attributes:
        fill: ``fill(tensor, seed, stream)`` fills ``tensor`` in place.
        any_dtype: True when ``fill`` decides itself which dtypes it fills (a torch op, a user
            callable); False when it needs a float dtype fastinit writes (float32, float64,
            float16, bfloat16), which :func:`fastinit.torch.init_module` checks before writing.
    """

    fill: Callable[[Tensor, int, str], None]
    any_dtype: bool = False

    def __call__(self, tensor: Tensor, seed: int, stream: str) -> None:
        """Fill ``tensor`` on ``(seed, stream)``."""
        self.fill(tensor, seed, stream)


def _torch_fan_in(shape: tuple[int, ...]) -> int:
    """fan_in of a weight of torch's layout ``(out, in, *kernel)``."""
    return compute_fans(shape, layout="torch")[0]


def _kaiming_sqrt5(t: Tensor, seed: int, stream: str) -> None:
    """nn.Linear's and nn.Conv's weight: ``kaiming_uniform_(a=sqrt(5))``."""
    kaiming_uniform_(t, a=math.sqrt(5), seed=seed, stream=stream)


def _uniform_rule(bound: float) -> Rule:
    """U(-bound, bound)."""
    def fill(t: Tensor, seed: int, stream: str) -> None:
        uniform_(t, -bound, bound, seed=seed, stream=stream)
    return Rule(fill)


def _constant_rule(value: float) -> Rule:
    """The constant ``value`` (seed and stream unused)."""
    def fill(t: Tensor, seed: int, stream: str) -> None:
        constant_(t, value)
    return Rule(fill)


def _xavier_uniform(t: Tensor, seed: int, stream: str) -> None:
    """``xavier_uniform_`` with gain 1."""
    xavier_uniform_(t, seed=seed, stream=stream)


def _xavier_normal(t: Tensor, seed: int, stream: str) -> None:
    """``xavier_normal_`` with gain 1."""
    xavier_normal_(t, seed=seed, stream=stream)


def _zero_any(t: Tensor, seed: int, stream: str) -> None:
    """Zero any dtype (num_batches_tracked is int64): a torch op, nothing random."""
    with torch.no_grad():
        t.zero_()


ONES = _constant_rule(1.0)
ZEROS = _constant_rule(0.0)
_XAVIER_UNIFORM = Rule(_xavier_uniform)
_XAVIER_NORMAL = Rule(_xavier_normal)
_ZERO_ANY = Rule(_zero_any, any_dtype=True)  # the other rules need a float dtype fastinit writes


def _own(m: torch.nn.Module, name: str) -> Tensor | None:
    """``m``'s own parameter or buffer ``name`` (not a submodule's), or None."""
    t: Tensor | None = m._parameters.get(name)
    if t is None:
        t = m._buffers.get(name)
    return t


def _linear_like(m: torch.nn.Module) -> dict[str, Rule]:
    """nn.Linear and nn.Conv*/ConvTranspose*: kaiming_uniform(a=sqrt(5)), bias U(+-1/sqrt(fan_in))."""
    rules: dict[str, Rule] = {}
    weight = _own(m, "weight")
    if weight is None:
        return rules
    rules["weight"] = Rule(_kaiming_sqrt5)
    if _own(m, "bias") is not None:
        fan_in = _torch_fan_in(tuple(weight.shape))
        rules["bias"] = _uniform_rule(1 / math.sqrt(fan_in) if fan_in > 0 else 0.0)
    return rules


def _bilinear(m: torch.nn.Module) -> dict[str, Rule]:
    """nn.Bilinear: weight and bias U(+-1/sqrt(in1_features))."""
    weight = _own(m, "weight")
    if weight is None or weight.shape[1] <= 0:
        return {}
    rule = _uniform_rule(1 / math.sqrt(weight.shape[1]))
    return {"weight": rule, "bias": rule} if _own(m, "bias") is not None else {"weight": rule}


def _embedding(m: torch.nn.Module) -> dict[str, Rule]:
    """nn.Embedding, nn.EmbeddingBag: N(0, 1), row ``padding_idx`` zero."""
    padding_idx = getattr(m, "padding_idx", None)

    def fill(t: Tensor, seed: int, stream: str) -> None:
        normal_(t, seed=seed, stream=stream)
        if padding_idx is not None:
            numpy_view(t)[padding_idx] = 0
    return {"weight": Rule(fill)}


def _norm_base(m: torch.nn.Module) -> dict[str, Rule]:
    """BatchNorm*, SyncBatchNorm, InstanceNorm*: running stats reset, affine weight 1, bias 0."""
    rules: dict[str, Rule] = {"weight": ONES, "bias": ZEROS, "running_mean": ZEROS, "running_var": ONES,
                              "num_batches_tracked": _ZERO_ANY}
    return {k: v for k, v in rules.items() if _own(m, k) is not None}


def _affine_norm(m: torch.nn.Module) -> dict[str, Rule]:
    """LayerNorm, GroupNorm, RMSNorm: weight 1, bias 0."""
    return {k: v for k, v in (("weight", ONES), ("bias", ZEROS)) if _own(m, k) is not None}


def _prelu(m: torch.nn.Module) -> dict[str, Rule]:
    """nn.PReLU: its ``init`` value."""
    return {"weight": _constant_rule(float(cast("torch.nn.PReLU", m).init))}


def _rnn(m: torch.nn.Module) -> dict[str, Rule]:
    """RNN/LSTM/GRU and their cells: every parameter U(+-1/sqrt(hidden_size))."""
    hidden = int(cast("torch.nn.RNNBase | torch.nn.RNNCellBase", m).hidden_size)
    rule = _uniform_rule(1.0 / math.sqrt(hidden) if hidden > 0 else 0.0)
    return {name: rule for name, p in m._parameters.items() if p is not None}


def _multihead_attention(m: torch.nn.Module) -> dict[str, Rule]:
    """MultiheadAttention._reset_parameters: xavier_uniform projections, zero biases (out_proj's
    too), xavier_normal bias_k/bias_v; out_proj.weight keeps nn.Linear's rule."""
    rules: dict[str, Rule] = {}
    for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
        if _own(m, name) is not None:
            rules[name] = _XAVIER_UNIFORM
    if _own(m, "in_proj_bias") is not None:
        rules["in_proj_bias"] = ZEROS
        if getattr(m.out_proj, "bias", None) is not None:
            rules["out_proj.bias"] = ZEROS
    for name in ("bias_k", "bias_v"):
        if _own(m, name) is not None:
            rules[name] = _XAVIER_NORMAL
    return rules


def _transformer(m: torch.nn.Module) -> dict[str, Rule]:
    """nn.Transformer._reset_parameters: xavier_uniform for every parameter of rank > 1 under it."""
    return {name: _XAVIER_UNIFORM for name, p in m.named_parameters() if p.dim() > 1}


#: (module class, name of its reset method, rules of such a module's own tensors)
_Handler = tuple[type, str, Callable[[torch.nn.Module], dict[str, Rule]]]


def _handlers() -> list[_Handler]:
    """The rule table, first match wins; nn.RMSNorm where this torch has it."""
    nn = torch.nn
    table: list[_Handler] = [
        (nn.Linear, "reset_parameters", _linear_like),
        (nn.modules.conv._ConvNd, "reset_parameters", _linear_like),
        (nn.Bilinear, "reset_parameters", _bilinear),
        (nn.Embedding, "reset_parameters", _embedding),
        (nn.EmbeddingBag, "reset_parameters", _embedding),
        (nn.modules.batchnorm._NormBase, "reset_parameters", _norm_base),
        (nn.LayerNorm, "reset_parameters", _affine_norm),
        (nn.GroupNorm, "reset_parameters", _affine_norm),
        (nn.PReLU, "reset_parameters", _prelu),
        (nn.RNNBase, "reset_parameters", _rnn),
        (nn.RNNCellBase, "reset_parameters", _rnn),
        (nn.MultiheadAttention, "_reset_parameters", _multihead_attention),
        (nn.Transformer, "_reset_parameters", _transformer),
    ]
    if hasattr(nn, "RMSNorm"):
        table.append((nn.RMSNorm, "reset_parameters", _affine_norm))
    return table


_HANDLERS = _handlers()


def module_rules(m: torch.nn.Module) -> dict[str, Rule]:
    """Rules (names relative to ``m``) for a module whose reset method is torch's own; a subclass
    that overrides it gets none (its tensors are then 'unknown')."""
    for base, method, handler in _HANDLERS:
        if isinstance(m, base) and getattr(type(m), method, None) is getattr(base, method):
            return handler(m)
    return {}
