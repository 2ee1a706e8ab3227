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
while recording. Calls on tensors without a storage of their own (sparse, nested) are not recorded.
The recording keeps every storage it saw alive, so a storage's identity is never reused while it exists.

:mod:`.op_flow` finds which ops matter and where fresh tensors' values go; :mod:`.replay` runs the
ops again on real memory.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Callable

import torch  # absolute import: the real PyTorch
from torch.overrides import TorchFunctionMode

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
WHOLE_INITS: dict[Callable[..., Any], str] = {
    getattr(torch.nn.init, n): n for n in ("orthogonal_", "dirac_", "sparse_")}


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
        self._trunc_before: Callable[..., torch.Tensor] = torch.nn.init._no_grad_trunc_normal_
        self._thread = threading.get_ident()

    def __enter__(self) -> Recorder:
        self._thread = threading.get_ident()  # torch.nn.init's replacements record this thread's calls only
        self._trunc_before = torch.nn.init._no_grad_trunc_normal_
        torch.nn.init._no_grad_trunc_normal_ = self._trunc_normal
        for func, name in WHOLE_INITS.items():
            setattr(torch.nn.init, name, self._whole_init(func))
        super().__enter__()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        try:
            super().__exit__(exc_type, exc, tb)  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        finally:
            torch.nn.init._no_grad_trunc_normal_ = self._trunc_before
            for func, name in WHOLE_INITS.items():
                setattr(torch.nn.init, name, func)
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
                        rec.before[key] = t.untyped_storage().clone()
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
        result = func(*args, **kwargs)
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

    def _trunc_normal(self, tensor: torch.Tensor, mean: float, std: float, a: float, b: float,
                      generator: torch.Generator | None = None) -> torch.Tensor:
        """``torch.nn.init._no_grad_trunc_normal_`` while recording: one :data:`TRUNC` op (torch's own
        body runs on real tensors, unrecorded)."""
        if threading.get_ident() != self._thread:
            return self._trunc_before(tensor, mean, std, a, b, generator=generator)
        if self._paused or not isinstance(tensor, torch.Tensor):
            return self._torch_trunc(tensor, mean, std, a, b, generator)
        ref = self._ref(tensor)
        self.recording.ops.append(Op(TRUNC, (ref, mean, std, a, b), {}, [ref], {ref.key}, set()))
        return self._torch_trunc(tensor, mean, std, a, b, generator)

    def _torch_trunc(self, tensor: Any, mean: float, std: float, a: float, b: float,
                     generator: torch.Generator | None) -> torch.Tensor:
        self._paused += 1
        try:
            return self._trunc_before(tensor, mean, std, a, b, generator=generator)
        finally:
            self._paused -= 1

    def _whole_init(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` (one of :data:`WHOLE_INITS`) recorded as one op on its tensor; torch's body runs unrecorded."""
        def record(tensor: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() != self._thread:
                return func(tensor, *args, **kwargs)
            if isinstance(tensor, torch.Tensor) and not self._paused:
                ref = self._ref(tensor)
                self.recording.ops.append(Op(func, (ref, *args), dict(kwargs), [ref], {ref.key}, set()))
            self._paused += 1
            try:
                return func(tensor, *args, **kwargs)
            finally:
                self._paused -= 1
        return record
