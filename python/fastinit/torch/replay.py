"""Replaying a recorded construction on real memory, with fastinit's keyed values for every draw.

:func:`replay` runs the live ops of a :class:`~.record.Recording` (:mod:`.op_flow`) again, in
order, on CPU memory: a recorded tensor is the same layout in the real memory of its storage (the
model's final tensors, already in place in the model, or the real result of the op that made it).
The ops run inside a :class:`Replaying` context, a :class:`~.seeding.seeded` context whose draws
are keyed as ``seeded`` keys them, with the stream of the draw's position (:mod:`.draw_counts`):
a draw into a final tensor (or a view of it) on that tensor's name, a draw into a temporary whose
values go into one final tensor on that tensor's name, over the temporary's own positions;
anything else is reported as ``seeded`` reports it (:class:`~.seeding.UnkeyedDrawWarning`).
Deterministic ops (``ones``, ``fill_``, ``mul``, ``copy_`` ...) run as recorded, so their values
are exactly torch's. A truncated normal written out op by op (:mod:`.trunc_sequence`: ``uniform_``,
``erfinv_``, ``mul_``, ``add_``, ``clamp_``, five consecutive live ops on one recorded view) is
recognized before it runs: its ``uniform_`` draws the truncated normal that ``seeded`` draws at the
sequence's end (same stream, draw position and positions) and the four other ops are not run.
"""

from __future__ import annotations

from typing import Any

import torch  # absolute import: the real PyTorch

from .checks import Tensor
from .draw_counts import DrawCounts, keyed_stream
from .draws import Target, check_method, draw_trunc_normal, method_params
from .functions import sparse_ as keyed_sparse_
from .model_tensors import Known, place_view, storage_keys
from .op_flow import EMPTY, Flow, destination_of
from .open_contexts import mark_seen
from .record import TRUNC, WHOLE_INITS, Op, Recording, Ref, map_tensors
from .seeding import seeded
from .trunc_sequence import TruncParams, written_out

__all__ = ["Replaying", "replay"]

#: Random factories replayed as an empty tensor and the in-place draw they make.
_RANDOM_FACTORIES = {torch.rand: "uniform_", torch.randn: "normal_", torch.rand_like: "uniform_",
                     torch.randn_like: "normal_"}
_CPU = torch.device("cpu")
_TORCH_SPARSE = next(f for f, n in WHOLE_INITS.items() if n == "sparse_")
_UNIFORM = torch._C.TensorBase.uniform_


class Replaying(seeded):
    """A :class:`~.seeding.seeded` context over the replayed model whose draws are keyed with their
    draw positions, and draws into registered temporaries keyed by their final tensor."""

    def __init__(self, model: torch.nn.Module, seed: int, strict: bool = False) -> None:
        super().__init__(model, seed, strict=strict)
        self.counts = DrawCounts()
        self._temps: dict[int, Known] = {}  # real storage address -> (destination stream, temporary's memory)
        self.inside: str | None = None  # while a whole init function runs: the stream of the tensor it fills
        #: (tensor, parameters): the next ``tensor.uniform_`` draws this truncated normal instead
        self.planned: tuple[Tensor, TruncParams] | None = None
        self.planned_drawn = False  # the planned truncated normal was drawn (its other ops are not to run)

    def add_temporary(self, memory: Tensor, stream: str) -> None:
        """Key the draws into ``memory`` (a temporary's whole storage) by the final tensor ``stream``."""
        with torch._C.DisableTorchFunction():
            self._temps[memory.untyped_storage().data_ptr()] = Known(stream, memory, None)

    def drop_temporary(self, memory: Tensor) -> None:
        with torch._C.DisableTorchFunction():
            self._temps.pop(memory.untyped_storage().data_ptr(), None)

    def _target(self, t: Tensor, where: str, in_dtype: bool) -> Target | None:
        temp = self._temporary_target(t)
        if temp is not None:
            return temp
        target = super()._target(t, where, in_dtype)
        found = None if target is None or target.place is not None else self._locate(t)
        if target is None or found is None:
            return target
        numel = found[0].base.numel()
        position = self.counts.part(target.stream, numel, tuple(target.view.shape), target.strides, target.origin)
        return target._replace(stream=keyed_stream(target.stream, position))

    def _method(self, func: Any, method: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """A random Tensor method, as :class:`~.seeding.seeded` runs it; the planned ``uniform_`` draws
        its truncated normal where ``seeded`` would draw the uniform values (an unkeyable one runs as
        torch's, and the sequence's other ops then run as recorded)."""
        planned, self.planned = self.planned, None
        if planned is None or method != "uniform_" or not args or args[0] is not planned[0]:
            return super()._method(func, method, args, kwargs)
        check_method(func, args, kwargs)
        method_params(method, args[1:], kwargs)
        if self._empty(args[0]):
            return args[0]
        target = self._target(args[0], "Tensor.uniform_", True)
        if target is None:
            return self._fallback(func, args, kwargs)
        draw_trunc_normal(target, self.seed, *planned[1])
        self._drawn(args[0], target)
        self._wrote(args[0])  # as the sequence's in-place ops would
        self.planned_drawn = True
        return args[0]

    def _temporary_target(self, t: Tensor) -> Target | None:
        if (not self._temps and self.inside is None) or not isinstance(t, torch.Tensor) or t.is_meta:
            return None
        with torch._C.DisableTorchFunction():
            known = self._temps.get(t.untyped_storage().data_ptr())
        if known is None and self.inside is not None and self._locate(t) is None:
            known = Known(self.inside, t, None)  # a fresh tensor of the init function: its own positions
        if known is None:
            return None
        target = place_view(known, t)
        return target._replace(stream=keyed_stream(known.name, self.counts.whole(known.name)))


class _Replay:
    """The state of one replay: real memory by recorded storage, and the context keying the draws."""

    def __init__(self, rec: Recording, flow: Flow, finals: dict[int, Tensor], names: dict[int, str],
                 ctx: Replaying) -> None:
        self.rec, self.flow, self.names, self.ctx = rec, flow, names, ctx
        self.memory: dict[int, Tensor] = dict(finals)  # recorded storage -> its real memory (1-d)
        self.finals = set(finals)
        self.views: dict[int, dict[Ref, Tensor]] = {}  # by storage: the real object of each recorded view
        self.last: dict[int, list[int]] = {}  # op index -> the temporaries it uses last
        self.truncs = _written_out_truncs(rec, flow)  # uniform_ op index -> the truncated normal it starts
        self.skipped: set[int] = set()  # ops of truncated normals drawn at their uniform_
        for key, index in flow.last_use.items():
            if key not in self.finals:
                self.last.setdefault(index, []).append(key)

    def real(self, ref: Ref) -> Tensor:
        """The real tensor of a recorded one."""
        views = self.views.setdefault(ref.key, {})
        view = views.get(ref)
        if view is not None:  # one object per recorded view, as the recorded code had (seeded follows objects)
            return view
        external = self.rec.external.get(ref.key)
        if external is not None:  # made before recording: the recorded view of its memory
            with torch._C.DisableTorchFunction():
                if (tuple(external.shape), tuple(external.stride()), int(external.storage_offset()),
                        external.dtype) == (ref.shape, ref.stride, ref.offset, ref.dtype):
                    view = external
                else:
                    view = torch.empty(0, dtype=ref.dtype, device=external.device).set_(
                        external.untyped_storage(), ref.offset, ref.shape, ref.stride)
        else:
            memory = self.memory.get(ref.key)
            if memory is None:  # the op that made it is not replayed (its values are overwritten before use)
                memory = self.fresh(ref)
            with torch._C.DisableTorchFunction():
                if memory.dtype != ref.dtype:
                    memory = memory.view(ref.dtype)
                view = memory.as_strided(ref.shape, ref.stride, ref.offset)
        views[ref] = view
        return view

    def real_args(self, op: Op) -> tuple[Any, dict[str, Any]]:
        args, kwargs = map_tensors((op.args, op.kwargs), self.real)
        if "device" in kwargs:
            kwargs["device"] = _cpu_device(kwargs["device"])
        return tuple(_cpu_device(a) if isinstance(a, torch.device) else a for a in args), kwargs

    def fresh(self, ref: Ref) -> Tensor:
        """New real memory for the storage of ``ref`` (a temporary); registered for keying if it has a destination."""
        with torch._C.DisableTorchFunction():
            memory = torch.empty(self.rec.numel(ref.key), dtype=self.rec.dtypes[ref.key], device=_CPU)
        self.memory[ref.key] = memory
        dest = destination_of(self.flow, ref.key)
        if dest is not None:
            self.ctx.add_temporary(memory, self.names[dest])
        return memory

    def keep(self, ref: Ref, value: Tensor) -> None:
        """``value`` (the real result for ``ref``, whose storage the op made) as its storage's memory: a
        temporary laid out as recorded is taken as it is, anything else copied in."""
        if ref.key not in self.memory and self._adopt(ref, value):
            return
        if ref.key not in self.memory:
            self.fresh(ref)
        self.real(ref).copy_(value)  # through the context: it follows the writes into final tensors

    def _adopt(self, ref: Ref, value: Tensor) -> bool:
        with torch._C.DisableTorchFunction():
            same = (tuple(value.shape), tuple(value.stride()), int(value.storage_offset()), value.dtype) == \
                (ref.shape, ref.stride, ref.offset, self.rec.dtypes[ref.key]) and \
                value.untyped_storage().nbytes() == self.rec.storages[ref.key].nbytes() and value.device == _CPU
            if not same:
                return False
            memory = torch.empty(0, dtype=value.dtype).set_(value.untyped_storage())
        self.memory[ref.key] = memory
        dest = destination_of(self.flow, ref.key)
        if dest is not None:
            self.ctx.add_temporary(memory, self.names[dest])
        return True

    def run(self, index: int, op: Op) -> None:
        """Run the recorded op ``index`` (``op``) on real memory."""
        if self._init_op(index, op):
            return
        if op.func in EMPTY and op.new and not op.mutated:
            for ref in op.results:
                if ref.key not in self.memory:
                    self.fresh(ref)
            return
        method = _RANDOM_FACTORIES.get(op.func)
        if method is not None and len(op.results) == 1 and self._keyable(op.results[0].key):
            ref = op.results[0]
            if ref.key not in self.memory:
                self.fresh(ref)
            getattr(self.real(ref), method)()
            return
        args, kwargs = self.real_args(op)
        result = op.func(*args, **kwargs)
        for ref, value in zip(op.results, _leaves(result)):
            if ref.key in op.new:
                self.keep(ref, value)

    def _init_op(self, index: int, op: Op) -> bool:
        """Run the op ``index`` if it is an init (a truncated normal written out op by op, a
        :data:`~.record.TRUNC` or one of :data:`~.record.WHOLE_INITS`); False: it is none."""
        if index in self.truncs:
            self._planned_trunc(index, op, self.truncs[index])
        elif op.func is TRUNC:
            torch.nn.init.trunc_normal_(self.real(op.args[0]), *op.args[1:5])
        elif op.func in WHOLE_INITS:
            self._whole_init(op)
        else:
            return False
        return True

    def _planned_trunc(self, index: int, op: Op, params: TruncParams) -> None:
        """The ``uniform_`` op ``index`` that starts a written-out truncated normal: the context draws
        the truncated normal, and the sequence's four other ops are skipped (run if it could not)."""
        args, kwargs = self.real_args(op)
        self.ctx.planned, self.ctx.planned_drawn = (args[0], params), False
        try:
            op.func(*args, **kwargs)
        finally:
            self.ctx.planned = None
        if self.ctx.planned_drawn:
            self.skipped.update(range(index + 1, index + 5))

    def _whole_init(self, op: Op) -> None:
        """One of :data:`~.record.WHOLE_INITS`: its draws into fresh tensors are keyed by the tensor it fills."""
        if op.func is _TORCH_SPARSE and self._keyed_sparse(op):
            return
        args, kwargs = self.real_args(op)
        self.ctx.inside = self.stream_of(op.args[0].key)
        try:
            op.func(*args, **kwargs)
        finally:
            self.ctx.inside = None

    def _keyed_sparse(self, op: Op) -> bool:
        """``torch.nn.init.sparse_`` into a whole final tensor (or a temporary going into one) as
        :func:`fastinit.torch.sparse_` on its keyed stream, zeros' places included (torch's picks
        them with ``torch.randperm`` from its own generator); False: not such a call."""
        ref, args, kwargs = op.args[0], op.args[1:], dict(op.kwargs)
        name = self.stream_of(ref.key)
        if name is None or not _whole(ref, self.rec) or kwargs.pop("generator", None) is not None:
            return False
        params = {**dict(zip(("sparsity", "std"), args)), **kwargs}
        tensor = self.real(ref)
        with torch._C.DisableTorchFunction():
            keyed_sparse_(tensor, seed=self.ctx.seed, stream=keyed_stream(name, self.ctx.counts.whole(name)), **params)
        mark_seen(storage_keys((tensor,), {}))  # a keyed write, not one the context missed
        return True

    def stream_of(self, key: int) -> str | None:
        """The stream name draws into the storage ``key`` are keyed on (None: not keyable)."""
        dest = key if key in self.finals else destination_of(self.flow, key)
        return None if dest is None else self.names.get(dest)

    def _keyable(self, key: int) -> bool:
        return key in self.finals or destination_of(self.flow, key) is not None

    def free(self, index: int) -> None:
        """Let go of the temporaries whose last use was op ``index``."""
        for key in self.last.get(index, ()):
            memory = self.memory.pop(key, None)
            if memory is not None:
                self.ctx.drop_temporary(memory)
                self.views.pop(key, None)


def _written_out_truncs(rec: Recording, flow: Flow) -> dict[int, TruncParams]:
    """The live ``uniform_`` ops that start a truncated normal written out op by op, with its parameters:
    the next four ops, all live, are its other steps on the same recorded view (any op in between,
    or anything else :func:`~.trunc_sequence.written_out` does not recognize: none)."""
    found: dict[int, TruncParams] = {}
    for i, op in enumerate(rec.ops):
        if op.func is not _UNIFORM or i in flow.dead or not op.args or not isinstance(op.args[0], Ref):
            continue
        ref, steps = op.args[0], rec.ops[i + 1:i + 5]
        if ref.key in rec.external or any(j in flow.dead for j in range(i + 1, i + 5)):
            continue
        try:
            params = method_params("uniform_", op.args[1:], op.kwargs)
        except (TypeError, ValueError):
            continue
        same = [(s.func, (ref, *s.args[1:]) if s.args and s.args[0] == ref else s.args, s.kwargs) for s in steps]
        trunc = written_out(ref, params, same)
        if trunc is not None:
            found[i] = trunc
    return found


def _whole(ref: Ref, rec: Recording) -> bool:
    """Whether ``ref`` is its whole storage, row-major from its start, in the storage's dtype."""
    step, strides = 1, []
    for n in reversed(ref.shape):
        strides.append(step)
        step *= n
    return (ref.offset == 0 and ref.dtype == rec.dtypes[ref.key] and step == rec.numel(ref.key)
            and ref.stride == tuple(reversed(strides)))


def _leaves(x: Any) -> list[Any]:
    if isinstance(x, torch.Tensor):
        return [x]
    if isinstance(x, (list, tuple)):
        return [t for v in x for t in _leaves(v)]
    if isinstance(x, dict):
        return [t for v in x.values() for t in _leaves(v)]
    return []


def _cpu_device(device: Any) -> Any:
    """The CPU for the meta device (recorded ops made meta tensors; the replay makes real ones)."""
    if device == "meta" or (isinstance(device, torch.device) and device.type == "meta"):
        return _CPU
    return device


def replay(rec: Recording, flow: Flow, finals: dict[int, Tensor], names: dict[int, str], model: torch.nn.Module,
           seed: int, strict: bool = False) -> list[str]:
    """Run the live recorded ops on real memory (``finals``: the model's final tensors' memory by
    recorded storage, already in the model; ``names``: their stream names); the reports of the
    draws that could not be keyed."""
    ctx = Replaying(model, seed, strict=strict)
    state = _Replay(rec, flow, finals, names, ctx)
    written = _set_externals(rec, rec.written_externals(), rec.before)  # as recording found them
    try:
        with torch.no_grad(), torch.device(_CPU), ctx:
            for i, op in enumerate(rec.ops):
                if i in flow.dead:
                    continue
                if i not in state.skipped:
                    state.run(i, op)
                state.free(i)
    except BaseException:
        _set_externals(rec, set(written), written)  # a failed replay leaves them as they were
        raise
    return ctx.reports


def _set_externals(rec: Recording, keys: set[int], values: dict[int, Any]) -> dict[int, Any]:
    """Copy ``values[key]`` (storage bytes) into the external storages ``keys``; their bytes before."""
    old: dict[int, Any] = {}
    with torch._C.DisableTorchFunction():
        for key in keys:
            if key in values:
                old[key] = rec.storages[key].clone()
                rec.storages[key].copy_(values[key])
    return old
