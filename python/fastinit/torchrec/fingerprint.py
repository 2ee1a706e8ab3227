"""``fingerprint_tables``: one digest per embedding table, the same for every sharding plan.

Each rank hashes the blocks it holds at their places in the whole table (the digest of disjoint
parts adds up to the whole one's: docs/fingerprint.md); the sums over ranks of the sharded tables
travel in one ``all_gather`` of an int64 vector. No weight is gathered.
"""

from __future__ import annotations

from typing import Any

import torch

from ..fingerprint import MODULUS
from ..torch.fingerprint import fingerprint
from .tables import Table, find_tables

__all__ = ["fingerprint_tables"]


def _share(table: Table, rank: int) -> int:
    """This rank's share of the table's digest: its blocks at their places (a replicated table
    is counted from rank 0 of the group)."""
    if table.replicated and table.sharded and rank != 0:
        return 0
    total = 0
    for block in table.blocks:
        try:
            total += fingerprint(block.tensor, full_shape=table.shape, index=block.index())
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"fingerprint_tables: {table.path}: {exc}") from exc
    return total % MODULUS


def _summed(values: list[int], group: Any) -> list[int]:
    """``values`` summed mod 2**64 over the ranks of ``group``: one all_gather of int64 (an
    all_reduce SUM of int64 could overflow)."""
    import torch.distributed as dist
    backend = str(dist.get_backend(group))
    device = torch.device("cuda", torch.cuda.current_device()) if "nccl" in backend else torch.device("cpu")
    vec = torch.tensor([v - MODULUS if v >= 1 << 63 else v for v in values], dtype=torch.int64, device=device)
    gathered = [torch.empty_like(vec) for _ in range(dist.get_world_size(group))]
    dist.all_gather(gathered, vec, group=group)
    rows = torch.stack(gathered).cpu().tolist()
    return [sum(column) % MODULUS for column in zip(*rows)]


def fingerprint_tables(model: torch.nn.Module, *, group: Any = None) -> dict[str, int]:
    """One 64-bit digest per embedding table of a TorchRec model, equal for every sharding.

    The digest of a table is :func:`fastinit.fingerprint` of the whole table (one hash per
    element of its place and bits, summed mod 2**64). On a sharded model each rank hashes the
    blocks it holds at their places and the shares are summed across the ranks of ``group`` with
    one ``all_gather`` of an int64 vector (data-parallel tables are counted once, from rank 0 of
    the group); no table is gathered. So every rank gets the same dict, and the same model under
    two plans, or unsharded, gives the same dict iff its tables are equal (up to a 2**-64 chance).
    Unsharded models communicate nothing.

    Args:
        model: A ``DistributedModelParallel`` or a module holding TorchRec embedding collections.
            Every rank of ``group`` must call this when the model is sharded.
        group: The process group the model is sharded over; ``None`` (the default): the default
            process group.

    Returns:
        ``{table name: digest}``, digests ints in [0, 2**64), in module order.

    Raises:
        ValueError: two tables with one name, a meta tensor, or a model without TorchRec tables.
        TypeError: an unsupported dtype, or a table held in a form not read here.
        ImportError: TorchRec is not installed.

    Example:
        >>> import torch, torchrec, fastinit.torchrec as ftr
        >>> def ebc():
        ...     config = torchrec.EmbeddingBagConfig(name="ads", embedding_dim=8, num_embeddings=100,
        ...                                          feature_names=["i"])
        ...     return torchrec.EmbeddingBagCollection(tables=[config])
        >>> a, b = ftr.init_tables(ebc(), seed=0), ftr.init_tables(ebc(), seed=0)
        >>> ftr.fingerprint_tables(a) == ftr.fingerprint_tables(b)
        True
    """
    tables = find_tables(model)
    seen: dict[str, str] = {}
    for table in tables:
        if table.name in seen:
            raise ValueError(f"fingerprint_tables: two tables are named {table.name!r} ({seen[table.name]} and "
                             f"{table.path}); the digests are keyed by table name")
        seen[table.name] = table.path
    sharded = [i for i, t in enumerate(tables) if t.sharded]
    rank = 0
    if sharded:
        import torch.distributed as dist
        if dist.is_available() and dist.is_initialized():
            rank = dist.get_rank(group)
        else:
            sharded = []
    digests = [_share(t, rank) for t in tables]
    if sharded:
        for i, total in zip(sharded, _summed([digests[i] for i in sharded], group)):
            digests[i] = total
    return {t.name: d for t, d in zip(tables, digests)}
