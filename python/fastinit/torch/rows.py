"""``fastinit.torch.rows_``: rows by ID written into an existing 2-D torch tensor.

The torch counterpart of :func:`fastinit.rows` (see :mod:`fastinit.rows` for the row-ID contract
and the hashed-ID mapping): row ``r`` of ``tensor`` becomes row ``ids[r]`` of the logical
``(num_rows, tensor.shape[1])`` table filled by ``init``, written through the tensor's own memory
(a NumPy view, as every ``fastinit.torch`` function writes), with its autograd version bumped.
"""

from typing import Any, Optional

import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core.docstrings import shared_docs
from ..core.seed import Seed, Stream
from ..rows import rows as _rows
from .checks import NotATensorError, Tensor, _torch_errors, numpy_view

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
    built embedding gets the rows a whole-table fill would give. Nothing like it in torch.

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
        ValueError: a tensor that is not 2-d, bad parameters (:class:`ParameterError`), a meta or
            non-CPU tensor.
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
    view = numpy_view(tensor)
    with _torch_errors():
        _rows(init, ids, view.shape[1], seed=seed, stream=stream, num_rows=num_rows, hashed=hashed, out=view,
              **params)
    torch.autograd.graph.increment_version(tensor)
    return tensor
