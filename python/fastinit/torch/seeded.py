"""``fastinit.torch.seeded``: run any init code with fastinit's values for a model's tensors.

Inside ``with seeded(model, seed):`` every random in-place initialization of one of ``model``'s
parameters or buffers, or of a view of one, fills with fastinit's values on that tensor's stream
(its qualified name without the components wrappers add, as :func:`fastinit.torch.init_module`
names streams) at the view's positions
in the tensor (see :mod:`.view_layout`). Calls are seen through a
``torch.overrides.TorchFunctionMode`` (so captured references to ``torch.nn.init``'s functions,
as transformers keeps, are seen too) and, for ``torch.nn.init.trunc_normal_``, whose torch
implementation draws rejected values into fresh tensors, through its private helper, replaced
while a context is open.

What is filled, and how (``generator=`` arguments are ignored):

- ``Tensor.normal_``, ``torch.nn.init.normal_``: :func:`fastinit.normal` values;
  ``Tensor.uniform_``, ``torch.nn.init.uniform_``: :func:`fastinit.uniform`;
  ``torch.nn.init.trunc_normal_``: :func:`fastinit.truncated_normal` (as
  :func:`fastinit.torch.trunc_normal_`); ``torch.nn.init.kaiming_uniform_``: uniform with torch's
  bound; ``xavier_*``, ``kaiming_normal_`` reach ``Tensor.uniform_``/``normal_`` and are filled there.
  These are in the tensor's own dtype (float32, float64, float16, bfloat16): element for element
  what fastinit's function gives the whole tensor.
- ``Tensor.log_normal_`` (exp of the float64 normal), ``exponential_`` (``-log1p(-u) / lambd``),
  ``cauchy_`` (``median + sigma * tan(pi * (u - 1/2))``), ``geometric_``
  (``floor(log1p(-u) / log1p(-p)) + 1``) and ``bernoulli_`` (``u < p``): transforms of fastinit's
  float64 uniform (``u``) or normal at the same positions, cast to the tensor's dtype.
- Deterministic ops (``fill_``, ``zero_``, ``copy_``, ``mul_``, ``erfinv_``, ``clamp_`` ...) run
  as usual; any in-place op on a model tensor marks it written (:attr:`seeded.written`).

Sharded tensors (``torch.distributed.tensor.DTensor``: FSDP2's ``fully_shard``, tensor parallel):
a draw on a DTensor parameter or buffer, on its local shard (``to_local()``) or on a view of
either fills this rank's memory with the global tensor's values at their global positions
(:func:`fastinit.torch.dtensor_index` places the shard; fans from the global shape), so the
gathered tensor is the same for every world size. ``dt[key]``, ``dt[key] = number``,
``dt.select``/``dt.narrow`` on a model DTensor give the part of the global selection this rank
holds as a view of its local shard (empty where it holds none of it), not a DTensor: DTensor
indexing along a sharded dimension returns a gathered copy, and writes to it (a padding row's
``zeros_``) would be lost. Limits: along a ``_StridedShard`` dimension only an int or the whole
axis is mapped, and a draw into a part of such a shard is reported (a draw into the whole shard is
exact); other DTensor ops that copy (``chunk``, ``split``, advanced indexing) are not seen, so a
write into their result does not reach the tensor.

A draw fastinit cannot key is **reported**, never silently taken from torch's generator: a
:class:`UnkeyedDrawWarning` naming the call (``strict=True``: an :class:`UnkeyedDrawError`
before it runs), after which torch's op runs as usual. That covers random draws into tensors that
are not the model's (``torch.randn``, ``torch.empty_like(w).normal_()`` later copied in, the
QR input of ``torch.nn.init.orthogonal_``, ``sparse_``'s ``randperm``), ``Tensor.random_``
(integers), complex tensors, views whose positions are not an affine family of the tensor's
(see :class:`~fastinit.torch.view_layout.UnmappableViewError`). Meta tensors are skipped (torch
draws nothing for them). On a model DTensor torch's op then runs on the local shard (a DTensor's
own random ops would set up an RNG state shared across ranks).
"""

from __future__ import annotations

import math
import sys
import threading
import warnings
from types import FrameType, TracebackType
from typing import Any, Callable, NamedTuple

import numpy as np
import torch  # absolute import: the real PyTorch
from torch.overrides import TorchFunctionMode

from .. import _core
from ..core import fills as _fills
from ..core.dtypes import FLOAT_FORMATS, format_of
from ..core.seed import Seed, resolve_seed, resolve_stream
from ..presets.truncation import torch_trunc_bounds
from .checks import _FLOAT_DTYPES, Tensor, _number, _seed, _torch_errors, numpy_view
from .dtensor import dtensor_index, is_dtensor, local_key
from .view_layout import UnmappableViewError, contains, global_layout, is_whole, view_layout

__all__ = ["seeded", "UnkeyedDrawError", "UnkeyedDrawWarning"]


class UnkeyedDrawError(RuntimeError):
    """``seeded(..., strict=True)``: a random draw fastinit cannot key to a model tensor."""


class UnkeyedDrawWarning(UserWarning):
    """``seeded(...)``: a random draw fastinit cannot key; its values are torch's generator's."""


class _Known(NamedTuple):
    """A model tensor: its stream name, the memory holding its values here (a plain tensor, or a
    DTensor's local shard), and (DTensor) that shard's ``(global shape, index)`` in the global tensor."""

    name: str
    base: Tensor
    place: tuple[tuple[int, ...], tuple[Any, ...]] | None


class _Target(NamedTuple):
    """A view of a model tensor: what to fill (plain memory), on which stream, at which logical
    positions of the (global) tensor; or, with ``place`` (the whole local shard of a DTensor whose
    rows are not one block), at ``place``'s ``full_shape``/``index``."""

    view: Tensor
    stream: str
    strides: list[int]
    origin: int
    place: dict[str, Any] | None = None


_CORE_FILLS: dict[str, Callable[..., None]] = {
    "uniform": _core.fill_uniform, "normal": _core.fill_normal, "truncated_normal": _core.fill_truncated_normal}
#: The same values through fastinit's fills, placed by ``full_shape``/``index`` (index arrays included).
_PLACED_FILLS: dict[str, Callable[..., Any]] = {
    "uniform": _fills.uniform, "normal": _fills.normal, "truncated_normal": _fills.truncated_normal}


def _fill_array(kind: str, arr: np.ndarray, target: _Target, seed: int, params: tuple[float, ...]) -> None:
    if target.place is not None:
        _PLACED_FILLS[kind](arr, *params, seed=seed, stream=target.stream, **target.place)
        return
    fmt = format_of(arr.dtype, FLOAT_FORMATS)
    core = arr.view(np.uint16) if fmt == "bfloat16" else arr
    _CORE_FILLS[kind](core, fmt, seed, resolve_stream(target.stream), target.strides, target.origin, *params)


def _fill_view(kind: str, target: _Target, seed: int, *params: float) -> None:
    """fastinit's ``kind`` values, in the view's own dtype, at its logical positions."""
    _fill_array(kind, numpy_view(target.view), target, seed, params)
    torch.autograd.graph.increment_version(target.view)


def _scratch(kind: str, target: _Target, seed: int, *params: float) -> Tensor:
    """fastinit's float64 ``kind`` values at the view's logical positions, as a new tensor."""
    out = np.empty(tuple(target.view.shape), np.float64)
    _fill_array(kind, out, target, seed, params)
    return torch.from_numpy(out)


def _copy_in(target: _Target, values: Tensor) -> None:
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


def _draw_normal(t: _Target, seed: int, p: list[Any]) -> None:
    _fill_view("normal", t, seed, float(p[0]), float(p[1]))


def _draw_uniform(t: _Target, seed: int, p: list[Any]) -> None:
    _fill_view("uniform", t, seed, float(p[0]), float(p[1]))


def _draw_log_normal(t: _Target, seed: int, p: list[Any]) -> None:
    _copy_in(t, torch.exp(_scratch("normal", t, seed, float(p[0]), float(p[1]))))


def _draw_exponential(t: _Target, seed: int, p: list[Any]) -> None:
    _copy_in(t, -torch.log1p(-_scratch("uniform", t, seed, 0.0, 1.0)) / float(p[0]))


def _draw_cauchy(t: _Target, seed: int, p: list[Any]) -> None:
    u = _scratch("uniform", t, seed, 0.0, 1.0)
    _copy_in(t, float(p[0]) + float(p[1]) * torch.tan(math.pi * (u - 0.5)))


def _draw_geometric(t: _Target, seed: int, p: list[Any]) -> None:
    u = _scratch("uniform", t, seed, 0.0, 1.0)
    _copy_in(t, torch.floor(torch.log1p(-u) / math.log1p(-float(p[0]))) + 1)


def _draw_bernoulli(t: _Target, seed: int, p: list[Any]) -> None:
    prob = p[0].to(torch.float64) if isinstance(p[0], torch.Tensor) else float(p[0])
    _copy_in(t, _scratch("uniform", t, seed, 0.0, 1.0) < prob)


_DRAWS: dict[str, Callable[[_Target, int, list[Any]], None]] = {
    "normal_": _draw_normal, "uniform_": _draw_uniform, "log_normal_": _draw_log_normal,
    "exponential_": _draw_exponential, "cauchy_": _draw_cauchy, "geometric_": _draw_geometric,
    "bernoulli_": _draw_bernoulli,
}
#: Draws written straight into the tensor's memory (fastinit's dtypes only); the others go through copy_.
_IN_DTYPE = frozenset({"normal_", "uniform_"})

_METHODS: dict[Any, str] = {getattr(torch._C.TensorBase, n): n for n in _METHOD_PARAMS}


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


_UNKEYED = _unkeyed_functions()

#: torch.nn.init functions torch dispatches to a TorchFunctionMode (and transformers' wrappers of them).
_INIT_MODULES = ("torch.nn.init", "transformers.initialization")
_HOOKED_INIT = frozenset({"normal_", "uniform_", "kaiming_uniform_", "constant_"})


def _init_name(func: Any) -> str | None:
    """``"normal_"`` ... for a hooked ``torch.nn.init`` function (or transformers' wrapper)."""
    name = getattr(func, "__name__", None)
    if name in _HOOKED_INIT and getattr(func, "__module__", None) in _INIT_MODULES:
        return str(name)
    return None


def _caller_init() -> str:
    """`` (inside torch.nn.init.orthogonal_)`` when an init function up the stack made the call."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(12):
        if frame is None:
            break
        module = frame.f_globals.get("__name__")
        if module in _INIT_MODULES and not frame.f_code.co_name.startswith("_"):
            return f" (inside {module}.{frame.f_code.co_name})"
        frame = frame.f_back
    return ""


def _on_meta(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    """Whether a call works on meta tensors (nothing is drawn)."""
    device = kwargs.get("device")
    if device is not None and torch.device(device).type == "meta":
        return True
    return bool(args) and isinstance(args[0], torch.Tensor) and args[0].is_meta


# ---------------------------------------------------------------- the context

_LOCAL = threading.local()
_HOOK_LOCK = threading.Lock()
_HOOK_USERS = [0]
_ORIGINAL_TRUNC: Callable[..., Tensor] = torch.nn.init._no_grad_trunc_normal_


def _active() -> seeded | None:
    stack: list[seeded] = getattr(_LOCAL, "stack", [])
    return stack[-1] if stack else None


def _trunc_normal_hook(tensor: Tensor, mean: float, std: float, a: float, b: float,
                       generator: torch.Generator | None = None) -> Tensor:
    """``torch.nn.init._no_grad_trunc_normal_`` while a :class:`seeded` context is open."""
    ctx = _active()
    if ctx is None or not isinstance(tensor, torch.Tensor) or tensor.is_meta:
        return _ORIGINAL_TRUNC(tensor, mean, std, a, b, generator=generator)
    return ctx._trunc_normal(tensor, mean, std, a, b, generator)


class _Mode(TorchFunctionMode):
    """Routes the calls to the :class:`seeded` context that owns it."""

    def __init__(self, ctx: seeded) -> None:
        super().__init__()
        self.ctx = ctx

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        return self.ctx._dispatch(func, args, kwargs or {})


class seeded:  # noqa: N801 - a context manager used like a function, as torch.no_grad
    """``with seeded(model, seed): ...``: random in-place inits of ``model``'s tensors draw fastinit's values.

    Every value then depends only on (``seed``, the tensor's stream name, its position in the
    tensor, the distribution and dtype): not on the order of the calls, the thread count, or
    wrappers (``torch.compile``'s ``_orig_mod``, FSDP1's ``_fsdp_wrapped_module``, activation
    checkpointing's ``_checkpoint_wrapped_module`` are dropped from names), and the same as
    :func:`fastinit.torch.init_module` gives. See the module docstring for what is filled how.

    Args:
        model: the ``torch.nn.Module`` whose parameters and buffers are keyed (CPU tensors, and
            DTensors by their local shards, e.g. a ``fully_shard`` model after ``to_empty``; meta
            tensors are skipped). Its tensors are looked up when the context opens.
        seed: an int in [0, 2**64); None draws one from torch's default generator.
        strict: False: an unkeyable draw warns (:class:`UnkeyedDrawWarning`) and runs; True: it
            raises :class:`UnkeyedDrawError` before drawing.

    Attributes:
        seed: the 64-bit seed used.
        written: stream names of the model tensors an in-place op wrote in the context.
        reports: the messages of the unkeyable draws (and of DTensor selections that would be copies).

    Not thread-safe across threads sharing the context; each thread opens its own.
    """

    def __init__(self, model: torch.nn.Module, seed: Seed, *, strict: bool = False) -> None:
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"seeded: model must be a torch.nn.Module, got {type(model).__name__}")
        if not isinstance(strict, bool):
            raise TypeError(f"seeded: strict must be True or False, got {strict!r}")
        self.model = model
        self.seed = _seed(None) if seed is None else resolve_seed(seed)
        self.strict = strict
        self.written: set[str] = set()
        self.reports: list[str] = []
        self._by_storage: dict[int, list[_Known]] = {}
        self._sharded: dict[int, str] = {}  # id of a DTensor parameter/buffer -> its stream name
        self._quiet = 0
        self._mode = _Mode(self)

    # ------------------------------------------------------------ entering and leaving

    def _index(self) -> None:
        """Model tensors by the storage address of the memory holding them here (a DTensor: its
        local shard), first name winning for tied tensors; DTensors also by ``id``."""
        from .module_init import plain_name  # here: module_init imports this module
        self._by_storage = {}
        self._sharded = {}
        named = list(self.model.named_parameters(remove_duplicate=False)) + \
            list(self.model.named_buffers(remove_duplicate=False))
        for name, t in named:
            if t is None or t.is_meta:
                continue
            stream = plain_name(self.model, name)
            base: Tensor | None = t
            place = None
            if is_dtensor(t):
                self._sharded.setdefault(id(t), stream)
                base, place = _shard_of(t)
            if base is None or base.device.type != "cpu" or base.numel() == 0:
                continue
            group = self._by_storage.setdefault(base.untyped_storage().data_ptr(), [])
            if not any(k.base is base or (k.base.data_ptr() == base.data_ptr() and k.base.shape == base.shape)
                       for k in group):
                group.append(_Known(stream, base, place))

    def __enter__(self) -> seeded:
        self._index()
        with _HOOK_LOCK:
            if _HOOK_USERS[0] == 0:
                torch.nn.init._no_grad_trunc_normal_ = _trunc_normal_hook
            _HOOK_USERS[0] += 1
        stack: list[seeded] = getattr(_LOCAL, "stack", [])
        _LOCAL.stack = stack + [self]
        self._mode.__enter__()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            self._mode.__exit__(exc_type, exc, tb)  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        finally:
            _LOCAL.stack = [c for c in getattr(_LOCAL, "stack", []) if c is not self]
            with _HOOK_LOCK:
                _HOOK_USERS[0] -= 1
                if _HOOK_USERS[0] == 0:
                    torch.nn.init._no_grad_trunc_normal_ = _ORIGINAL_TRUNC

    # ------------------------------------------------------------ finding the tensor

    def _locate(self, t: Any) -> tuple[_Known, Tensor] | None:
        """(the model tensor whose memory holds ``t``, the memory of ``t`` here), or None. A
        DTensor is found by its local shard."""
        if not isinstance(t, torch.Tensor) or t.is_meta:
            return None
        local = _local_of(t)
        if local.device.type != "cpu" or local.numel() == 0:
            return None
        for known in self._by_storage.get(local.untyped_storage().data_ptr(), ()):
            if contains(known.base, local):
                return known, local
        return None

    def _is_model_dtensor(self, t: Any) -> bool:
        """A DTensor parameter/buffer of the model, or a DTensor view of one."""
        return is_dtensor(t) and (id(t) in self._sharded or self._locate(t) is not None)

    def _target(self, t: Tensor, where: str, in_dtype: bool) -> _Target | None:
        """The target of a draw into ``t``, or None after reporting why it cannot be keyed."""
        found = self._locate(t)
        if found is None:
            self._report(where, "the tensor is not one of the model's parameters or buffers nor a view of one "
                                "(e.g. a fresh tensor later copied in); draw into the parameter itself")
            return None
        known, local = found
        if t.is_complex() or (in_dtype and t.dtype not in _FLOAT_DTYPES):
            self._report(where, f"{known.name} has dtype {t.dtype}; fastinit keys float32/float64/float16/bfloat16 "
                                "draws")
            return None
        try:
            return _place_view(known, local)
        except UnmappableViewError as exc:
            self._report(where, f"the view of {known.name} (shape {tuple(t.shape)}, strides {local.stride()}) cannot "
                                f"be mapped to its positions: {exc}")
            return None

    def _report(self, where: str, why: str) -> None:
        self._warn(f"fastinit.torch.seeded: {where}{_caller_init()} draws from torch's generator: {why}. Its values "
                   "are not fastinit's (not reproducible across thread counts, world sizes or wrappers)")

    def _warn(self, message: str) -> None:
        if self._quiet:
            return
        self.reports.append(message)
        if self.strict:
            raise UnkeyedDrawError(message)
        warnings.warn(message, UnkeyedDrawWarning, stacklevel=5)

    def _wrote(self, t: Any) -> None:
        if is_dtensor(t) and id(t) in self._sharded:
            self.written.add(self._sharded[id(t)])
            return
        found = self._locate(t)
        if found is not None:
            self.written.add(found[0].name)

    def _empty(self, t: Any) -> bool:
        """Whether ``t`` holds no elements here (a DTensor: no local element); marks a model DTensor written."""
        if not isinstance(t, torch.Tensor) or t.is_meta or _local_of(t).numel():
            return False
        self._wrote(t)
        return True

    # ------------------------------------------------------------ the calls

    def _dispatch(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        name = _init_name(func)
        if name is not None:
            return self._init_function(func, name, args, kwargs)
        method = _METHODS.get(func)
        if method is not None and not _on_meta(args, kwargs):
            return self._method(func, method, args, kwargs)
        view = _VIEW_OPS.get(func)
        if view is not None and args and self._is_model_dtensor(args[0]):
            return self._sharded_view(func, view, args, kwargs)
        if func in _UNKEYED and not _on_meta(args, kwargs):
            self._report(_UNKEYED[func], "fastinit keys draws into the model's own tensors only")
        result = func(*args, **kwargs)
        if args and getattr(func, "__name__", "").endswith("_"):
            self._wrote(args[0])
        return result

    def _fallback(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """torch's op after a report; on a model DTensor, on its local shard (a DTensor's own random
        ops would coordinate an RNG state across ranks)."""
        if self._is_model_dtensor(args[0]):
            func(_local_of(args[0]), *args[1:], **kwargs)
            return args[0]
        return func(*args, **kwargs)

    def _method(self, func: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        names, defaults = _METHOD_PARAMS[method]
        params = _bind(f"Tensor.{method}", names, defaults, args[1:], kwargs)
        if self._empty(args[0]):
            return args[0]
        target = self._target(args[0], f"Tensor.{method}", method in _IN_DTYPE)
        if target is None:
            return self._fallback(func, args, kwargs)
        _DRAWS[method](target, self.seed, params)
        self._drawn(args[0], target)
        return args[0]

    def _drawn(self, tensor: Tensor, target: _Target) -> None:
        self.written.add(target.stream)
        if is_dtensor(tensor):
            torch.autograd.graph.increment_version(tensor)

    def _init_function(self, func: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tensor = args[0] if args else kwargs.get("tensor")
        if getattr(func, "__module__", "") == "transformers.initialization" and \
                getattr(tensor, "_is_hf_initialized", False):
            return tensor  # transformers' guard: a loaded tensor is left as it is
        if name == "constant_" or not isinstance(tensor, torch.Tensor) or tensor.is_meta:
            result = func(*args, **kwargs)
            self._wrote(tensor)
            return result
        rest = {k: v for k, v in kwargs.items() if k != "tensor"}
        if name == "kaiming_uniform_" and 0 in tensor.shape:
            warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=4)
            return tensor
        if self._empty(tensor):
            return tensor
        target = self._target(tensor, f"torch.nn.init.{name}", True)
        if target is None:
            return self._fallback(func, (tensor,) + tuple(args[1:]), rest)
        if name == "kaiming_uniform_":
            p = _bind(name, ("a", "mode", "nonlinearity"), (0, "fan_in", "leaky_relu"), args[1:], rest)
            fan = torch.nn.init._calculate_correct_fan(tensor, p[1])
            bound = math.sqrt(3.0) * torch.nn.init.calculate_gain(p[2], p[0]) / math.sqrt(fan)
            _fill_view("uniform", target, self.seed, -bound, bound)
        else:
            names = ("mean", "std") if name == "normal_" else ("a", "b")
            p = _bind(name, names, (0.0, 1.0), args[1:], rest)
            _fill_view(name.rstrip("_"), target, self.seed, float(p[0]), float(p[1]))
        self._drawn(tensor, target)
        return tensor

    def _trunc_normal(self, tensor: Tensor, mean: float, std: float, a: float, b: float,
                      generator: torch.Generator | None) -> Tensor:
        """``torch.nn.init.trunc_normal_``'s body: fastinit's truncated normal, or torch's after a report."""
        if self._empty(tensor):
            return tensor
        target = self._target(tensor, "torch.nn.init.trunc_normal_", True)
        if target is None:
            self._quiet += 1  # reported once, not for each of torch's inner draws
            try:
                into = _local_of(tensor) if self._is_model_dtensor(tensor) else tensor
                _ORIGINAL_TRUNC(into, mean, std, a, b, generator=generator)
                return tensor
            finally:
                self._quiet -= 1
        with _torch_errors():
            m, s, lo, hi = torch_trunc_bounds(_number(mean), _number(std), _number(a), _number(b))
        _fill_view("truncated_normal", target, self.seed, m, s, lo, hi)
        self._drawn(tensor, target)
        return tensor

    # ------------------------------------------------------------ views of sharded tensors

    def _sharded_view(self, func: Any, view: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``dt[key]``, ``dt[key] = value``, ``dt.select``/``dt.narrow`` on a model DTensor: the part of
        the global selection this rank holds, as a view of its local shard (DTensor indexing along a
        sharded dimension would return a gathered copy, and writes to it would be lost)."""
        t = args[0]
        key = _view_key(view, args, kwargs)
        local = _local_of(t)
        lk, index = None, None
        try:
            index = dtensor_index(t)
        except (ValueError, RuntimeError):  # Partial: no position is held as such
            key = None
        if key is not None and index is None:  # this rank is not on the tensor's mesh: it holds nothing
            return None if view == "setitem" else local
        if key is not None and index is not None:
            lk = local_key(key, tuple(int(n) for n in t.shape), index)
        value = args[2] if view == "setitem" and len(args) > 2 else None
        if lk is None or (view == "setitem" and not _scalar(value)):
            self._warn(f"fastinit.torch.seeded: {_VIEW_NAMES[view]}({key!r}){_caller_init()} on a sharded model "
                       f"tensor (a DTensor of shape {tuple(t.shape)}, placements {tuple(t.placements)}) gives a "
                       "DTensor copy, not a view of the local shard: writes to it do not reach the tensor. seeded "
                       "maps ints, step > 0 slices and Ellipsis (only an int or the whole axis along a "
                       "_StridedShard dimension), and assigns numbers")
            return func(*args, **kwargs)
        if view == "setitem":
            assigned: Any = value  # a number or a 0-d tensor (checked above)
            local[lk] = assigned
            self._wrote(t)
            return None
        return local[lk]


# ---------------------------------------------------------------- DTensors


def _local_of(t: Tensor) -> Tensor:
    """A DTensor's local shard; any other tensor itself."""
    local: Tensor = t.to_local() if is_dtensor(t) else t  # type: ignore[attr-defined]  # a DTensor method
    return local


def _shard_of(t: Tensor) -> tuple[Tensor | None, tuple[tuple[int, ...], tuple[Any, ...]] | None]:
    """(local shard, (global shape, its index)) of a DTensor; (None, None) where this rank holds
    nothing of it or its placements do not select global elements (Partial: draws reported)."""
    try:
        index = dtensor_index(t)
    except (ValueError, RuntimeError):
        return None, None
    if index is None:
        return None, None
    return _local_of(t), (tuple(int(n) for n in t.shape), index)


def _place_view(known: _Known, local: Tensor) -> _Target:
    """Where the view ``local`` (plain memory inside ``known.base``) sits in the model tensor's
    (global) logical order; raises UnmappableViewError."""
    strides, origin = view_layout(local, known.base)
    if known.place is None:
        return _Target(local, known.name, strides, origin)
    full_shape, index = known.place
    try:
        strides, origin = global_layout(tuple(local.shape), strides, origin, tuple(known.base.shape), full_shape,
                                        index)
    except UnmappableViewError:
        if not is_whole(local, known.base):
            raise
        return _Target(local, known.name, [], 0, {"full_shape": full_shape, "index": index})
    return _Target(local, known.name, strides, origin)


#: View ops seeded maps to the local shard of a model DTensor.
_VIEW_OPS: dict[Any, str] = {
    torch._C.TensorBase.__getitem__: "getitem", torch._C.TensorBase.__setitem__: "setitem",
    torch._C.TensorBase.select: "select", torch._C.TensorBase.narrow: "narrow",
    torch.select: "select", torch.narrow: "narrow",
}
_VIEW_NAMES = {"getitem": "Tensor.__getitem__", "setitem": "Tensor.__setitem__", "select": "Tensor.select",
               "narrow": "Tensor.narrow"}


def _view_key(view: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """The global basic-indexing key of a view op (None where it is not one seeded maps)."""
    if kwargs:
        return None
    if view in ("getitem", "setitem"):
        return args[1] if len(args) > 1 else None
    if len(args) != 3 + (view == "narrow"):
        return None
    try:
        dim = int(args[1]) % args[0].dim()
        lead: tuple[Any, ...] = (slice(None),) * dim
        if view == "select":
            return lead + (int(args[2]),)
        start = int(args[2])
        start += args[0].shape[dim] if start < 0 else 0
        return lead + (slice(start, start + int(args[3])),)
    except (TypeError, ValueError, ZeroDivisionError):
        return None


def _scalar(value: Any) -> bool:
    """A Python number or a 0-d plain tensor (what seeded assigns to a sharded selection)."""
    if isinstance(value, (bool, int, float)):
        return True
    return isinstance(value, torch.Tensor) and not is_dtensor(value) and value.dim() == 0
