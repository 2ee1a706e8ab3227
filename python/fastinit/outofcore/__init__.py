"""Tables larger than memory: write a ``.npy`` file (or a zarr v3 array) in chunks, with bounded
memory, progress, a resumable record of what is done, a summary, and verification.

:func:`write_table` fills the table one chunk at a time, each chunk a slice of the full tensor
(``full_shape``/``index``), so the file equals an in-memory fill of the whole tensor bit for bit
whatever the chunk size, and fans come from the full shape. A ``.npy`` file is written through a
memory map of one chunk at a time (mapped, filled by every core, unmapped): resident memory stays
near one chunk (``chunk_mb``) plus the interpreter, whatever the table's size. A ``.zarr`` path
(a directory) is a zarr v3 array, uncompressed, chunked along the rows; it needs ``zarr``.

Resume. Beside the table, ``TABLE.fastinit.json`` (the *sidecar*) records the settings (shape,
dtype, initializer and parameters, seed, stream, stream version) and how many elements are done.
It is written first, replaced atomically (a temporary file created exclusively in the same
folder, then ``os.replace``) after each checkpoint -- for ``.npy`` only after the data it counts
is flushed to disk (``fsync``) --, and removed only once the table is complete; it is checked
(types, ranges, and that the table holds what it counts) before a resume trusts it. While it
exists, a ``.npy`` file's header is a placeholder, so ``numpy.load`` refuses the file: an
interrupted or killed run never leaves a file that looks complete. ``resume=True`` continues from
the record (values are a pure function of the position, so the result equals an uninterrupted
run bit for bit) and refuses a record whose settings differ.

Safety. A run holds an exclusive lock on the table (``TABLE.fastinit.lock``) for its whole
length, checks every setting before it deletes or creates anything, creates its files
exclusively (never through a symbolic link), and writes through a memory map only blocks it
reserved (elsewhere ``pwrite``, so a full disk is an error, not a crash). A run completes the
table, or keeps a record from which a resume completes it, or leaves nothing new behind.

:func:`verify_table` recomputes a sample of rows (or all of them) and compares the bits.

``FASTINIT_DEBUG_CHUNK_SLEEP`` (seconds) and ``FASTINIT_DEBUG_CHUNK_GATE`` (a named pipe)
(environment) are testing aids that slow or hold the write loop after every chunk (see :mod:`.writer`).

The modules, one concern each:

- :mod:`.writer` -- :func:`write_table` and the write loop;
- :mod:`.lock` -- the table's lock, held for the whole run (``TABLE.fastinit.lock``);
- :mod:`.plan` -- the settings, checked, and the chunk sizes;
- :mod:`.resume` -- where a run starts: new, or continued from the record (and the settings check);
- :mod:`.record`, :mod:`.record_check` -- the resume record: its contents, atomic writes, the
  checkpointer; checking a record before it is trusted;
- :mod:`.targets`, :mod:`.npy_target`, :mod:`.zarr_target` -- opening, filling and completing
  the table on disk;
- :mod:`.npy` -- ``.npy`` headers, the placeholder, reserving disk space;
- :mod:`.stats`, :mod:`.progress`, :mod:`.summary`, :mod:`.signals` -- statistics, progress,
  the summary, stopping between chunks on SIGINT/SIGTERM;
- :mod:`.blocks` -- the walk over the table in contiguous blocks;
- :mod:`.verify` -- :func:`verify_table`.
"""

from __future__ import annotations

from .blocks import blocks
from .common import LOCK_SUFFIX, SIDECAR_SUFFIX, TableDataError, TableError, lock_path, sidecar_path, table_format
from .npy import read_npy_header
from .progress import Progress
from .stats import Stats, as_float
from .summary import TableSummary
from .verify import VerifyResult, open_for_reading, verify_table
from .writer import write_table

# Old private names, still imported from here by fastinit.cli and the tests (not part of the API).
_table_format = table_format
_open_for_reading = open_for_reading
_as_float = as_float

__all__ = ["LOCK_SUFFIX", "SIDECAR_SUFFIX", "Progress", "Stats", "TableDataError", "TableError", "TableSummary",
           "VerifyResult", "blocks", "lock_path", "read_npy_header", "sidecar_path", "verify_table", "write_table"]
