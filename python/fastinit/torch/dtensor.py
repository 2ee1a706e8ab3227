"""DTensors and accelerator tensors: fill the memory this process holds with the global tensor's values.

A ``torch.distributed.tensor.DTensor`` is one logical (global) tensor split over a
``DeviceMesh``. The ``fastinit.torch`` functions fill a DTensor's local shard (its
``to_local()`` memory, in place) with exactly the values the whole tensor would have at those
positions: every value is a pure function of (seed, stream, global element index), and fans come
from the global shape (``dt.shape``). So the gathered tensor (``full_tensor()``) is the same for
every mesh, placement and world size, and equals the single-process fill bit for bit.

Placements (per mesh dimension):

- ``Shard(d)``: the rows torch gives this rank along ``d`` (even or uneven splits, empty shards
  included; torch's own ``_get_shard_size_and_offsets`` decides, as in
  ``compute_local_shape_and_global_offset``), several mesh dims sharding one tensor dim composed
  left to right as torch does;
- ``_StridedShard(d, split_factor)`` (FSDP2 over tensor parallel): the local rows are not one block
  of the global tensor; they are passed to the fill as an index array (outer indexing);
- ``Replicate()``: every replica computes the same values;
- anything else (``Partial``: the global tensor is a *sum* of the local ones) is refused.

Memory: a rank writes its local shard directly (no full-size tensor anywhere; the index arrays
hold one int64 per local row). ``orthogonal_`` is the exception: orthogonality is a property of
the whole matrix, so each rank computes the whole float64 Q (as :func:`fastinit.orthogonal` does
for shards) and keeps its part.

Accelerator tensors (CUDA): filled on the device (:mod:`.device_fill`, :mod:`.device_presets`);
without Triton, on the CPU in bounded pinned chunks (:data:`CHUNK_BYTES`, two buffers) copied to
the device while the next chunk is filled. Untested on a GPU so far.
"""

import math
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any, Callable, Optional, Union

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from .placements import _is_shard, check_placements, is_dtensor

if TYPE_CHECKING:
    from .device_fill import DevicePath

__all__ = ["CHUNK_BYTES", "dtensor_index", "is_dtensor", "local_key"]

#: Bytes of one pinned host chunk when filling an accelerator tensor (two such buffers at a time).
CHUNK_BYTES = 64 << 20

#: One entry of a global index: a step-1 slice, or the sorted global ids of the local rows.
Entry = Union[slice, np.ndarray]
#: ``located(view, where)`` fills the NumPy ``view``; ``where`` is ``{}`` (the view is the whole
#: tensor) or ``{"full_shape": global shape, "index": the view's place in it}``.
Located = Callable[[np.ndarray, dict[str, Any]], Any]

#: The fills whose values do not depend on the position (a DTensor's local memory is filled as is).
_POSITION_FREE = frozenset({"constant_", "ones_", "zeros_"})


# ---------------------------------------------------------------- where the local shard sits


def _strided(p: Any) -> bool:
    return type(p).__name__ == "_StridedShard"


def _torch_offsets(shape: tuple[int, ...], mesh_shape: Sequence[int], coord: Sequence[int],
                   placements: Sequence[Any]) -> tuple[list[int], dict[int, Any]]:
    """(local shape, {tensor dim: global offsets of its local positions}) with torch's own per-placement
    rule (``_get_shard_size_and_offsets``, what ``compute_local_shape_and_global_offset`` composes)."""
    from torch.distributed.tensor._utils import _get_shard_size_and_offsets
    local = list(shape)
    offsets: dict[int, Any] = {}
    for mesh_dim, p in enumerate(placements):
        if not _is_shard(p):
            continue
        size, offs = _get_shard_size_and_offsets(local[p.dim], mesh_shape[mesh_dim], coord[mesh_dim], p,
                                                  offsets.get(p.dim), shape[p.dim], False)
        local[p.dim] = size
        offsets[p.dim] = offs
    return local, offsets


def _public_offsets(tensor: Any, shape: tuple[int, ...]) -> tuple[list[int], dict[int, Any]]:
    """Fallback for a torch without the private helper: the public start offsets (no _StridedShard)."""
    from torch.distributed.tensor._utils import compute_local_shape_and_global_offset
    if any(_strided(p) for p in tensor.placements):
        raise ValueError("the DTensor has a _StridedShard placement and this torch lacks "
                         "torch.distributed.tensor._utils._get_shard_size_and_offsets, which fastinit uses to "
                         "find its rows; use torch >= 2.6 or redistribute to Shard/Replicate")
    local, start = compute_local_shape_and_global_offset(shape, tensor.device_mesh, tensor.placements)
    return list(local), {d: torch.arange(start[d], start[d] + local[d]) for d in range(len(shape))
                         if local[d] != shape[d]}


def _entry(offs: Any, size: int) -> Entry:
    """Global positions as a slice when they are one ascending block, else an int64 array."""
    if size == 0:
        return slice(0, 0)
    ids = np.asarray(offs.numpy() if isinstance(offs, torch.Tensor) else offs, dtype=np.int64).reshape(-1)[:size]
    if size == 1 or bool(np.all(np.diff(ids) == 1)):
        return slice(int(ids[0]), int(ids[0]) + size)
    return ids


_INDEX_ARRAYS: list[bool] = []


def index_arrays_supported() -> bool:
    """Whether fastinit's compiled core fills index arrays (``axis_offsets``), which strided shards need."""
    if not _INDEX_ARRAYS:
        from ..core.fills import random_bits
        try:
            random_bits(np.empty(1, np.uint32), seed=0, full_shape=(2,), index=(np.array([1]),))
            _INDEX_ARRAYS.append(True)
        except (TypeError, ValueError):
            _INDEX_ARRAYS.append(False)
    return _INDEX_ARRAYS[0]


def dtensor_index(tensor: Any) -> Optional[tuple[Entry, ...]]:
    """Where this rank's local shard of the DTensor ``tensor`` sits in the global tensor.

    Pass it, with ``full_shape=tuple(tensor.shape)``, to any fastinit NumPy fill or preset on the
    local shard's view, and the shard gets the global tensor's values at its positions (the
    ``fastinit.torch`` functions do this themselves).

    Args:
        tensor: A ``torch.distributed.tensor.DTensor`` with ``Shard``, ``_StridedShard`` or
            ``Replicate`` placements.

    Returns:
        One entry per dimension: a step-1 slice, or (``_StridedShard``) a 1-d int64 array of
        the global ids of the local positions along that axis (NumPy outer indexing), so that
        ``full[index] == tensor.to_local()`` for the global tensor ``full``. None when this rank
        is not part of the tensor's mesh (its local shard is empty).

    Raises:
        TypeError: not a DTensor.
        ValueError: a placement other than Shard/_StridedShard/Replicate (e.g. Partial).
        RuntimeError: torch's sharding rule disagrees with the local tensor's shape.

    Example:
        >>> import torch, torch.distributed as dist, numpy as np, fastinit, fastinit.torch as fit
        >>> from torch.distributed.device_mesh import init_device_mesh
        >>> from torch.distributed.tensor import Shard, distribute_tensor
        >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
        >>> dt = distribute_tensor(torch.empty(4, 3), init_device_mesh("cpu", (1,)), [Shard(0)])
        >>> index = fit.dtensor_index(dt)
        >>> index
        (slice(0, 4, None), slice(0, 3, None))
        >>> local = fit.numpy_view(dt.to_local())
        >>> _ = fastinit.normal(local, seed=0, full_shape=tuple(dt.shape), index=index)
        >>> np.array_equal(local, fastinit.normal((4, 3), seed=0))
        True
        >>> dist.destroy_process_group()
    """
    if not is_dtensor(tensor):
        raise TypeError(f"dtensor_index needs a torch.distributed.tensor.DTensor, got {type(tensor).__name__}")
    check_placements(tensor, "dtensor_index")
    mesh = tensor.device_mesh
    coord = mesh.get_coordinate()
    if coord is None:
        return None
    shape = tuple(int(n) for n in tensor.shape)
    try:
        local, offsets = _torch_offsets(shape, tuple(mesh.shape), coord, tensor.placements)
    except (ImportError, TypeError):  # pragma: no cover - a torch with another private signature
        local, offsets = _public_offsets(tensor, shape)
    actual = tuple(tensor.to_local().shape)
    if tuple(local) != actual:
        raise RuntimeError(f"fastinit: torch's sharding rule gives a local shape {tuple(local)} for the DTensor of "
                           f"global shape {shape} with placements {tensor.placements} on mesh {tuple(mesh.shape)}, "
                           f"but its local tensor has shape {actual}; refusing to guess which values it holds")
    index = tuple(_entry(offsets[d], local[d]) if d in offsets else slice(0, shape[d]) for d in range(len(shape)))
    if any(isinstance(e, np.ndarray) for e in index) and not index_arrays_supported():
        raise ValueError(f"the DTensor's placements {tensor.placements} give this rank rows that are not one block "
                         "of the global tensor (a _StridedShard: FSDP2 over tensor parallel), and this build of "
                         "fastinit's core cannot fill index arrays; update fastinit, or init before fully_shard")
    return index


# ---------------------------------------------------------------- filling


def _bump(tensor: torch.Tensor) -> None:
    """Bump the autograd version counter, as an in-place torch op would."""
    torch.autograd.graph.increment_version(tensor)


def fill_dtensor(tensor: torch.Tensor, where: str, fill: Callable[[np.ndarray], Any], located: Optional[Located],
                 whole: bool, path: Optional["DevicePath"] = None) -> torch.Tensor:
    """Fill the local shard of the DTensor ``tensor``: ``located(view, {"full_shape", "index"})``,
    or ``fill(view)`` for the position-free fills (constants); a CUDA shard as :func:`fill_device`
    fills it (``path``). Returns ``tensor``."""
    from .checks import _check_tensor, numpy_view
    check_placements(tensor, where)
    local: torch.Tensor = tensor.to_local()  # type: ignore[attr-defined]  # a DTensor method, not in Tensor's stubs
    if located is None and where not in _POSITION_FREE:
        raise TypeError(f"{where}: DTensors are not supported by this function yet (its values depend on the "
                        "position and it does not take a global index); fill with the NumPy function instead: "
                        f"fastinit.<init>(fastinit.torch.numpy_view(dt.to_local()), ..., full_shape=tuple(dt.shape), "
                        "index=fastinit.torch.dtensor_index(dt))")
    _check_tensor(local, f"{where} (the DTensor's local shard)")
    index = dtensor_index(tensor)
    if index is None or local.numel() == 0:
        return tensor
    where_ = {"full_shape": tuple(int(n) for n in tensor.shape), "index": index}
    if local.device.type != "cpu":
        fill_device(local, where, fill, located, whole, where_, path)
    elif located is None:
        fill(numpy_view(local))
    else:
        located(numpy_view(local), where_)
    _bump(local)
    _bump(tensor)
    return tensor


# ---------------------------------------------------------------- accelerator tensors


def _sub(entry: Entry, lo: int, hi: int) -> Entry:
    """Positions ``lo:hi`` of an index entry."""
    if isinstance(entry, slice):
        return slice(entry.start + lo, entry.start + hi)
    return entry[lo:hi]


def _at(entry: Entry, i: int) -> int:
    """Position ``i`` of an index entry, as a global int."""
    return int(entry.start + i) if isinstance(entry, slice) else int(entry[i])


def _chunks(shape: tuple[int, ...], limit: int) -> Iterator[tuple[tuple[int, ...], int, int, int]]:
    """``(leading ints, axis, lo, hi)``: blocks of at most ``limit`` elements (at least one row of
    the last axis), each ``t[leading][lo:hi]`` along ``axis``, in C order."""
    axis = 0
    while axis < len(shape) - 1 and math.prod(shape[axis:]) > limit:
        axis += 1
    step = max(1, limit // max(1, math.prod(shape[axis + 1:])))
    for lead in np.ndindex(*shape[:axis]):
        for lo in range(0, shape[axis], step):
            yield tuple(int(i) for i in lead), axis, lo, min(lo + step, shape[axis])


def _chunk_where(where_: dict[str, Any], shape: tuple[int, ...], lead: tuple[int, ...], axis: int, lo: int,
                 hi: int) -> dict[str, Any]:
    """The global place of a chunk of a tensor that sits at ``where_`` ({} : the whole tensor)."""
    full = where_.get("full_shape", shape)
    index: tuple[Entry, ...] = where_.get("index", tuple(slice(0, n) for n in shape))
    entries: list[Any] = [_at(index[a], i) for a, i in enumerate(lead)]
    entries.append(_sub(index[axis], lo, hi))
    entries.extend(index[axis + 1:])
    return {"full_shape": full, "index": tuple(entries)}


def fill_device(tensor: torch.Tensor, where: str, fill: Callable[[np.ndarray], Any], located: Optional[Located],
                whole: bool, where_: Optional[dict[str, Any]] = None, path: Optional["DevicePath"] = None) -> None:
    """Fill an accelerator tensor on the device (:mod:`.device_fill`: fastinit.gpu's kernels, or
    ``path``'s device fill), else through pinned host chunks copied to it (two buffers, so one chunk is
    filled while the previous one is copied). ``whole``: one chunk (fills that work on the whole
    tensor, e.g. orthogonal_). Neither path has run on a GPU so far."""
    from .checks import numpy_view
    from .device_fill import fill_on_device
    if located is None and where not in _POSITION_FREE:
        raise ValueError(f"{where}: tensor is on {tensor.device}; this function fills CPU memory only: fill a CPU "
                         "tensor and move it (t.copy_(t_cpu))")
    if fill_on_device(tensor, where, fill, located, where_ or {}, path):
        return
    shape = tuple(tensor.shape)
    pinned = torch.cuda.is_available() and tensor.device.type == "cuda"
    if not shape or whole:  # one chunk: the whole tensor
        host = torch.empty(shape, dtype=tensor.dtype, pin_memory=pinned)
        if located is None:
            fill(numpy_view(host))
        else:
            located(numpy_view(host), where_ or {})
        tensor.copy_(host)
        return
    _fill_chunks(tensor, fill, located, where_ or {})


def _fill_chunks(tensor: torch.Tensor, fill: Callable[[np.ndarray], Any], located: Optional[Located],
                 where_: dict[str, Any]) -> None:
    """:func:`fill_device`'s loop: chunks of :data:`CHUNK_BYTES`, at most two in flight."""
    from .checks import numpy_view
    shape = tuple(tensor.shape)
    pinned = torch.cuda.is_available() and tensor.device.type == "cuda"
    event_class: Any = torch.cuda.Event  # untyped in torch's stubs
    pending: list[tuple[torch.Tensor, Any]] = []  # (host chunk, its copy's event): two at most
    for lead, axis, lo, hi in _chunks(shape, max(1, CHUNK_BYTES // tensor.element_size())):
        if len(pending) == 2:  # wait for the copy of two chunks ago; its buffer goes back to the cache
            _, done = pending.pop(0)
            if done is not None:
                done.synchronize()
        part = tensor[lead + (slice(lo, hi),)]
        host = torch.empty(part.shape, dtype=tensor.dtype, pin_memory=pinned)
        if located is None:
            fill(numpy_view(host))
        else:
            located(numpy_view(host), _chunk_where(where_, shape, lead, axis, lo, hi))
        part.copy_(host, non_blocking=pinned)
        event = event_class() if pinned else None
        if event is not None:
            event.record()
        pending.append((host, event))
    for _, done in pending:
        if done is not None:
            done.synchronize()

def zero_global_row(tensor: Any, row: int) -> None:
    """Set global row ``row`` (axis 0) of the DTensor ``tensor`` to zero where this rank holds it
    (nn.Embedding's ``padding_idx``)."""
    from .checks import numpy_view
    index = dtensor_index(tensor)
    local = tensor.to_local()
    if index is None or local.numel() == 0:
        return
    rows = index[0]
    if isinstance(rows, slice):
        hits = [row - rows.start] if rows.start <= row < rows.stop else []
    else:
        hits = [int(i) for i in np.flatnonzero(rows == row)]
    view = numpy_view(local)
    for i in hits:
        view[i] = 0


# ---------------------------------------------------------------- basic indexing of the global tensor


def _key_entries(key: Any, ndim: int) -> Optional[list[Any]]:
    """``key`` (basic indexing: ints, slices, one Ellipsis) as one int or slice per dimension, or None."""
    import operator
    items = list(key) if isinstance(key, tuple) else [key]
    if sum(k is Ellipsis for k in items) > 1:
        return None
    out: list[Any] = []
    for k in items:
        if k is Ellipsis or isinstance(k, slice):
            out.append(k)
            continue
        if isinstance(k, bool) or k is None:
            return None
        try:
            out.append(operator.index(k))
        except TypeError:
            return None  # advanced indexing (lists, tensors of indices, masks)
    rest = ndim - sum(k is not Ellipsis for k in out)
    if rest < 0:
        return None
    if Ellipsis in out:
        at = out.index(Ellipsis)
        out[at:at + 1] = [slice(None)] * rest
    return out + [slice(None)] * (ndim - len(out))


def _local_slice(sel: slice, n: int, entry: Entry) -> Optional[slice]:
    """The local positions of the global selection ``sel`` (step > 0) of a dimension of size ``n``."""
    r = range(*sel.indices(n))
    if r.step <= 0:
        return None
    if not isinstance(entry, slice):
        return slice(None) if len(r) == n else None  # strided rows: the whole axis only
    first = min(len(r), max(0, -(-(entry.start - r.start) // r.step)))
    stop = min(len(r), max(0, -(-(entry.stop - r.start) // r.step)))
    if stop <= first:
        return slice(0, 0)
    return slice(r[first] - entry.start, r[stop - 1] - entry.start + 1, r.step)


def local_key(key: Any, full_shape: tuple[int, ...], index: tuple[Entry, ...]) -> Optional[tuple[Any, ...]]:
    """The key that selects, in a local shard at ``index`` of a tensor of ``full_shape``, the part of
    the global selection ``key`` (basic indexing: ints, step > 0 slices, Ellipsis) this rank holds.

    An int naming a row this rank does not hold becomes an empty slice (that dimension is then
    kept, with size 0, instead of dropped). None for keys it cannot translate into a view: advanced
    indexing, ``None``, out-of-range ints, negative steps, and any selection other than an int or
    the whole axis along a dimension whose local rows are not one block (``_StridedShard``).
    """
    entries = _key_entries(key, len(full_shape))
    if entries is None:
        return None
    out: list[Any] = []
    for k, n, entry in zip(entries, full_shape, index):
        if isinstance(k, slice):
            local = _local_slice(k, n, entry)
            if local is None:
                return None
            out.append(local)
            continue
        i = k + n if k < 0 else k
        if not 0 <= i < n:
            return None
        if isinstance(entry, slice):
            out.append(i - entry.start if entry.start <= i < entry.stop else slice(0, 0))
        else:
            hits = np.flatnonzero(entry == i)
            out.append(int(hits[0]) if hits.size else slice(0, 0))
    return tuple(out)
