"""``fastinit.torch.rows_``: rows by ID written into an existing 2-D torch tensor.

The torch counterpart of :func:`fastinit.rows` (see :mod:`fastinit.rows` for the row-ID contract
and the hashed-ID mapping): row ``r`` of ``tensor`` becomes row ``ids[r]`` of the logical
``(num_rows, tensor.shape[1])`` table filled by ``init``, written through the tensor's own memory
(a NumPy view, as every ``fastinit.torch`` function writes), with its autograd version bumped.
"""

from __future__ import annotations

from typing import Any

import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core.seed import Seed, Stream
from ..rows import rows as _rows
from .checks import NotATensorError, Tensor, _torch_errors, numpy_view

__all__ = ["rows_"]


def rows_(
    tensor: Tensor,
    init: Any,
    ids: Any,
    *,
    seed: Seed,
    stream: Stream,
    num_rows: int | None = None,
    hashed: bool = False,
    **params: Any,
) -> Tensor:
    """Fill the 2-D CPU ``tensor`` of shape ``(len(ids), dim)`` with rows ``ids`` of the table
    ``init`` fills; returns ``tensor``.

    Args:
        tensor: a 2-D CPU tensor (float32, float64, float16, bfloat16; complex64/complex128 where
            ``init`` takes them), contiguous or not; ``dim`` is ``tensor.shape[1]``.
        init: an initializer name, one of fastinit's functions, or a :func:`fastinit.get`
            initializer (as :func:`fastinit.rows` takes it).
        ids: 1-d ints (a torch tensor, NumPy array or list): row ids in [0, num_rows), any order,
            duplicates allowed; with ``hashed=True`` any 64-bit ints.
        seed: an int in [0, 2**64) (required: the row-ID contract needs one).
        stream: the table's stream, int or str (required).
        num_rows: the table's row count; None: as many rows as stream version 1 allows (then
            ``init``'s values must not depend on the row count).
        hashed: ids are 64-bit hashes (see :func:`fastinit.hashed_row_ids`).
        **params: the initializer's parameters.

    Raises:
        TypeError for a non-tensor or an unsupported dtype; ValueError for a tensor that is not
        2-D, bad parameters (:class:`ParameterError`) or a meta/non-CPU tensor; IndexError for an id
        out of range. Nothing is written then.
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
