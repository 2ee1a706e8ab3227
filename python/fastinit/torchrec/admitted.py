"""``init_admitted_rows``: a managed-collision table's rows by the IDs its slots hold.

TorchRec's managed-collision (MC) collections remap raw IDs onto the ``zch_size`` rows ("slots")
of a table: an ``MCHManagedCollisionModule`` keeps ``_mch_sorted_raw_ids`` (the IDs it holds,
sorted; ``2**63 - 1`` where a slot is free) and ``_mch_remapped_ids_mapping`` (the slot of each).
Which slot an ID gets depends on the order and batches the IDs came in. Here the row of a slot
holding ID ``x`` gets row ``x`` of the hashed table of :func:`fastinit.rows` (``hashed=True``): a
function of (seed, table name, ``x``) only, whatever the slot. TorchRec's module-level hook for
evictions (``torchrec.modules.mc_embedding_modules.evict``) does nothing, so the caller runs this
after a forward pass has admitted IDs, on the slots it admitted (``mc.evict()`` names them) or on
every held slot.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from ..core.seed import resolve_seed
from ..torch.rows import rows_
from .tables import INSTALL_HINT

__all__ = ["init_admitted_rows"]

_FREE = (1 << 63) - 1  # the ID of a free slot in TorchRec's MCH buffers


def _mc_collections(model: torch.nn.Module) -> list[tuple[str, Any]]:
    try:
        from torchrec.modules.mc_embedding_modules import BaseManagedCollisionEmbeddingCollection
    except ImportError as exc:
        raise ImportError(f"fastinit.torchrec needs TorchRec ({exc}); {INSTALL_HINT}") from exc
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    found = [(n, m) for n, m in model.named_modules() if isinstance(m, BaseManagedCollisionEmbeddingCollection)]
    if not found:
        raise ValueError(f"{type(model).__name__} holds no unsharded TorchRec managed-collision collection "
                         "(ManagedCollisionEmbeddingBagCollection / ManagedCollisionEmbeddingCollection)")
    return found


def _held(mch: Any, where: str) -> tuple[torch.Tensor, torch.Tensor]:
    """(IDs, their rows in the table) of every slot ``mch`` holds."""
    ids = getattr(mch, "_mch_sorted_raw_ids", None)
    mapping = getattr(mch, "_mch_remapped_ids_mapping", None)
    if ids is None or mapping is None:
        raise TypeError(f"{where}: a {type(mch).__name__}, not TorchRec's MCHManagedCollisionModule; "
                        "fastinit.torchrec reads the ID of each slot from the MCH module's buffers")
    held = ids != _FREE
    return ids[held], mapping[held] - int(getattr(mch, "_output_global_offset", 0))


def _table_rows(mc: Any, path: str, name: str, chosen: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(weight, IDs, rows) of table ``name`` of collection ``mc``: the held slots, or those of
    them in ``chosen``."""
    collection = mc._managed_collision_collection
    mch = collection._managed_collision_modules[name]
    ids, slots = _held(mch, f"{path}{name}")
    if chosen is not None:
        wanted = torch.as_tensor(chosen, dtype=slots.dtype).reshape(-1)
        empty = wanted[~torch.isin(wanted, slots)]
        if empty.numel():
            raise ValueError(f"init_admitted_rows: slots {empty.tolist()} of table {name!r} hold no ID (free, or "
                             f"not rows of the table); name slots that hold IDs")
        keep = torch.isin(slots, wanted)
        ids, slots = ids[keep], slots[keep]
    embeddings = mc._embedding_module
    holder = embeddings.embedding_bags if hasattr(embeddings, "embedding_bags") else embeddings.embeddings
    return holder[name].weight, ids, slots


def init_admitted_rows(model: torch.nn.Module, seed: int, *, init: Any = None,
                       slots: Mapping[str, Any] | None = None) -> torch.nn.Module:
    """Fill the rows of managed-collision tables by the IDs their slots hold, in place.

    For every ``ManagedCollisionEmbeddingBagCollection`` / ``ManagedCollisionEmbeddingCollection``
    of ``model`` (unsharded), the row of each slot that holds ID ``x`` becomes row ``x`` of the
    table's hashed rows: ``fastinit.rows(init, [x], dim, seed=seed, stream=table name,
    hashed=True)``. So an ID gets the same row whichever slot it lands in, in whatever order and
    batches the IDs arrive. The IDs are those the MCH module keys its slots by (after its
    ``input_hash_func``). A table on a CUDA (or ROCm) GPU gets its rows computed on the device
    (:func:`fastinit.torch.rows_`: fastinit.gpu's kernels; without Triton, on the host and copied,
    with a :class:`~fastinit.torch.device_fill.SlowPathWarning`).

    Args:
        model: A module holding unsharded TorchRec managed-collision collections with
            ``MCHManagedCollisionModule`` remappers, after forward passes admitted IDs.
        seed: The Philox key, an int in [0, 2**64).
        init: ``None`` (the default): TorchRec's distribution for the table, uniform on
            ``[weight_init_min, weight_init_max]`` (``+-sqrt(1/num_embeddings)`` when unset). Else
            an initializer :func:`fastinit.rows` takes (a name, a fastinit function or a
            :func:`fastinit.get` initializer) whose values do not depend on the row count.
        slots: ``None`` (the default): every slot that holds an ID (right after the IDs were
            admitted, or to recompute rows never trained). Or ``{table name: row indices}``: only
            those slots (e.g. what the MC collection's ``evict()`` returned: the slots that
            changed IDs); tables not named are left alone.

    Returns:
        ``model``.

    Raises:
        TypeError: ``seed`` is not an int, or a remapper that is not an MCH module.
        ValueError: no managed-collision collection, ``slots`` naming an unknown table or a slot
            that holds no ID, a table on a device other than the CPU and CUDA, or an ``init``
            whose values depend on the row count. Every check runs before anything is written.
        ImportError: TorchRec is not installed.

    Example:
        >>> import torch, torchrec, fastinit, fastinit.torchrec as ftr
        >>> from torchrec.modules.mc_modules import (DistanceLFU_EvictionPolicy, ManagedCollisionCollection,
        ...                                          MCHManagedCollisionModule)
        >>> from torchrec.modules.mc_embedding_modules import ManagedCollisionEmbeddingBagCollection
        >>> config = torchrec.EmbeddingBagConfig(name="ads", num_embeddings=16, embedding_dim=4, feature_names=["ad"])
        >>> mch = MCHManagedCollisionModule(zch_size=16, device=torch.device("cpu"), eviction_interval=1,
        ...                                 eviction_policy=DistanceLFU_EvictionPolicy())
        >>> mc = ManagedCollisionEmbeddingBagCollection(torchrec.EmbeddingBagCollection(tables=[config]),
        ...     ManagedCollisionCollection({"ads": mch}, [config]), return_remapped_features=True)
        >>> ids = torch.tensor([10**12, 42])
        >>> _, remapped = mc(torchrec.KeyedJaggedTensor.from_lengths_sync(["ad"], ids, torch.tensor([1, 1])))
        >>> slots = remapped["ad"].values()  # the free slots the two IDs were given
        >>> _ = ftr.init_admitted_rows(mc, seed=0)  # TorchRec's default for 16 rows: uniform(-0.25, 0.25)
        >>> want = fastinit.rows("uniform", ids, 4, seed=0, stream="ads", hashed=True, low=-0.25, high=0.25)
        >>> torch.equal(mc._embedding_module.embedding_bags["ads"].weight[slots], torch.from_numpy(want))
        True
    """
    if seed is None or isinstance(seed, bool):
        raise TypeError(f"init_admitted_rows: seed must be an int in [0, 2**64), got {seed!r}")
    key = resolve_seed(seed)
    collections = _mc_collections(model)
    every = [name for _, mc in collections for name in mc._managed_collision_collection._managed_collision_modules]
    unknown = sorted(set(slots or {}) - set(every))
    if unknown:
        raise ValueError(f"init_admitted_rows: slots names tables the model lacks: {unknown}; its "
                         f"managed-collision tables: {every}")
    work = []
    for path, mc in collections:
        prefix = f"{path}." if path else ""
        names = list(mc._managed_collision_collection._managed_collision_modules)
        configs = {c.name: c for c in mc._managed_collision_collection.embedding_configs()}
        for name in names:
            if slots is not None and name not in slots:
                continue
            weight, ids, rows_at = _table_rows(mc, prefix, name, None if slots is None else slots[name])
            work.append((configs[name], weight, ids, rows_at))
    filled = [(weight, rows_at, _values(config, weight, ids, init, key)) for config, weight, ids, rows_at in work]
    with torch.no_grad():
        for weight, rows_at, values in filled:  # every row computed: now write
            weight.detach()[rows_at] = values
            torch.autograd.graph.increment_version(weight)
    return model


def _values(config: Any, weight: torch.Tensor, ids: torch.Tensor, init: Any, seed: int) -> torch.Tensor:
    """The rows of ``ids`` in the table's hashed rows: a tensor of the weight's dtype on its
    device (a GPU's computed there by :func:`fastinit.torch.rows_`)."""
    if weight.device.type not in ("cpu", "cuda"):
        raise ValueError(f"init_admitted_rows: table {config.name!r} is on {weight.device}; fastinit.torchrec "
                         "fills tables on the CPU and on CUDA (or ROCm) GPUs")
    out = weight.detach().new_empty((len(ids), weight.shape[1]))
    if init is None:
        low, high = float(config.get_weight_init_min()), float(config.get_weight_init_max())
        return rows_(out, "uniform", ids.cpu(), seed=seed, stream=config.name, hashed=True, low=low, high=high)
    return rows_(out, init, ids.cpu(), seed=seed, stream=config.name, hashed=True)
