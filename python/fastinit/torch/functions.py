"""The drop-in ``torch.nn.init`` functions: fastinit fills of a CPU tensor's own memory.

``uniform_``, ``normal_``, ``trunc_normal_``, ``constant_``, ``ones_``, ``zeros_``, ``eye_``,
``dirac_``, ``xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``, ``kaiming_normal_``,
``orthogonal_``, ``sparse_`` and ``calculate_gain`` (see the package docstring of
:mod:`fastinit.torch` for the contract), plus :func:`numpy_view` and the tensor checks that
:mod:`fastinit.torch.module_init` shares (``_check_tensor``, ``_fill``, ``_seed``,
``_FLOAT_DTYPES``).
"""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core import fills as _fills
from ..core.dtypes import bfloat16 as _np_bfloat16
from ..core.seed import Seed, Stream, resolve_seed
from ..presets.fans import calculate_gain
from ..presets.orthogonal import orthogonal as _orthogonal
from ..presets.pytorch import kaiming_normal as _kaiming_normal
from ..presets.pytorch import kaiming_uniform as _kaiming_uniform
from ..presets.pytorch import xavier_normal as _xavier_normal
from ..presets.pytorch import xavier_uniform as _xavier_uniform
from ..presets.structured import dirac as _dirac
from ..presets.structured import eye as _eye
from ..presets.structured import sparse as _sparse
from ..presets.truncation import torch_trunc_bounds

__all__ = [
    "Tensor",
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
    "numpy_view",
]

Tensor = torch.Tensor

_FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
_FAN_MESSAGE = "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"


# ---------------------------------------------------------------- the tensor's memory as NumPy


def _check_tensor(tensor: Any, where: str) -> None:
    """Everything :func:`numpy_view` needs, checked without touching memory."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{where}: tensor must be a torch.Tensor, got {type(tensor).__name__}; "
                        "for NumPy arrays use fastinit's functions (fastinit.uniform, ...) directly")
    if torch.nn.parameter.is_lazy(tensor):
        raise ValueError(f"{where}: tensor is an uninitialized lazy parameter/buffer; run a forward pass (or "
                         "module.initialize_parameters) first so that it has a shape")
    if tensor.is_meta:
        raise ValueError(f"{where}: tensor is on the meta device and has no memory to fill; materialize the "
                         "module with fastinit.torch.init_module(module, seed) (to_empty + fill), or create the "
                         "tensor on the CPU")
    if tensor.device.type != "cpu":
        raise ValueError(f"{where}: tensor is on {tensor.device}; fastinit fills CPU memory: fill a CPU tensor "
                         f"and move it (t_cpu = torch.empty(shape, dtype=dtype); fill; t.copy_(t_cpu) or "
                         f"t_cpu.to('{tensor.device}'))")
    if tensor.layout != torch.strided:
        raise TypeError(f"{where}: tensor has layout {tensor.layout}; fastinit fills dense (strided) tensors")
    if tensor.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{where}: tensor has dtype {tensor.dtype}; fastinit fills torch.float32, torch.float64, "
                        "torch.float16 and torch.bfloat16 tensors (convert with tensor.to(torch.float32))")
    if tensor.is_neg() or tensor.is_conj():
        raise TypeError(f"{where}: tensor is a lazily negated/conjugated view; call .resolve_neg() and fill that")
    if any(st == 0 and n > 1 for st, n in zip(tensor.stride(), tensor.shape)) or (
            tensor.numel() > 1 and torch._debug_has_internal_overlap(tensor) == 1):
        raise ValueError(f"{where}: tensor has overlapping memory (an expanded/broadcast view, stride 0), so "
                         "its elements cannot each get their own value; fill the tensor it was expanded from, "
                         "or a .clone()")


def numpy_view(tensor: Tensor) -> np.ndarray:
    """A writable NumPy view of a CPU tensor's own memory (same strides, no copy).

    float32/float64/float16 tensors give arrays of the same dtype; a bfloat16 tensor gives an
    ``ml_dtypes.bfloat16`` array over the same bytes. Writing to the view writes the tensor
    (without bumping its autograd version counter; the fill functions here do that).

    Raises:
        TypeError: not a tensor, unsupported dtype or layout. ValueError: a meta or non-CPU
        tensor, or one whose elements overlap in memory.
    """
    _check_tensor(tensor, "numpy_view")
    t = tensor.detach()
    try:
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().view(_np_bfloat16)
        return t.numpy()
    except RuntimeError as exc:  # functorch/fake tensors and other wrappers have no plain storage
        raise TypeError(f"tensor of type {type(tensor).__name__} has no CPU memory NumPy can view: {exc}") from None


def _fill(tensor: Tensor, where: str, fill: Callable[[np.ndarray], Any]) -> Tensor:
    """Run ``fill`` on the NumPy view of ``tensor``, bump its autograd version, return it."""
    _check_tensor(tensor, where)
    array = numpy_view(tensor)
    fill(array)
    torch.autograd.graph.increment_version(tensor)
    return tensor


def _check_generator(generator: Any, where: str) -> None:
    """``generator=`` is accepted for torch's signature, but only as None."""
    if generator is not None:
        raise TypeError(f"{where}: generator= is not supported: fastinit draws from (seed, stream), not from a "
                        "torch.Generator; pass seed=<int> (and stream=) instead, or leave both out to draw the "
                        "seed from torch's default generator (torch.manual_seed)")


def _seed(seed: Seed) -> int:
    """``seed`` checked, or (None) 64 bits drawn from torch's default CPU generator."""
    if seed is None:
        words = torch.empty(2, dtype=torch.int64).random_(0, 1 << 32)
        return (int(words[0]) << 32) | int(words[1])
    return resolve_seed(seed)


def _fan_rank(tensor: Tensor) -> None:
    """Rank >= 2 for the fan-based fills, with torch's message."""
    if tensor.dim() < 2:
        raise ValueError(_FAN_MESSAGE)


def _matrix_rank(tensor: Tensor) -> None:
    """Rank 2 (eye_, sparse_), with torch's message."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")


def _random_fill(where: str, tensor: Tensor, generator: Any, seed: Seed, fill: Callable[[np.ndarray, int], Any],
                 check: Callable[[Tensor], None] | None = None) -> Tensor:
    """A random fill in torch's order: ``generator`` refused, the tensor checked, ``check(tensor)``
    (a rank rule), and only then the seed drawn (a refused call leaves torch's generator as it
    was) and ``fill(view, seed)`` run on the tensor's memory. Returns ``tensor``."""
    _check_generator(generator, where)
    _check_tensor(tensor, where)
    if check is not None:
        check(tensor)
    s = _seed(seed)
    return _fill(tensor, where, lambda x: fill(x, s))


# ---------------------------------------------------------------- torch.nn.init's functions


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: torch.Generator | None = None, *,
             seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with U(a, b) in place (``torch.nn.init.uniform_``); returns ``tensor``.

    Values: :func:`fastinit.uniform` ``(view, a, b, seed=seed, stream=stream)``. ``seed=None``
    draws the seed from torch's default generator.
    """
    return _random_fill("uniform_", tensor, generator, seed,
                        lambda x, s: _fills.uniform(x, a, b, seed=s, stream=stream))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: torch.Generator | None = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) in place (``torch.nn.init.normal_``); returns ``tensor``.

    Values: :func:`fastinit.normal` ``(view, mean, std, seed=seed, stream=stream)``.
    """
    return _random_fill("normal_", tensor, generator, seed,
                        lambda x, s: _fills.normal(x, mean, std, seed=s, stream=stream))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: torch.Generator | None = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) truncated to [a, b] in place (``torch.nn.init.trunc_normal_``).

    ``a`` and ``b`` are **absolute** bounds, as in torch (default [-2, 2], i.e. +-2 only when
    mean=0 and std=1). Values: :func:`fastinit.truncated_normal` ``(view, mean, std, (a - mean) /
    std, (b - mean) / std)``: inverse-CDF sampling, exact in far tails too (torch warns when the
    mean is more than 2 std outside [a, b]; fastinit needs no warning). ``a``/``b`` may be
    infinite (one-sided). Returns ``tensor``.
    """
    _check_generator(generator, "trunc_normal_")
    mean, std, lo, hi = torch_trunc_bounds(mean, std, a, b, "trunc_normal_")
    _check_tensor(tensor, "trunc_normal_")
    s = _seed(seed)
    return _fill(tensor, "trunc_normal_",
                 lambda x: _fills.truncated_normal(x, mean, std, lo, hi, seed=s, stream=stream))


def constant_(tensor: Tensor, val: float, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with ``val`` (``torch.nn.init.constant_``); ``seed``/``stream`` are ignored."""
    return _fill(tensor, "constant_", lambda x: _fills.constant(x, val))


def ones_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with 1 (``torch.nn.init.ones_``); ``seed``/``stream`` are ignored."""
    return _fill(tensor, "ones_", _fills.ones)


def zeros_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with 0 (``torch.nn.init.zeros_``); ``seed``/``stream`` are ignored."""
    return _fill(tensor, "zeros_", _fills.zeros)


def eye_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill the 2-d ``tensor`` with the identity matrix (``torch.nn.init.eye_``)."""
    _check_tensor(tensor, "eye_")
    _matrix_rank(tensor)
    return _fill(tensor, "eye_", _eye)


def dirac_(tensor: Tensor, groups: int = 1, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill a {3, 4, 5}-d conv kernel with the Dirac delta, per group (``torch.nn.init.dirac_``)."""
    _check_tensor(tensor, "dirac_")
    if tensor.dim() not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    return _fill(tensor, "dirac_", lambda x: _dirac(x, groups))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None, *,
                    seed: Seed = None, stream: Stream = 0) -> Tensor:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)), fans of torch's layout
    (``torch.nn.init.xavier_uniform_``). Values: :func:`fastinit.xavier_uniform`."""
    return _random_fill("xavier_uniform_", tensor, generator, seed,
                        lambda x, s: _xavier_uniform(x, gain, seed=s, stream=stream), _fan_rank)


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: torch.Generator | None = None, *,
                   seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)), untruncated
    (``torch.nn.init.xavier_normal_``). Values: :func:`fastinit.xavier_normal`."""
    return _random_fill("xavier_normal_", tensor, generator, seed,
                        lambda x, s: _xavier_normal(x, gain, seed=s, stream=stream), _fan_rank)


def _kaiming(fill: Callable[..., np.ndarray], where: str, tensor: Tensor, a: float, mode: str, nonlinearity: str,
             generator: Any, seed: Seed, stream: Stream) -> Tensor:
    """``kaiming_uniform_``/``kaiming_normal_``: a zero-element tensor is left alone with torch's warning."""
    _check_generator(generator, where)
    _check_tensor(tensor, where)
    if 0 in tensor.shape:  # torch's rule, warning included
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return tensor
    _fan_rank(tensor)
    s = _seed(seed)
    return _fill(tensor, where, lambda x: fill(x, a, mode, nonlinearity, seed=s, stream=stream))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: torch.Generator | None = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """U(-bound, bound), bound = calculate_gain(nonlinearity, a) * sqrt(3 / fan_mode)
    (``torch.nn.init.kaiming_uniform_``; nn.Linear and nn.Conv use ``a=math.sqrt(5)``).
    Values: :func:`fastinit.kaiming_uniform`. A zero-element tensor is left alone with torch's
    warning."""
    return _kaiming(_kaiming_uniform, "kaiming_uniform_", tensor, a, mode, nonlinearity, generator, seed, stream)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: torch.Generator | None = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2), std = calculate_gain(nonlinearity, a) / sqrt(fan_mode), untruncated
    (``torch.nn.init.kaiming_normal_``). Values: :func:`fastinit.kaiming_normal`."""
    return _kaiming(_kaiming_normal, "kaiming_normal_", tensor, a, mode, nonlinearity, generator, seed, stream)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: torch.Generator | None = None, *,
                seed: Seed = None, stream: Stream = 0) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``, rows = shape[0], the other axes flattened
    (``torch.nn.init.orthogonal_``). Values: :func:`fastinit.orthogonal` with ``layout="torch"``
    (Haar-distributed; float64 QR of a normal matrix from the stream)."""
    def rank(t: Tensor) -> None:
        if t.dim() < 2:
            raise ValueError("Only tensors with 2 or more dimensions are supported")

    return _random_fill("orthogonal_", tensor, generator, seed,
                        lambda x, s: _orthogonal(x, gain, layout="torch", seed=s, stream=stream), rank)


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: torch.Generator | None = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2) with ceil(sparsity * rows) zeros in every column of the 2-d ``tensor``
    (``torch.nn.init.sparse_``). Values: :func:`fastinit.sparse`."""
    return _random_fill("sparse_", tensor, generator, seed,
                        lambda x, s: _sparse(x, sparsity, std, seed=s, stream=stream), _matrix_rank)
