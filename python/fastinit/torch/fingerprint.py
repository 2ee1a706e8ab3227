"""Fingerprints of torch tensors and whole modules, across ranks (docs/fingerprint.md).

- :func:`fingerprint`: :func:`fastinit.fingerprint` of a plain tensor (any dtype fastinit hashes,
  any layout; CUDA and other device tensors are copied to the host in bounded chunks).
- :func:`shard_fingerprint`: this rank's share of a DTensor's digest (the local shard at its global
  place; replicas counted once), so that the shares of all ranks sum to the full tensor's digest.
- :func:`fingerprint_module`: one digest per parameter and buffer, DTensors combined across ranks
  with one ``all_gather`` per call: every rank gets the same dict, equal to the digests of the
  unsharded model's tensors.
"""

from collections.abc import Iterator
from typing import Any, Optional

import numpy as np
import torch

from ..core.layout import Index, Shape
from ..fingerprint import MODULUS, digest_bits, placement

__all__ = ["fingerprint", "fingerprint_module", "shard_fingerprint"]

#: torch dtype -> (fingerprint format name, same-width integer dtype whose .numpy() views the bits)
_FORMATS: dict[torch.dtype, tuple[str, torch.dtype]] = {
    torch.float32: ("float32", torch.int32), torch.float64: ("float64", torch.int64),
    torch.float16: ("float16", torch.int16), torch.bfloat16: ("bfloat16", torch.int16),
    torch.complex64: ("complex64", torch.int32), torch.complex128: ("complex128", torch.int64),
    torch.int8: ("int8", torch.int8), torch.int16: ("int16", torch.int16), torch.int32: ("int32", torch.int32),
    torch.int64: ("int64", torch.int64), torch.uint8: ("uint8", torch.int8), torch.bool: ("bool", torch.int8),
}
for _name, _as_int in (("uint16", torch.int16), ("uint32", torch.int32), ("uint64", torch.int64),
                     ("float8_e4m3fn", torch.int8), ("float8_e5m2", torch.int8)):
    if hasattr(torch, _name):  # newer torch versions
        _FORMATS[getattr(torch, _name)] = (_name, _as_int)

#: Non-CPU tensors are copied to the host in pieces of at most this many bytes (a larger single
#: row is split further along its next axis).
CHUNK_BYTES = 64 << 20


def _is_dtensor(t: Any) -> bool:
    from .dtensor import is_dtensor
    return is_dtensor(t)


def _bits(t: torch.Tensor, name: str) -> tuple[torch.Tensor, bool]:
    """``t``'s memory as same-width integers (complex: with a trailing axis of its 2 parts), no
    copy unless a lazy conjugate/negation has to be resolved; and whether it is complex."""
    as_int = _FORMATS[t.dtype][1]
    t = t.detach().resolve_conj().resolve_neg()
    parts = name in ("complex64", "complex128")
    if parts:
        t = torch.view_as_real(t)
    return t.view(as_int), parts


def _host_digest(bits: torch.Tensor, name: str, strides: tuple[int, ...], origin: int,
                 offsets: list[Optional[np.ndarray]]) -> int:
    a = bits.numpy()
    return digest_bits(a.view(np.dtype(f"u{a.itemsize}")), name, strides, origin, offsets)


def _device_digest(bits: torch.Tensor, name: str, strides: tuple[int, ...], origin: int,
                   offsets: list[Optional[np.ndarray]]) -> int:
    """The digest of a tensor on any device, copied to the host ``CHUNK_BYTES`` at a time along
    its leading axes (each piece's place: the origin moved by its first row)."""
    if bits.dim() == 0 or bits.numel() * bits.element_size() <= CHUNK_BYTES:
        return _host_digest(bits.cpu(), name, strides, origin, offsets)
    row_bytes = bits[0].numel() * bits.element_size()
    rows = max(1, CHUNK_BYTES // max(1, row_bytes))
    table, rest = (offsets[0], offsets[1:]) if offsets else (None, [])
    total = 0
    for lo in range(0, bits.shape[0], rows):
        hi = min(bits.shape[0], lo + rows)
        if hi - lo == 1 and row_bytes > CHUNK_BYTES:  # one row too large: drop axis 0, split the next
            at = int(table[lo]) if table is not None else lo * strides[0]
            total += _device_digest(bits[lo], name, strides[1:], origin + at, rest)
            continue
        piece_offsets = [table[lo:hi], *rest] if table is not None else offsets
        piece_origin = origin if table is not None else origin + lo * strides[0]
        total += _host_digest(bits[lo:hi].cpu(), name, strides, piece_origin, piece_offsets)
    return total % MODULUS


def fingerprint(tensor: torch.Tensor, *, full_shape: Optional[Shape] = None, index: Optional[Index] = None) -> int:
    """A 64-bit digest of a torch tensor's values at their places: :func:`fastinit.fingerprint`.

    The sum mod 2**64 of one hash per element of (its index in the logical tensor of shape
    ``full_shape``, its bits), so digests of disjoint parts add up to the whole tensor's digest,
    and equal tensors on any device, layout or sharding have equal digests. CPU tensors are read
    in place (no copy); tensors on CUDA or another device are copied to the host in chunks of at
    most ``CHUNK_BYTES`` (64 MiB), one at a time.

    Args:
        tensor: The tensor to hash (not a DTensor: use :func:`shard_fingerprint`): any layout,
            any of float16/32/64, bfloat16, complex64/128, int8/16/32/64, uint8 (uint16/32/64 and
            float8_e4m3fn/e5m2 where torch has them) and bool.
        full_shape: The shape of the whole logical tensor of which ``tensor`` is a part;
            ``None`` (the default): ``tensor`` is the whole tensor.
        index: Which part of ``full_shape`` ``tensor`` holds (``tensor`` is ``full[index]``), as
            :func:`fastinit.fingerprint` takes it: ints, step-1 slices or 1-d id arrays per
            leading axis; ``None``: the whole tensor.

    Returns:
        The digest, an int in [0, 2**64): the same as :func:`fastinit.fingerprint` of the same
        values as a NumPy array.

    Raises:
        TypeError: not a tensor, a DTensor, or an unsupported dtype.
        ValueError: a meta tensor (no values), or an ``index`` that does not fit ``full_shape``
            and the tensor's shape.

    Example:
        >>> import torch, numpy as np, fastinit, fastinit.torch as fit
        >>> w = torch.arange(6.0).reshape(3, 2)
        >>> fit.fingerprint(w) == fastinit.fingerprint(w.numpy())
        True
        >>> top = fit.fingerprint(w[:1], full_shape=(3, 2), index=(slice(0, 1),))
        >>> rest = fit.fingerprint(w[1:], full_shape=(3, 2), index=(slice(1, 3),))
        >>> (top + rest) % 2**64 == fit.fingerprint(w)
        True
    """
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"fingerprint: tensor must be a torch.Tensor, got {type(tensor).__name__}; "
                        "for NumPy arrays use fastinit.fingerprint")
    if _is_dtensor(tensor):
        raise TypeError("fingerprint: got a DTensor; use fastinit.torch.shard_fingerprint(dtensor) for this rank's "
                        "share of its digest (the shares of all ranks sum to it), or fingerprint_module(module)")
    if tensor.dtype not in _FORMATS:
        raise TypeError(f"fingerprint: dtype {tensor.dtype} is not supported; use one of: "
                        f"{', '.join(str(d) for d in _FORMATS)}")
    if tensor.device.type == "meta":
        raise ValueError("fingerprint: a meta tensor has no values; materialize it first (e.g. "
                         "fastinit.torch.init_module)")
    name = _FORMATS[tensor.dtype][0]
    bits, parts = _bits(tensor, name)
    strides, origin, offsets = placement(tuple(tensor.shape), full_shape, index, parts)
    if tensor.device.type == "cpu":
        return _host_digest(bits, name, strides, origin, offsets)
    return _device_digest(bits, name, strides, origin, offsets)


def shard_fingerprint(dtensor: Any) -> int:
    """This rank's share of the digest of a ``torch.distributed.tensor.DTensor``.

    The digest of its local shard at the shard's place in the global tensor, or 0 where another
    rank holds the same values (on each ``Replicate()`` mesh dimension only coordinate 0 counts)
    or this rank is not in the mesh. The shares of all ranks of the mesh sum (mod 2**64) to the
    full tensor's :func:`fingerprint`. No communication (:func:`fingerprint_module` sums them).

    Args:
        dtensor: The DTensor, with ``Shard``, ``_StridedShard`` or ``Replicate`` placements.

    Returns:
        This rank's share, an int in [0, 2**64).

    Raises:
        TypeError: not a DTensor.
        ValueError: a ``Partial`` (or other unknown) placement.

    Example:
        >>> import torch, torch.distributed as dist, fastinit.torch as fit
        >>> from torch.distributed.device_mesh import init_device_mesh
        >>> from torch.distributed.tensor import Shard, distribute_tensor
        >>> dist.init_process_group("gloo", store=dist.HashStore(), rank=0, world_size=1)
        >>> dt = distribute_tensor(torch.arange(6.0).reshape(3, 2), init_device_mesh("cpu", (1,)), [Shard(0)])
        >>> fit.shard_fingerprint(dt) == fit.fingerprint(dt.full_tensor())  # one rank: all of it
        True
        >>> dist.destroy_process_group()
    """
    from torch.distributed.tensor import Replicate

    from .dtensor import dtensor_index
    if not _is_dtensor(dtensor):
        raise TypeError(f"shard_fingerprint needs a DTensor, got {type(dtensor).__name__}; "
                        "use fastinit.torch.fingerprint for plain tensors")
    index = dtensor_index(dtensor)
    coord = dtensor.device_mesh.get_coordinate()
    if index is None or coord is None:
        return 0
    if any(isinstance(p, Replicate) and coord[d] != 0 for d, p in enumerate(dtensor.placements)):
        return 0
    return fingerprint(dtensor.to_local(), full_shape=tuple(dtensor.shape), index=index)


def _named_tensors(module: torch.nn.Module) -> Iterator[tuple[str, torch.Tensor]]:
    yield from module.named_parameters()
    yield from module.named_buffers()


def _mesh_key(dtensor: Any) -> int:
    """The smallest global rank of a DTensor's mesh: it names which copy of the tensor this rank's
    mesh holds when a submesh (e.g. FSDP2's ``mesh["dp"]`` under tensor parallelism) is repeated
    across the world, each copy holding the whole tensor."""
    return int(dtensor.device_mesh.mesh.min())


def _gather_sum(values: list[int], keys: list[int], group: Any) -> list[int]:
    """Element-wise sum mod 2**64 of ``values`` over the ranks of ``group`` whose mesh key (see
    :func:`_mesh_key`) is the smallest for that entry, so each tensor is counted from one copy of
    its mesh: one all_gather of an int64 vector (an all_reduce SUM of int64 could overflow, and
    NCCL has no XOR)."""
    import torch.distributed as dist
    backend = str(dist.get_backend(group))
    device = torch.device("cuda", torch.cuda.current_device()) if "nccl" in backend else torch.device("cpu")
    signed = [v - MODULUS if v >= 1 << 63 else v for v in values]
    vec = torch.tensor(signed + keys, dtype=torch.int64, device=device)
    gathered = [torch.empty_like(vec) for _ in range(dist.get_world_size(group))]
    dist.all_gather(gathered, vec, group=group)
    rows = torch.stack(gathered).cpu().tolist()
    n = len(values)
    totals = []
    for i in range(n):
        first = min(row[n + i] for row in rows)
        totals.append(sum(row[i] for row in rows if row[n + i] == first) % MODULUS)
    return totals


def fingerprint_module(module: torch.nn.Module, *, group: Any = None) -> dict[str, int]:
    """One digest per parameter and buffer of ``module``, equal on every rank and every sharding.

    A plain tensor's entry is its :func:`fingerprint` (on every rank its own tensor: compare them
    across ranks if they should be replicas). A DTensor's entry is the digest of the *global*
    tensor: each rank's :func:`shard_fingerprint`, summed mod 2**64 over the ranks of ``group``
    that hold the copy of the DTensor's mesh with the smallest rank (a submesh such as FSDP2's
    ``mesh["dp"]`` under tensor parallelism is repeated across the world, each copy holding the
    whole tensor), with one ``all_gather`` of an int64 vector per call. So every rank gets the
    same dict, equal to the dict of the unsharded model: two sharding configurations initialized
    the same iff their dicts are equal (up to a 2**-64 chance), without gathering a weight.
    Without DTensors (or without an initialized ``torch.distributed``) nothing is communicated.

    Args:
        module: The ``torch.nn.Module`` whose parameters and buffers are hashed. Every rank of
            ``group`` must call this with the same module structure when it holds DTensors.
        group: The process group to sum DTensor shares over; ``None`` (the default): the default
            process group.

    Returns:
        ``{qualified name: digest}``, the digests ints in [0, 2**64), in ``named_parameters()``
        then ``named_buffers()`` order.

    Raises:
        ValueError: a meta tensor, or a DTensor with a ``Partial`` placement.
        TypeError: an unsupported dtype (the tensor named).

    Example:
        >>> import torch, fastinit.torch as fit
        >>> a = fit.init_module(torch.nn.Linear(3, 2), seed=0)
        >>> b = fit.init_module(torch.nn.Linear(3, 2), seed=0)
        >>> digests = fit.fingerprint_module(a)
        >>> sorted(digests)
        ['bias', 'weight']
        >>> digests == fit.fingerprint_module(b)
        True
    """
    names: list[str] = []
    digests: list[int] = []
    sharded: list[int] = []  # positions of DTensor entries
    tensors: list[Any] = []
    for name, t in _named_tensors(module):
        tensors.append(t)
        try:
            if _is_dtensor(t):
                sharded.append(len(names))
                digests.append(shard_fingerprint(t))
            else:
                digests.append(fingerprint(t))
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"fingerprint_module: {name}: {exc}") from exc
        names.append(name)
    if sharded:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            keys = [_mesh_key(tensors[i]) for i in sharded]
            for pos, total in zip(sharded, _gather_sum([digests[i] for i in sharded], keys, group)):
                digests[pos] = total
    return dict(zip(names, digests))
