"""The random calls :class:`fastinit.torch.seeded` sees, and the fastinit fills that replace them.

A keyed draw fills a :class:`Target` (plain memory, its stream, its logical positions in the
model tensor) with fastinit's values: ``Tensor.normal_``/``uniform_`` and ``torch.nn.init``'s
``normal_``/``uniform_``/``kaiming_uniform_``/``trunc_normal_`` in the tensor's own dtype; the
other in-place random methods (``log_normal_``, ``exponential_``, ``cauchy_``, ``geometric_``,
``bernoulli_``) as transforms of fastinit's float64 uniform or normal, copied in; each after torch's own
parameter checks (:func:`check_method`: torch's exception, type and message). A target in a CUDA
tensor is written on the device by the same kernels as the ``fastinit.torch`` functions
(:mod:`.device_draws`). This module also
names the calls: which functions are those methods, which are hooked ``torch.nn.init`` functions,
which random ops draw into tensors fastinit cannot key (:data:`UNKEYED`), and which init function
up the stack made a call (:func:`caller_init`, for reports).
"""

from __future__ import annotations

import math
import sys
from types import FrameType
from typing import Any, Callable, NamedTuple

import numpy as np
import torch  # absolute import: the real PyTorch

from ..core import fills as _fills
from ..core.dtypes import FLOAT_FORMATS, format_of
from ..core.seed import resolve_stream
from ..presets.truncation import torch_trunc_bounds
from .checks import Tensor, _number, _torch_errors, numpy_view
from .device_draws import fill_on_device, on_device, scratch_on_device

__all__ = ["Target", "METHODS", "IN_DTYPE", "UNKEYED", "RANDOM_", "method_params", "check_method", "draw",
           "draw_init", "draw_trunc_normal", "init_name", "caller_init", "on_meta", "in_place"]


class Target(NamedTuple):
    """A view of a model tensor: what to fill (plain memory), on which stream, at which logical
    positions of the (global) tensor; or, with ``place`` (the whole local shard of a DTensor whose
    rows are not one block), at ``place``'s ``full_shape``/``index``."""

    view: Tensor
    stream: str
    strides: list[int]
    origin: int
    place: dict[str, Any] | None = None


# ---------------------------------------------------------------- fastinit's values into a target

#: The core's fill of each kind, looked up in ``fills._core`` when called (a device fill's recorder stands there).
_CORE_FILLS = {"uniform": "fill_uniform", "normal": "fill_normal", "truncated_normal": "fill_truncated_normal"}
#: The same values through fastinit's fills, placed by ``full_shape``/``index`` (index arrays included).
_PLACED_FILLS: dict[str, Callable[..., Any]] = {
    "uniform": _fills.uniform, "normal": _fills.normal, "truncated_normal": _fills.truncated_normal}


def _fill_array(kind: str, arr: np.ndarray, target: Target, seed: int, params: tuple[float, ...]) -> None:
    if target.place is not None:
        _PLACED_FILLS[kind](arr, *params, seed=seed, stream=target.stream, **target.place)
        return
    fmt = format_of(arr.dtype, FLOAT_FORMATS)
    core = arr.view(np.uint16) if fmt == "bfloat16" else arr
    fill = getattr(_fills._core, _CORE_FILLS[kind])
    fill(core, fmt, seed, resolve_stream(target.stream), target.strides, target.origin, *params)


def _fill_view(kind: str, target: Target, seed: int, *params: float) -> None:
    """fastinit's ``kind`` values, in the view's own dtype, at its logical positions."""
    if on_device(target.view):
        fill_on_device(target.view, lambda arr: _fill_array(kind, arr, target, seed, params))
    else:
        _fill_array(kind, numpy_view(target.view), target, seed, params)
    torch.autograd.graph.increment_version(target.view)


def _scratch(kind: str, target: Target, seed: int, *params: float) -> Tensor:
    """fastinit's float64 ``kind`` values at the view's logical positions, as a new tensor (on the view's device)."""
    if on_device(target.view):
        return scratch_on_device(target.view, lambda arr: _fill_array(kind, arr, target, seed, params))
    out = np.empty(tuple(target.view.shape), np.float64)
    _fill_array(kind, out, target, seed, params)
    return torch.from_numpy(out)


def _copy_in(target: Target, values: Tensor) -> None:
    with torch.no_grad():
        target.view.copy_(values)


# ---------------------------------------------------------------- the in-place random methods

_NO_DEFAULT = object()

#: Tensor method name -> (parameter names, defaults) after ``self`` (``generator`` is ignored).
_METHOD_PARAMS: dict[str, tuple[tuple[str, ...], tuple[Any, ...]]] = {
    "normal_": (("mean", "std"), (0.0, 1.0)),
    "uniform_": (("from", "to"), (0.0, 1.0)),
    "log_normal_": (("mean", "std"), (1.0, 2.0)),
    "exponential_": (("lambd",), (1.0,)),
    "cauchy_": (("median", "sigma"), (0.0, 1.0)),
    "geometric_": (("p",), (_NO_DEFAULT,)),
    "bernoulli_": (("p",), (0.5,)),
}


def _bind(where: str, names: tuple[str, ...], defaults: tuple[Any, ...], args: tuple[Any, ...],
          kwargs: dict[str, Any]) -> list[Any]:
    """The call's parameter values (positional, then by keyword, then defaults)."""
    values = list(args[:len(names)]) + [kwargs.get(n, d) for n, d in zip(names[len(args):], defaults[len(args):])]
    if any(v is _NO_DEFAULT for v in values):
        raise TypeError(f"{where}() missing a required argument ({', '.join(names)})")
    return [_number(v) for v in values]


def method_params(method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """The parameter values of a call of the Tensor method ``method`` (``args`` after ``self``)."""
    names, defaults = _METHOD_PARAMS[method]
    return _bind(f"Tensor.{method}", names, defaults, args, kwargs)


def _draw_normal(t: Target, seed: int, p: list[Any]) -> None:
    _fill_view("normal", t, seed, float(p[0]), float(p[1]))


def _draw_uniform(t: Target, seed: int, p: list[Any]) -> None:
    _fill_view("uniform", t, seed, float(p[0]), float(p[1]))


def _draw_log_normal(t: Target, seed: int, p: list[Any]) -> None:
    _copy_in(t, torch.exp(_scratch("normal", t, seed, float(p[0]), float(p[1]))))


def _draw_exponential(t: Target, seed: int, p: list[Any]) -> None:
    _copy_in(t, -torch.log1p(-_scratch("uniform", t, seed, 0.0, 1.0)) / float(p[0]))


def _draw_cauchy(t: Target, seed: int, p: list[Any]) -> None:
    u = _scratch("uniform", t, seed, 0.0, 1.0)
    _copy_in(t, float(p[0]) + float(p[1]) * torch.tan(math.pi * (u - 0.5)))


def _draw_geometric(t: Target, seed: int, p: list[Any]) -> None:
    prob = float(p[0])  # in (0, 1): checked by check_method
    u = _scratch("uniform", t, seed, 0.0, 1.0)
    _copy_in(t, torch.floor(torch.log1p(-u) / math.log1p(-prob)) + 1)


def _draw_bernoulli(t: Target, seed: int, p: list[Any]) -> None:
    u = _scratch("uniform", t, seed, 0.0, 1.0)
    prob = p[0] if isinstance(p[0], torch.Tensor) else float(p[0])
    if isinstance(prob, torch.Tensor):
        prob = prob.to(torch.float64) if prob.device == u.device else prob.to(u.device, torch.float64)
    _copy_in(t, u < prob)


_DRAWS: dict[str, Callable[[Target, int, list[Any]], None]] = {
    "normal_": _draw_normal, "uniform_": _draw_uniform, "log_normal_": _draw_log_normal,
    "exponential_": _draw_exponential, "cauchy_": _draw_cauchy, "geometric_": _draw_geometric,
    "bernoulli_": _draw_bernoulli,
}
#: Draws written straight into the tensor's memory (fastinit's dtypes only); the others go through copy_.
IN_DTYPE = frozenset({"normal_", "uniform_"})

#: The in-place random Tensor methods (as a TorchFunctionMode sees them) -> their names.
METHODS: dict[Any, str] = {getattr(torch._C.TensorBase, n): n for n in _METHOD_PARAMS}


_BERNOULLI = torch._C.TensorBase.bernoulli_
#: ``Tensor.random_``: not keyed (integers), but checked as torch checks it before it is reported.
RANDOM_ = torch._C.TensorBase.random_


def check_method(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """torch's own checks of the in-place random method call ``func(*args, **kwargs)``, before anything is
    drawn: the call runs on an empty tensor of ``args[0]``'s dtype (torch checks the parameters first and
    draws nothing into no elements), so a bad parameter raises torch's exception, type and message. A
    tensor ``p`` of ``bernoulli_``, which torch's kernel checks element by element, runs on a scratch
    tensor of ``args[0]``'s shape with a generator of its own (torch's default generator is left alone),
    ``p`` on the CPU (a device tensor's ``p`` copied there)."""
    rest = {k: v for k, v in kwargs.items() if k != "generator"}
    p = args[1] if len(args) > 1 else kwargs.get("p")
    whole = func is _BERNOULLI and isinstance(p, torch.Tensor)
    if whole and isinstance(p, torch.Tensor):
        rest["generator"] = torch.Generator()
        if "p" in rest:
            rest["p"] = p.cpu()
        else:
            args = (args[0], p.cpu(), *args[2:])
    with torch._C.DisableTorchFunction():  # no mode (of any open context) sees the probe
        func(torch.empty(tuple(args[0].shape) if whole else (0,), dtype=args[0].dtype), *args[1:], **rest)


def draw(method: str, target: Target, seed: int, params: list[Any]) -> None:
    """What ``Tensor.<method>(*params)`` draws, as fastinit's values at the target's positions."""
    _DRAWS[method](target, seed, params)


# ---------------------------------------------------------------- torch.nn.init's functions

_TENSOR_UNIFORM = torch._C.TensorBase.uniform_


def draw_init(name: str, tensor: Tensor, target: Target, seed: int, args: tuple[Any, ...],
              kwargs: dict[str, Any]) -> None:
    """``torch.nn.init.<name>(tensor, *args, **kwargs)`` (``normal_``, ``uniform_``,
    ``kaiming_uniform_``; fans from ``tensor``'s shape) as fastinit's values into ``target``."""
    if name == "kaiming_uniform_":
        p = _bind(name, ("a", "mode", "nonlinearity"), (0, "fan_in", "leaky_relu"), args, kwargs)
        fan = torch.nn.init._calculate_correct_fan(tensor, p[1])
        bound = math.sqrt(3.0) * torch.nn.init.calculate_gain(p[2], p[0]) / math.sqrt(fan)
        check_method(_TENSOR_UNIFORM, (tensor, -bound, bound), {})
        _fill_view("uniform", target, seed, -bound, bound)
        return
    names = ("mean", "std") if name == "normal_" else ("a", "b")
    p = _bind(name, names, (0.0, 1.0), args, kwargs)
    check_method(getattr(torch._C.TensorBase, name), (tensor, *p), {})  # what torch's init function calls
    _fill_view(name.rstrip("_"), target, seed, float(p[0]), float(p[1]))


def draw_trunc_normal(target: Target, seed: int, mean: float, std: float, a: float, b: float) -> None:
    """``torch.nn.init.trunc_normal_``'s parameters as fastinit's truncated normal into ``target``."""
    with _torch_errors():
        m, s, lo, hi = torch_trunc_bounds(_number(mean), _number(std), _number(a), _number(b))
    _fill_view("truncated_normal", target, seed, m, s, lo, hi)


# ---------------------------------------------------------------- naming the calls


def _unkeyed_functions() -> dict[Any, str]:
    """Random ops that draw into tensors fastinit cannot name: reported whenever they run."""
    funcs: dict[Any, str] = {}
    for n in ("rand", "randn", "randint", "rand_like", "randn_like", "randint_like", "randperm", "normal",
              "bernoulli", "multinomial", "poisson", "binomial"):
        if hasattr(torch, n):
            funcs[getattr(torch, n)] = f"torch.{n}"
    for n in ("random_", "bernoulli", "multinomial"):
        funcs[getattr(torch._C.TensorBase, n)] = f"Tensor.{n}"
    return funcs


#: Random ops fastinit cannot key -> the name a report gives them.
UNKEYED = _unkeyed_functions()

#: torch.nn.init functions torch dispatches to a TorchFunctionMode (and transformers' wrappers of them).
_INIT_MODULES = ("torch.nn.init", "transformers.initialization")
_HOOKED_INIT = frozenset({"normal_", "uniform_", "kaiming_uniform_", "constant_"})


def init_name(func: Any) -> str | None:
    """``"normal_"`` ... for a hooked ``torch.nn.init`` function (or transformers' wrapper)."""
    name = getattr(func, "__name__", None)
    if name in _HOOKED_INIT and getattr(func, "__module__", None) in _INIT_MODULES:
        return str(name)
    return None


#: Dunder methods that write into their first argument (``t[i] = x``, ``t += x``); the others
#: (``Tensor.data.__get__``, ``.shape``'s getter ...) only read, and ``p.data = x`` (``__set__``) puts
#: other memory under the tensor (its values are what ``x`` holds, written or not).
_WRITING_DUNDERS = frozenset({"__setitem__", "__iadd__", "__isub__", "__imul__", "__imatmul__",
                              "__itruediv__", "__ifloordiv__", "__imod__", "__ipow__", "__iand__", "__ior__",
                              "__ixor__", "__ilshift__", "__irshift__"})


#: In-place methods that change a tensor's flags or names, not its values.
_FLAGS_ONLY = frozenset({"requires_grad_", "share_memory_", "detach_", "rename_", "retain_grad_"})


def in_place(func: Any) -> bool:
    """Whether ``func`` writes into its first argument's values: an in-place op (``zero_``,
    ``copy_``, ``torch.nn.init.ones_`` ...: its name ends in one ``_``; ``requires_grad_`` and other
    flag setters excepted) or a writing dunder method."""
    name = getattr(func, "__name__", "")
    if name.startswith("__") and name.endswith("__"):
        return name in _WRITING_DUNDERS
    return name.endswith("_") and name not in _FLAGS_ONLY


def caller_init() -> str:
    """`` (inside torch.nn.init.orthogonal_)`` when an init function up the stack made the call
    (the search starts at the caller of the function calling this one)."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(12):
        if frame is None:
            break
        module = frame.f_globals.get("__name__")
        if module in _INIT_MODULES and not frame.f_code.co_name.startswith("_"):
            return f" (inside {module}.{frame.f_code.co_name})"
        frame = frame.f_back
    return ""


def on_meta(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a call works on meta tensors (nothing is drawn)."""
    device = kwargs.get("device")
    if device is not None and torch.device(device).type == "meta":
        return True
    return bool(args) and isinstance(args[0], torch.Tensor) and args[0].is_meta
