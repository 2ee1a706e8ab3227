"""The random drop-in ``torch.nn.init`` functions: fastinit fills of a CPU tensor's own memory.

``uniform_``, ``normal_``, ``trunc_normal_``, ``xavier_uniform_``, ``xavier_normal_``,
``kaiming_uniform_``, ``kaiming_normal_``, ``orthogonal_``, ``sparse_`` and ``calculate_gain``
(see the package docstring of :mod:`fastinit.torch` for the contract). The deterministic ones
are in :mod:`.deterministic`, torch's deprecated names in :mod:`.deprecated`, and the tensor
checks and :func:`~fastinit.torch.numpy_view` in :mod:`.checks`.

Each checks the generator, the tensor and its parameters in torch's order before the seed is
drawn, so a refused call leaves the generator as it was.
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core import fills as _fills
from ..core.seed import Seed, Stream
from ..presets.fans import calculate_gain as _calculate_gain
from ..presets.orthogonal import orthogonal as _orthogonal
from ..presets.plans import Plan
from ..presets.plans import fill as _plan_fill
from ..presets.pytorch import kaiming_normal_plan, kaiming_uniform_plan, xavier_normal_plan, xavier_uniform_plan
from ..presets.structured import sparse as _sparse
from ..presets.truncation import torch_trunc_bounds
from .checks import (
    Tensor,
    _check_generator,
    _check_tensor,
    _fill,
    _matrix_rank,
    _number,
    _real_only,
    _seed,
    _torch_errors,
)

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
]

_FAN_MESSAGE = "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"


class _GainError(ValueError, TypeError):
    """calculate_gain's refusals: ValueError as in torch, TypeError as in fastinit."""


def _fan_rank(tensor: Tensor) -> None:
    """Rank >= 2 for the fan-based fills, with torch's message."""
    if tensor.dim() < 2:
        raise ValueError(_FAN_MESSAGE)


#: ``fill(view, seed, place)``: ``place`` is ``{}`` (the view is the whole tensor) or
#: ``{"full_shape": ..., "index": ...}`` (a DTensor's local shard, a chunk of a CUDA tensor; see :mod:`.dtensor`).
_Fill = Callable[[np.ndarray, int, dict[str, Any]], Any]


def _random_fill(where: str, tensor: Tensor, generator: Any, seed: Seed, fill: _Fill,
                 check: Callable[[Tensor], None] | None = None, whole: bool = False) -> Tensor:
    """A random fill in torch's order: ``generator`` checked, the tensor checked, ``check(tensor)``
    (a rank rule), and only then the seed drawn (a refused call leaves the generator as it was)
    and ``fill(view, seed, place)`` run on the tensor's memory. Returns ``tensor``."""
    _check_generator(generator, seed, where)
    _check_tensor(tensor, where)
    if check is not None:
        check(tensor)
    s = _seed(seed, generator)
    with _torch_errors():
        return _fill(tensor, where, lambda x: fill(x, s, {}), lambda x, p: fill(x, s, p), whole=whole)


def _plan_rule(plan: Callable[[tuple[int, ...]], Plan], stream: Stream) -> _Fill:
    """``fill(view, seed, place)`` filling the view with ``plan(whole shape)`` (real or complex)."""
    return lambda x, s, p: _plan_fill(x, plan(p.get("full_shape", x.shape)), seed=s, stream=stream, **p)


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """PyTorch's recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``):
    :func:`fastinit.calculate_gain`, with torch's exception type (ValueError) for an unknown
    nonlinearity or a ``param`` that is not a number; a 0-d tensor or array counts as a number."""
    try:
        return _calculate_gain(nonlinearity, _number(param))
    except (TypeError, ValueError) as exc:
        raise _GainError(str(exc)) from None


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: torch.Generator | None = None, *,
             seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with U(a, b) in place (``torch.nn.init.uniform_``); returns ``tensor``.

    Values: :func:`fastinit.uniform` ``(view, a, b, seed=seed, stream=stream)``; on a complex
    tensor the real and imaginary parts are each U(a, b), as in torch. ``seed=None`` draws the
    seed from ``generator`` (None: torch's default generator).
    """
    a, b = _number(a), _number(b)
    return _random_fill("uniform_", tensor, generator, seed,
                        lambda x, s, p: _fills.uniform(x, a, b, seed=s, stream=stream, **p))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: torch.Generator | None = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) in place (``torch.nn.init.normal_``); returns ``tensor``.

    Values: :func:`fastinit.normal` ``(view, mean, std, seed=seed, stream=stream)``; on a complex
    tensor the real and imaginary parts are each N(mean, std**2 / 2), as in torch.
    """
    mean, std = _number(mean), _number(std)
    return _random_fill("normal_", tensor, generator, seed,
                        lambda x, s, p: _fills.normal(x, mean, std, seed=s, stream=stream, **p))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: torch.Generator | None = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) truncated to [a, b] in place (``torch.nn.init.trunc_normal_``).

    ``a`` and ``b`` are **absolute** bounds, as in torch (default [-2, 2], i.e. +-2 only when
    mean=0 and std=1). Values: :func:`fastinit.truncated_normal` ``(view, mean, std, (a - mean) /
    std, (b - mean) / std)``: inverse-CDF sampling, exact in far tails too (torch warns when the
    mean is more than 2 std outside [a, b]; fastinit needs no warning). ``a``/``b`` may be
    infinite (one-sided). Complex tensors are refused, as in torch. Returns ``tensor``.
    """
    _check_generator(generator, seed, "trunc_normal_")
    with _torch_errors():
        mean, std, lo, hi = torch_trunc_bounds(_number(mean), _number(std), _number(a), _number(b), "trunc_normal_")
    _check_tensor(tensor, "trunc_normal_")
    _real_only(tensor, "trunc_normal_")
    s = _seed(seed, generator)
    def located(x: np.ndarray, p: dict[str, Any]) -> Any:
        return _fills.truncated_normal(x, mean, std, lo, hi, seed=s, stream=stream, **p)
    return _fill(tensor, "trunc_normal_", lambda x: located(x, {}), located)

def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None, *,
                    seed: Seed = None, stream: Stream = 0) -> Tensor:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)), fans of torch's layout
    (``torch.nn.init.xavier_uniform_``; complex: each part, as in torch). Values:
    :func:`fastinit.xavier_uniform`."""
    gain = _number(gain)
    return _random_fill("xavier_uniform_", tensor, generator, seed,
                        _plan_rule(lambda shape: xavier_uniform_plan(shape, gain), stream), _fan_rank)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None, *,
                   seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)), untruncated
    (``torch.nn.init.xavier_normal_``; complex: each part std / sqrt(2), as in torch). Values:
    :func:`fastinit.xavier_normal`."""
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
    _fan_rank(tensor)
    a = _number(a)
    calculate_gain(nonlinearity, a)  # torch's checks and exception type (ValueError)
    with _torch_errors():
        plan(tuple(tensor.shape), a, mode, nonlinearity)  # every parameter checked before the seed is drawn
    s = _seed(seed, generator)
    located = _plan_bound(plan, a, mode, nonlinearity, s, stream)
    return _fill(tensor, where, lambda x: located(x, {}), located)


def _plan_bound(plan: Callable[..., Plan], a: float, mode: str, nonlinearity: str, seed: int,
                stream: Stream) -> Callable[[np.ndarray, dict[str, Any]], Any]:
    return lambda x, p: _plan_fill(x, plan(p.get("full_shape", x.shape), a, mode, nonlinearity), seed=seed,
                                   stream=stream, **p)


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """U(-bound, bound), bound = calculate_gain(nonlinearity, a) * sqrt(3 / fan_mode)
    (``torch.nn.init.kaiming_uniform_``; nn.Linear and nn.Conv use ``a=math.sqrt(5)``; complex:
    each part, as in torch). Values: :func:`fastinit.kaiming_uniform`. A zero-element tensor is
    left alone with torch's warning."""
    return _kaiming(kaiming_uniform_plan, "kaiming_uniform_", tensor, a, mode, nonlinearity, generator, seed,
                    stream)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2), std = calculate_gain(nonlinearity, a) / sqrt(fan_mode), untruncated
    (``torch.nn.init.kaiming_normal_``; complex: each part std / sqrt(2), as in torch). Values:
    :func:`fastinit.kaiming_normal`."""
    return _kaiming(kaiming_normal_plan, "kaiming_normal_", tensor, a, mode, nonlinearity, generator, seed, stream)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: torch.Generator | None = None, *,
                seed: Seed = None, stream: Stream = 0) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``, rows = shape[0], the other axes flattened
    (``torch.nn.init.orthogonal_``). Values: :func:`fastinit.orthogonal` with ``layout="torch"``
    (Haar-distributed; float64 QR of a normal matrix from the stream). Complex tensors are
    refused, as in torch."""
    def rank(t: Tensor) -> None:
        if t.dim() < 2:
            raise ValueError("Only tensors with 2 or more dimensions are supported")
        _real_only(t, "orthogonal_")

    gain = _number(gain)
    return _random_fill("orthogonal_", tensor, generator, seed,
                        lambda x, s, p: _orthogonal(x, gain, layout="torch", seed=s, stream=stream, **p), rank,
                        whole=True)


def _sparse_fill(x: np.ndarray, sparsity: float, std: float, seed: int, stream: Stream, place: dict[str, Any]) -> None:
    """:func:`fastinit.sparse`; complex: the complex normal with the zeros of the real fill."""
    if x.dtype.kind != "c":
        _sparse(x, sparsity, std, seed=seed, stream=stream, **place)
        return
    zeros = _sparse(np.empty(x.shape, np.float32), sparsity, 1.0, seed=seed, stream=stream, **place) == 0
    _fills.normal(x, 0.0, std, seed=seed, stream=stream, **place)
    x[zeros] = 0


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: torch.Generator | None = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2) with ceil(sparsity * rows) zeros in every column of the 2-d ``tensor``
    (``torch.nn.init.sparse_``). Values: :func:`fastinit.sparse`; on a complex tensor the
    non-zeros are :func:`fastinit.normal`'s complex values (each part std / sqrt(2), as in
    torch), the zeros where the real fill with the same seed and stream has them."""
    sparsity, std = _number(sparsity), _number(std)
    return _random_fill("sparse_", tensor, generator, seed,
                        lambda x, s, p: _sparse_fill(x, sparsity, std, s, stream, p), _matrix_rank, whole=True)
