"""The deterministic drop-ins: ``constant_``, ``ones_``, ``zeros_``, ``eye_`` and ``dirac_``.

They have ``torch.nn.init``'s names, parameters and semantics, and accept and ignore ``seed`` and
``stream`` (so that each can serve as an :func:`fastinit.torch.init_module` rule). Float and
complex tensors are filled through their own memory (complex: the values in the real part, the
imaginary part zero, or a complex ``constant_`` value); on dtypes fastinit does not write (int,
bool ...) they use torch's own op, as torch does. A DTensor's local shard (or a chunk of a CUDA
tensor) gets the global tensor's values at its positions: ``eye_``/``dirac_`` place their ones by
global coordinates (the structured presets' ``full_shape``/``index``), strided shards included.
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core import fills as _fills
from ..core.seed import Seed, Stream
from ..presets.structured import dirac as _dirac
from ..presets.structured import eye as _eye
from .checks import (
    ParameterError,
    Tensor,
    _check_tensor,
    _fill,
    _is_complex,
    _matrix_rank,
    _number,
    _other_dtype,
    _torch_errors,
)

__all__ = ["constant_", "ones_", "zeros_", "eye_", "dirac_"]


def _parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """(real part, imaginary part or None) of a NumPy view, as writable real arrays."""
    if x.dtype.kind != "c":
        return x, None
    p = x[..., np.newaxis].view(x.real.dtype)
    return p[..., 0], p[..., 1]


def _structured(x: np.ndarray, fill: Callable[[np.ndarray], Any]) -> None:
    """A deterministic fill of the real part, the imaginary part (if any) zero."""
    re, im = _parts(x)
    fill(re)
    if im is not None:
        _fills.zeros(im)


def _torch_op(tensor: Tensor, op: Callable[[Tensor], Any]) -> Tensor:
    """A deterministic fill of a dtype fastinit does not write (int, bool, float8 ...), with torch's op."""
    with torch.no_grad():
        op(tensor)
    return tensor


def constant_(tensor: Tensor, val: float, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with ``val`` (``torch.nn.init.constant_``); ``seed``/``stream`` are ignored.
    A complex tensor takes a real or complex ``val``; a tensor of a dtype fastinit does not write
    (int, bool ...) is filled by torch's own ``fill_``, as in torch."""
    val = _number(val)
    if _other_dtype(tensor):
        return _torch_op(tensor, lambda t: t.fill_(val))
    if isinstance(tensor, torch.Tensor) and not _is_complex(tensor) and isinstance(val, numbers.Complex) \
            and not isinstance(val, numbers.Real):
        raise ParameterError(f"constant_: val={val!r} is complex but the tensor has dtype {tensor.dtype}; "
                             "use a complex tensor or a real val")
    with _torch_errors():
        return _fill(tensor, "constant_", lambda x: _fills.constant(x, val))


def ones_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with 1 (``torch.nn.init.ones_``); ``seed``/``stream`` are ignored."""
    if _other_dtype(tensor):
        return _torch_op(tensor, lambda t: t.fill_(1))
    return _fill(tensor, "ones_", _fills.ones)


def zeros_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with 0 (``torch.nn.init.zeros_``); ``seed``/``stream`` are ignored."""
    if _other_dtype(tensor):
        return _torch_op(tensor, lambda t: t.zero_())
    return _fill(tensor, "zeros_", _fills.zeros)


def eye_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill the 2-d ``tensor`` with the identity matrix (``torch.nn.init.eye_``; complex: real
    identity; other dtypes: torch's ``eye``)."""
    if _other_dtype(tensor):
        _matrix_rank(tensor)
        return _torch_op(tensor, lambda t: torch.eye(*t.shape, out=t))
    _check_tensor(tensor, "eye_")
    _matrix_rank(tensor)
    return _fill(tensor, "eye_", lambda x: _structured(x, _eye),
                 lambda x, p: _structured(x, lambda re: _eye(re, **p)))


def _dirac_rank(tensor: Tensor) -> None:
    """Rank 3, 4 or 5 (dirac_), with torch's message."""
    if tensor.dim() not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")


def dirac_(tensor: Tensor, groups: int = 1, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill a {3, 4, 5}-d conv kernel with the Dirac delta, per group (``torch.nn.init.dirac_``;
    complex: real delta; other dtypes: the same 0/1 values through a float64 copy)."""
    groups = _number(groups)
    if _other_dtype(tensor):
        _dirac_rank(tensor)
        with _torch_errors():
            ones = torch.from_numpy(_dirac(tuple(tensor.shape), groups, dtype=np.float64))
        return _torch_op(tensor, lambda t: t.copy_(ones))
    _check_tensor(tensor, "dirac_")
    _dirac_rank(tensor)
    with _torch_errors():
        return _fill(tensor, "dirac_", lambda x: _structured(x, lambda re: _dirac(re, groups)),
                     lambda x, p: _structured(x, lambda re: _dirac(re, groups, **p)))
