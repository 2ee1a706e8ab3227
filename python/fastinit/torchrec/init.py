"""``init_tables``: every embedding table of a TorchRec model, each rank writing only its blocks."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Mapping
from typing import Any, Callable, Union

import numpy as np
import torch

from ..core.fills import uniform
from ..core.seed import resolve_seed
from ..names.registry import get
from ..torch.checks import numpy_view
from ..torch.device_fill import RECORDED, fill_on_device
from .tables import Table, TableBlock, find_tables

__all__ = ["init_tables"]

#: What ``init`` may be: None (each table's TorchRec default), one initializer for every table
#: (a name, a config dict, a :func:`fastinit.get` initializer or a fastinit NumPy function), or a
#: dict from table names to those (tables not in it get their TorchRec default).
TableInit = Union[None, str, Callable[..., Any], Mapping[str, Any]]

Fill = Callable[[np.ndarray, Table, tuple[slice, slice]], Any]


def _default_fill(table: Table, seed: int) -> Fill:
    """TorchRec's default for the table: uniform on [weight_init_min, weight_init_max] (its config
    computes -sqrt(1/num_embeddings), sqrt(1/num_embeddings) where they are unset)."""
    low, high = float(table.config.get_weight_init_min()), float(table.config.get_weight_init_max())
    fn = getattr(table.config, "init_fn", None)
    if fn is not None and not (isinstance(fn, functools.partial) and fn.func is torch.nn.init.uniform_):
        warnings.warn(f"init_tables: table {table.name!r} has its own init_fn, which fastinit cannot run block by "
                      f"block; it gets TorchRec's default distribution uniform({low:g}, {high:g}) instead. Pass "
                      f"init={{{table.name!r}: ...}} to choose its initializer", UserWarning, stacklevel=4)

    def fill(view: np.ndarray, table: Table, index: tuple[slice, slice]) -> Any:
        return uniform(view, low, high, seed=seed, stream=table.name, full_shape=table.shape, index=index)
    return fill


def _named_fill(init: Any, seed: int, where: str) -> Fill:
    try:
        initializer = get(init)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"init_tables: {where}: {exc}") from exc
    if not callable(initializer):
        raise TypeError(f"init_tables: {where} must be a name, a config dict or a fastinit initializer, "
                        f"got {type(init).__name__}")

    def fill(view: np.ndarray, table: Table, index: tuple[slice, slice]) -> Any:
        return initializer(view, seed=seed, stream=table.name, full_shape=table.shape, index=index)
    return fill


def _per_table(init: TableInit) -> Mapping[str, Any] | None:
    """``init`` as a per-table dict, or None when it is one initializer for all tables."""
    if isinstance(init, Mapping) and "class_name" not in init:
        return init
    return None


def _fills(tables: list[Table], init: TableInit, seed: int) -> list[Fill]:
    per_table = _per_table(init)
    if per_table is not None:
        unknown = sorted(set(per_table) - {t.name for t in tables})
        if unknown:
            raise ValueError(f"init_tables: init names tables the model does not have: {unknown}; its tables: "
                             f"{sorted({t.name for t in tables})}")
    shared = None if init is None or per_table is not None else _named_fill(init, seed, "init")
    fills = []
    for table in tables:
        chosen = per_table.get(table.name) if per_table is not None else None
        if shared is not None:
            fills.append(shared)
        elif chosen is None:
            fills.append(_default_fill(table, seed))
        else:
            fills.append(_named_fill(chosen, seed, f"init[{table.name!r}]"))
    return fills


def _check_blocks(table: Table) -> None:
    for block in table.blocks:
        t = block.tensor
        if t.device.type == "meta":
            raise ValueError(f"init_tables: {table.path} is on the meta device (no memory): shard the model with "
                             "DistributedModelParallel (it allocates each rank's blocks) or build it on the CPU first")
        if t.device.type not in ("cpu", "cuda"):
            raise ValueError(f"init_tables: {table.path} is on {t.device}; fastinit.torchrec fills tables on the "
                             "CPU and on CUDA (or ROCm) GPUs")
        if t.dtype not in (torch.float32, torch.float64, torch.float16, torch.bfloat16):
            raise TypeError(f"init_tables: {table.path} has dtype {t.dtype}; fastinit.torchrec fills float32, "
                            "float64, float16 and bfloat16 tables")


def _probe(table: Table, fill: Fill) -> None:
    """Run the table's fill on an empty block of its dtype: the initializer's own checks of its
    parameters raise here, before any table is written."""
    dtype = numpy_view(torch.empty(0, dtype=table.blocks[0].tensor.dtype)).dtype if table.blocks else np.float32
    try:
        fill(np.empty((0, table.shape[1]), dtype), table, (slice(0, 0), slice(0, table.shape[1])))
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"init_tables: table {table.name!r}: {exc}") from exc


def init_tables(model: torch.nn.Module, seed: int, *, init: TableInit = None) -> torch.nn.Module:
    """Initialize every embedding table of a TorchRec model, sharded or not, in place.

    Each rank writes only the rows and columns of each table that it holds, with the values the
    whole table has at those positions: element ``(row, col)`` of table ``t`` is a function of
    (``seed``, ``t``'s name, ``row``, ``col``) only. So the tables are the same, bit for bit,
    unsharded, and under any ``DistributedModelParallel`` plan (table-wise, row-wise,
    column-wise, table-row-wise, grid, data-parallel) on any number of ranks.

    Tables are found in ``EmbeddingBagCollection`` and ``EmbeddingCollection`` modules (also as
    the children of managed-collision collections) and in the sharded collections that
    ``DistributedModelParallel`` makes of them; on a sharded collection, this rank's blocks are
    the ``local_shards()`` of the table's ``ShardedTensor`` in its ``state_dict()`` (views of the
    dense or fused kernels' weights). Only the weights are written: the fused optimizer's state
    (momentum, Adagrad sums) is left as it is. A block on a CUDA (or ROCm) GPU is filled on the
    device, in its own memory, by fastinit.gpu's kernels; an initializer that is not one kernel
    fill (``orthogonal`` ...), or a machine without Triton, fills a host copy of the block and
    copies it in, with a :class:`~fastinit.torch.device_fill.SlowPathWarning` (said once).

    Args:
        model: The model: a ``DistributedModelParallel`` (its tables materialized; a model built
            on the meta device and sharded is), or a module holding unsharded collections.
        seed: The Philox key, an int in [0, 2**64); the same on every rank.
        init: ``None`` (the default): each table gets TorchRec's own default distribution,
            ``uniform(weight_init_min, weight_init_max)`` from its config (TorchRec computes
            ``-sqrt(1 / num_embeddings), sqrt(1 / num_embeddings)`` where they are unset). Or one
            initializer for every table: a name (``"normal"``, ``"xavier_uniform"`` ...), a
            config dict or a :func:`fastinit.get` initializer (fans from the whole table's shape).
            Or a dict ``{table name: initializer}``; tables not in it get their default.

    Returns:
        ``model``, initialized.

    Raises:
        TypeError: ``seed`` is not an int, an unknown kind of initializer, a table dtype other
            than float32/float64/float16/bfloat16, or a table held in a form not read here.
        ValueError: a seed outside [0, 2**64), an unknown initializer name, ``init`` naming a
            table the model lacks, a table on the meta device or on a device other than the CPU
            and CUDA, or a model without TorchRec tables. Every check runs before anything is
            written.
        ImportError: TorchRec is not installed.

    Example:
        >>> import torch, torchrec, fastinit.torchrec as ftr
        >>> ebc = torchrec.EmbeddingBagCollection(tables=[
        ...     torchrec.EmbeddingBagConfig(name="ads", embedding_dim=8, num_embeddings=100, feature_names=["i"])])
        >>> _ = ftr.init_tables(ebc, seed=0)  # uniform(-0.1, 0.1): TorchRec's default for 100 rows
        >>> w = ebc.embedding_bags["ads"].weight
        >>> bool(w.abs().max() <= 0.1)
        True
    """
    if seed is None or isinstance(seed, bool):
        raise TypeError("init_tables: seed must be an int in [0, 2**64), the same on every rank, got "
                        f"{seed!r} (None would draw a different seed on each rank)")
    key = resolve_seed(seed)
    tables = find_tables(model)
    fills = _fills(tables, init, key)
    for table, fill in zip(tables, fills):
        _check_blocks(table)
        _probe(table, fill)
    views = [[numpy_view(b.tensor.detach()) if b.tensor.device.type == "cpu" else None for b in table.blocks]
             for table in tables]  # the CPU blocks' views, each checked before anything is written
    for table, fill, table_views in zip(tables, fills, views):
        for block, view in zip(table.blocks, table_views):
            _write(table, fill, block, view)
    return model


def _write(table: Table, fill: Fill, block: TableBlock, view: np.ndarray | None) -> None:
    """Fill one block at its place in the table, in its own memory: a CPU block through ``view``.
    A GPU block: the table's fill recorded and launched as fastinit.gpu's kernels on the device;
    where it is not one core fill of the block (or Triton is missing: a SlowPathWarning, said
    once), computed in a host array of the block and copied in."""
    tensor, index = block.tensor.detach(), block.index()
    if view is not None:
        fill(view, table, index)
    elif not fill_on_device(tensor, f"init_tables' initializer of table {table.name!r}",
                            lambda view: fill(view, table, index), None, {}, RECORDED):
        host = torch.empty(tuple(tensor.shape), dtype=tensor.dtype)
        fill(numpy_view(host), table, index)
        tensor.copy_(host)
    torch.autograd.graph.increment_version(block.tensor)
