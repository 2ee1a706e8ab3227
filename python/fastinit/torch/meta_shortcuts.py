"""In-place ops on meta tensors whose outcome the recording knows without running them.

Recording a construction on the meta device (:mod:`.record`) runs every call on meta tensors, which
compute no values: only the result's shape, strides and dtype, and torch's checks. Some of torch's
meta implementations cost far more than the op's outcome is worth (measured on a loaded 2-core AMD
EPYC, whatever the tensor's size: ``clamp_`` with two bounds about 5 ms a call, ``normal_`` about
2 ms, ``erfinv_`` about 0.4 ms, where ``mul_`` takes a few microseconds), and the truncated normal
written out op by op (timm's ``trunc_normal_``, :mod:`.trunc_sequence`) makes four such calls per
tensor. :func:`meta_call` does not run a call whose outcome is known: ``erfinv_()``, ``mul_(x)``,
``add_(x)``, ``clamp_(min, max)`` or ``normal_(mean, std)`` with real Python numbers (``clamp_``: at
least one bound; ``normal_``: ``std >= 0``, ``generator`` None or not given, as
``torch.nn.init.normal_`` passes it) on a meta tensor that is a plain
``torch.Tensor`` or ``nn.Parameter``, contiguous, floating-point, not an inference tensor and not
followed by autograd (grad mode off, or it does not require grad), with no torch function mode
under the recorder but torch's device context; ``torch.nn.init.normal_`` (which a recorder sees as
one call: it runs ``normal_`` under ``torch.no_grad``) likewise, whether autograd follows the tensor or
not. Such a call returns its tensor, with the same shape, strides and dtype, and raises nothing; it
only moves the tensor's version counter, which :func:`meta_call` moves too.
"""

from __future__ import annotations

from typing import Any, Callable

import torch  # absolute import: the real PyTorch
from torch.overrides import _get_current_function_mode_stack
from torch.utils._device import DeviceContext

__all__ = ["meta_call"]

_FLOATS = frozenset({torch.float16, torch.bfloat16, torch.float32, torch.float64})
_PLAIN = (torch.Tensor, torch.nn.Parameter)
_ERFINV, _MUL, _ADD, _CLAMP, _NORMAL = (getattr(torch._C.TensorBase, n)
                                        for n in ("erfinv_", "mul_", "add_", "clamp_", "normal_"))
_OPS = frozenset({_ERFINV, _MUL, _ADD, _CLAMP, _NORMAL})
_INIT_NORMAL = torch.nn.init.normal_
_INIT_NAMES = ("tensor", "mean", "std", "generator")


def _real(x: Any) -> bool:
    """A Python float, or an int torch takes as a scalar (a 64-bit one)."""
    if isinstance(x, float):
        return True
    return isinstance(x, int) and not isinstance(x, bool) and -(2**63) <= x < 2**63


def _numbers_fit(func: Any, rest: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether the arguments after the tensor are ones the op takes without a check that could fail."""
    if func is _ERFINV:
        return not rest and not kwargs
    if func is _MUL or func is _ADD:
        return len(rest) == 1 and not kwargs and _real(rest[0])
    names = ("mean", "std") if func is _NORMAL else ("min", "max")
    if func is _NORMAL and kwargs.get("generator", 0) is None:
        kwargs = {k: v for k, v in kwargs.items() if k != "generator"}
    if len(rest) > 2 or set(kwargs) - set(names) or set(kwargs) & set(names[:len(rest)]):
        return False
    values = [*rest, *kwargs.values()]
    if func is _NORMAL:
        std = dict(zip(names, rest), **kwargs).get("std", 1.0)
        return all(_real(v) for v in values) and _real(std) and std >= 0
    return all(b is None or _real(b) for b in values) and any(b is not None for b in values)


def _method_call(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, tuple[Any, ...],
                                                                                   dict[str, Any], bool]:
    """The call as the Tensor method it makes (func, args, kwargs), and whether autograd may follow it:
    ``torch.nn.init.normal_`` is ``Tensor.normal_`` under ``torch.no_grad`` (None: arguments it refuses)."""
    if func is not _INIT_NORMAL:
        return func, args, kwargs, True
    bound = dict(zip(_INIT_NAMES, args))
    if len(args) > len(_INIT_NAMES) or set(kwargs) & set(bound) or set(kwargs) - set(_INIT_NAMES):
        return None, (), {}, False
    bound.update(kwargs)
    if "tensor" not in bound:
        return None, (), {}, False
    tensor = bound.pop("tensor")
    return _NORMAL, (tensor,), bound, False


def _known(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], followed: bool) -> bool:
    """Whether the call's outcome is known without running it (see the module docstring); ``followed``:
    whether autograd may follow it (False: it runs under ``torch.no_grad``)."""
    if func not in _OPS or not args:
        return False
    t = args[0]
    if type(t) not in _PLAIN or not _numbers_fit(func, args[1:], kwargs):
        return False
    with torch._C.DisableTorchFunction():
        plain = (t.is_meta and t.dtype in _FLOATS and t.is_contiguous() and not t.is_inference()
                 and not (followed and t.requires_grad and torch.is_grad_enabled()))
    if not plain:
        return False
    below: list[Any] = _get_current_function_mode_stack()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
    return all(isinstance(m, DeviceContext) for m in below)


def meta_call(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``func(*args, **kwargs)``, called from a torch function mode; a call whose outcome is known
    is not run: its tensor's version counter moves and the tensor is returned."""
    method, method_args, method_kwargs, followed = _method_call(func, args, kwargs)
    if _known(method, method_args, method_kwargs, followed):
        torch.autograd.graph.increment_version(method_args[0])
        return method_args[0]
    return func(*args, **kwargs)
