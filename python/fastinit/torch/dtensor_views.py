"""Selections of a sharded model tensor as views of this rank's local shard (for :class:`~.seeding.seeded`).

DTensor indexing along a sharded dimension returns a gathered copy, and writes to it (a padding
row's ``zeros_``) would be lost. Under ``seeded``, ``dt[key]``, ``dt[key] = number`` and
``dt.select``/``dt.narrow`` on a model DTensor give instead the part of the global selection this
rank holds, as a view of its local shard (empty where it holds none of it): :data:`VIEW_OPS` names
those ops, :func:`local_selection` maps one call to the local shard (:func:`fastinit.torch.dtensor.local_key`
does the arithmetic). Also here: a DTensor's local shard and its place in the global tensor.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch  # absolute import: the real PyTorch

from .checks import Tensor
from .dtensor import dtensor_index, is_dtensor, local_key

__all__ = ["VIEW_OPS", "Selection", "local_of", "shard_of", "local_selection", "scalar", "copy_message"]


def local_of(t: Tensor) -> Tensor:
    """A DTensor's local shard; any other tensor itself."""
    local: Tensor = t.to_local() if is_dtensor(t) else t  # type: ignore[attr-defined]  # a DTensor method
    return local


def shard_of(t: Tensor) -> tuple[Tensor | None, tuple[tuple[int, ...], tuple[Any, ...]] | None]:
    """(local shard, (global shape, its index)) of a DTensor; (None, None) where this rank holds
    nothing of it or its placements do not select global elements (Partial: draws reported)."""
    try:
        index = dtensor_index(t)
    except (ValueError, RuntimeError):
        return None, None
    if index is None:
        return None, None
    return local_of(t), (tuple(int(n) for n in t.shape), index)


#: View ops seeded maps to the local shard of a model DTensor.
VIEW_OPS: dict[Any, str] = {
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


class Selection(NamedTuple):
    """A view op on a DTensor ``t`` mapped to ``t``'s local shard."""

    key: Any  #: the global key (None: not one seeded maps, or Partial placements)
    local: Tensor  #: ``t``'s local shard
    local_key: tuple[Any, ...] | None  #: ``key`` in ``local`` (None: not mapped; see ``off_mesh``)
    off_mesh: bool  #: this rank is not on ``t``'s mesh: it holds nothing of the selection


def local_selection(view: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Selection:
    """Where the view op ``view`` (a :data:`VIEW_OPS` value) called with ``args``/``kwargs`` on the
    DTensor ``args[0]`` selects in its local shard."""
    t = args[0]
    key = _view_key(view, args, kwargs)
    local = local_of(t)
    lk, index = None, None
    try:
        index = dtensor_index(t)
    except (ValueError, RuntimeError):  # Partial: no position is held as such
        key = None
    if key is not None and index is None:
        return Selection(key, local, None, True)
    if key is not None and index is not None:
        lk = local_key(key, tuple(int(n) for n in t.shape), index)
    return Selection(key, local, lk, False)


def scalar(value: Any) -> bool:
    """A Python number or a 0-d plain tensor (what seeded assigns to a sharded selection)."""
    if isinstance(value, (bool, int, float)):
        return True
    return isinstance(value, torch.Tensor) and not is_dtensor(value) and value.dim() == 0


def copy_message(view: str, key: Any, t: Any, caller: str) -> str:
    """The report of a view op on the sharded model tensor ``t`` that seeded cannot map (it gives a
    copy); ``caller`` names the init function that made the call (or is empty)."""
    return (f"fastinit.torch.seeded: {_VIEW_NAMES[view]}({key!r}){caller} on a sharded model "
            f"tensor (a DTensor of shape {tuple(t.shape)}, placements {tuple(t.placements)}) gives a "
            "DTensor copy, not a view of the local shard: writes to it do not reach the tensor. seeded "
            "maps ints, step > 0 slices and Ellipsis (only an int or the whole axis along a "
            "_StridedShard dimension), and assigns numbers")
