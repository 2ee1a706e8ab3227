"""The drop-in ``torch.nn.init`` functions scaled by the fans: ``xavier_uniform_``,
``xavier_normal_``, ``kaiming_uniform_`` and ``kaiming_normal_`` (fans of torch's layout
``(out, in, *kernel)``), each a random fill in torch's order (:mod:`.functions`)."""

import warnings
from typing import Any, Callable, Optional

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core.docstrings import shared_docs
from ..core.seed import Seed, Stream
from ..presets.plans import Plan
from ..presets.plans import fill as _plan_fill
from ..presets.pytorch import kaiming_normal_plan, kaiming_uniform_plan, xavier_normal_plan, xavier_uniform_plan
from .argchecks import check_fan_mode
from .checks import Tensor, _check_generator, _check_tensor, _number, _seed, _torch_errors
from .functions import _Fill, _random_fill, calculate_gain
from .tensor_fill import fill_tensor

__all__ = ["xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_"]

_FAN_MESSAGE = "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"


def _fan_rank(tensor: Tensor) -> None:
    """Rank >= 2 for the fan-based fills, with torch's message."""
    if tensor.dim() < 2:
        raise ValueError(_FAN_MESSAGE)


def _plan_rule(plan: Callable[[tuple[int, ...]], Plan], stream: Stream) -> _Fill:
    """``fill(view, seed, place)`` filling the view with ``plan(whole shape)`` (real or complex)."""
    return lambda x, s, p: _plan_fill(x, plan(p.get("full_shape", x.shape)), seed=s, stream=stream, **p)


@shared_docs
def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Optional[torch.Generator] = None, *,
                    seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with Glorot's uniform values, in place (``torch.nn.init.xavier_uniform_``).

    U(-bound, bound) with bound = gain * sqrt(6 / (fan_in + fan_out)), fans of torch's layout
    (``(out, in, *kernel)``: fan_in = in * kernel size, fan_out = out * kernel size); on a complex
    tensor each part, as in torch. The values are :func:`fastinit.xavier_uniform`'s. Differs from
    torch: the values are fastinit's.

    Args:
        tensor: {tensor} Rank >= 2.
        gain: The factor on the bound (default 1), e.g. ``calculate_gain("tanh")``.
        {torch_random_args}

    {torch_xavier_end}

    Example:
        >>> import math, torch, fastinit.torch as fit
        >>> w = fit.xavier_uniform_(torch.empty(30, 20), seed=0)
        >>> bool(w.abs().max() <= math.sqrt(6 / (20 + 30)))
        True
    """
    gain = _number(gain)
    return _random_fill("xavier_uniform_", tensor, generator, seed,
                        _plan_rule(lambda shape: xavier_uniform_plan(shape, gain), stream), _fan_rank)


@shared_docs
def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Optional[torch.Generator] = None, *,
                   seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with Glorot's normal values, in place (``torch.nn.init.xavier_normal_``).

    N(0, std**2) with std = gain * sqrt(2 / (fan_in + fan_out)), untruncated, fans of torch's
    layout (``(out, in, *kernel)``); on a complex tensor each part has std / sqrt(2), as in torch.
    The values are :func:`fastinit.xavier_normal`'s. Differs from torch: the values are
    fastinit's.

    Args:
        tensor: {tensor} Rank >= 2.
        gain: The factor on the standard deviation (default 1).
        {torch_random_args}

    {torch_xavier_end}

    Example:
        >>> import torch, fastinit.torch as fit
        >>> w = fit.xavier_normal_(torch.empty(200, 300), seed=0)
        >>> round(w.std().item(), 3)  # sqrt(2 / 500) = 0.063
        0.063
    """
    gain = _number(gain)
    return _random_fill("xavier_normal_", tensor, generator, seed,
                        _plan_rule(lambda shape: xavier_normal_plan(shape, gain), stream), _fan_rank)


def _kaiming(plan: Callable[..., Plan], where: str, tensor: Tensor, a: float, mode: str, nonlinearity: str,
             generator: Any, seed: Seed, stream: Stream) -> Tensor:
    """``kaiming_uniform_``/``kaiming_normal_``: a zero-element tensor is left alone with torch's warning."""
    _check_generator(generator, seed, where)
    _check_tensor(tensor, where)
    if 0 in tensor.shape:  # torch's rule, warning included
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return tensor
    check_fan_mode(mode)  # before the rank, as torch
    _fan_rank(tensor)
    a = _number(a)
    calculate_gain(nonlinearity, a)  # torch's checks and exception type (ValueError)
    with _torch_errors():
        plan(tuple(tensor.shape), a, mode, nonlinearity)  # every parameter checked before the seed is drawn
    s = _seed(seed, generator)
    located = _plan_bound(plan, a, mode, nonlinearity, s, stream)
    return fill_tensor(tensor, where, lambda x: located(x, {}), located)


def _plan_bound(plan: Callable[..., Plan], a: float, mode: str, nonlinearity: str, seed: int,
                stream: Stream) -> Callable[[np.ndarray, dict[str, Any]], Any]:
    return lambda x, p: _plan_fill(x, plan(p.get("full_shape", x.shape), a, mode, nonlinearity), seed=seed,
                                   stream=stream, **p)


@shared_docs
def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Optional[torch.Generator] = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with He's uniform values, in place (``torch.nn.init.kaiming_uniform_``).

    U(-bound, bound) with bound = calculate_gain(nonlinearity, a) * sqrt(3 / fan), ``fan`` the
    fan_in or fan_out (``mode``) of torch's layout ``(out, in, *kernel)``; on a complex tensor each
    part, as in torch. nn.Linear and nn.Conv initialize their weights with ``a=math.sqrt(5)``. A
    zero-element tensor is left alone with torch's warning. The values are
    :func:`fastinit.kaiming_uniform`'s. Differs from torch: the values are fastinit's.

    Args:
        tensor: {tensor} Rank >= 2.
        {torch_kaiming_args}

    {torch_kaiming_end}

    Example:
        >>> import math, torch, fastinit.torch as fit
        >>> w = fit.kaiming_uniform_(torch.empty(16, 8), nonlinearity="relu", seed=0)
        >>> bool(w.abs().max() <= math.sqrt(2) * math.sqrt(3 / 8))
        True
    """
    return _kaiming(kaiming_uniform_plan, "kaiming_uniform_", tensor, a, mode, nonlinearity, generator, seed,
                    stream)


@shared_docs
def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Optional[torch.Generator] = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with He's normal values, in place (``torch.nn.init.kaiming_normal_``).

    N(0, std**2) with std = calculate_gain(nonlinearity, a) / sqrt(fan), untruncated, ``fan`` the
    fan_in or fan_out (``mode``) of torch's layout ``(out, in, *kernel)``; on a complex tensor each
    part has std / sqrt(2), as in torch. A zero-element tensor is left alone with torch's warning.
    The values are :func:`fastinit.kaiming_normal`'s. Differs from torch: the values are
    fastinit's.

    Args:
        tensor: {tensor} Rank >= 2.
        {torch_kaiming_args}

    {torch_kaiming_end}

    Example:
        >>> import torch, fastinit.torch as fit
        >>> w = fit.kaiming_normal_(torch.empty(100, 400), mode="fan_in", nonlinearity="relu", seed=0)
        >>> round(w.std().item(), 3)  # sqrt(2) / sqrt(400) = 0.0707
        0.071
    """
    return _kaiming(kaiming_normal_plan, "kaiming_normal_", tensor, a, mode, nonlinearity, generator, seed, stream)
