"""Which ``p.data = x`` assignments in a model's own init code write ``p``: :class:`DataAssignments`.

``p.data = x`` puts ``x``'s memory under ``p``, and with it ``x``'s values. Those are written
values (``torch.eye(3)``, ``torch.ones(3)``, a tensor some code drew into), unless ``x`` holds
nothing but a copy of model tensors that nothing had written yet: transformers re-ties an output
bias with ``bias.data = pad(bias.data, ...)``, a copy of what it held (uninitialized memory, or
what the constructor left).

:class:`DataAssignments` is a torch function mode opened inside a :class:`~.seeding.seeded`
context (it sees each call first, then passes it on to the context). It follows the storages that
hold such copies: the new memory an op returns when its tensor arguments are all model tensors the
context has not seen written, views of them, or such copies (a view of a model tensor it returns is
judged as that tensor). Excepted are in-place ops and ``out=`` (their target is written: a copy
written into is a copy no more) and ops whose results do not depend on their arguments' values
(``zeros_like`` and the other ``*_like``, ``new_zeros`` and the other ``new_*``). A ``.data =``
whose new memory is such a copy, and not written into later in the context, does not write the
tensor (:meth:`DataAssignments.copied`); any other one does. Writes no torch function mode sees
(through NumPy views of the memory, or with torch functions disabled) are not followed.
"""

from __future__ import annotations

import weakref
from typing import Any

import torch  # absolute import: the real PyTorch
from torch.overrides import TorchFunctionMode

from .draws import in_place
from .dtensor_views import local_of
from .model_tensors import index_model, locate
from .seeding import seeded

__all__ = ["DataAssignments"]

#: The ``Tensor.data`` descriptor: its ``__set__`` is ``p.data = x``.
_DATA = torch._C.TensorBase.__dict__["data"]


def _sets_data(func: Any) -> bool:
    return getattr(func, "__name__", "") == "__set__" and getattr(func, "__self__", None) is _DATA


def _value_free(func: Any) -> bool:
    """Whether ``func``'s results do not depend on its tensor arguments' values (``zeros_like``, ``new_empty``)."""
    name = str(getattr(func, "__name__", ""))
    return name.endswith("_like") or name.startswith("new_") or name == "new"


def _tensors(values: Any) -> list[torch.Tensor]:
    """The tensors among ``values`` (an argument tuple, a dict's values, a result), one level into lists and tuples."""
    found = []
    for v in values:
        for t in v if isinstance(v, (list, tuple)) else (v,):
            if isinstance(t, torch.Tensor):
                found.append(t)
    return found


def _storage(t: torch.Tensor) -> torch.UntypedStorage | None:
    """The storage holding ``t``'s memory here (a DTensor: its local shard's); None for storage-less layouts.
    torch keeps one Python object per storage while the storage lives, so it identifies the memory."""
    try:
        return local_of(t).untyped_storage()
    except (RuntimeError, ValueError, NotImplementedError):
        return None


class DataAssignments(TorchFunctionMode):
    """``with seeded(model, seed) as ctx, DataAssignments(model, ctx) as assigned:``: which
    ``.data =`` assignments put a copy of unwritten values (see the module docstring).

    Args:
        model: the module whose tensors ``ctx`` keys (looked up when this is created).
        ctx: the open :class:`~.seeding.seeded` context; its ``written`` names the model tensors written so far.
    """

    def __init__(self, model: torch.nn.Module, ctx: seeded) -> None:
        super().__init__()
        self._ctx = ctx
        with torch._C.DisableTorchFunction():  # a lookup under the open context: its mode need not see it
            self._by_storage = index_model(model)[0]
        self._copies: dict[int, weakref.ref[torch.UntypedStorage]] = {}  # by id: storages holding copies
        self._assigned: dict[int, weakref.ref[torch.UntypedStorage]] = {}  # id of p -> the copy ``p.data =`` put

    def _is_copy(self, s: torch.UntypedStorage | None) -> bool:
        ref = self._copies.get(id(s)) if s is not None else None
        return ref is not None and ref() is s

    def _unwritten(self, t: torch.Tensor) -> bool:
        """Whether ``t`` holds only values nothing wrote: a model tensor not written, a view of one, or a copy."""
        if self._is_copy(_storage(t)):
            return True
        found = locate(self._by_storage, t)
        return found is not None and found[0].name not in self._ctx.written

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        kwargs = kwargs or {}
        with torch._C.DisableTorchFunction():  # lookups: no open context needs to see them
            copying = self._before(func, args, kwargs)
        result = func(*args, **kwargs)
        if copying:
            with torch._C.DisableTorchFunction():
                for t in _tensors((result,)):
                    s = _storage(t)
                    if s is not None and locate(self._by_storage, t) is None:  # a view of a model tensor is no copy
                        self._copies[id(s)] = weakref.ref(s)
        return result

    def _before(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
        """Note a ``.data =`` or a write into a copy; whether the call's results are copies of unwritten values."""
        if _sets_data(func) and len(args) == 2 and isinstance(args[1], torch.Tensor):
            s = _storage(args[1])
            if s is not None and self._is_copy(s):
                self._assigned[id(args[0])] = weakref.ref(s)
            else:
                self._assigned.pop(id(args[0]), None)
            return False
        out = kwargs.get("out")
        if (args and in_place(func)) or out is not None:
            for s in map(_storage, _tensors((args[0] if args and in_place(func) else None, out))):
                if s is not None:
                    self._copies.pop(id(s), None)
            return False
        tensors = _tensors((*args, *kwargs.values()))
        return bool(tensors) and not _value_free(func) and all(self._unwritten(t) for t in tensors)

    def copied(self) -> set[int]:
        """The ``id`` of each tensor whose memory a ``.data =`` replaced by a copy of unwritten values
        that is still one (nothing wrote into it since)."""
        return {p for p, ref in self._assigned.items() if self._is_copy(ref())}
