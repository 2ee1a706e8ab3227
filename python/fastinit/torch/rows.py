"""``fastinit.torch.rows_``: rows by ID written into an existing 2-D torch tensor.

The torch counterpart of :func:`fastinit.rows` (see :mod:`fastinit.rows` for the row-ID contract
and the hashed-ID mapping): row ``r`` of ``tensor`` becomes row ``ids[r]`` of the logical
``(num_rows, tensor.shape[1])`` table filled by ``init``, written through the tensor's own memory
(a NumPy view, as every ``fastinit.torch`` function writes), with its autograd version bumped. A
CUDA tensor is written on the device by fastinit.gpu's gather kernel (one launch per stream; hashed
IDs of several streams through a device buffer), without Triton through a host buffer copied to it.
"""

from typing import Any, Callable, Optional

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core.docstrings import shared_docs
from ..core.seed import Seed, Stream
from ..rows import hashed_row_ids
from ..rows import rows as _rows
from .checks import NotATensorError, Tensor, _check_tensor, _torch_errors, numpy_view
from .device_fill import kernels_or_warn, launch_recorded, numpy_dtype
from .placements import is_dtensor

__all__ = ["rows_"]


@shared_docs
def rows_(
    tensor: Tensor,
    init: Any,
    ids: Any,
    *,
    seed: Seed,
    stream: Stream,
    num_rows: Optional[int] = None,
    hashed: bool = False,
    **params: Any,
) -> Tensor:
    """Fill the 2-d ``tensor`` with rows ``ids`` of the table that ``init`` fills, in place.

    The torch counterpart of :func:`fastinit.rows`: row ``r`` of ``tensor`` becomes row
    ``ids[r]`` of the logical ``(num_rows, tensor.shape[1])`` table that ``init`` would fill with
    this seed and stream, bit for bit, without the table ever being built. So a sharded or lazily
    built embedding gets the rows a whole-table fill would give. Nothing like it in torch. A CUDA
    tensor is written on the device, in its own memory (fastinit.gpu's gather kernel).

    Args:
        tensor: {tensor} Rank 2, shape ``(len(ids), dim)``; complex64/complex128 where ``init``
            takes them.
        init: The table's initializer: a name (``"normal"``, ``"glorot_uniform"`` ...), one of
            fastinit's functions, or a :func:`fastinit.get` initializer.
        ids: The rows to write, 1-d ints (a torch tensor, NumPy array or list): ids in
            [0, num_rows), in any order, duplicates allowed; with ``hashed=True`` any 64-bit ints.
        seed: The Philox key of the table, an int in [0, 2**64); required (rows by ID need a
            fixed seed).
        stream: The table's stream, an int in [0, 2**64) or a str (e.g. the parameter's name);
            required.
        num_rows: The table's row count, which fan-based initializers need; ``None``: as many
            rows as stream version 1 allows (then ``init``'s values must not depend on it).
        hashed: ``True``: ``ids`` are 64-bit hashes, mapped as :func:`fastinit.hashed_row_ids`
            describes; default ``False``.
        **params: The initializer's own parameters (``std=0.02`` ...).

    Returns:
        ``tensor``, filled.

    Raises:
        TypeError: not a tensor, or an unsupported dtype.
        ValueError: a tensor that is not 2-d, bad parameters (:class:`ParameterError`), a meta
            tensor, or one on a device other than the CPU and CUDA.
        IndexError: an id out of range. Nothing is written then.

    Example:
        >>> import torch, numpy as np, fastinit, fastinit.torch as fit
        >>> emb = fit.rows_(torch.empty(2, 4), "normal", [5, 1], seed=0, stream="emb", num_rows=10)
        >>> table = fastinit.normal((10, 4), seed=0, stream="emb")
        >>> np.array_equal(emb.numpy(), table[[5, 1]])
        True
    """
    if not isinstance(tensor, torch.Tensor):
        raise NotATensorError(f"rows_: tensor must be a torch.Tensor, got {type(tensor).__name__}; for NumPy use "
                              "fastinit.rows(..., out=array)")
    if tensor.dim() != 2:
        raise ValueError(f"rows_: tensor must be 2-d (len(ids), dim), got shape {tuple(tensor.shape)}")
    def fill(out: Any, ids_: Any, stream_: Stream, hashed_: bool) -> Any:
        return _rows(init, ids_, tensor.shape[1], seed=seed, stream=stream_, num_rows=num_rows, hashed=hashed_,
                     out=out, **params)
    with _torch_errors():
        if tensor.device.type == "cpu" or is_dtensor(tensor):
            fill(numpy_view(tensor), ids, stream, hashed)
        else:
            _check_tensor(tensor, "rows_")
            _device_rows(tensor, fill, ids, stream, hashed)
    torch.autograd.graph.increment_version(tensor)
    return tensor


def _device_rows(tensor: torch.Tensor, fill: Callable[..., Any], ids: Any, stream: Stream, hashed: bool) -> None:
    """rows_ on a CUDA tensor: every check first (a fill of no rows), then one gather kernel per
    stream (hashed IDs: the rows of each derived stream, as :func:`fastinit.rows` groups them)."""
    from .. import gpu
    if tensor.numel() == 0 or not gpu.available():
        host = torch.empty(tuple(tensor.shape), dtype=tensor.dtype)
        fill(numpy_view(host), ids, stream, hashed)  # the checks first: a refused call does not warn
        if tensor.numel():
            kernels_or_warn()  # False here; says once that this is the slow path
            tensor.copy_(host)
        return
    if not hashed:
        if not launch_recorded(tensor, lambda x, p: fill(x, ids, stream, False), {}):
            raise RuntimeError("fastinit: internal error: rows_ is not one core fill of its tensor")
        return
    fill(np.empty((0, tensor.shape[1]), numpy_dtype(tensor.dtype)), [], stream, True)  # the checks
    streams, row_ids = hashed_row_ids(ids, tensor.shape[1], stream=stream)
    if len(row_ids) != tensor.shape[0]:
        raise ValueError(f"rows_: tensor has shape {tuple(tensor.shape)} but the rows have shape "
                         f"{(len(row_ids), tensor.shape[1])} (len(ids), dim)")
    distinct = np.unique(streams)
    for s in distinct.tolist():
        at = np.flatnonzero(streams == s)
        target = tensor if len(distinct) == 1 else tensor.new_empty((len(at), tensor.shape[1]))
        if not launch_recorded(target, lambda x, p, a=at, s=s: fill(x, row_ids[a], int(s), False), {}):
            raise RuntimeError("fastinit: internal error: rows_ is not one core fill of its tensor")
        if target is not tensor:
            with torch.no_grad():
                tensor.index_copy_(0, tensor.new_tensor(at, dtype=torch.int64), target)
