"""Which of a model's tensors holds a given tensor's memory, and where that tensor sits in it.

:class:`~.seeding.seeded` keys a draw on the model tensor (parameter or buffer) whose memory holds
the tensor drawn into: :func:`index_model` lists the model's tensors by storage (a DTensor by its
local shard), :func:`locate` finds the one holding a tensor or view, and :func:`place_view` gives
the view's logical positions in the (global) model tensor as a :class:`~.draws.Target`;
:func:`storage_keys` the storages a call's tensors are in (to follow which model tensors it wrote).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import torch  # absolute import: the real PyTorch

from .checks import Tensor
from .draws import Target
from .dtensor import is_dtensor
from .dtensor_views import local_of, shard_of
from .tensor_names import plain_name
from .view_layout import UnmappableViewError, contains, global_layout, is_whole, view_layout

__all__ = ["Known", "ByStorage", "KEYED_DEVICES", "index_model", "storage_key", "storage_keys", "locate", "place_view"]

#: The device types whose tensors are keyed: CPU memory (written through NumPy) and CUDA/ROCm
#: memory (written by fastinit.gpu's kernels, :mod:`.device_draws`).
KEYED_DEVICES = ("cpu", "cuda")


class Known(NamedTuple):
    """A model tensor: its stream name, the memory holding its values here (a plain tensor, or a
    DTensor's local shard), and (DTensor) that shard's ``(global shape, index)`` in the global tensor."""

    name: str
    base: Tensor
    place: tuple[tuple[int, ...], tuple[Any, ...]] | None


#: Model tensors by the storage address of the memory holding them here.
ByStorage = dict[int, list[Known]]


def index_model(model: torch.nn.Module) -> tuple[ByStorage, dict[int, str], bool]:
    """The model's tensors by the storage address of the memory holding them here (a DTensor: its
    local shard), first name winning for tied tensors; its DTensors' stream names by ``id``; and
    whether it holds uninitialized lazy parameters or buffers (``nn.LazyLinear`` before its first
    forward pass). Meta, lazy, empty tensors and tensors on other devices than :data:`KEYED_DEVICES`
    are left out of the first."""
    by_storage: ByStorage = {}
    sharded: dict[int, str] = {}
    lazy = False
    named = list(model.named_parameters(remove_duplicate=False)) + list(model.named_buffers(remove_duplicate=False))
    for name, t in named:
        if t is not None and torch.nn.parameter.is_lazy(t):
            lazy = True
            continue
        if t is None or t.is_meta:
            continue
        stream = plain_name(model, name)
        base: Tensor | None = t
        place = None
        if is_dtensor(t):
            sharded.setdefault(id(t), stream)
            base, place = shard_of(t)
        if base is None or base.device.type not in KEYED_DEVICES or base.numel() == 0:
            continue
        group = by_storage.setdefault(base.untyped_storage().data_ptr(), [])
        if not any(k.base is base or (k.base.data_ptr() == base.data_ptr() and k.base.shape == base.shape)
                   for k in group):
            group.append(Known(stream, base, place))
    return by_storage, sharded, lazy


def storage_key(t: Any) -> int | None:
    """The storage address :func:`index_model` would key ``t``'s memory by; None for what it leaves out."""
    if not isinstance(t, torch.Tensor) or torch.nn.parameter.is_lazy(t):
        return None
    try:
        local = local_of(t)
        with torch._C.DisableTorchFunction():  # a lookup: no open context needs to see it
            if local.is_meta or local.device.type not in KEYED_DEVICES:
                return None
            return int(local.untyped_storage().data_ptr())
    except (RuntimeError, ValueError, NotImplementedError):  # sparse and other storage-less layouts
        return None


def storage_keys(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[int]:
    """The storage addresses of the tensors among a call's arguments (and in lists or tuples of them)."""
    keys = []
    for arg in (*args, *kwargs.values()):
        for t in arg if isinstance(arg, (list, tuple)) else (arg,):
            key = storage_key(t)
            if key is not None:
                keys.append(key)
    return keys


def locate(by_storage: ByStorage, t: Any) -> tuple[Known, Tensor] | None:
    """(the model tensor whose memory holds ``t``, the memory of ``t`` here), or None. A
    DTensor is found by its local shard."""
    if not isinstance(t, torch.Tensor) or torch.nn.parameter.is_lazy(t) or t.is_meta:
        return None
    local = local_of(t)
    if local.device.type not in KEYED_DEVICES or local.numel() == 0:
        return None
    for known in by_storage.get(local.untyped_storage().data_ptr(), ()):
        if contains(known.base, local):
            return known, local
    return None


def place_view(known: Known, local: Tensor) -> Target:
    """Where the view ``local`` (plain memory inside ``known.base``) sits in the model tensor's
    (global) logical order; raises UnmappableViewError."""
    strides, origin = view_layout(local, known.base)
    if known.place is None:
        return Target(local, known.name, strides, origin)
    full_shape, index = known.place
    try:
        strides, origin = global_layout(tuple(local.shape), strides, origin, tuple(known.base.shape), full_shape,
                                        index)
    except UnmappableViewError:
        if not is_whole(local, known.base):
            raise
        return Target(local, known.name, [], 0, {"full_shape": full_shape, "index": index})
    return Target(local, known.name, strides, origin)
