"""The tensor checks the ``fastinit.torch`` functions share, and a tensor's memory as NumPy.

:func:`numpy_view` (public), the exceptions with torch's types (:class:`ParameterError`,
:class:`UnsupportedDtypeError`, :class:`NotATensorError`), and the helpers the drop-in functions
(:mod:`.functions`, :mod:`.deterministic`) and :mod:`.module_init` use: ``_check_tensor``
(what :func:`.tensor_fill.fill_tensor` needs), ``_check_generator`` and ``_seed``
(the seed given or drawn from a torch generator), ``_number`` (0-d tensors and arrays as Python
numbers), ``_torch_errors``, the rank and dtype rules, and ``_FLOAT_DTYPES``.

Exceptions have torch's types in torch's cases, and fastinit's too: a bad parameter value raises
an exception that is both ValueError and RuntimeError (torch raises RuntimeError from its
kernels), a dtype a function does not fill one that is both TypeError and NotImplementedError, a
non-tensor one that is both TypeError and AttributeError.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Optional

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core.dtypes import bfloat16 as _np_bfloat16
from ..core.seed import Seed, resolve_seed
from .placements import check_placements, is_dtensor

__all__ = ["Tensor", "numpy_view", "ParameterError", "UnsupportedDtypeError", "NotATensorError"]

Tensor = torch.Tensor

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


# ---------------------------------------------------------------- the tensor's memory as NumPy


def _on_device(tensor: Any) -> bool:
    """A tensor on an accelerator that torch can reach here (CUDA): filled through pinned host chunks."""
    return tensor.device.type == "cuda" and torch.cuda.is_available()


def _local_shard(tensor: Any, where: str, host_only: bool) -> tuple[Tensor, str]:
    """A DTensor's placements checked; its local tensor and the name to check it under."""
    if host_only:
        raise TypeError(f"{where}: tensor is a DTensor (one shard of a global tensor); view its local shard "
                        "(fastinit.torch.numpy_view(dt.to_local())) and place it with fastinit.torch.dtensor_index(dt)")
    check_placements(tensor, where)
    local: Tensor = tensor.to_local()
    return local, f"{where} (the DTensor's local shard)"


def _check_tensor(tensor: Any, where: str, *, host_only: bool = False) -> None:
    """Everything :func:`numpy_view` needs, checked without touching memory. A DTensor: its
    placements and its local shard. ``host_only`` False: a CUDA tensor passes (the fills copy
    pinned chunks to it)."""
    if not isinstance(tensor, torch.Tensor):
        raise NotATensorError(f"{where}: tensor must be a torch.Tensor, got {type(tensor).__name__}; "
                        "for NumPy arrays use fastinit's functions (fastinit.uniform, ...) directly")
    if is_dtensor(tensor):
        tensor, where = _local_shard(tensor, where, host_only)
    if torch.nn.parameter.is_lazy(tensor):
        raise ValueError(f"{where}: tensor is an uninitialized lazy parameter/buffer; run a forward pass (or "
                         "module.initialize_parameters) first so that it has a shape")
    if tensor.is_meta:
        raise ValueError(f"{where}: tensor is on the meta device and has no memory to fill; materialize the "
                         "module with fastinit.torch.init_module(module, seed) (to_empty + fill), or create the "
                         "tensor on the CPU")
    if tensor.device.type != "cpu" and (host_only or not _on_device(tensor)):
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
    """A writable NumPy view of a CPU tensor's own memory (same shape and strides, no copy).

    float32/float64/float16/complex64/complex128 tensors give arrays of the same dtype; a
    bfloat16 tensor gives an ``ml_dtypes.bfloat16`` array over the same bytes. Writing to the view
    writes the tensor, without bumping its autograd version counter (the fill functions here do
    that). Use it to hand a tensor to any fastinit NumPy function as ``out``.

    Args:
        tensor: A CPU tensor of one of those dtypes, contiguous or not, without overlapping
            elements (not an expanded view); not a DTensor (view ``dt.to_local()`` and place it
            with :func:`dtensor_index`).

    Returns:
        The NumPy array viewing the tensor's memory.

    Raises:
        TypeError: not a tensor, an unsupported dtype or layout, or a DTensor.
        ValueError: a meta or non-CPU tensor, or one whose elements overlap in memory.

    Example:
        >>> import torch, fastinit, fastinit.torch as fit
        >>> w = torch.zeros(2, 3, dtype=torch.bfloat16)
        >>> view = fit.numpy_view(w)
        >>> view.dtype.name, view.shape
        ('bfloat16', (2, 3))
        >>> _ = fastinit.ones(view)  # a NumPy fill, written into the tensor
        >>> w
        tensor([[1., 1., 1.],
                [1., 1., 1.]], dtype=torch.bfloat16)
    """
    _check_tensor(tensor, "numpy_view", host_only=True)
    t = tensor.detach()
    try:
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().view(_np_bfloat16)
        return t.numpy()
    except RuntimeError as exc:  # functorch/fake tensors and other wrappers have no plain storage
        raise TypeError(f"tensor of type {type(tensor).__name__} has no CPU memory NumPy can view: {exc}") from None


def _check_generator(generator: Any, seed: Seed, where: str) -> None:
    """``generator`` is None or a torch.Generator, and not given together with ``seed``."""
    if generator is None:
        return
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"{where}: generator must be a torch.Generator or None, got {type(generator).__name__}")
    if seed is not None:
        raise ValueError(f"{where}: pass seed= or generator=, not both: the seed is either given or drawn from "
                         "the generator")


def _seed(seed: Seed, generator: Optional[torch.Generator] = None) -> int:
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
    """Whether ``tensor`` is complex64 or complex128."""
    return tensor.dtype in _COMPLEX_DTYPES


def _real_only(tensor: Tensor, where: str) -> None:
    """Refuse a complex tensor, as torch does (NotImplementedError) for this function."""
    if _is_complex(tensor):
        raise UnsupportedDtypeError(f"{where}: complex tensors are not supported (nor by torch.nn.init.{where}); "
                                    "fill the real and imaginary parts (torch.view_as_real(t)) instead")


def _matrix_rank(tensor: Tensor) -> None:
    """Rank 2 (eye_, sparse_), with torch's message."""
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")


def _other_dtype(tensor: Any) -> bool:
    """A CPU tensor of a dtype fastinit does not write (the deterministic fills use torch's op)."""
    return (isinstance(tensor, torch.Tensor) and tensor.dtype not in _FILL_DTYPES and not tensor.is_meta
            and tensor.device.type == "cpu" and tensor.layout == torch.strided)
