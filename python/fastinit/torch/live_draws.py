"""The draw position of a temporary's values as they go into a model tensor, counted while init code runs.

:func:`fastinit.torch.build` keys a draw into a temporary whose values go into one model tensor
on that tensor's stream and draw position (:mod:`.draw_counts`): how many earlier draws into the
tensor it replays, that is, how many draws whose values something still used (:mod:`.op_flow`).
:class:`LiveDraws` counts the same while the code runs forward, per model tensor memory:

- a draw into the tensor (or a part of it) is *pending*: nothing has read its values yet;
- an op that reads the tensor makes its pending draws *live*: one that has the tensor among its
  arguments (other than as the destination of a write that does not read it: ``copy_``,
  ``normal_``, ``fill_``, ``torch.nn.init``'s functions) and makes a tensor of new memory or
  writes one of its arguments; ``torch.empty_like``/``Tensor.new_empty`` read no values, and a
  view, ``size()`` or ``dim()`` makes no tensor of new memory;
- a write that does not read the tensor and covers every element of it drops its pending draws:
  build does not replay them, so they take no position.

The position of a temporary's draw is the number of live draws (and the pending ones, when the
op that writes the temporary's values into the tensor reads it, as ``add_`` does). Once a
temporary's draws went into a tensor, a later draw into the tensor itself takes the count of its
live and pending draws too (``"name#1"`` ...: build counts a temporary's draw as a draw into every
element); before that, such a draw is keyed on the tensor's name, as ``seeded`` keys it. Counts are
per tensor, not per element: draws into disjoint parts of a tensor count as build counts draws into
the same elements.
"""

from __future__ import annotations

from typing import Any

import torch  # absolute import: the real PyTorch

from .dtensor_views import local_of
from .model_tensors import storage_key as _key
from .op_flow import EMPTY, is_pure
from .record import tensor_leaves

__all__ = ["LiveDraws", "covers"]


def covers(t: torch.Tensor) -> bool:
    """Whether ``t`` (a DTensor: its local shard) is every element of its memory, each once (any order of the axes)."""
    t = local_of(t)
    with torch._C.DisableTorchFunction():
        try:
            if t.untyped_storage().nbytes() != t.numel() * t.element_size():
                return False
        except (RuntimeError, NotImplementedError):  # no memory of its own (sparse, nested)
            return False
        step = 1
        for size, stride in sorted(zip(t.shape, t.stride()), key=lambda x: x[1]):
            if size == 1:
                continue
            if stride != step:
                return False
            step *= size
        return True


class LiveDraws:
    """Pending and live draws into each model tensor's memory (by storage address)."""

    def __init__(self) -> None:
        self._pending: dict[int, int] = {}
        self._live: dict[int, int] = {}
        self._temporaries: set[int] = set()  # memory a temporary's draws went into (and still count)

    def drew(self, key: int | None, draws: int = 1) -> None:
        """``draws`` draws went into the memory ``key``: pending."""
        if key is not None:
            self._pending[key] = self._pending.get(key, 0) + draws

    def before(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], keys: list[int]) -> dict[int, int]:
        """Before the op runs: a covering write that reads nothing drops the pending draws of its
        destination; the pending draws of the other tensors among its arguments (to make live by
        :meth:`after` if the op turns out to read them)."""
        hit = [k for k in keys if self._pending.get(k)]
        if not hit or func in EMPTY:
            return {}
        dest = args[0] if args else kwargs.get("tensor")
        dest_key = _key(dest) if is_pure(func) else None
        if dest_key is not None and keys.count(dest_key) == 1:
            if isinstance(dest, torch.Tensor) and covers(dest):
                self._pending.pop(dest_key, None)
                if not self._live.get(dest_key):
                    self._temporaries.discard(dest_key)  # nothing counted is left: as if fresh
            hit = [k for k in hit if k != dest_key]
        return {k: self._pending[k] for k in hit if self._pending.get(k)}

    def after(self, read: dict[int, int], args: tuple[Any, ...], kwargs: dict[str, Any], result: Any,
              wrote: bool) -> None:
        """After the op: if it wrote an argument (``wrote``) or made a tensor of new memory, the
        draws of :meth:`before` are read: live."""
        if not read:
            return
        if not wrote:
            inputs = {_key(t) for t in tensor_leaves((args, kwargs))}
            wrote = any(_key(t) not in inputs for t in tensor_leaves(result))
        if not wrote:
            return
        for key, count in read.items():
            self._live[key] = self._live.get(key, 0) + count
            self._pending[key] = self._pending.get(key, 0) - count

    def landed(self, key: int | None, draws: int) -> None:
        """``draws`` draws into temporaries went into the memory ``key`` (pending, and counted by
        :meth:`direct` from now on)."""
        if key is not None:
            self.drew(key, draws)
            self._temporaries.add(key)

    def direct(self, key: int | None) -> int:
        """The draw position of a draw into the memory ``key`` itself: 0 (the tensor's name, as
        ``seeded`` keys it) unless a temporary's draws went into it; then its live and pending draws
        (a covering draw has dropped the pending ones in :meth:`before`), as build counts them."""
        if key is None or key not in self._temporaries:
            return 0
        return self._live.get(key, 0) + self._pending.get(key, 0)

    def position(self, key: int, read: dict[int, int]) -> int:
        """The draw position of a temporary's first draw whose values go into ``key`` by an op
        that reads the draws ``read`` (of :meth:`before`)."""
        return self._live.get(key, 0) + read.get(key, 0)
