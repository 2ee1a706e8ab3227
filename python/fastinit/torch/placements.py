"""Whether a tensor is a DTensor, and whether its placements are ones fastinit fills exactly
(``Shard(d)``, ``_StridedShard``, ``Replicate()``): what the tensor checks need of DTensors, below
:mod:`.dtensor` (which places the local shard in the global tensor and fills it)."""

from typing import Any, Optional

import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

__all__ = ["check_placements", "is_dtensor"]


def _dtensor_class() -> Optional[type]:
    """``torch.distributed.tensor.DTensor``, or None where torch has no distributed support."""
    if not torch.distributed.is_available():  # pragma: no cover - torch builds without distributed
        return None
    from torch.distributed.tensor import DTensor
    return DTensor


def is_dtensor(tensor: Any) -> bool:
    """Whether ``tensor`` is a ``torch.distributed.tensor.DTensor``."""
    cls = _dtensor_class()
    return cls is not None and isinstance(tensor, cls)


def _shard_types() -> tuple[type, ...]:
    """The placements that select part of one tensor dim: Shard and (where torch has it) _StridedShard."""
    from torch.distributed.tensor import Shard
    try:
        from torch.distributed.tensor.placement_types import _StridedShard
    except ImportError:  # pragma: no cover - a torch without strided shards
        return (Shard,)
    return (Shard, _StridedShard)


def _is_shard(p: Any) -> bool:
    """Shard(d) or _StridedShard: this mesh dim selects part of tensor dim ``p.dim``."""
    return isinstance(p, _shard_types())


def check_placements(tensor: Any, where: str) -> None:
    """Refuse placements whose local values are not a selection of the global tensor's."""
    from torch.distributed.tensor import Replicate
    for mesh_dim, p in enumerate(tensor.placements):
        if isinstance(p, (*_shard_types(), Replicate)):
            continue
        name = type(p).__name__
        why = ("the global tensor is the sum (or other reduction) of the local tensors, so no local value is "
               "determined by its position" if "Partial" in name else "fastinit does not know which global "
               "elements this placement holds")
        raise ValueError(f"{where}: the DTensor has placement {p!r} on mesh dimension {mesh_dim}; {why}. "
                         "fastinit fills Shard(d), _StridedShard and Replicate() placements exactly: "
                         "redistribute first (dt.redistribute(placements=[Replicate()] or [Shard(0)]))")
