"""Writes into a model's tensors that no open :class:`~.seeding.seeded` context saw.

torch function modes are per thread: a draw another thread makes into a model tensor never reaches
the context, and torch's generator fills it. What every in-place op does reach is the tensor's
version counter (``Tensor._version``, by which autograd detects in-place changes; a view shares its
base's): :class:`Versions` keeps the count each model tensor had when an open context last saw an op
on its memory, and names the tensors whose count has moved since. Writes that leave the counter
alone (through ``.data``, through NumPy views of the memory) are not seen, nor are tensors made in
inference mode (they have no counter).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import torch  # absolute import: the real PyTorch

from .checks import Tensor
from .model_tensors import ByStorage, Known

__all__ = ["Versions", "unseen_message"]


def _version(t: Tensor) -> int | None:
    try:
        with torch._C.DisableTorchFunction():  # no mode sees the read (it would mark, under the lock)
            return int(t._version)
    except RuntimeError:  # an inference tensor: no version counter
        return None


class Versions:
    """The version counts of a model's tensors as the open contexts last saw them."""

    def __init__(self) -> None:
        self._by_storage: ByStorage = {}
        self._seen: dict[int, tuple[Known, int]] = {}  # id of the tensor -> (it, its count when last seen)
        self._lock = threading.Lock()  # other threads' contexts mark what they write

    def track(self, by_storage: ByStorage) -> None:
        """Follow the tensors of ``by_storage`` (a model's index, see :func:`.model_tensors.index_model`);
        those not followed yet from their count now."""
        with self._lock:
            self._by_storage = by_storage
            for group in by_storage.values():
                for known in group:
                    count = _version(known.base)
                    if count is not None:
                        self._seen.setdefault(id(known.base), (known, count))

    def mark(self, keys: Iterable[int]) -> None:
        """An open context saw an op on the storages ``keys``: the counts of their tensors now are seen."""
        with self._lock:
            for key in keys:
                for known in self._by_storage.get(key, ()):
                    count = _version(known.base)
                    if count is not None and id(known.base) in self._seen:
                        self._seen[id(known.base)] = (known, count)

    def moved(self, keys: Iterable[int] | None = None) -> list[str]:
        """The stream names of the tensors (in the storages ``keys``; None: all) written since last seen;
        their counts now are seen (each write is named once)."""
        with self._lock:
            if keys is None:
                ids = list(self._seen)
            else:
                ids = [id(known.base) for key in keys for known in self._by_storage.get(key, ())]
            names = []
            for i in ids:
                known, count = self._seen.get(i, (None, 0))
                now = None if known is None else _version(known.base)
                if known is not None and now is not None and now != count:
                    self._seen[i] = (known, now)
                    names.append(known.name)
            return names


def unseen_message(name: str) -> str:
    """The report of a write into the model tensor ``name`` that no open context saw."""
    return (f"fastinit.torch.seeded: {name} was written by an op the context did not see: most likely a "
            "draw from another thread (torch function modes are per thread, so a context keys the draws of "
            "the thread that opened it), or code run with torch functions disabled. Its values may be torch's "
            "generator's, not fastinit's; draw from the thread that opened the context, or open a seeded "
            "context on the same model in the other thread too")
