"""``fastinit.torchrec``: TorchRec's embedding tables, the same values under any sharding plan.

Importing this module imports PyTorch; TorchRec is imported when a function is first called
(``import fastinit`` imports neither).

- :func:`init_tables`: every table of a TorchRec model, unsharded or sharded by
  ``DistributedModelParallel`` (table-wise, row-wise, column-wise, table-row-wise, grid,
  data-parallel), each rank writing only the blocks it holds, with the whole table's values at
  their positions: element ``(row, col)`` of a table is a function of (seed, the table's name,
  ``row``, ``col``). TorchRec's default distribution per table, or any fastinit initializer.
- :func:`fingerprint_tables`: one digest per table, equal on every rank and for every plan and
  world size, without gathering a table.
- :func:`init_admitted_rows`: managed-collision tables, each slot's row by the ID it holds
  (:func:`fastinit.rows` with ``hashed=True``), whatever slot and order the IDs got.

See docs/guide/torchrec.md.
"""

from __future__ import annotations

from .admitted import init_admitted_rows
from .fingerprint import fingerprint_tables
from .init import TableInit, init_tables
from .tables import Table, TableBlock, find_tables

__all__ = ["init_tables", "fingerprint_tables", "init_admitted_rows", "find_tables", "Table", "TableBlock", "TableInit"]
