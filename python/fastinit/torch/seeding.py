"""``fastinit.torch.seeded``: run any init code with fastinit's values for a model's tensors.

Inside ``with seeded(model, seed):`` every random in-place initialization of one of ``model``'s
parameters or buffers, or of a view of one, fills with fastinit's values on that tensor's stream
(its qualified name without the components wrappers add, as :func:`fastinit.torch.init_module`
names streams) at the view's positions in the tensor (see :mod:`.view_layout`). Calls are seen through a
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
  as usual; an in-place op on a model tensor (a name ending in ``_``, ``t[i] = x``, ``t += x``, an
  ``out=`` argument) marks it written (:attr:`seeded.written`); reads (``.data``, ``.shape``) do not.
- The inverse-CDF truncated normal written out op by op (timm's ``trunc_normal_``: ``uniform_``,
  ``erfinv_``, ``mul_``, ``add_``, ``clamp_`` on one tensor): one :func:`fastinit.truncated_normal`
  draw, as ``torch.nn.init.trunc_normal_`` with the same ``(mean, std, a, b)`` gives; any other
  step leaves each op's own result (see :mod:`.trunc_sequence`).

Parameters are checked as torch checks them, before anything is written: a bad one (``normal_(0, -1)``,
``exponential_(0)``, ``bernoulli_(1.5)``, ``uniform_(0, inf)``, ``random_(5, 2)`` ...) raises
torch's own exception, type and message (torch's check runs on an empty tensor of the same dtype).
``trunc_normal_`` has fastinit's checks, as :func:`fastinit.torch.trunc_normal_` (torch's accepts a
negative ``std`` and divides by a zero one).

CUDA (and ROCm) tensors are written on the device by fastinit.gpu's kernels, nothing copied from
the host: the same bits as on the CPU, except that the transforms above run the device's ``exp``,
``log1p`` and ``tan`` (equal to rounding; see :mod:`.device_draws`).

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
draws nothing for them), and so are uninitialized lazy ones (``nn.LazyLinear`` before its first
forward pass); a lazy tensor materialized inside the context is keyed like the others. On a model
DTensor torch's op then runs on the local shard (a DTensor's own random ops would set up an RNG
state shared across ranks).

Threads: torch function modes are per thread, so a context sees the calls of the thread that opened
it. A write into a model tensor that no open context saw (a draw from another thread, or code run
with torch functions disabled) is found by the tensor's version counter and reported at the
context's next op on that tensor or when it closes (``strict=True``: :class:`UnkeyedDrawError`
there; the values written are torch's). A worker thread that opens its own ``seeded`` on the model
draws fastinit's values, and no context reports them. Writes that leave the version counter alone
(through ``.data`` or NumPy views of the memory) are not seen. Contexts nest: a call reaches the
innermost one first, and a draw into a tensor that only an enclosing context keys goes on to that
one, unreported (:mod:`.open_contexts`).

This module holds the context and the calls' routing; :mod:`.draws` the fills that replace the
draws, :mod:`.model_tensors` the lookup of the model tensor (and position) a draw lands in,
:mod:`.dtensor_views` the selections of sharded tensors, :mod:`.open_contexts` the open contexts
of every thread, and :mod:`.unseen_writes` the writes none of them saw.
"""

import sys
import warnings
from types import TracebackType
from typing import Any, Optional

import torch  # absolute import: the real PyTorch
from torch.overrides import TorchFunctionMode

from ..core.seed import Seed, resolve_seed
from .checks import _FLOAT_DTYPES, Tensor, _seed
from .draws import (
    IN_DTYPE,
    METHODS,
    RANDOM_,
    UNKEYED,
    Target,
    caller_init,
    check_method,
    draw,
    draw_init,
    draw_trunc_normal,
    in_place,
    init_name,
    method_params,
    on_meta,
)
from .dtensor import is_dtensor
from .dtensor_views import VIEW_OPS, copy_message, local_of, local_selection, scalar
from .model_tensors import ByStorage, Known, index_model, locate, place_view, storage_key, storage_keys
from .open_contexts import ORIGINAL_TRUNC, mark_seen, owner, pop, push
from .trunc_sequence import Sequences
from .unseen_writes import Versions, unseen_message
from .view_layout import UnmappableViewError

__all__ = ["seeded", "UnkeyedDrawError", "UnkeyedDrawWarning"]


class UnkeyedDrawError(RuntimeError):
    """``seeded(..., strict=True)``: a random draw fastinit cannot key to a model tensor."""


class UnkeyedDrawWarning(UserWarning):
    """``seeded(...)``: a random draw fastinit cannot key; its values are torch's generator's."""


# ---------------------------------------------------------------- the calls' routing

def _outside() -> int:
    """The ``stacklevel`` of a warning given in :meth:`seeded._warn` that names the first frame outside
    this package (the user's code, or the torch.nn.init function that made the call)."""
    level, frame = 1, sys._getframe(1)
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith("fastinit.torch."):
        level, frame = level + 1, frame.f_back
    return level


def _hf_loaded(func: Any, tensor: Any) -> bool:
    """transformers' guard: a tensor it loaded is left as it is by its init wrappers."""
    return getattr(func, "__module__", "") == "transformers.initialization" and \
        bool(getattr(tensor, "_is_hf_initialized", False))


class _Mode(TorchFunctionMode):
    """Routes the calls to the :class:`seeded` context that owns it."""

    def __init__(self, ctx: "seeded") -> None:
        super().__init__()
        self.ctx = ctx

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: Optional[dict[str, Any]] = None) -> Any:
        return self.ctx._dispatch(func, args, kwargs or {})


# ---------------------------------------------------------------- the context


class seeded:  # noqa: N801 - a context manager used like a function, as torch.no_grad
    """``with seeded(model, seed): ...``: random in-place inits of ``model``'s tensors draw fastinit's values.

    Every value then depends only on (``seed``, the tensor's stream name, its position in the
    tensor, the distribution and dtype): not on the order of the calls, the thread count, or
    wrappers (``torch.compile``'s ``_orig_mod``, FSDP1's ``_fsdp_wrapped_module``, activation
    checkpointing's ``_checkpoint_wrapped_module`` are dropped from names), and the same as
    :func:`fastinit.torch.init_module` gives. See :mod:`fastinit.torch.seeding` for what is filled how.

    Args:
        model: the ``torch.nn.Module`` whose parameters and buffers are keyed (CPU and CUDA tensors,
            and DTensors by their local shards, e.g. a ``fully_shard`` model after ``to_empty``; meta
            and uninitialized lazy tensors are skipped). Its tensors are looked up when the context
            opens, and again when a draw misses while lazy ones remain (materialized ones are keyed).
        seed: The Philox key, an int in [0, 2**64): the values are then a pure function of
            (seed, each tensor's name, the position in it, the distribution and dtype). None
            draws one from torch's default generator (``torch.manual_seed`` makes it repeatable).
        strict: False: an unkeyable draw warns (:class:`UnkeyedDrawWarning`) and runs; True: it
            raises :class:`UnkeyedDrawError` before drawing (a write no context saw, e.g. from
            another thread: at the next op on the tensor or on leaving, after the fact).

    Raises:
        TypeError: ``model`` is not a ``torch.nn.Module``, or ``strict`` not a bool.
        RuntimeError: (inside) a draw's parameters that torch refuses: torch's own exception and
            message (``ValueError``, ``NotImplementedError`` ... where torch raises those).
        UnkeyedDrawError: (inside, ``strict=True``) a draw fastinit cannot key, or a model tensor
            written by an op no open context saw.

    Attributes:
        seed: the 64-bit seed used.
        written: stream names of the model tensors an in-place op wrote in the context.
        reports: the messages of the unkeyable draws (and of DTensor selections that would be copies).
        computed: memory keyed besides the model's tensors, by storage address, after them (the tensors
            parametrizations compute, while :func:`~.computed_tensors.computed_keyed` is open); a re-index keeps it.

    Threads: a context keys the draws of the thread that opened it; another thread's writes into
    the model's tensors are reported, not keyed, unless that thread opens its own context on the
    model (see :mod:`fastinit.torch.seeding`).

    Example:
        >>> import torch, numpy as np, fastinit, fastinit.torch as fit
        >>> model = torch.nn.Linear(3, 2)
        >>> with fit.seeded(model, seed=0) as ctx:  # any init code: torch's, a model's own
        ...     _ = torch.nn.init.normal_(model.weight, std=0.02)
        ...     _ = model.bias.data.zero_()
        >>> sorted(ctx.written)
        ['bias', 'weight']
        >>> expected = fastinit.normal((2, 3), std=0.02, seed=0, stream="weight")
        >>> np.array_equal(model.weight.detach().numpy(), expected)
        True
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
        self._by_storage: ByStorage = {}
        self.computed: ByStorage = {}
        self._sharded: dict[int, str] = {}  # id of a DTensor parameter/buffer -> its stream name
        self._quiet = 0
        self._lazy = False  # the model holds uninitialized lazy tensors: index it again on a miss
        self._versions = Versions()
        self._sequences = Sequences()  # truncated normals written out op by op (timm's trunc_normal_)
        self._mode = _Mode(self)

    # ------------------------------------------------------------ entering and leaving

    def __enter__(self) -> "seeded":
        self._index()
        push(self)
        self._mode.__enter__()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        try:
            self._mode.__exit__(exc_type, exc, tb)  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        finally:
            pop(self)
        if exc_type is None:  # not over an exception on its way out
            self._unseen(None)

    def _index(self) -> None:
        """Look the model's tensors up (again: lazy ones may have been materialized since) and follow their writes."""
        self._by_storage, self._sharded, self._lazy = index_model(self.model)
        self._versions.track(self._by_storage)

    def _unseen(self, keys: Optional[list[int]]) -> None:
        """Report the model tensors (in the storages ``keys``; None: all) written since an open context saw them."""
        for name in self._versions.moved(keys):
            self._warn(unseen_message(name))

    # ------------------------------------------------------------ finding the tensor

    def _locate(self, t: Any) -> Optional[tuple[Known, Tensor]]:
        """(the model tensor, else the :attr:`computed` one, holding ``t``, the memory of ``t`` here), or None."""
        found = locate(self._by_storage, t) or locate(self.computed, t)
        if found is None and self._lazy:
            self._index()
            found = locate(self._by_storage, t)
        return found

    def _is_model_dtensor(self, t: Any) -> bool:
        """A DTensor parameter/buffer of the model, or a DTensor view of one."""
        return is_dtensor(t) and (id(t) in self._sharded or self._locate(t) is not None)

    def _target(self, t: Tensor, where: str, in_dtype: bool) -> Optional[Target]:
        """The target of a draw into ``t``, or None after reporting why it cannot be keyed."""
        found = self._locate(t)
        if found is None and owner(t, below=self) is not None:
            return None  # an enclosing context keys it: torch's op reaches that context's mode
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
            return place_view(known, local)
        except UnmappableViewError as exc:
            self._report(where, f"the view of {known.name} (shape {tuple(t.shape)}, strides {local.stride()}) cannot "
                                f"be mapped to its positions: {exc}")
            return None

    def _report(self, where: str, why: str) -> None:
        self._warn(f"fastinit.torch.seeded: {where}{caller_init()} draws from torch's generator: {why}. Its values "
                   "are not fastinit's (not reproducible across thread counts, world sizes or wrappers)")

    def _warn(self, message: str) -> None:
        if self._quiet:
            return
        self.reports.append(message)
        if self.strict:
            raise UnkeyedDrawError(message)
        warnings.warn(message, UnkeyedDrawWarning, stacklevel=_outside())

    def _wrote(self, t: Any) -> None:
        if is_dtensor(t) and id(t) in self._sharded:
            self.written.add(self._sharded[id(t)])
            return
        found = self._locate(t)
        if found is not None:
            self.written.add(found[0].name)

    def _empty(self, t: Any) -> bool:
        """Whether ``t`` holds no elements here (a DTensor: no local element); marks a model DTensor written."""
        if not isinstance(t, torch.Tensor) or t.is_meta or local_of(t).numel():
            return False
        self._wrote(t)
        return True

    # ------------------------------------------------------------ the calls

    def _dispatch(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The call routed; writes into its tensors' memory that no context saw are reported first."""
        keys = storage_keys(args, kwargs)
        self._unseen(keys)
        done = self._sequences.follow(func, args, kwargs, keys)
        try:
            result = self._route(func, args, kwargs)
            if done is not None:  # the last op of a truncated normal written out op by op
                draw_trunc_normal(done.target, self.seed, done.mean, done.std, done.a, done.b)
                self._drawn(done.tensor, done.target)
            return result
        finally:
            mark_seen(keys)

    def _route(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        name = init_name(func)
        if name is not None:
            return self._init_function(func, name, args, kwargs)
        method = METHODS.get(func)
        if method is not None and not on_meta(args, kwargs):
            return self._method(func, method, args, kwargs)
        view = VIEW_OPS.get(func)
        if view is not None and args and self._is_model_dtensor(args[0]):
            return self._sharded_view(func, view, args, kwargs)
        if func in UNKEYED and not on_meta(args, kwargs):
            if func is RANDOM_:
                check_method(func, args, kwargs)  # torch's error before the report
            self._report(UNKEYED[func], "fastinit keys draws into the model's own tensors only")
        result = func(*args, **kwargs)
        if args and in_place(func):
            self._wrote(args[0])
        out = kwargs.get("out")  # torch.add(a, b, out=p) writes into p
        for t in out if isinstance(out, (list, tuple)) else (out,):
            self._wrote(t)  # None and other non-tensors are no model tensor
        return result

    def _fallback(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """torch's op after a report; on a model DTensor, on its local shard (its own random ops span ranks)."""
        if self._is_model_dtensor(args[0]):
            func(local_of(args[0]), *args[1:], **kwargs)
            return args[0]
        return func(*args, **kwargs)

    def _method(self, func: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        check_method(func, args, kwargs)
        params = method_params(method, args[1:], kwargs)
        if self._empty(args[0]):
            return args[0]
        target = self._target(args[0], f"Tensor.{method}", method in IN_DTYPE)
        if target is None:
            return self._fallback(func, args, kwargs)
        draw(method, target, self.seed, params)
        self._drawn(args[0], target)
        if method == "uniform_":
            self._sequences.start(storage_key(args[0]), args[0], target, params)
        return args[0]

    def _drawn(self, tensor: Tensor, target: Target) -> None:
        self.written.add(target.stream)
        if is_dtensor(tensor):
            torch.autograd.graph.increment_version(tensor)

    def _init_function(self, func: Any, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        tensor = args[0] if args else kwargs.get("tensor")
        if _hf_loaded(func, tensor):
            return tensor
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
        draw_init(name, tensor, target, self.seed, args[1:], rest)
        self._drawn(tensor, target)
        return tensor

    def _trunc_normal(self, tensor: Tensor, mean: float, std: float, a: float, b: float,
                      generator: Optional[torch.Generator]) -> Tensor:
        """``torch.nn.init.trunc_normal_``'s body: fastinit's truncated normal, or torch's after a report."""
        keys = storage_keys((tensor,), {})
        self._unseen(keys)
        try:
            return self._trunc_normal_into(tensor, mean, std, a, b, generator)
        finally:
            mark_seen(keys)

    def _trunc_normal_into(self, tensor: Tensor, mean: float, std: float, a: float, b: float,
                           generator: Optional[torch.Generator]) -> Tensor:
        if self._empty(tensor):
            return tensor
        target = self._target(tensor, "torch.nn.init.trunc_normal_", True)
        if target is None:
            self._quiet += 1  # reported once, not for each of torch's inner draws
            try:
                into = local_of(tensor) if self._is_model_dtensor(tensor) else tensor
                ORIGINAL_TRUNC(into, mean, std, a, b, generator=generator)
                return tensor
            finally:
                self._quiet -= 1
        draw_trunc_normal(target, self.seed, mean, std, a, b)
        self._drawn(tensor, target)
        return tensor

    # ------------------------------------------------------------ views of sharded tensors

    def _sharded_view(self, func: Any, view: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``dt[key]``, ``dt[key] = value``, ``dt.select``/``dt.narrow`` on a model DTensor: the part of
        the global selection this rank holds, as a view of its local shard (see :mod:`.dtensor_views`)."""
        sel = local_selection(view, args, kwargs)
        if sel.off_mesh:  # this rank is not on the tensor's mesh: it holds nothing
            return None if view == "setitem" else sel.local
        value = args[2] if view == "setitem" and len(args) > 2 else None
        if sel.local_key is None or (view == "setitem" and not scalar(value)):
            self._warn(copy_message(view, sel.key, args[0], caller_init()))
            return func(*args, **kwargs)
        if view == "setitem":
            assigned: Any = value  # a number or a 0-d tensor (checked above)
            sel.local[sel.local_key] = assigned
            self._wrote(args[0])
            return None
        return sel.local[sel.local_key]
