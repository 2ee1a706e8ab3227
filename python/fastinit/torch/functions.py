"""The drop-in ``torch.nn.init`` functions: fastinit fills of a CPU tensor's own memory.

``uniform_``, ``normal_``, ``trunc_normal_``, ``constant_``, ``ones_``, ``zeros_``, ``eye_``,
``dirac_``, ``xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``, ``kaiming_normal_``,
``orthogonal_``, ``sparse_`` and ``calculate_gain`` (see the package docstring of
:mod:`fastinit.torch` for the contract), torch's deprecated names without the underscore
(``uniform``, ``normal`` ...; FutureWarning), plus :func:`numpy_view` and the tensor checks that
:mod:`fastinit.torch.module_init` shares (``_check_tensor``, ``_fill``, ``_seed``,
``_FLOAT_DTYPES``).

Exceptions have torch's types in torch's cases, and fastinit's too: a bad parameter value raises
an exception that is both ValueError and RuntimeError (torch raises RuntimeError from its
kernels), a dtype a function does not fill one that is both TypeError and NotImplementedError, a
non-tensor one that is both TypeError and AttributeError.
"""

from __future__ import annotations

import functools
import numbers
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Callable, TypeVar

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core import fills as _fills
from ..core.dtypes import bfloat16 as _np_bfloat16
from ..core.seed import Seed, Stream, resolve_seed
from ..presets.fans import calculate_gain as _calculate_gain
from ..presets.orthogonal import orthogonal as _orthogonal
from ..presets.plans import Plan
from ..presets.plans import fill as _plan_fill
from ..presets.pytorch import kaiming_normal_plan, kaiming_uniform_plan, xavier_normal_plan, xavier_uniform_plan
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
    "ParameterError",
    "UnsupportedDtypeError",
    "NotATensorError",
]

Tensor = torch.Tensor
_F = TypeVar("_F", bound=Callable[..., Any])

#: The real dtypes fastinit writes (init_module's rules need one of these).
_FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
_COMPLEX_DTYPES = (torch.complex64, torch.complex128)
#: What the functions here fill through a NumPy view: real and complex.
_FILL_DTYPES = _FLOAT_DTYPES + _COMPLEX_DTYPES


class ParameterError(ValueError, RuntimeError):
    """A bad parameter value (torch raises RuntimeError from its kernels for these, fastinit ValueError)."""


class UnsupportedDtypeError(TypeError, NotImplementedError):
    """A dtype the function does not fill (torch raises NotImplementedError, fastinit TypeError)."""


class NotATensorError(TypeError, AttributeError):
    """``tensor`` is not a torch.Tensor (torch fails with AttributeError, fastinit TypeError)."""


class _GainError(ValueError, TypeError):
    """calculate_gain's refusals: ValueError as in torch, TypeError as in fastinit."""
_FAN_MESSAGE = "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"


# ---------------------------------------------------------------- the tensor's memory as NumPy


def _check_tensor(tensor: Any, where: str) -> None:
    """Everything :func:`numpy_view` needs, checked without touching memory."""
    if not isinstance(tensor, torch.Tensor):
        raise NotATensorError(f"{where}: tensor must be a torch.Tensor, got {type(tensor).__name__}; "
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
    if tensor.dtype not in _FILL_DTYPES:
        raise UnsupportedDtypeError(
            f"{where}: tensor has dtype {tensor.dtype}; fastinit fills torch.float32, torch.float64, torch.float16, "
            "torch.bfloat16, torch.complex64 and torch.complex128 tensors (convert with tensor.to(torch.float32))")
    if tensor.is_neg() or tensor.is_conj():
        raise TypeError(f"{where}: tensor is a lazily negated/conjugated view; call .resolve_neg() and fill that")
    if any(st == 0 and n > 1 for st, n in zip(tensor.stride(), tensor.shape)) or (
            tensor.numel() > 1 and torch._debug_has_internal_overlap(tensor) == 1):
        raise ValueError(f"{where}: tensor has overlapping memory (an expanded/broadcast view, stride 0), so "
                         "its elements cannot each get their own value; fill the tensor it was expanded from, "
                         "or a .clone()")


def numpy_view(tensor: Tensor) -> np.ndarray:
    """A writable NumPy view of a CPU tensor's own memory (same strides, no copy).

    float32/float64/float16/complex64/complex128 tensors give arrays of the same dtype; a
    bfloat16 tensor gives an ``ml_dtypes.bfloat16`` array over the same bytes. Writing to the view writes the tensor
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


def _check_generator(generator: Any, seed: Seed, where: str) -> None:
    """``generator`` is None or a torch.Generator, and not given together with ``seed``."""
    if generator is None:
        return
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"{where}: generator must be a torch.Generator or None, got {type(generator).__name__}")
    if seed is not None:
        raise ValueError(f"{where}: pass seed= or generator=, not both: the seed is either given or drawn from "
                         "the generator")


def _seed(seed: Seed, generator: torch.Generator | None = None) -> int:
    """``seed`` checked, or (None) 64 bits drawn from ``generator`` (None: torch's default CPU
    generator): two draws of ``random_(0, 2**32)``, high word first."""
    if seed is None:
        words = torch.empty(2, dtype=torch.int64).random_(0, 1 << 32, generator=generator)
        return (int(words[0]) << 32) | int(words[1])
    return resolve_seed(seed)


def _number(value: Any) -> Any:
    """A one-element tensor or 0-d NumPy array as its Python number; anything else unchanged."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and value.dim() == 0:
        return value.item()
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return value.item()
    return value


@contextmanager
def _torch_errors() -> Iterator[None]:
    """ValueErrors of the parameter checks re-raised as :class:`ParameterError` (also RuntimeError)."""
    try:
        yield
    except ParameterError:
        raise
    except ValueError as exc:
        raise ParameterError(str(exc)) from None


def _is_complex(tensor: Tensor) -> bool:
    return tensor.dtype in _COMPLEX_DTYPES


def _real_only(tensor: Tensor, where: str) -> None:
    """Refuse a complex tensor, as torch does (NotImplementedError) for this function."""
    if _is_complex(tensor):
        raise UnsupportedDtypeError(f"{where}: complex tensors are not supported (nor by torch.nn.init.{where}); "
                                    "fill the real and imaginary parts (torch.view_as_real(t)) instead")


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
    """A random fill in torch's order: ``generator`` checked, the tensor checked, ``check(tensor)``
    (a rank rule), and only then the seed drawn (a refused call leaves the generator as it was)
    and ``fill(view, seed)`` run on the tensor's memory. Returns ``tensor``."""
    _check_generator(generator, seed, where)
    _check_tensor(tensor, where)
    if check is not None:
        check(tensor)
    s = _seed(seed, generator)
    with _torch_errors():
        return _fill(tensor, where, lambda x: fill(x, s))


def _plan_rule(plan: Callable[[tuple[int, ...]], Plan], stream: Stream) -> Callable[[np.ndarray, int], Any]:
    """``fill(view, seed)`` filling the view with ``plan(shape)`` (real or complex)."""
    return lambda x, s: _plan_fill(x, plan(x.shape), seed=s, stream=stream)


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


def _other_dtype(tensor: Any) -> bool:
    """A CPU tensor of a dtype fastinit does not write (the deterministic fills use torch's op)."""
    return (isinstance(tensor, torch.Tensor) and tensor.dtype not in _FILL_DTYPES and not tensor.is_meta
            and tensor.device.type == "cpu" and tensor.layout == torch.strided)


# ---------------------------------------------------------------- torch.nn.init's functions


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
                        lambda x, s: _fills.uniform(x, a, b, seed=s, stream=stream))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: torch.Generator | None = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) in place (``torch.nn.init.normal_``); returns ``tensor``.

    Values: :func:`fastinit.normal` ``(view, mean, std, seed=seed, stream=stream)``; on a complex
    tensor the real and imaginary parts are each N(mean, std**2 / 2), as in torch.
    """
    mean, std = _number(mean), _number(std)
    return _random_fill("normal_", tensor, generator, seed,
                        lambda x, s: _fills.normal(x, mean, std, seed=s, stream=stream))


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
    return _fill(tensor, "trunc_normal_",
                 lambda x: _fills.truncated_normal(x, mean, std, lo, hi, seed=s, stream=stream))


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
    return _fill(tensor, "eye_", lambda x: _structured(x, _eye))


def _dirac_rank(tensor: Tensor) -> None:
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
        return _fill(tensor, "dirac_", lambda x: _structured(x, lambda re: _dirac(re, groups)))


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
    return _fill(tensor, where, _plan_bound(plan, a, mode, nonlinearity, s, stream))


def _plan_bound(plan: Callable[..., Plan], a: float, mode: str, nonlinearity: str, seed: int,
                stream: Stream) -> Callable[[np.ndarray], Any]:
    return lambda x: _plan_fill(x, plan(x.shape, a, mode, nonlinearity), seed=seed, stream=stream)


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
                        lambda x, s: _orthogonal(x, gain, layout="torch", seed=s, stream=stream), rank)


def _sparse_fill(x: np.ndarray, sparsity: float, std: float, seed: int, stream: Stream) -> None:
    """:func:`fastinit.sparse`; complex: the complex normal with the zeros of the real fill."""
    if x.dtype.kind != "c":
        _sparse(x, sparsity, std, seed=seed, stream=stream)
        return
    zeros = _sparse(np.empty(x.shape, np.float32), sparsity, 1.0, seed=seed, stream=stream) == 0
    _fills.normal(x, 0.0, std, seed=seed, stream=stream)
    x[zeros] = 0


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: torch.Generator | None = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2) with ceil(sparsity * rows) zeros in every column of the 2-d ``tensor``
    (``torch.nn.init.sparse_``). Values: :func:`fastinit.sparse`; on a complex tensor the
    non-zeros are :func:`fastinit.normal`'s complex values (each part std / sqrt(2), as in
    torch), the zeros where the real fill with the same seed and stream has them."""
    sparsity, std = _number(sparsity), _number(std)
    return _random_fill("sparse_", tensor, generator, seed,
                        lambda x, s: _sparse_fill(x, sparsity, std, s, stream), _matrix_rank)


# ---------------------------------------------------------------- torch's deprecated names


def _deprecated(fn: _F) -> _F:
    """torch.nn.init's old name of ``fn`` (no trailing underscore): a FutureWarning, then ``fn``."""
    old = fn.__name__[:-1]

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        warnings.warn(f"`nn.init.{old}` is now deprecated in favor of `nn.init.{fn.__name__}`.", FutureWarning,
                      stacklevel=2)
        return fn(*args, **kwargs)
    call.__name__ = call.__qualname__ = old
    return call  # type: ignore[return-value]  # same signature as fn (functools.wraps)


uniform = _deprecated(uniform_)
normal = _deprecated(normal_)
constant = _deprecated(constant_)
eye = _deprecated(eye_)
dirac = _deprecated(dirac_)
xavier_uniform = _deprecated(xavier_uniform_)
xavier_normal = _deprecated(xavier_normal_)
kaiming_uniform = _deprecated(kaiming_uniform_)
kaiming_normal = _deprecated(kaiming_normal_)
orthogonal = _deprecated(orthogonal_)
sparse = _deprecated(sparse_)
