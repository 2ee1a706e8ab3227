"""The random drop-in ``torch.nn.init`` functions: fastinit fills of a CPU tensor's own memory.

``uniform_``, ``normal_``, ``trunc_normal_``, ``orthogonal_``, ``sparse_`` and ``calculate_gain``
(see the package docstring of :mod:`fastinit.torch` for the contract), and the random fill in
torch's order that every random function here and in :mod:`.fan_scaled` (``xavier_*``,
``kaiming_*``) makes. The deterministic ones are in :mod:`.deterministic`, torch's deprecated
names in :mod:`.deprecated`, and the tensor checks and :func:`~fastinit.torch.numpy_view` in
:mod:`.checks`.

Each checks the generator, the tensor and its parameters in torch's order before the seed is
drawn, so a refused call leaves the generator as it was.
"""

from typing import Any, Callable, Optional

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core import fills as _fills
from ..core.docstrings import shared_docs
from ..core.seed import Seed, Stream
from ..presets.fans import calculate_gain as _calculate_gain
from ..presets.orthogonal import orthogonal as _orthogonal
from ..presets.structured import sparse as _sparse
from ..presets.truncation import torch_trunc_bounds
from .argchecks import check_gain_args, check_normal_std, check_uniform_range
from .checks import (
    Tensor,
    _check_generator,
    _check_tensor,
    _matrix_rank,
    _number,
    _real_only,
    _seed,
    _torch_errors,
)
from .device_fill import DevicePath
from .device_presets import orthogonal_path, sparse_path
from .tensor_fill import fill_tensor

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "orthogonal_",
    "sparse_",
]

class _GainError(ValueError, TypeError):
    """calculate_gain's refusals: ValueError as in torch, TypeError as in fastinit."""


#: ``fill(view, seed, place)``: ``place`` is ``{}`` (the view is the whole tensor) or
#: ``{"full_shape": ..., "index": ...}`` (a DTensor's local shard, a chunk of a CUDA tensor; see :mod:`.dtensor`).
_Fill = Callable[[np.ndarray, int, dict[str, Any]], Any]


def _random_fill(where: str, tensor: Tensor, generator: Any, seed: Seed, fill: _Fill,
                 check: Optional[Callable[[Tensor], None]] = None, whole: bool = False,
                 device: Optional[Callable[[int], DevicePath]] = None) -> Tensor:
    """A random fill in torch's order: ``generator`` checked, the tensor checked, ``check(tensor)``
    (a rank rule), and only then the seed drawn (a refused call leaves the generator as it was)
    and ``fill(view, seed, place)`` run on the tensor's memory (``device(seed)``: how a CUDA
    tensor is written on the device, see :mod:`.device_presets`). Returns ``tensor``."""
    _check_generator(generator, seed, where)
    _check_tensor(tensor, where)
    if check is not None:
        check(tensor)
    s = _seed(seed, generator)
    with _torch_errors():
        return fill_tensor(tensor, where, lambda x: fill(x, s, {}), lambda x, p: fill(x, s, p), whole=whole,
                           device=None if device is None else device(s))


@shared_docs
def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """PyTorch's recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    The factor the fan-based fills multiply their standard deviation or bound by, so that the
    activation keeps the signal's scale: 1 for linear, conv and sigmoid, 5/3 for tanh, sqrt(2)
    for relu, sqrt(2 / (1 + slope**2)) for leaky_relu, 3/4 for selu. Same values as torch's
    (:func:`fastinit.calculate_gain`); what differs: a 0-d tensor or array counts as a number.

    Args:
        nonlinearity: The activation's name: ``"linear"``, ``"conv1d"``, ``"conv2d"``,
            ``"conv3d"``, ``"conv_transpose1d"`` (2d, 3d), ``"sigmoid"``, ``"tanh"``,
            ``"relu"``, ``"leaky_relu"`` or ``"selu"``.
        param: The negative slope for ``"leaky_relu"`` (None: 0.01); ignored by the others.

    Returns:
        The gain, a float.

    Raises:
        ValueError: an unknown nonlinearity (the message suggests the nearest name) or a
            ``param`` that is not a number, as in torch.

    Example:
        >>> import fastinit.torch as fit
        >>> fit.calculate_gain("relu")
        1.4142135623730951
        >>> fit.calculate_gain("leaky_relu", 0.2)
        1.3867504905630728
    """
    try:
        check_gain_args(nonlinearity, _number(param))
        return _calculate_gain(nonlinearity, _number(param))
    except (TypeError, ValueError) as exc:
        raise _GainError(str(exc)) from None


@shared_docs
def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Optional[torch.Generator] = None, *,
             seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with values drawn from U(a, b), in place (``torch.nn.init.uniform_``).

    The values are :func:`fastinit.uniform`'s for the same seed and stream, element for element;
    on a complex tensor the real and imaginary parts are each U(a, b), as in torch. Differs from
    torch: the values are fastinit's (a pure function of seed, stream and shape), not torch's
    generator's.

    Args:
        tensor: {tensor}
        a: The lower bound (default 0).
        b: The upper bound (default 1); ``a <= b``.
        generator: {generator}
        seed: {torch_seed}
        stream: {stream}

    Returns:
        ``tensor``, filled.

    Raises:
        ParameterError: a bound that is not finite, or ``a > b`` (a ValueError and RuntimeError).
        UnsupportedDtypeError: an int or bool tensor (a TypeError and NotImplementedError).
        ValueError: a meta tensor, or both ``seed`` and ``generator``.

    Example:
        >>> import torch, numpy as np, fastinit, fastinit.torch as fit
        >>> w = fit.uniform_(torch.empty(2, 3), -1.0, 1.0, seed=0, stream="w")
        >>> w
        tensor([[ 0.1902,  0.3583,  0.7223],
                [ 0.7941, -0.4453, -0.2249]])
        >>> np.array_equal(w.numpy(), fastinit.uniform((2, 3), -1.0, 1.0, seed=0, stream="w"))
        True
    """
    a, b = _number(a), _number(b)
    check_uniform_range(a, b, tensor)
    return _random_fill("uniform_", tensor, generator, seed,
                        lambda x, s, p: _fills.uniform(x, a, b, seed=s, stream=stream, **p))


@shared_docs
def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Optional[torch.Generator] = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with values drawn from N(mean, std**2), in place (``torch.nn.init.normal_``).

    The values are :func:`fastinit.normal`'s for the same seed and stream, element for element;
    on a complex tensor the real and imaginary parts are each N(mean, std**2 / 2), as in torch.
    Differs from torch: the values are fastinit's, not torch's generator's.

    Args:
        tensor: {tensor}
        mean: The mean (default 0).
        std: The standard deviation (default 1), >= 0.
        generator: {generator}
        seed: {torch_seed}
        stream: {stream}

    Returns:
        ``tensor``, filled.

    Raises:
        ParameterError: a negative or non-finite ``std``, or a non-finite ``mean``.
        UnsupportedDtypeError: an int or bool tensor.
        ValueError: a meta tensor, or both ``seed`` and ``generator``.

    Example:
        >>> import torch, fastinit.torch as fit
        >>> fit.normal_(torch.empty(2, 2), std=0.02, seed=1)
        tensor([[0.0246, 0.0250],
                [0.0043, 0.0111]])
    """
    mean, std = _number(mean), _number(std)
    check_normal_std(std, tensor)
    return _random_fill("normal_", tensor, generator, seed,
                        lambda x, s, p: _fills.normal(x, mean, std, seed=s, stream=stream, **p))


@shared_docs
def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Optional[torch.Generator] = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) truncated to [a, b], in place (``torch.nn.init.trunc_normal_``).

    ``a`` and ``b`` are **absolute** bounds, as in torch: the default [-2, 2] is +-2 standard
    deviations only when mean=0 and std=1 (for a weight with std=0.02, pass ``a=-0.04, b=0.04``).
    The values are :func:`fastinit.truncated_normal` ``(view, mean, std, (a - mean) / std,
    (b - mean) / std)``: inverse-CDF sampling, exact in the far tails too. Differs from torch: no
    warning when the mean is more than 2 std outside [a, b] (torch's sampler loses accuracy there,
    fastinit's does not), and the values are fastinit's.

    Args:
        tensor: {tensor} Complex tensors are refused, as in torch.
        mean: The mean of the normal before the cut (default 0).
        std: Its standard deviation before the cut (default 1), > 0.
        a: The lower bound, absolute (default -2); may be ``-inf`` (one-sided).
        b: The upper bound, absolute (default 2); ``a < b``; may be ``inf``.
        generator: {generator}
        seed: {torch_seed}
        stream: {stream}

    Returns:
        ``tensor``, filled.

    Raises:
        ParameterError: ``std <= 0``, ``a >= b`` or a non-finite mean.
        UnsupportedDtypeError: an int, bool or complex tensor.
        ValueError: a meta tensor, or both ``seed`` and ``generator``.

    Example:
        >>> import torch, fastinit.torch as fit
        >>> w = fit.trunc_normal_(torch.empty(1000), std=0.02, a=-0.04, b=0.04, seed=7)
        >>> bool(w.abs().max() <= 0.04)
        True
    """
    _check_generator(generator, seed, "trunc_normal_")
    with _torch_errors():
        mean, std, lo, hi = torch_trunc_bounds(_number(mean), _number(std), _number(a), _number(b), "trunc_normal_")
    _check_tensor(tensor, "trunc_normal_")
    _real_only(tensor, "trunc_normal_")
    s = _seed(seed, generator)
    def located(x: np.ndarray, p: dict[str, Any]) -> Any:
        return _fills.truncated_normal(x, mean, std, lo, hi, seed=s, stream=stream, **p)
    return fill_tensor(tensor, "trunc_normal_", lambda x: located(x, {}), located)

@shared_docs
def orthogonal_(tensor: Tensor, gain: float = 1, generator: Optional[torch.Generator] = None, *,
                seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with a (semi-)orthogonal matrix times ``gain``, in place (``torch.nn.init.orthogonal_``).

    The tensor is seen as a matrix of ``shape[0]`` rows by the product of the other axes: its rows
    (or its columns, whichever are fewer) are orthonormal, times ``gain``. The matrix is
    Haar-distributed: the float64 QR of a normal matrix drawn from the stream, signs fixed by
    diag(R) (:func:`fastinit.orthogonal` with ``layout="torch"``). Differs from torch: the QR is
    always in float64 (torch's is in the tensor's dtype) and the values are fastinit's. Complex
    tensors are refused, as in torch. On a CUDA tensor the normal matrix is drawn on the device
    (the same bits) and factored there (``torch.linalg.qr``): the result equals the CPU's to
    rounding, its last bits depending on the device's QR as the CPU's depend on NumPy's LAPACK.

    Args:
        tensor: {tensor} Rank >= 2.
        gain: The factor on the matrix (default 1).
        generator: {generator}
        seed: {torch_seed}
        stream: {stream}

    Returns:
        ``tensor``, filled.

    Raises:
        ValueError: rank < 2 (torch's message), a meta tensor, or both ``seed`` and ``generator``.
        UnsupportedDtypeError: an int, bool or complex tensor.

    Example:
        >>> import torch, fastinit.torch as fit
        >>> q = fit.orthogonal_(torch.empty(3, 5), seed=0)
        >>> torch.allclose(q @ q.T, torch.eye(3), atol=1e-6)
        True
    """
    def rank(t: Tensor) -> None:
        if t.dim() < 2:
            raise ValueError("Only tensors with 2 or more dimensions are supported")
        _real_only(t, "orthogonal_")

    gain = _number(gain)
    return _random_fill("orthogonal_", tensor, generator, seed,
                        lambda x, s, p: _orthogonal(x, gain, layout="torch", seed=s, stream=stream, **p), rank,
                        whole=True, device=lambda s: orthogonal_path(gain, s, stream))


def _sparse_fill(x: np.ndarray, sparsity: float, std: float, seed: int, stream: Stream, place: dict[str, Any]) -> None:
    """:func:`fastinit.sparse`; complex: the complex normal with the zeros of the real fill."""
    if x.dtype.kind != "c":
        _sparse(x, sparsity, std, seed=seed, stream=stream, **place)
        return
    zeros = _sparse(np.empty(x.shape, np.float32), sparsity, 1.0, seed=seed, stream=stream, **place) == 0
    _fills.normal(x, 0.0, std, seed=seed, stream=stream, **place)
    x[zeros] = 0


@shared_docs
def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Optional[torch.Generator] = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill the 2-d ``tensor`` as a sparse matrix, in place (``torch.nn.init.sparse_``).

    N(0, std**2) values with ceil(sparsity * rows) zeros in every column, the zero rows of each
    column chosen at random (:func:`fastinit.sparse`). On a complex tensor the non-zeros are
    :func:`fastinit.normal`'s complex values (each part std / sqrt(2), as in torch), the zeros
    where the real fill with the same seed and stream has them. Differs from torch: the values and
    the zeros' places are fastinit's.

    Args:
        tensor: {tensor} Rank 2.
        sparsity: The fraction of each column set to zero, in [0, 1].
        std: The standard deviation of the non-zero values (default 0.01).
        generator: {generator}
        seed: {torch_seed}
        stream: {stream}

    Returns:
        ``tensor``, filled.

    Raises:
        ValueError: a tensor that is not 2-d, a meta tensor, or both ``seed`` and ``generator``.
        ParameterError: ``sparsity`` outside [0, 1] or a negative ``std``.
        UnsupportedDtypeError: an int or bool tensor.

    Example:
        >>> import torch, fastinit.torch as fit
        >>> w = fit.sparse_(torch.empty(10, 4), sparsity=0.3, seed=0)
        >>> (w == 0).sum(dim=0).tolist()  # ceil(0.3 * 10) zeros per column
        [3, 3, 3, 3]
    """
    sparsity, std = _number(sparsity), _number(std)
    return _random_fill("sparse_", tensor, generator, seed,
                        lambda x, s, p: _sparse_fill(x, sparsity, std, s, stream, p), _matrix_rank, whole=True,
                        device=lambda s: sparse_path(sparsity, std, s, stream))
