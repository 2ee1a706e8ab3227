"""Temporaries whose keyed draws already went into one model tensor, followed for a second one.

:class:`~.temporary_draws.SeededTemporaries` keys a temporary's draws on the first model tensor its
values go into. :func:`fastinit.torch.build` reports a temporary whose values go into two model
tensors and keeps torch's values in both (:mod:`.replay`); ``init_module`` runs forward and has
keyed the values by the time they reach the second tensor, so it cannot do the same: it reports the
second landing instead (:class:`~.seeding.UnkeyedDrawWarning`), and both tensors hold the values
keyed on the first. :class:`Landed` follows such memory (and the memory ops make from it) until it
is overwritten whole, a new draw into a temporary takes it, or it is freed (held by weak
references, so followed memory costs nothing).

It also names the ops that read a tensor's values into Python (:func:`read_out`): such a value is a
constant of later ops, which a replay with keyed draws cannot change.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import torch  # absolute import: the real PyTorch
from torch.multiprocessing.reductions import StorageWeakRef as _StorageWeakRef

from .draws import in_place
from .live_draws import covers
from .model_tensors import Known, storage_key
from .op_flow import is_pure
from .record import tensor_leaves

__all__ = ["Landed", "read_out"]

#: Ops that read a tensor's values into Python (a number, a list, a bool, a NumPy array).
_READ_OUT = frozenset({"item", "tolist", "numpy", "__bool__", "__float__", "__int__", "__index__", "__complex__",
                       "__array__", "equal", "allclose"})
_DRAW = " draws from torch's generator"
#: A weak reference to a storage's memory (``.expired()``: freed), whatever Python object holds it.
_weak: Callable[[Any], Any] = _StorageWeakRef


def read_out(func: Any) -> bool:
    """Whether ``func`` reads its tensor's values into Python."""
    return getattr(func, "__name__", None) in _READ_OUT


def _key(t: Any) -> int | None:
    """The storage address of ``t``; None for a tensor without bytes (every empty tensor has address 0)."""
    key = storage_key(t)
    with torch._C.DisableTorchFunction():
        return key if key is not None and t.untyped_storage().nbytes() else None


@dataclass(eq=False)
class _Item:
    """The memory holding one temporary's values, keyed on the model tensor ``name`` (at ``key``)."""

    key: int | None
    name: str
    reports: list[str]  # each draw's report (as seeded reports an unkeyed draw): where it was made
    storages: dict[int, Any] = field(default_factory=dict)  # address -> its memory, while alive


class Landed:
    """Memory whose keyed values went into a model tensor; a write of them into another is reported by ``warn``."""

    def __init__(self, warn: Callable[[str], None]) -> None:
        self._warn = warn
        self._items: dict[int, _Item] = {}

    def landed(self, storages: dict[int, Any], key: int | None, name: str, reports: list[str]) -> None:
        """The memory ``storages`` went into the model tensor ``name`` (at ``key``) with keyed draws."""
        item = _Item(key, name, list(reports), {k: _weak(s) for k, s in storages.items()})
        for k in storages:
            self._items[k] = item

    def forget(self, key: int) -> None:
        """The memory ``key`` holds other values now (a new draw into a temporary)."""
        item = self._items.pop(key, None)
        if item is not None:
            item.storages.pop(key, None)

    def touched(self, keys: list[int]) -> bool:
        """Whether any of the memory ``keys`` is followed."""
        return any(k in self._items for k in keys)

    def before(self, keys: list[int], func: Any, args: tuple[Any, ...], kwargs: dict[str, Any],
               dest: Known | None) -> list[_Item]:
        """Before an op with arguments at ``keys`` that writes the model tensor ``dest`` (or None): a
        second model tensor is reported; memory overwritten whole is forgotten. The items it touches."""
        for k in [k for k in keys if k in self._items and self._items[k].storages[k].expired()]:
            self.forget(k)  # freed: the address is another tensor's now
        items = list({id(i): i for i in (self._items.get(k) for k in keys) if i is not None}.values())
        if items and dest is not None:
            for item in items:
                if storage_key(dest.base) != item.key:
                    self._second(item, dest.name)
        elif items and args and in_place(func) and is_pure(func):
            first = _key(args[0])
            if first is not None and keys.count(first) == 1 and covers(args[0]):
                self.forget(first)
        return items

    def after(self, items: list[_Item], args: tuple[Any, ...], kwargs: dict[str, Any], result: Any) -> None:
        """After the op: the memory it made from ``items``' memory holds their values too."""
        if not items:
            return
        inputs = {_key(t) for t in tensor_leaves((args, kwargs))}
        for t in tensor_leaves(result):
            k = _key(t)
            if k is not None and k not in inputs:
                with torch._C.DisableTorchFunction():
                    items[0].storages[k] = _weak(t.untyped_storage())
                self._items[k] = items[0]

    def _second(self, item: _Item, name: str) -> None:
        for report in item.reports:
            where = report.split(_DRAW)[0].split(": ", 1)[-1]
            self._warn(f"fastinit.torch.init_module: {where} draws into a temporary whose values went into "
                       f"{item.name} (keyed on it) and now into {name} too: {name} gets the values keyed on "
                       f"{item.name}, not its own (build reports such a draw and keeps torch's values in both "
                       "tensors); draw into each tensor itself")
        item.reports = []
