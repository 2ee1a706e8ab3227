"""PyTorch's fan-based initializers with PyTorch's names, parameters and formulas
(``torch.nn.init.xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``, ``kaiming_normal_``):

    xavier_uniform:  U(-a, a),      a = sqrt(3) * gain * sqrt(2 / (fan_in + fan_out))
    xavier_normal:   N(0, std**2),  std = gain * sqrt(2 / (fan_in + fan_out))
    kaiming_uniform: U(-b, b),      b = sqrt(3) * calculate_gain(nonlinearity, a) / sqrt(fan_mode)
    kaiming_normal:  N(0, std**2),  std = calculate_gain(nonlinearity, a) / sqrt(fan_mode)

The normals are *untruncated*, as in PyTorch (Keras's and JAX's glorot/he normals are truncated,
and JAX's ``xavier_normal``/``kaiming_normal`` are aliases of those truncated ones).

The layout is PyTorch's by default (``layout="torch"``: Linear ``(out, in)``, Conv
``(out, in // groups, *kernel)``); pass ``layout="keras"`` or explicit axes for other layouts. A
rank-0/1 tensor gets Keras's fans ((1, 1) and (n, n)) where PyTorch raises. Fans come from
``full_shape`` when filling a shard. Each function makes ONE call to :func:`fastinit.uniform` or
:func:`fastinit.normal`, with ``seed``, ``stream``, ``full_shape`` and ``index`` passed through;
which fill, with which parameters, is the preset's plan (``xavier_uniform_plan`` ...: a pure
function of the whole tensor's shape and the parameters, see :mod:`fastinit.presets.plans`).
"""

import math
from functools import partial
from typing import Any, Optional

import numpy as np

from ..core.docstrings import shared_docs
from ..core.layout import Index, Shape
from ..core.seed import Seed, Stream
from ..core.suggest import check_choice
from .args import real_param
from .fans import Axis, calculate_gain, compute_fans
from .plans import Plan, fill_preset

__all__ = ["xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "xavier_uniform_plan",
           "xavier_normal_plan", "kaiming_uniform_plan", "kaiming_normal_plan"]

_TORCH_MODES = ("fan_in", "fan_out")


def _xavier_std(shape: Shape, gain: float, layout: Optional[str], in_axis: Optional[Axis], out_axis: Optional[Axis],
                batch_axis: Axis, groups: int) -> float:
    gain = real_param(gain, "gain", minimum=0.0)
    fan_in, fan_out = compute_fans(shape, layout=layout, in_axis=in_axis, out_axis=out_axis,
                                   batch_axis=batch_axis, groups=groups)
    return gain * math.sqrt(2.0 / float(max(1, fan_in + fan_out)))


def _kaiming_gain(a: float, mode: str, nonlinearity: str) -> tuple[float, str]:
    mode = check_choice(mode, "mode", _TORCH_MODES)
    return calculate_gain(nonlinearity, a), mode


def _kaiming_std(shape: Shape, a: float, mode: str, nonlinearity: str, layout: Optional[str], in_axis: Optional[Axis],
                 out_axis: Optional[Axis], batch_axis: Axis, groups: int) -> float:
    gain, mode = _kaiming_gain(a, mode, nonlinearity)
    fan_in, fan_out = compute_fans(shape, layout=layout, in_axis=in_axis, out_axis=out_axis,
                                   batch_axis=batch_axis, groups=groups)
    fan = fan_in if mode == "fan_in" else fan_out
    return gain / math.sqrt(max(1, fan))


def _uniform(std: float) -> Plan:
    """U(-bound, bound) of standard deviation ``std``: bound = sqrt(3) * std, as PyTorch computes it."""
    bound = math.sqrt(3.0) * std
    return Plan("uniform", low=-bound, high=bound)


def xavier_uniform_plan(shape: Shape, gain: float = 1.0, *, layout: Optional[str] = "torch",
                        in_axis: Optional[Axis] = None, out_axis: Optional[Axis] = None, batch_axis: Axis = (),
                        groups: int = 1) -> Plan:
    """The fill :func:`xavier_uniform` makes for a tensor of ``shape`` (a pure function; the other
    arguments as for it): ``Plan("uniform", low=-a, high=a)``, a = gain * sqrt(6 / (fan_in + fan_out))."""
    return _uniform(_xavier_std(shape, gain, layout, in_axis, out_axis, batch_axis, groups))


def xavier_normal_plan(shape: Shape, gain: float = 1.0, *, layout: Optional[str] = "torch",
                       in_axis: Optional[Axis] = None, out_axis: Optional[Axis] = None, batch_axis: Axis = (),
                       groups: int = 1) -> Plan:
    """The fill :func:`xavier_normal` makes for a tensor of ``shape`` (a pure function; the other
    arguments as for it): ``Plan("normal", mean=0, std=gain * sqrt(2 / (fan_in + fan_out)))``."""
    return Plan("normal", mean=0.0, std=_xavier_std(shape, gain, layout, in_axis, out_axis, batch_axis, groups))


def kaiming_uniform_plan(shape: Shape, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                         layout: Optional[str] = "torch", in_axis: Optional[Axis] = None,
                         out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1) -> Plan:
    """The fill :func:`kaiming_uniform` makes for a tensor of ``shape`` (a pure function; the other
    arguments as for it): ``Plan("uniform", low=-bound, high=bound)``, bound = gain * sqrt(3 / fan_mode)."""
    return _uniform(_kaiming_std(shape, a, mode, nonlinearity, layout, in_axis, out_axis, batch_axis, groups))


def kaiming_normal_plan(shape: Shape, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                        layout: Optional[str] = "torch", in_axis: Optional[Axis] = None,
                        out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1) -> Plan:
    """The fill :func:`kaiming_normal` makes for a tensor of ``shape`` (a pure function; the other
    arguments as for it): ``Plan("normal", mean=0, std=gain / sqrt(fan_mode))``."""
    std = _kaiming_std(shape, a, mode, nonlinearity, layout, in_axis, out_axis, batch_axis, groups)
    return Plan("normal", mean=0.0, std=std)


@shared_docs
def xavier_uniform(out: Any, gain: float = 1.0, *, layout: Optional[str] = "torch", in_axis: Optional[Axis] = None,
                   out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1, seed: Seed = None,
                   stream: Stream = 0, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                   dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (PyTorch
    ``xavier_uniform_``; the numbers of Keras/JAX ``glorot_uniform`` times ``gain``).

    {xavier_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.xavier_uniform((32, 64), seed=0, stream="fc.weight")  # Linear(64, 32).weight
        >>> bool(abs(w).max() <= (6 / (64 + 32)) ** 0.5)
        True
    """
    real_param(gain, "gain", minimum=0.0)  # the parameters first, then ``out``
    return fill_preset(out, partial(xavier_uniform_plan, gain=gain, layout=layout, in_axis=in_axis, out_axis=out_axis,
                                    batch_axis=batch_axis, groups=groups),
                       seed=seed, stream=stream, full_shape=full_shape, index=index, dtype=dtype)


@shared_docs
def xavier_normal(out: Any, gain: float = 1.0, *, layout: Optional[str] = "torch", in_axis: Optional[Axis] = None,
                  out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1, seed: Seed = None,
                  stream: Stream = 0, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                  dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)), untruncated
    (PyTorch ``xavier_normal_``).

    {xavier_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.xavier_normal((200, 200), gain=fastinit.calculate_gain("tanh"), seed=0)
        >>> round(float(w.std()), 2)  # 5/3 * sqrt(2 / 400)
        0.12
    """
    real_param(gain, "gain", minimum=0.0)
    return fill_preset(out, partial(xavier_normal_plan, gain=gain, layout=layout, in_axis=in_axis, out_axis=out_axis,
                                    batch_axis=batch_axis, groups=groups),
                       seed=seed, stream=stream, full_shape=full_shape, index=index, dtype=dtype)


@shared_docs
def kaiming_uniform(out: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                    layout: Optional[str] = "torch", in_axis: Optional[Axis] = None, out_axis: Optional[Axis] = None,
                    batch_axis: Axis = (), groups: int = 1, seed: Seed = None, stream: Stream = 0,
                    full_shape: Optional[Shape] = None, index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with U(-bound, bound), bound = gain * sqrt(3 / fan_mode) (PyTorch
    ``kaiming_uniform_``, same defaults).

    {kaiming_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.kaiming_uniform((128, 256), seed=0)  # gain sqrt(2): bound sqrt(6 / fan_in)
        >>> bool(abs(w).max() <= (6 / 256) ** 0.5)
        True
    """
    _kaiming_gain(a, mode, nonlinearity)  # the parameters first, then ``out``
    return fill_preset(out, partial(kaiming_uniform_plan, a=a, mode=mode, nonlinearity=nonlinearity, layout=layout,
                                    in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, groups=groups),
                       seed=seed, stream=stream, full_shape=full_shape, index=index, dtype=dtype)


@shared_docs
def kaiming_normal(out: Any, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu", *,
                   layout: Optional[str] = "torch", in_axis: Optional[Axis] = None, out_axis: Optional[Axis] = None,
                   batch_axis: Axis = (), groups: int = 1, seed: Seed = None, stream: Stream = 0,
                   full_shape: Optional[Shape] = None, index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with N(0, std**2), std = gain / sqrt(fan_mode), untruncated (PyTorch
    ``kaiming_normal_``, same defaults).

    {kaiming_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.kaiming_normal((128, 512), nonlinearity="relu", seed=0)
        >>> round(float(w.std()), 3)  # sqrt(2 / 512)
        0.063
    """
    _kaiming_gain(a, mode, nonlinearity)
    return fill_preset(out, partial(kaiming_normal_plan, a=a, mode=mode, nonlinearity=nonlinearity, layout=layout,
                                    in_axis=in_axis, out_axis=out_axis, batch_axis=batch_axis, groups=groups),
                       seed=seed, stream=stream, full_shape=full_shape, index=index, dtype=dtype)
