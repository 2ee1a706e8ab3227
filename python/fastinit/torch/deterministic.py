"""The deterministic drop-ins: ``constant_``, ``ones_``, ``zeros_``, ``eye_`` and ``dirac_``.

They have ``torch.nn.init``'s names, parameters and semantics, and accept and ignore ``seed`` and
``stream`` (so that each can serve as an :func:`fastinit.torch.init_module` rule). Float and
complex tensors are filled through their own memory (complex: the values in the real part, the
imaginary part zero, or a complex ``constant_`` value); on dtypes fastinit does not write (int,
bool ...) they use torch's own op, as torch does. A DTensor's local shard (or a chunk of a CUDA
tensor) gets the global tensor's values at its positions: ``eye_``/``dirac_`` place their ones by
global coordinates (the structured presets' ``full_shape``/``index``), strided shards included.
"""

import numbers
from typing import Any, Callable, Optional

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core import fills as _fills
from ..core.docstrings import shared_docs
from ..core.seed import Seed, Stream
from ..presets.structured import dirac as _dirac
from ..presets.structured import eye as _eye
from .argchecks import check_dirac_groups
from .checks import (
    ParameterError,
    Tensor,
    _check_tensor,
    _is_complex,
    _matrix_rank,
    _number,
    _other_dtype,
    _torch_errors,
)
from .device_presets import dirac_path, eye_path
from .tensor_fill import fill_tensor

__all__ = ["constant_", "ones_", "zeros_", "eye_", "dirac_"]


def _parts(x: np.ndarray) -> tuple[np.ndarray, Optional[np.ndarray]]:
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


@shared_docs
def constant_(tensor: Tensor, val: float, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with the value ``val``, in place (``torch.nn.init.constant_``).

    ``val`` is rounded once to the tensor's dtype. A complex tensor takes a real or complex
    ``val``; a real tensor refuses a complex one.

    Args:
        tensor: {tensor} Other dtypes (int, bool ...) are filled by torch's own op, as in torch.
        val: The value: a real number (a Python or NumPy number, or a 0-d tensor or array), or a
            complex one for a complex tensor.
        {torch_ignored_args}

    {torch_returns}

    Raises:
        ParameterError: a complex ``val`` for a real tensor.
        ValueError: a meta tensor.

    Example:
        >>> import torch, fastinit.torch as fit
        >>> fit.constant_(torch.empty(2, 2), 0.5)
        tensor([[0.5000, 0.5000],
                [0.5000, 0.5000]])
    """
    val = _number(val)
    if _other_dtype(tensor):
        return _torch_op(tensor, lambda t: t.fill_(val))
    if isinstance(tensor, torch.Tensor) and not _is_complex(tensor) and isinstance(val, numbers.Complex) \
            and not isinstance(val, numbers.Real):
        raise ParameterError(f"constant_: val={val!r} is complex but the tensor has dtype {tensor.dtype}; "
                             "use a complex tensor or a real val")
    with _torch_errors():
        return fill_tensor(tensor, "constant_", lambda x: _fills.constant(x, val))


@shared_docs
def ones_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with 1, in place (``torch.nn.init.ones_``).

    {torch_fixed}

    Example:
        >>> import torch, fastinit.torch as fit
        >>> fit.ones_(torch.empty(3))
        tensor([1., 1., 1.])
    """
    if _other_dtype(tensor):
        return _torch_op(tensor, lambda t: t.fill_(1))
    return fill_tensor(tensor, "ones_", _fills.ones)


@shared_docs
def zeros_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with 0, in place (``torch.nn.init.zeros_``).

    {torch_fixed}

    Example:
        >>> import torch, fastinit.torch as fit
        >>> fit.zeros_(torch.empty(3))
        tensor([0., 0., 0.])
    """
    if _other_dtype(tensor):
        return _torch_op(tensor, lambda t: t.zero_())
    return fill_tensor(tensor, "zeros_", _fills.zeros)


@shared_docs
def eye_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill the 2-d ``tensor`` with the identity matrix, in place (``torch.nn.init.eye_``).

    Ones on the main diagonal, zeros elsewhere, for square and rectangular matrices; a complex
    tensor gets the real identity. On a DTensor the ones are placed by global coordinates.

    Args:
        tensor: {tensor} Other dtypes (int, bool ...) are filled by torch's own op, as in torch. Rank 2.
        {torch_ignored_args}

    {torch_returns}

    Raises:
        ValueError: a tensor that is not 2-d (torch's message), or a meta tensor.

    Example:
        >>> import torch, fastinit.torch as fit
        >>> fit.eye_(torch.empty(2, 3))
        tensor([[1., 0., 0.],
                [0., 1., 0.]])
    """
    if _other_dtype(tensor):
        _matrix_rank(tensor)
        return _torch_op(tensor, lambda t: torch.eye(*t.shape, out=t))
    _check_tensor(tensor, "eye_")
    _matrix_rank(tensor)
    return fill_tensor(tensor, "eye_", lambda x: _structured(x, _eye),
                       lambda x, p: _structured(x, lambda re: _eye(re, **p)), device=eye_path())


def _dirac_rank(tensor: Tensor) -> None:
    """Rank 3, 4 or 5 (dirac_), with torch's message."""
    if tensor.dim() not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")


@shared_docs
def dirac_(tensor: Tensor, groups: int = 1, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill a convolution kernel with the Dirac delta, in place (``torch.nn.init.dirac_``).

    The kernel ``(out, in, *spatial)`` then passes its input through: for each group, output
    channel ``i`` has a one at input channel ``i`` in the spatial centre, zeros elsewhere (a conv
    layer with it is the identity, as far as the channels allow). A complex tensor gets the real
    delta.

    Args:
        tensor: {tensor} Other dtypes (int, bool ...) are filled by torch's own op, as in torch.
            Rank 3, 4 or 5 (a 1-d, 2-d or 3-d conv's weight).
        groups: The conv's groups (default 1): ``out`` is split into ``groups`` blocks, each
            with its own identity; must divide ``out``.
        {torch_ignored_args}

    {torch_returns}

    Raises:
        ValueError: rank not 3, 4 or 5 (torch's message), or a meta tensor.
        ParameterError: ``groups`` that does not divide the output channels.

    Example:
        >>> import torch, fastinit.torch as fit
        >>> w = fit.dirac_(torch.empty(2, 2, 3))
        >>> w[:, :, 1]  # the centre tap: the identity
        tensor([[1., 0.],
                [0., 1.]])
        >>> float(w[:, :, 0].abs().sum() + w[:, :, 2].abs().sum())
        0.0
    """
    groups = _number(groups)
    if _other_dtype(tensor):
        _dirac_rank(tensor)
        check_dirac_groups(tuple(tensor.shape), groups)
        with _torch_errors():
            ones = torch.from_numpy(_dirac(tuple(tensor.shape), groups, dtype=np.float64))
        return _torch_op(tensor, lambda t: t.copy_(ones))
    _check_tensor(tensor, "dirac_")
    _dirac_rank(tensor)
    check_dirac_groups(tuple(tensor.shape), groups)
    with _torch_errors():
        return fill_tensor(tensor, "dirac_", lambda x: _structured(x, lambda re: _dirac(re, groups)),
                           lambda x, p: _structured(x, lambda re: _dirac(re, groups, **p)), device=dirac_path(groups))
