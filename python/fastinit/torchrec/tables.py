"""The embedding tables of a TorchRec model, and the blocks of each that this rank holds.

A table lives in an ``EmbeddingBagCollection`` or ``EmbeddingCollection`` (unsharded: the whole
``weight`` parameter) or in the ``ShardedEmbeddingBagCollection`` / ``ShardedEmbeddingCollection``
that ``DistributedModelParallel`` puts in its place. A sharded collection's ``state_dict()`` holds
one ``ShardedTensor`` per table whose ``local_shards()`` are views of the lookup kernels' weights
(dense and fused kernels alike), each with its ``ShardMetadata`` (``shard_offsets``,
``shard_sizes``) in the whole table (with ``ShardingEnv(output_dtensor=True)``: a ``DTensor``
whose local tensor, TorchRec's ``LocalShardsWrapper``, lists ``local_shards()`` and
``local_offsets()``); a data-parallel table is a plain tensor, the whole table on every rank.
Managed-collision collections hold one of these as a child, found the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import torch

__all__ = ["Table", "TableBlock", "find_tables"]


@dataclasses.dataclass(frozen=True)
class TableBlock:
    """A block of a table held by this rank: ``tensor`` is ``table[rows, columns]`` with
    ``rows = slice(offsets[0], offsets[0] + tensor.shape[0])`` (columns likewise)."""

    tensor: torch.Tensor
    offsets: tuple[int, int]

    def index(self) -> tuple[slice, slice]:
        """The block's place in the whole table, as fastinit's ``index=`` takes it."""
        (r, c), (n, m) = self.offsets, self.tensor.shape
        return slice(r, r + n), slice(c, c + m)


@dataclasses.dataclass(frozen=True)
class Table:
    """One embedding table of a model.

    Attributes:
        name: The table's name (its config's ``name``): its fastinit stream.
        path: The qualified name of its weight in the model (``"module.ebc.embedding_bags.t0.weight"``).
        config: Its ``EmbeddingBagConfig`` / ``EmbeddingConfig``.
        shape: ``(num_embeddings, embedding_dim)``, the whole table's shape.
        blocks: The blocks this rank holds (none where other ranks hold the whole table).
        sharded: It belongs to a sharded collection (its digest is summed across ranks).
        replicated: Every rank of the collection holds the whole table (data-parallel sharding).
    """

    name: str
    path: str
    config: Any
    shape: tuple[int, int]
    blocks: tuple[TableBlock, ...]
    sharded: bool
    replicated: bool


#: How to install TorchRec, for the ImportError of a call that needs it. TorchRec 1.8's package
#: asks for fbgemm-gpu (the CUDA build); on the CPU its kernels come with fbgemm-gpu-cpu.
INSTALL_HINT = ("on the CPU, after torch's CPU build: `pip install fbgemm-gpu-cpu==1.8.0 tensordict torchmetrics "
                "tqdm pyre-extensions iopath && pip install --no-deps torchrec==1.8.0` (docs/guide/torchrec.md); "
                "with CUDA: `pip install fbgemm-gpu torchrec`")

def _kinds() -> tuple[tuple[type, ...], tuple[type, ...]]:
    """(unsharded collection classes, sharded collection classes); imports TorchRec."""
    try:
        from torchrec.distributed.embedding import ShardedEmbeddingCollection
        from torchrec.distributed.embeddingbag import ShardedEmbeddingBagCollection
        from torchrec.modules.embedding_modules import EmbeddingBagCollection, EmbeddingCollection
    except ImportError as exc:
        raise ImportError(f"fastinit.torchrec needs TorchRec ({exc}); {INSTALL_HINT}") from exc
    return (EmbeddingBagCollection, EmbeddingCollection), (ShardedEmbeddingBagCollection, ShardedEmbeddingCollection)


def _configs(module: Any) -> tuple[str, list[Any]]:
    """The state-dict prefix of a collection's tables and their configs, in order."""
    if hasattr(module, "embedding_bags"):
        configs = getattr(module, "_embedding_bag_configs", None)
        return "embedding_bags.", list(configs if configs is not None else module.embedding_bag_configs())
    configs = getattr(module, "_embedding_configs", None)
    return "embeddings.", list(configs if configs is not None else module.embedding_configs())


def _shape(config: Any) -> tuple[int, int]:
    return int(config.num_embeddings), int(config.embedding_dim)


def _unsharded(path: str, module: Any) -> Iterator[Table]:
    prefix, configs = _configs(module)
    holder = module.embedding_bags if prefix == "embedding_bags." else module.embeddings
    for config in configs:
        weight = holder[config.name].weight
        yield Table(config.name, f"{path}{prefix}{config.name}.weight", config, _shape(config),
                    (TableBlock(weight, (0, 0)),), sharded=False, replicated=True)


def _blocks(value: Any, where: str) -> tuple[tuple[TableBlock, ...], bool]:
    """This rank's blocks of one state-dict entry of a sharded collection, and whether the
    entry is the whole table replicated on every rank (data-parallel)."""
    if hasattr(value, "local_shards") and hasattr(value, "metadata"):  # a ShardedTensor
        blocks = []
        for shard in value.local_shards():
            row, col = (int(o) for o in shard.metadata.shard_offsets)
            blocks.append(TableBlock(shard.tensor, (row, col)))
        return tuple(blocks), False
    if type(value).__name__ == "DTensor":  # ShardingEnv(output_dtensor=True): a LocalShardsWrapper inside
        local = value.to_local()
        if hasattr(local, "local_shards") and hasattr(local, "local_offsets"):
            return tuple(TableBlock(t, (int(o[0]), int(o[1])))
                         for t, o in zip(local.local_shards(), local.local_offsets())), False
    elif isinstance(value, torch.Tensor):
        return (TableBlock(value, (0, 0)),), True
    raise TypeError(f"{where}: TorchRec keeps this table as a {type(value).__name__}, which fastinit.torchrec "
                    "does not read (it reads ShardedTensor local shards, DTensors of TorchRec's "
                    "LocalShardsWrapper and plain tensors); fill its local blocks with fastinit's "
                    "full_shape/index arguments")


def _sharded(path: str, module: Any) -> Iterator[Table]:
    prefix, configs = _configs(module)
    state = module.state_dict(keep_vars=True)
    for config in configs:
        key = f"{prefix}{config.name}.weight"
        if key not in state:
            raise TypeError(f"{path}{key}: not in the sharded collection's state_dict (a virtual or key-value "
                            "table?); fastinit.torchrec fills tables whose weights TorchRec holds in memory")
        blocks, replicated = _blocks(state[key], path + key)
        yield Table(config.name, path + key, config, _shape(config), blocks, sharded=True, replicated=replicated)


def find_tables(model: torch.nn.Module) -> list[Table]:
    """Every embedding table of ``model`` (sharded or not), in module order.

    Raises:
        TypeError: ``model`` is not a ``torch.nn.Module``, or a table is held in a form that is
            not read here (named).
        ValueError: ``model`` holds no TorchRec embedding collection.
        ImportError: TorchRec is not installed.
    """
    if not isinstance(model, torch.nn.Module):
        raise TypeError("model must be a torch.nn.Module (a TorchRec model, sharded or not), got "
                        f"{type(model).__name__}")
    plain, sharded = _kinds()
    tables: list[Table] = []
    inside: list[str] = []  # the collections found: their children are theirs
    for name, module in model.named_modules():
        if any(name.startswith(p) for p in inside):
            continue
        path = f"{name}." if name else ""
        if isinstance(module, sharded):
            tables.extend(_sharded(path, module))
        elif isinstance(module, plain):
            tables.extend(_unsharded(path, module))
        else:
            continue
        inside.append(path)
    if not inside:
        raise ValueError(f"{type(model).__name__} holds no TorchRec EmbeddingBagCollection or EmbeddingCollection "
                         "(sharded or not); for other modules use fastinit.torch.init_module")
    return tables
