"""Recording a model's construction: every torch call that makes or writes a tensor, by storage.

:class:`Recorder` is a ``torch.overrides.TorchFunctionMode`` that sees the outermost torch calls of
the code it runs (a call torch makes inside another is not seen: ``torch.nn.init.kaiming_uniform_``
is one call, ``kaiming_normal_``, which torch does not dispatch, is seen as its ``Tensor.normal_``).
Each call that returns a tensor or writes one (its version counter moved) becomes an :class:`Op`,
its tensors replaced by :class:`Ref` snapshots: the identity of the memory (storage) they are in and
their shape, strides and offset there at the time of the call. ``torch.nn.init.trunc_normal_``,
which torch does not dispatch and which draws into fresh tensors, is recorded as one op
(:data:`TRUNC`) through its private helper, and ``orthogonal_``, ``dirac_`` and ``sparse_``, which
do nothing on meta tensors, as one op each (:data:`WHOLE_INITS`), all replaced in ``torch.nn.init``
while any recorder is open (:mod:`.record_hooks`: a call goes to its thread's innermost recorder).
Calls on tensors without a storage of their own (sparse, nested) are not recorded. A few in-place
ops on meta tensors whose outcome is known are recorded without being run (:mod:`.meta_shortcuts`).
The recording keeps every storage it saw alive, so a storage's identity is never reused while it exists.
A real (not meta) storage made before recording has its bytes copied when the recording first
sees it (:attr:`Recording.before`, kept for those a recorded op writes): the replay starts from them,
so such a write is made once, not once while recording and again in the replay.

:mod:`.op_flow` finds which ops matter and where fresh tensors' values go; :mod:`.replay` runs the
ops again on real memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Callable

import torch  # absolute import: the real PyTorch
from torch.overrides import TorchFunctionMode

from .meta_shortcuts import meta_call
from .record_hooks import WHOLE_NAMES, close_recorder, open_recorder

__all__ = ["Ref", "Op", "Recording", "Recorder", "TRUNC", "storage_id", "tensor_leaves", "map_tensors"]


@dataclass(frozen=True)
class Ref:
    """A recorded tensor: its storage's identity and its layout there when the call was made."""

    key: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]
    offset: int
    dtype: torch.dtype


@dataclass
class Op:
    """One recorded call: ``func`` with :class:`Ref` in place of tensors, the tensors it returned,
    the storages it wrote (``mutated``: of its arguments; ``new``: made by the call)."""

    func: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    results: list[Ref]
    mutated: set[int]
    new: set[int]


@dataclass
class Recording:
    """The ops in call order and what is known of each storage they touch."""

    ops: list[Op] = field(default_factory=list)
    storages: dict[int, Any] = field(default_factory=dict)  # key -> the storage (kept alive)
    dtypes: dict[int, torch.dtype] = field(default_factory=dict)  # key -> dtype of its first tensor
    external: dict[int, torch.Tensor] = field(default_factory=dict)  # made before recording: as they are
    #: key -> a copy of an external real storage's bytes when recording first saw it (the replay
    #: starts from them, so a write made while recording is not made twice)
    before: dict[int, Any] = field(default_factory=dict)

    def written_externals(self) -> set[int]:
        """The external storages a recorded op wrote."""
        written: set[int] = set()
        for op in self.ops:
            written |= op.mutated
        return written & set(self.external)

    def numel(self, key: int) -> int:
        """Elements of the storage ``key`` in its first tensor's dtype."""
        return int(self.storages[key].nbytes()) // _itemsize(self.dtypes[key])


def _itemsize(dtype: torch.dtype) -> int:
    return torch.empty((), dtype=dtype, device="meta").element_size()


def _trunc_marker(tensor: torch.Tensor, mean: float, std: float, a: float, b: float) -> torch.Tensor:
    """``torch.nn.init.trunc_normal_`` as a recorded op (replayed as that call)."""
    return torch.nn.init.trunc_normal_(tensor, mean, std, a, b)


#: The op a ``torch.nn.init.trunc_normal_`` call is recorded as.
TRUNC: Callable[..., torch.Tensor] = _trunc_marker

#: ``torch.nn.init`` functions torch neither dispatches nor runs on meta tensors, recorded as one op
#: each (replaced in ``torch.nn.init`` while recording).
WHOLE_INITS: dict[Callable[..., Any], str] = {getattr(torch.nn.init, n): n for n in WHOLE_NAMES}
_WHOLE_BY_NAME = {n: f for f, n in WHOLE_INITS.items()}


def storage_id(t: torch.Tensor) -> int:
    """The identity of the memory ``t`` is in (its storage object, meta tensors included)."""
    with torch._C.DisableTorchFunction():
        return int(t.untyped_storage()._cdata)


def tensor_leaves(x: Any) -> Iterator[Any]:
    """The tensors (or refs) in ``x`` and in the lists, tuples and dicts in it."""
    if isinstance(x, (torch.Tensor, Ref)):
        yield x
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from tensor_leaves(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from tensor_leaves(v)


def map_tensors(x: Any, fn: Callable[[Any], Any]) -> Any:
    """``x`` with ``fn`` applied to each tensor or ref in it (lists, tuples and dicts rebuilt)."""
    if isinstance(x, (torch.Tensor, Ref)):
        return fn(x)
    if isinstance(x, list):
        return [map_tensors(v, fn) for v in x]
    if type(x) is tuple:
        return tuple(map_tensors(v, fn) for v in x)
    if isinstance(x, tuple) and any(True for _ in tensor_leaves(x)):
        return tuple(map_tensors(v, fn) for v in x)  # a structseq (torch.return_types): as a plain tuple
    if isinstance(x, dict):
        return {k: map_tensors(v, fn) for k, v in x.items()}
    return x


def _versions(tensors: list[torch.Tensor]) -> list[int | None]:
    out: list[int | None] = []
    with torch._C.DisableTorchFunction():
        for t in tensors:
            try:
                out.append(int(t._version))
            except RuntimeError:  # an inference tensor: no counter
                out.append(None)
    return out


def _plain(t: torch.Tensor) -> bool:
    """Whether ``t`` is a strided tensor with a storage of its own (what a :class:`Ref` can name)."""
    try:
        with torch._C.DisableTorchFunction():
            if t.layout != torch.strided or t.is_nested:
                return False
        storage_id(t)
    except (RuntimeError, NotImplementedError, TypeError):
        return False
    return True


class Recorder(TorchFunctionMode):
    """Records into :attr:`recording` the torch calls made while it is entered (see the module docstring)."""

    def __init__(self) -> None:
        super().__init__()
        self.recording = Recording()
        self._paused = 0

    def __enter__(self) -> Recorder:
        open_recorder(self)  # torch.nn.init's replacements hand this thread's calls to this recorder
        try:
            super().__enter__()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        except BaseException:
            close_recorder(self)
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            super().__exit__(exc_type, exc, tb)  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        finally:
            close_recorder(self)
            written = self.recording.written_externals()
            for key in [k for k in self.recording.before if k not in written]:
                del self.recording.before[key]  # only a written storage's old bytes are put back

    # ------------------------------------------------------------ refs

    def _ref(self, t: torch.Tensor, new: set[int] | None = None) -> Ref:
        """The snapshot of ``t``; a storage seen for the first time is made by this call (``new``
        given: a result) or existed before recording (an argument: kept as it is)."""
        key = storage_id(t)
        rec = self.recording
        if key not in rec.storages:
            with torch._C.DisableTorchFunction():
                rec.storages[key] = t.untyped_storage()
            rec.dtypes[key] = t.dtype
            if new is None:
                rec.external[key] = t
                if not t.is_meta:
                    with torch._C.DisableTorchFunction():
                        storage: Any = t.untyped_storage()
                        rec.before[key] = storage.clone()
            else:
                new.add(key)
        with torch._C.DisableTorchFunction():
            return Ref(key, tuple(t.shape), tuple(t.stride()), int(t.storage_offset()), t.dtype)

    # ------------------------------------------------------------ the calls

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        if self._paused:
            return func(*args, **kwargs)
        inputs = list(tensor_leaves((args, kwargs)))
        if not all(map(_plain, inputs)):
            return func(*args, **kwargs)  # sparse, nested or wrapper tensors: not recorded (nothing to replay)
        before = _versions(inputs)
        refs = map_tensors((args, kwargs), self._ref) if inputs else (args, kwargs)
        result = meta_call(func, args, kwargs)  # an in-place op whose outcome is known is not run on meta
        outputs = list(tensor_leaves(result))
        if not all(map(_plain, outputs)):
            return result
        after = _versions(inputs)
        mutated = {r.key for r, v0, v1 in zip(tensor_leaves(refs), before, after) if v0 != v1}
        if outputs or mutated:
            new: set[int] = set()
            results = [self._ref(t, new) for t in outputs]
            if func is torch.Tensor.__deepcopy__:  # a buffer's deepcopy (its memo left out): replayed as a clone
                func, refs = torch.Tensor.clone, ((refs[0][0],), {})
            self.recording.ops.append(Op(func, refs[0], refs[1], results, mutated, new))
        return result

    def trunc_normal(self, original: Callable[..., torch.Tensor], tensor: Any, mean: float, std: float, a: float,
                     b: float, generator: torch.Generator | None) -> torch.Tensor:
        """``torch.nn.init._no_grad_trunc_normal_`` (``original``) on this recorder's thread: one
        :data:`TRUNC` op (the body runs on real tensors, unrecorded)."""
        if not self._paused and isinstance(tensor, torch.Tensor):
            ref = self._ref(tensor)
            self.recording.ops.append(Op(TRUNC, (ref, mean, std, a, b), {}, [ref], {ref.key}, set()))
        result: torch.Tensor = self._unrecorded(original, tensor, mean, std, a, b, generator=generator)
        return result

    def whole_init(self, name: str, original: Callable[..., Any], tensor: Any, *args: Any, **kwargs: Any) -> Any:
        """``torch.nn.init``'s ``name`` (one of :data:`WHOLE_INITS`; ``original``: the function it
        replaces) on this recorder's thread: one op on its tensor; the body runs unrecorded."""
        if isinstance(tensor, torch.Tensor) and not self._paused:
            ref = self._ref(tensor)
            self.recording.ops.append(Op(_WHOLE_BY_NAME[name], (ref, *args), dict(kwargs), [ref], {ref.key}, set()))
        return self._unrecorded(original, tensor, *args, **kwargs)

    def _unrecorded(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        self._paused += 1
        try:
            return func(*args, **kwargs)
        finally:
            self._paused -= 1
