"""Draws into temporaries while a model's own init code runs, keyed on the model tensor their values go into.

Init code often draws into a fresh tensor and writes a function of it into a parameter (``dt =
torch.exp(torch.rand(n) * ...)`` then ``bias.copy_(...)``; the ``normal_`` into the QR input of
``torch.nn.init.orthogonal_``). :class:`~.seeding.seeded` keys only draws into the model's own
tensors; :class:`SeededTemporaries`, the context :func:`fastinit.torch.init_module` runs that code
in, follows such a draw forward instead:

- the draw runs on torch's generator, as ``seeded`` runs an unkeyed one, and starts a *group*: the
  memory holding its values, and the ops that touch that memory (recorded as :mod:`.record` records
  ops, each tensor a :class:`~.record.Ref` to its memory; other tensors read are kept as copies of
  their values). The memory the group's ops make or write joins it (memory they did not make with a
  copy of its bytes from before the op; memory of no bytes never joins: every empty tensor has
  address 0); ops touching two groups merge them;
- when an in-place op (or an ``out=`` argument) is about to write a group's values into a model
  tensor, the group's memory gets back the bytes it had when it joined, and the group's ops are run
  again in order, in place in the same memory (so the code's own tensor objects hold the new
  values), each draw keyed as :func:`fastinit.torch.build` keys a draw into a temporary
  (:mod:`.replay`): on that tensor's stream, over the temporary's own positions, at the draw
  position :mod:`.live_draws` counts; then the op runs. The group ends there; :mod:`.landed` follows
  its memory on: a write of its values into a second model tensor is reported. build reports that
  case too but keeps torch's values in both tensors; here both hold the values keyed on the first
  (they are keyed before the second write is seen);
- a group whose values reach no model tensor by the time the context closes, or reach one by an
  op that writes none of its arguments' first nor ``out=`` (unforeseen), or whose ops cannot run
  again (every byte of its memory is then torch's again), or a value of which was read into Python
  (``.item()``, ``.tolist()``, ``bool()``, ``torch.equal`` ...: a constant of later ops, which a
  replay cannot key; build replays such a value as recorded, unreported), is reported as ``seeded``
  reports an unkeyed draw (:class:`~.seeding.UnkeyedDrawWarning`), its values torch's.

Draws into meta, lazy, complex, integer or sharded (DTensor) temporaries, and draws another open
context keys, are ``seeded``'s as before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import torch  # absolute import: the real PyTorch

from .checks import _FLOAT_DTYPES, Tensor
from .draw_counts import keyed_stream
from .draws import Target, caller_init, in_place
from .dtensor import is_dtensor
from .landed import Landed, read_out
from .live_draws import LiveDraws
from .model_tensors import KEYED_DEVICES, Known, place_view, storage_key, storage_keys
from .open_contexts import owner
from .record import Ref, map_tensors, tensor_leaves
from .seeding import seeded

__all__ = ["SeededTemporaries"]

#: Random factories followed as a fresh tensor and the in-place draw they make (as build replays them).
_FACTORIES = {torch.rand: "uniform_", torch.randn: "normal_", torch.rand_like: "uniform_",
              torch.randn_like: "normal_"}
_WHY = ("the tensor is not one of the model's parameters or buffers, and its values reach none of them by an "
        "in-place op or an out= argument; draw into the parameter itself")


@dataclass
class _Step:
    """One recorded op of a group: tensors as :class:`Ref` (the group's memory) or copies of their values."""

    func: Any
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    results: list[Ref | None]  # each tensor it returned: a Ref where the op made new memory
    drawn: int | None = None  # a draw into the group's memory at this address: keyed when the group is replayed


@dataclass(eq=False)  # hashed by identity
class _Group:
    """Memory holding the values of draws into temporaries, and the ops that made or wrote it."""

    steps: list[tuple[int, _Step]] = field(default_factory=list)  # (op number, step), in order
    storages: dict[int, Any] = field(default_factory=dict)  # address -> storage (kept alive: not reused)
    dtypes: dict[int, torch.dtype] = field(default_factory=dict)  # address -> its first tensor's dtype
    reports: list[str] = field(default_factory=list)  # what each of its draws reports if never keyed
    saved: dict[int, Any] = field(default_factory=dict)  # address -> its bytes before it joined (not made by it)
    read_out: bool = False  # a value of its memory was read into Python (a constant of later ops)


def _address(t: Tensor) -> int:
    """The address of ``t``'s memory; -1 (no group's) for a tensor without memory of its own or with no
    bytes (every empty tensor has address 0)."""
    with torch._C.DisableTorchFunction():
        try:
            storage = t.untyped_storage()
            return int(storage.data_ptr()) if storage.nbytes() else -1
        except (RuntimeError, NotImplementedError, TypeError):  # sparse, nested, wrapper tensors
            return -1


def _bytes(t: Tensor) -> Any:
    """A copy of the bytes of ``t``'s memory (its values before an op writes it)."""
    with torch._C.DisableTorchFunction():
        storage: Any = t.untyped_storage()
        return storage.clone()


def _plain(t: Any) -> bool:
    """Whether ``t`` is a real (not meta) strided tensor with memory of its own, which a group can hold."""
    if not (type(t) is torch.Tensor or isinstance(t, torch.nn.Parameter)) or is_dtensor(t):
        return False
    with torch._C.DisableTorchFunction():
        return t.layout == torch.strided and not t.is_nested and not t.is_meta


def _versions(tensors: list[Any]) -> list[int | None]:
    out: list[int | None] = []
    with torch._C.DisableTorchFunction():
        for t in tensors:
            try:
                out.append(int(t._version))
            except RuntimeError:  # an inference tensor: no counter
                out.append(None)
    return out


def _ref(t: Tensor) -> Ref:
    with torch._C.DisableTorchFunction():
        return Ref(int(t.untyped_storage().data_ptr()), tuple(t.shape), tuple(t.stride()), int(t.storage_offset()),
                   t.dtype)


def _copy(x: Any) -> Any:
    """A copy of the values of a tensor the op read (a :class:`Ref` as it is)."""
    if isinstance(x, Ref):
        return x
    with torch._C.DisableTorchFunction():
        return x.clone(memory_format=torch.preserve_format)


def _view(memory: Tensor, ref: Ref) -> Tensor:
    """The recorded view ``ref`` of a group's memory (a 1-d tensor over its whole storage)."""
    with torch._C.DisableTorchFunction():
        base = memory if memory.dtype == ref.dtype else memory.view(ref.dtype)
        return base.as_strided(ref.shape, ref.stride, ref.offset)


class SeededTemporaries(seeded):
    """A :class:`~.seeding.seeded` context that keys draws into temporaries by the model tensor their
    values go into (see the module docstring)."""

    def __init__(self, model: torch.nn.Module, seed: int) -> None:
        super().__init__(model, seed)
        self._groups: dict[int, _Group] = {}  # memory address -> its group
        self._live = LiveDraws()
        self._ops = 0
        self._drew: tuple[Tensor, str, Any] | None = None  # the temporary the op drew into, its report, its bytes
        self._catching = False  # while an op runs through seeded: a draw into a temporary is followed
        self._factory_report: tuple[str, str] | None = None  # a random factory's report, held back
        self._keyed: dict[int, tuple[str, Tensor]] = {}  # while a group replays: address -> (stream, memory)
        self._landed = Landed(self._warn)  # the memory of groups already keyed into a model tensor

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        groups = list({id(g): g for g in self._groups.values()}.values())
        self._groups = {}
        if exc_type is None:
            for group in groups:
                for message in group.reports:
                    self._warn(message)
        super().__exit__(exc_type, exc, tb)

    # ------------------------------------------------------------ the draws

    def _drawn(self, tensor: Tensor, target: Target) -> None:
        super()._drawn(tensor, target)
        if not self._keyed:
            self._live.drew(storage_key(tensor))

    def _target(self, t: Tensor, where: str, in_dtype: bool) -> Target | None:
        keyed = self._keyed.get(_address(t)) if self._keyed and isinstance(t, torch.Tensor) else None
        if keyed is not None:
            return place_view(Known(keyed[0], keyed[1], None), t)
        if self._catching and self._temporary(t, in_dtype):
            self._drew = (t, self._message(where, caller_init()), _bytes(t))  # its bytes before the draw
            return None  # torch's op runs, unreported: the group is keyed when its values reach the model
        target = super()._target(t, where, in_dtype)
        position = self._live.direct(storage_key(t)) if target is not None else 0
        return target._replace(stream=keyed_stream(target.stream, position)) if target and position else target

    def _report(self, where: str, why: str) -> None:
        if self._factory_report is not None:  # a random factory: reported once its tensor is known
            self._factory_report = (where, why)
            return
        super()._report(where, why)

    def _temporary(self, t: Any, in_dtype: bool) -> bool:
        """Whether a draw into ``t`` is into memory of no model tensor that this context can follow."""
        if not _plain(t) or t.is_complex() or not t.numel():
            return False
        if t.device.type not in KEYED_DEVICES or (in_dtype and t.dtype not in _FLOAT_DTYPES):
            return False
        return self._locate(t) is None and owner(t, below=self) is None

    @staticmethod
    def _message(where: str, inside: str) -> str:
        return (f"fastinit.torch.seeded: {where}{inside} draws from torch's generator: {_WHY}. Its values "
                "are not fastinit's (not reproducible across thread counts, world sizes or wrappers)")

    # ------------------------------------------------------------ the calls

    def _dispatch(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        keys = storage_keys(args, kwargs)
        read = self._live.before(func, args, kwargs, keys)
        self._ops += 1
        landed = self._landed.before(keys, func, args, kwargs, self._landing(func, args, kwargs)) \
            if self._landed.touched(keys) else []
        touched = [g for g in dict.fromkeys(self._groups.get(k) for k in keys) if g is not None]
        if touched:
            result = self._in_group(self._merge(touched), func, args, kwargs, read)
        elif func in _FACTORIES and "out" not in kwargs:
            result = self._factory(func, args, kwargs)
        else:
            result = self._run(func, args, kwargs)
            if self._drew is not None:
                group = _Group()
                self._record(group, func, (args, kwargs), (), set(), result)
        self._live.after(read, args, kwargs, result, in_place(func) or "out" in kwargs)
        self._landed.after(landed, args, kwargs, result)
        return result

    def _run(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """The op through ``seeded``, noting a draw into a temporary (:attr:`_drew`)."""
        self._drew, self._catching = None, True
        try:
            return super()._dispatch(func, args, kwargs)
        finally:
            self._catching = False

    def _factory(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """``torch.rand(...)`` and the like: torch's tensor, followed as a group drawn by the in-place
        draw build replays it as; reported as ``seeded`` reports it where it cannot be followed."""
        self._factory_report = ("", "")
        try:
            result = self._run(func, args, kwargs)
        finally:
            held, self._factory_report = self._factory_report, None
        if not self._temporary(result, True):
            if held[0]:
                self._report(*held)
            return result
        self._drew = (result, self._message(held[0] or f"torch.{func.__name__}", ""), None)  # memory it made
        method = getattr(torch._C.TensorBase, _FACTORIES[func])
        self._record(_Group(), method, ((result,), {}), (), set(), result)
        return result

    def _record(self, group: _Group, func: Any, call: tuple[tuple[Any, ...], dict[str, Any]], pre: Any,
                mutated: set[int], result: Any) -> None:
        """Add the op ``func`` (its arguments ``call``, with ``pre``: their :class:`Ref` before it ran)
        to ``group``, with the memory it made or wrote and the draw :attr:`_drew`, if any."""
        if self._drew is not None:
            drawn, report, before = self._drew
            self._join(group, drawn, before)
            group.reports.append(report)
        inputs = {_address(t) for t in tensor_leaves(call) if not t.is_meta}
        outputs = [t for t in tensor_leaves(result) if isinstance(t, torch.Tensor)]
        new = {_address(t) for t in outputs if not t.is_meta and _address(t) not in inputs} - {-1}
        if not new and not mutated and self._drew is None:
            return  # a view, a size: nothing written
        for t in [t for t in outputs if not t.is_meta and _address(t) in new] + \
                [t for t in tensor_leaves(call) if _address(t) in mutated]:
            self._join(group, t)
        if not pre:
            pre = map_tensors(call, lambda t: _ref(t) if _address(t) in group.storages else t)
        args, kwargs = map_tensors(pre, _copy)
        results: list[Ref | None] = [_ref(t) if not t.is_meta and _address(t) in new else None for t in outputs]
        drawn_at = _address(self._drew[0]) if self._drew is not None else None
        group.steps.append((self._ops, _Step(func, args, kwargs, results, drawn_at)))
        self._drew = None

    def _join(self, group: _Group, t: Tensor, before: Any = None) -> None:
        """``t``'s memory joins ``group``, with its bytes ``before`` the op (None: memory the op made)."""
        key = _address(t)
        if key != -1 and key not in group.storages:
            with torch._C.DisableTorchFunction():
                group.storages[key] = t.untyped_storage()
            group.dtypes[key] = t.dtype
            if before is not None:
                group.saved[key] = before
            self._groups[key] = group
            self._landed.forget(key)

    def _merge(self, groups: list[_Group]) -> _Group:
        first = groups[0]
        for other in groups[1:]:
            first.steps = sorted(first.steps + other.steps, key=lambda s: s[0])
            first.reports += other.reports
            first.storages.update(other.storages)
            first.saved.update(other.saved)
            first.read_out = first.read_out or other.read_out
            first.dtypes.update(other.dtypes)
            for key in other.storages:
                self._groups[key] = first
        return first

    # ------------------------------------------------------------ ops on a group's memory

    def _in_group(self, group: _Group, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
                  read: dict[int, int]) -> Any:
        """An op touching ``group``'s memory: recorded, or (about to write its values into a model
        tensor) run after the group is replayed with keyed draws."""
        group.read_out = group.read_out or read_out(func)
        dest = self._landing(func, args, kwargs)
        if dest is not None:
            if group.read_out:
                self._give_up(group)  # torch's draw went into later ops as a constant: a replay cannot key it
            else:
                try:
                    self._replay(group, dest, read)
                except Exception:  # noqa: BLE001 - an op that cannot run again: its draws reported, not keyed
                    self._give_up(group)
            return super()._dispatch(func, args, kwargs)
        if not all(map(_plain, tensor_leaves((args, kwargs)))):
            self._give_up(group)  # meta, sparse, nested or wrapper tensors: not followed
            return super()._dispatch(func, args, kwargs)
        first = [args[0]] if args and in_place(func) and isinstance(args[0], torch.Tensor) else []
        for t in first + list(tensor_leaves(kwargs.get("out"))):  # written: joins before the op, its bytes kept
            if _address(t) not in group.storages:
                self._join(group, t, _bytes(t))
        inputs = list(tensor_leaves((args, kwargs)))
        before = _versions(inputs)
        pre = map_tensors((args, kwargs), lambda t: _ref(t) if _address(t) in group.storages else t)
        result = self._run(func, args, kwargs)
        mutated = {_address(t) for t, v0, v1 in zip(inputs, before, _versions(inputs)) if v0 != v1}
        if any(self._locate(t) is not None and _address(t) in mutated for t in inputs) or \
                not all(map(_plain, tensor_leaves(result))):
            self._give_up(group)  # its values went into a model tensor by an op fastinit did not foresee, or
            return result  # into tensors a group cannot hold
        self._record(group, func, (args, kwargs), pre, mutated, result)
        return result

    def _landing(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Known | None:
        """The model tensor the op is about to write (its first argument, in place, or ``out=``), or None."""
        out = kwargs.get("out")
        written = [args[0]] if args and in_place(func) else []
        written += list(out) if isinstance(out, (list, tuple)) else [out]
        for t in written:
            found = self._locate(t) if isinstance(t, torch.Tensor) else None
            if found is not None:
                return found[0]
        return None

    def _replay(self, group: _Group, dest: Known, read: dict[int, int]) -> None:
        """Run the group's ops again in its memory, each draw keyed by ``dest`` (see the module docstring),
        from the bytes its memory had when it joined the group; if one fails, every byte is torch's again."""
        key = storage_key(dest.base)
        position = self._live.position(key, read) if key is not None else 0
        with torch._C.DisableTorchFunction():
            memory = {k: torch.empty(0, dtype=group.dtypes[k], device=s.device).set_(s)
                      for k, s in group.storages.items()}
            torchs = {k: s.clone() for k, s in group.storages.items()}
            for k, before in group.saved.items():
                group.storages[k].copy_(before)
        try:
            draws = self._run_steps(group, memory, dest.name, position)
        except BaseException:
            with torch._C.DisableTorchFunction():
                for k, before in torchs.items():
                    group.storages[k].copy_(before)
            raise
        self._drop(group)
        self._live.landed(key, draws)
        self._landed.landed(group.storages, key, dest.name, group.reports)

    def _run_steps(self, group: _Group, memory: dict[int, Tensor], name: str, position: int) -> int:
        """Run ``group``'s steps in ``memory``, its draws keyed on ``name`` from ``position``: how many."""
        draws = 0
        for _, step in group.steps:
            args, kwargs = map_tensors((step.args, step.kwargs),
                                       lambda r: _view(memory[r.key], r) if isinstance(r, Ref) else r)
            if step.drawn is not None:
                self._keyed = {step.drawn: (keyed_stream(name, position + draws), memory[step.drawn])}
                draws += 1
                try:
                    super()._route(step.func, args, kwargs)
                finally:
                    self._keyed = {}
                continue
            result = step.func(*args, **kwargs)
            for ref, value in zip(step.results, tensor_leaves(result)):
                if ref is not None:
                    _view(memory[ref.key], ref).copy_(value)
        return draws

    def _give_up(self, group: _Group) -> None:
        """Stop following ``group``: its draws are reported, their values torch's."""
        self._drop(group)
        for message in group.reports:
            self._warn(message)

    def _drop(self, group: _Group) -> None:
        for key in group.storages:
            self._groups.pop(key, None)
