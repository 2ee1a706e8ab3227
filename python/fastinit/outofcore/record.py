"""The resume record (the *sidecar*, ``TABLE.fastinit.json``): what it holds, how it is written
(atomically, and durably when asked), read, kept up to date by a background checkpointer, and
removed once the table is complete."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shlex
import tempfile
import threading
import time
from collections.abc import Mapping
from typing import Any

from .._core import STREAM_VERSION
from .._version import __version__
from .common import TableDataError
from .plan import TablePlan
from .record_check import RECORD_VERSION, check_record

__all__ = ["RECORD_VERSION", "Checkpointer", "command", "fsync_dir", "jsonable", "new_record", "read_record",
           "remove_stale_temporaries",
           "remove_record", "write_first_record", "write_json_atomic"]

_ABOUT = ("fastinit's record of an INCOMPLETE table: resume it with the command below plus --resume; "
          "the record is removed when the table is complete")


def write_json_atomic(path: str, data: Mapping[str, Any], durable: bool) -> None:
    """Replace ``path`` with ``data`` as JSON, atomically: a new temporary file in the same
    directory (created exclusively, so never through a symbolic link or over another file), then
    ``os.replace``; ``durable``: flush the new file to disk (``fsync``) first. On failure the
    temporary file is removed and ``path`` is unchanged."""
    folder, name = os.path.split(os.path.abspath(path))
    tmp = ""
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
            f.flush()
            if durable:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp:
            with contextlib.suppress(OSError):
                os.remove(tmp)
        if isinstance(exc, OSError) and exc.errno is not None:
            raise OSError(exc.errno, exc.strerror, path) from None  # name the record, not the temporary
        raise


def remove_stale_temporaries(path: str) -> None:
    """Remove the temporaries of :func:`write_json_atomic` for ``path`` that a killed run left
    (call it holding the table's lock: no live run writes them then)."""
    folder, name = os.path.split(os.path.abspath(path))
    for tmp in glob.glob(os.path.join(glob.escape(folder), f".{glob.escape(name)}.*.tmp")):
        with contextlib.suppress(OSError):
            os.remove(tmp)


def fsync_dir(path: str) -> None:
    """Flush the directory holding ``path`` (so a created, replaced or removed name is on disk);
    quietly does nothing where directories cannot be opened or flushed."""
    try:
        fd = os.open(os.path.dirname(os.path.abspath(path)) or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_record(path: str) -> dict[str, Any] | None:
    """The record at ``path``, checked (every field of the right type and in range), or None when
    there is none; TableDataError naming the file when it cannot be read or used."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        why = exc.strerror if isinstance(exc, OSError) else f"not valid JSON ({exc})"
        raise TableDataError(f"cannot read the resume record {path}: {why}; start over with --force") from None
    check_record(data, path)
    assert isinstance(data, dict)
    return data


def jsonable(params: Mapping[str, Any]) -> dict[str, Any]:
    """``params`` as JSON gives them back (tuples as lists), so records compare equal."""
    out: dict[str, Any] = json.loads(json.dumps({k: list(v) if isinstance(v, tuple) else v
                                                 for k, v in params.items()}))
    return out


def _reads_as_number(text: str) -> bool:
    """Would the command line take ``text`` (given to --stream) as a number rather than a name?"""
    for base in (10, 0):
        try:
            int(text, base)
            return True
        except ValueError:
            pass
    return False


def _value_text(v: Any) -> str:
    """A parameter value as the command line reads it back (a 1-tuple of axes keeps its comma)."""
    if isinstance(v, (tuple, list)):
        return ",".join(str(x) for x in v) + ("," if len(v) < 2 else "")
    return str(v)


def command(path: str, record: Mapping[str, Any]) -> str:
    """The ``fastinit init`` command line that writes the table of ``record`` at ``path``, shell
    quoted, such that pasted into a shell it gives the same settings (``--resume`` appended, it
    resumes the table): streams and parameters in ``--name=value`` form, a stream name that would
    read as a number given as its number, a path starting with ``-`` as ``./-...``."""
    if path.startswith("-"):
        path = os.path.join(".", path)
    parts = ["fastinit", "init", path, "--shape=" + ",".join(str(d) for d in record["shape"]),
             "--init=" + str(record["init"]), "--dtype=" + str(record["dtype"]), f"--seed={record['seed']}"]
    arg = record.get("stream_arg")
    if isinstance(arg, str) and not _reads_as_number(arg):
        parts.append("--stream=" + arg)
    elif record["stream"] != 0:
        parts.append(f"--stream={record['stream']}")
    for k, v in sorted(record["params"].items()):
        parts.append(f"--{k.replace('_', '-')}={_value_text(v)}")
    return " ".join(shlex.quote(p) for p in parts)


def new_record(plan: TablePlan) -> dict[str, Any]:
    """The record of a table about to be written by ``plan``, nothing done yet."""
    named = plan.named
    record = {
        "fastinit_sidecar": RECORD_VERSION,
        "about": _ABOUT,
        "format": plan.fmt, "shape": list(plan.shape), "dtype": plan.dtname, "init": named.name,
        "params": jsonable(named.params), "seed": plan.seed, "stream": plan.stream, "stream_arg": plan.stream_arg,
        "stream_version": STREAM_VERSION, "fastinit_version": __version__, "elements_total": plan.total,
        "elements_done": 0, "chunk_bytes": plan.chunk_bytes, "zarr_chunk_rows": plan.zarr_chunk_rows,
    }
    record["command"] = command(plan.path, record)
    return record


def write_first_record(sidecar: str, record: Mapping[str, Any], durable: bool) -> None:
    """Write the record of a new table (no statistics yet), before the table itself is created."""
    write_json_atomic(sidecar, dict(record, stats=None), durable)
    if durable:
        fsync_dir(sidecar)


def remove_record(sidecar: str, durable: bool) -> None:
    """Remove the record of a table now complete (or of a start that failed)."""
    with contextlib.suppress(FileNotFoundError):
        os.remove(sidecar)
    if durable:
        fsync_dir(sidecar)


Checkpoint = tuple[int, dict[str, Any]]
"""``(elements done, statistics)`` handed to the checkpointer."""


class Checkpointer:
    """Records progress in the sidecar from a background thread: flush the data (``fsync``), then
    replace the sidecar; at most one checkpoint per ``interval`` seconds, the last one on close."""

    def __init__(self, sidecar: str, record: dict[str, Any], fd: int | None, durable: bool,
                 interval: float = 0.5):
        self.sidecar, self.record, self.fd, self.durable = sidecar, record, fd, durable
        self.interval = interval
        self.error: BaseException | None = None
        self._pending: Checkpoint | None = None
        self._committed = record["elements_done"]
        self._cond = threading.Condition()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fastinit-checkpoint", daemon=True)
        self._thread.start()

    def advance(self, done: int, stats: dict[str, Any] | None) -> None:
        """``done`` elements are written (with these statistics): record it soon. Raises what the
        background thread failed with, if it did."""
        with self._cond:
            self._pending = (done, stats or {})
            self._cond.notify()
        if self.error is not None:
            raise self.error

    def _commit(self, item: Checkpoint) -> None:
        """Flush the data, then replace the record (unless nothing changed)."""
        done, stats = item
        if done == self._committed:
            return
        if self.fd is not None and self.durable:
            os.fsync(self.fd)
        rec = dict(self.record, elements_done=done, stats=stats, updated=time.strftime("%Y-%m-%dT%H:%M:%S"))
        write_json_atomic(self.sidecar, rec, self.durable)
        self._committed = done

    def _take(self) -> Checkpoint | None:
        """Wait for the next state to record (None once closed with nothing pending)."""
        with self._cond:
            while self._pending is None and not self._closed.is_set():
                self._cond.wait()
            item, self._pending = self._pending, None
            return item

    def _run(self) -> None:
        try:
            while True:
                item = self._take()
                if item is None:
                    return
                self._commit(item)
                if self._closed.wait(self.interval):
                    return
        except BaseException as exc:  # reported to the writing thread
            self.error = exc

    def close(self) -> None:
        """Stop the thread and commit the last state handed over (synchronously)."""
        self._closed.set()
        with self._cond:
            self._cond.notify()
        self._thread.join()
        with self._cond:
            item, self._pending = self._pending, None
        if item is not None:
            self._commit(item)
        if self.error is not None:
            raise self.error
