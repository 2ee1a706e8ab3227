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
It is written first, replaced atomically (``os.replace``) after each checkpoint -- for ``.npy``
only after the data it counts is flushed to disk (``fsync``) --, and removed only once the table
is complete. While it exists, a ``.npy`` file's header is a placeholder, so ``numpy.load`` refuses
the file: an interrupted or killed run never leaves a file that looks complete. ``resume=True``
continues from the record (values are a pure function of the position, so the result equals an
uninterrupted run bit for bit) and refuses a record whose settings differ.

:func:`verify_table` recomputes a sample of rows (or all of them) and compares the bits.

``FASTINIT_DEBUG_CHUNK_SLEEP`` (seconds, environment) sleeps after every chunk: a testing aid
that makes a run slow enough to interrupt.
"""

from __future__ import annotations

import errno
import io
import json
import math
import os
import resource
import shlex
import shutil
import signal
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Mapping, Optional, TextIO, Tuple

import numpy as np

from .. import _runtime
from .._dtypes import FLOAT_FORMATS, bfloat16, format_of, resolve_dtype
from .._layout import as_shape
from .._named import Expected, NamedInit, check_and_expect, resolve
from .._seed import resolve_seed, resolve_stream

__all__ = ["TableError", "TableSummary", "VerifyResult", "write_table", "verify_table", "sidecar_path",
           "blocks", "read_npy_header"]

SIDECAR_SUFFIX = ".fastinit.json"
_SIDECAR_VERSION = 1
_STATS_PART = 1 << 18  # elements per statistics task
_DEBUG_SLEEP = "FASTINIT_DEBUG_CHUNK_SLEEP"
_DTYPE_NAMES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64",
                np.dtype(np.float16): "float16", bfloat16: "bfloat16"}


class TableError(ValueError):
    """A table cannot be written or verified as asked (the message says how to fix it)."""


def sidecar_path(path: Any) -> str:
    """Where the record of an incomplete table lives: ``TABLE`` + ``.fastinit.json``."""
    return os.fspath(path) + SIDECAR_SUFFIX


def _table_format(path: str) -> str:
    p = path.rstrip("/").lower()
    if p.endswith(".npy"):
        return "npy"
    if p.endswith(".zarr"):
        return "zarr"
    raise TableError(f"cannot tell the format of {path!r}: name the table TABLE.npy (a NumPy file) "
                     "or TABLE.zarr (a zarr v3 array)")


def _prod(shape: Tuple[int, ...]) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


def _c_strides(shape: Tuple[int, ...]) -> Tuple[int, ...]:
    out, step = [], 1
    for d in reversed(shape):
        out.append(step)
        step *= d
    return tuple(reversed(out))


def blocks(shape: Tuple[int, ...], start: int, stop: int,
           max_elements: int) -> Iterator[Tuple[int, int, Tuple[Any, ...], Tuple[int, ...]]]:
    """Cover the flat C-order range ``[start, stop)`` of a tensor of ``shape`` with contiguous
    blocks of at most ``max_elements`` (>= 1) elements, in order.

    Yields ``(flat_start, count, index, block_shape)``: ``index`` (ints then one step-1 slice) is
    the block's place in the full tensor and ``block_shape`` the shape of ``full[index]``. Blocks
    are whole rows when a row fits, else pieces of a row (and so on down the axes).
    """
    if max_elements < 1:
        raise ValueError("max_elements must be >= 1")
    if not shape:
        if start < stop:
            yield 0, 1, (), ()
        return
    strides = _c_strides(shape)
    p = start
    while p < stop:
        limit = min(stop - p, max_elements)
        k = len(shape) - 1
        for axis, st in enumerate(strides):
            if p % st == 0 and st <= limit:
                k = axis
                break
        coords, rem = [], p
        for st in strides[:k + 1]:
            coords.append(rem // st)
            rem %= st
        m = min(shape[k] - coords[k], limit // strides[k])
        index = tuple(coords[:k]) + (slice(coords[k], coords[k] + m),)
        yield p, m * strides[k], index, (m,) + shape[k + 1:]
        p += m * strides[k]


# --- .npy files --------------------------------------------------------------------------------

def _npy_header(shape: Tuple[int, ...], dtype: np.dtype) -> bytes:
    d = {"descr": np.lib.format.dtype_to_descr(dtype), "fortran_order": False, "shape": shape}
    buf = io.BytesIO()
    try:
        np.lib.format.write_array_header_1_0(buf, d)
    except ValueError:  # header too long for version 1.0
        buf = io.BytesIO()
        np.lib.format.write_array_header_2_0(buf, d)
    return buf.getvalue()


def _placeholder(length: int, sidecar: str) -> bytes:
    text = (b"\x93FASTINIT incomplete table: do not use; see "
            + os.path.basename(sidecar).encode("utf-8", "replace"))
    text = text[:length - 1]
    return text + b" " * (length - 1 - len(text)) + b"\n"


def _preallocate(fd: int, offset: int, length: int, path: str) -> None:
    """Reserve the table's blocks up front (Linux ``fallocate``): writes through the memory map
    then skip the file system's per-page block allocation (several times faster on ext4), and a
    full disk is reported now rather than as a crash mid-run. Elsewhere, or on a file system
    without ``fallocate``, the file stays sparse (no slow emulation that writes zeros)."""
    if length <= 0 or not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fallocate = libc.fallocate
    except (OSError, AttributeError):
        return
    fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
    fallocate.restype = ctypes.c_int
    if fallocate(fd, 0, offset, length) != 0:
        err = ctypes.get_errno()
        if err == errno.ENOSPC:
            free = shutil.disk_usage(os.path.dirname(os.path.abspath(path))).free
            raise TableError(f"not enough disk space for {path}: the table needs {length / 1e9:,.2f} GB, "
                             f"{free / 1e9:,.2f} GB are free")


def read_npy_header(path: str) -> Tuple[Tuple[int, ...], np.dtype, int]:
    """``(shape, dtype, data offset)`` of a C-order ``.npy`` file (TableError otherwise)."""
    with open(path, "rb") as f:
        head = f.read(16)
        if head.startswith(b"\x93FASTINIT"):
            raise TableError(f"{path} is an incomplete fastinit table (its header is a placeholder); "
                             f"finish it with `fastinit init ... --resume` or rewrite it with --force")
        f.seek(0)
        try:
            version = np.lib.format.read_magic(f)
            if version == (1, 0):
                shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
            else:
                shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        except ValueError as exc:
            raise TableError(f"{path} is not a .npy file: {exc}") from None
        offset = f.tell()
    if fortran and len(shape) > 1:
        raise TableError(f"{path} is in Fortran order; fastinit writes and verifies C-order tables")
    return tuple(shape), np.dtype(dtype), offset


# --- statistics --------------------------------------------------------------------------------

_F16_SCALE = np.float32(2.0**112)


def _as_float(x: np.ndarray, dtname: str) -> np.ndarray:
    """``x`` as float32 (float32/float64 unchanged), exactly, for the statistics."""
    if dtname == "bfloat16":
        a = x.view(np.uint16).astype(np.uint32)
        np.left_shift(a, 16, out=a)
        return a.view(np.float32)
    if dtname == "float16":
        # 3x faster than x.astype(np.float32): move sign, exponent and mantissa into float32's
        # places and rescale by 2**112 (exact for every finite value, subnormals included)
        a = x.view(np.uint16).astype(np.uint32)
        sign = np.bitwise_and(a, 0x8000)
        np.left_shift(sign, 16, out=sign)
        np.bitwise_and(a, 0x7FFF, out=a)
        np.left_shift(a, 13, out=a)
        np.bitwise_or(a, sign, out=a)
        f = a.view(np.float32)
        np.multiply(f, _F16_SCALE, out=f)
        return f
    return x


def _part_stats(x: np.ndarray, dtname: str, shift: float) -> Tuple[int, float, float, float, float]:
    f = _as_float(x, dtname)
    lo, hi = float(f.min()), float(f.max())
    if shift:
        f = f - f.dtype.type(shift)
    return f.size, float(f.sum()), float(np.dot(f, f)), lo, hi


@dataclass
class Stats:
    """Running mean/std/min/max of what was written, in one pass, chunk by chunk. Sums are of
    ``x - shift`` (the expected mean), so they stay accurate when the mean is large."""

    shift: float = 0.0
    count: int = 0
    s1: float = 0.0
    s2: float = 0.0
    min: float = math.inf
    max: float = -math.inf

    def add(self, block: np.ndarray, dtname: str, pool: Optional[ThreadPoolExecutor]) -> None:
        flat = block.reshape(-1)
        if flat.size == 0:
            return
        parts = [flat[i:i + _STATS_PART] for i in range(0, flat.size, _STATS_PART)]
        if pool is not None and len(parts) > 1:
            results = list(pool.map(lambda x: _part_stats(x, dtname, self.shift), parts))
        else:
            results = [_part_stats(x, dtname, self.shift) for x in parts]
        for n, s1, s2, lo, hi in results:
            self.count += n
            self.s1 += s1
            self.s2 += s2
            self.min = min(self.min, lo)
            self.max = max(self.max, hi)

    @property
    def mean(self) -> float:
        return self.shift + self.s1 / self.count if self.count else math.nan

    @property
    def std(self) -> float:
        if not self.count:
            return math.nan
        m = self.s1 / self.count
        return math.sqrt(max(0.0, self.s2 / self.count - m * m))

    def to_json(self) -> Dict[str, Any]:
        return {"shift": self.shift, "count": self.count, "s1": self.s1, "s2": self.s2,
                "min": self.min if math.isfinite(self.min) else None,
                "max": self.max if math.isfinite(self.max) else None}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> "Stats":
        return cls(float(d["shift"]), int(d["count"]), float(d["s1"]), float(d["s2"]),
                   math.inf if d.get("min") is None else float(d["min"]),
                   -math.inf if d.get("max") is None else float(d["max"]))


# --- progress ------------------------------------------------------------------------------------

def _fmt_seconds(s: float) -> str:
    if not math.isfinite(s):
        return "?"
    s = int(round(s))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class Progress:
    """Rows done, GB/s and ETA on ``stream``: a bar redrawn in place (``"bar"``, a terminal), a
    plain line every ``interval`` seconds (``"lines"``), or nothing (``"none"``)."""

    def __init__(self, mode: str, total: int, done: int, row_elements: int, itemsize: int,
                 stream: TextIO, interval: Optional[float] = None, label: str = "rows"):
        if mode == "auto":
            mode = "bar" if getattr(stream, "isatty", lambda: False)() else "lines"
        if mode not in ("bar", "lines", "none"):
            raise TableError(f"progress must be 'auto', 'bar', 'lines' or 'none', got {mode!r}")
        self.mode = mode
        self.total, self.start_done, self.done = total, done, done
        self.row_elements = max(1, row_elements)
        self.itemsize = itemsize
        self.stream = stream
        self.interval = (0.1 if mode == "bar" else 10.0) if interval is None else interval
        self.label = label
        self.t0 = time.perf_counter()
        self.last = -math.inf
        self.width = 0

    def _line(self, now: float) -> str:
        rows, total_rows = self.done // self.row_elements, self.total // self.row_elements
        frac = self.done / self.total if self.total else 1.0
        elapsed = now - self.t0
        written = (self.done - self.start_done) * self.itemsize
        rate = written / elapsed if elapsed > 0 else 0.0
        eta = (self.total - self.done) * self.itemsize / rate if rate > 0 else math.inf
        text = (f"{100 * frac:5.1f}%  {rows:,}/{total_rows:,} {self.label}  {rate / 1e9:.2f} GB/s  "
                f"ETA {_fmt_seconds(eta)}")
        if self.mode == "bar":
            n = 24
            filled = int(frac * n)
            return f"[{'#' * filled}{'-' * (n - filled)}] {text}"
        return f"fastinit: {text}"

    def update(self, done: int, force: bool = False) -> None:
        self.done = done
        if self.mode == "none":
            return
        now = time.perf_counter()
        if not force and now - self.last < self.interval:
            return
        self.last = now
        line = self._line(now)
        if self.mode == "bar":
            pad = max(0, self.width - len(line))
            self.stream.write("\r" + line + " " * pad)
            self.width = len(line)
        else:
            self.stream.write(line + "\n")
        self.stream.flush()

    def finish(self) -> None:
        if self.mode == "none":
            return
        self.update(self.done, force=True)
        if self.mode == "bar":
            self.stream.write("\n")
            self.stream.flush()


# --- the sidecar ---------------------------------------------------------------------------------

def _write_json_atomic(path: str, data: Mapping[str, Any], durable: bool) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
        f.flush()
        if durable:
            os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: str) -> None:
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


def _read_sidecar(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise TableError(f"cannot read the resume record {path}: {exc}; delete the table and the "
                         "record and start over (or use --force)") from None
    if not isinstance(data, dict) or data.get("fastinit_sidecar") != _SIDECAR_VERSION:
        raise TableError(f"{path} is not a fastinit resume record this version understands; start over "
                         "with --force")
    return data


class _Checkpointer:
    """Records progress in the sidecar from a background thread: flush the data (``fsync``), then
    replace the sidecar; at most one checkpoint per ``interval`` seconds, the last one on close."""

    def __init__(self, sidecar: str, record: Dict[str, Any], fd: Optional[int], durable: bool,
                 interval: float = 0.5):
        self.sidecar, self.record, self.fd, self.durable = sidecar, record, fd, durable
        self.interval = interval
        self.error: Optional[BaseException] = None
        self._pending: Optional[Tuple[int, Dict[str, Any]]] = None
        self._committed = record["elements_done"]
        self._cond = threading.Condition()
        self._closed = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fastinit-checkpoint", daemon=True)
        self._thread.start()

    def advance(self, done: int, stats: Optional[Dict[str, Any]]) -> None:
        with self._cond:
            self._pending = (done, stats or {})
            self._cond.notify()
        if self.error is not None:
            raise self.error

    def _commit(self, item: Tuple[int, Dict[str, Any]]) -> None:
        done, stats = item
        if done == self._committed:
            return
        if self.fd is not None and self.durable:
            os.fsync(self.fd)
        rec = dict(self.record, elements_done=done, stats=stats, updated=time.strftime("%Y-%m-%dT%H:%M:%S"))
        _write_json_atomic(self.sidecar, rec, self.durable)
        self._committed = done

    def _take(self) -> Optional[Tuple[int, Dict[str, Any]]]:
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


# --- summary -------------------------------------------------------------------------------------

def _peak_rss() -> int:
    r = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(r if sys.platform == "darwin" else r * 1024)


def _g(x: Optional[float]) -> str:
    if x is None:
        return "-"
    if x == 0:
        return "0"
    return f"{x:.4g}"


@dataclass
class TableSummary:
    """What :func:`write_table` did (``str(summary)`` is the text the command line prints)."""

    path: str
    format: str
    shape: Tuple[int, ...]
    dtype: str
    init: str
    seed: int
    stream: int
    elements: int
    nbytes: int
    elements_written: int  # by this run (less than ``elements`` after a resume)
    resumed_from: int  # elements already done when this run started
    seconds: float
    complete: bool
    interrupted: Optional[str]
    stats: Optional[Stats]
    expected: Optional[Expected]
    peak_rss: int
    threads: int
    chunk_bytes: int
    resume_command: str = ""

    @property
    def throughput(self) -> float:
        """Bytes per second written by this run."""
        return self.elements_written * (self.nbytes // max(1, self.elements)) / self.seconds if self.seconds else 0.0

    def __str__(self) -> str:
        shape = " x ".join(f"{d:,}" for d in self.shape) or "scalar"
        state = "wrote" if self.complete else "stopped writing"
        lines = [f"fastinit: {state} {self.path} ({shape} {self.dtype}, {self.elements:,} elements, "
                 f"{self.nbytes / 1e9:.3g} GB)"]
        lines.append(f"  init         {self.init}, seed={self.seed}, stream={self.stream}")
        if self.expected is not None:
            lines.append(f"               = {self.expected.describe()} (fans from the full shape)")
        eps = self.elements_written / self.seconds if self.seconds else 0.0
        lines.append(f"  time         {self.seconds:.2f} s for {self.elements_written:,} elements: "
                     f"{eps / 1e6:,.0f} M elements/s, {self.throughput / 1e9:.2f} GB/s "
                     f"({self.threads} threads, chunks of {self.chunk_bytes / 2**20:g} MiB)")
        if self.resumed_from:
            lines.append(f"  resumed      at element {self.resumed_from:,}")
        lines.append(f"  peak memory  {self.peak_rss / 2**20:,.0f} MiB resident (this process)")
        if self.stats is not None and self.stats.count:
            st = self.stats
            note = "" if st.count == self.elements else f" ({st.count:,} elements written so far)"
            lines.append(f"               {'mean':>11} {'std':>11} {'min':>11} {'max':>11}")
            lines.append(f"  table        {_g(st.mean):>11} {_g(st.std):>11} {_g(st.min):>11} {_g(st.max):>11}{note}")
            ex = self.expected
            if ex is not None:
                lines.append(f"  expected     {_g(ex.mean):>11} {_g(ex.std):>11} {_g(ex.min):>11} {_g(ex.max):>11}")
        if not self.complete and self.resume_command:
            lines.append(f"  continue with: {self.resume_command}")
        return "\n".join(lines)


# --- writing -------------------------------------------------------------------------------------

def _command(path: str, shape: Tuple[int, ...], init: str, dtype: str, seed: int, stream: Any,
             params: Mapping[str, Any]) -> str:
    parts = ["fastinit", "init", path, "--shape", ",".join(str(d) for d in shape), "--init", init,
             "--dtype", dtype, "--seed", str(seed)]
    if stream != 0:
        parts += ["--stream", str(stream)]
    for k, v in sorted(params.items()):
        if isinstance(v, (tuple, list)):
            v = ",".join(str(x) for x in v)
        parts.append(f"--{k.replace('_', '-')}={v}")
    return " ".join(shlex.quote(p) for p in parts)


def _jsonable(params: Mapping[str, Any]) -> Dict[str, Any]:
    return json.loads(json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in params.items()}))


_CHECKED = ("format", "shape", "dtype", "init", "params", "seed", "stream", "stream_version")


def _compare(old: Mapping[str, Any], new: Mapping[str, Any], path: str) -> None:
    diffs = [f"{k}={old.get(k)!r} (now {new.get(k)!r})" for k in _CHECKED if old.get(k) != new.get(k)]
    if diffs:
        raise TableError(
            f"refusing to resume {path}: it was started with different settings: {'; '.join(diffs)}.\n"
            f"Resume it with the original settings:\n  {old.get('command', '?')} --resume\n"
            "or start over with --force.")


@dataclass
class _Plan:
    path: str
    fmt: str
    shape: Tuple[int, ...]
    dtype: np.dtype
    dtname: str
    total: int
    max_elements: int
    zarr_chunk_rows: int = 0


def _debug_sleep() -> float:
    try:
        return float(os.environ.get(_DEBUG_SLEEP, "0") or 0)
    except ValueError:
        return 0.0


def write_table(
    path: Any,
    shape: Any,
    init: Any,
    *,
    seed: Optional[int] = None,
    stream: Any = 0,
    dtype: Any = "float32",
    chunk_mb: float = 64.0,
    zarr_chunk_mb: float = 16.0,
    resume: bool = False,
    force: bool = False,
    progress: str = "none",
    progress_interval: Optional[float] = None,
    progress_stream: Optional[TextIO] = None,
    fsync: bool = True,
    stats: bool = True,
    threads: Optional[int] = None,
    handle_signals: bool = False,
    **params: Any,
) -> TableSummary:
    """Write the table ``init`` fills ``shape`` with to ``path`` (``.npy`` or ``.zarr``), in chunks
    of at most ``chunk_mb`` MiB, and return a :class:`TableSummary`.

    Args:
        path: ``TABLE.npy`` (a NumPy file, written through a memory map) or ``TABLE.zarr`` (a
            zarr v3 array, chunks of about ``zarr_chunk_mb`` MiB of whole rows; needs zarr).
        shape: the table's shape; dtype: float32 (default), float16, bfloat16 (.npy only) or float64.
        init: an initializer name (fastinit's own first, then Keras/PyTorch names, see
            :func:`fastinit.get`) or one of fastinit's functions; ``**params`` its parameters.
        seed, stream: as for every fill; ``seed`` is required for random initializers.
        chunk_mb: the memory budget: the part of the table mapped (and resident) at once.
        resume: continue an interrupted run from its record (refused if the settings differ);
            with no record and no table, start a new one.
        force: overwrite an existing table (and drop its record).
        progress: "bar", "lines", "auto" (bar on a terminal, else lines) or "none", written to
            ``progress_stream`` (default stderr) at most every ``progress_interval`` seconds.
        fsync: flush the data to disk before each checkpoint (.npy), so the record survives a
            power failure, not just a killed process.
        stats: compute mean/std/min/max of the table on the fly.
        threads: threads for filling and statistics (default: all, see set_num_threads).
        handle_signals: on SIGINT/SIGTERM stop between chunks, keep the record and return a
            summary with ``interrupted`` set (the command line does this); otherwise a
            KeyboardInterrupt propagates after the record is saved.

    Raises:
        TableError (a ValueError) for settings that cannot work, an existing table, or a resume
        whose settings differ; TypeError/ValueError for bad initializer parameters; OSError.
    """
    path = os.fspath(path)
    fmt = _table_format(path)
    shape = as_shape(shape, "shape")
    dt = resolve_dtype(dtype)
    format_of(dt, FLOAT_FORMATS)
    dtname = _DTYPE_NAMES[dt]
    if fmt == "zarr" and dtname == "bfloat16":
        raise TableError("zarr has no bfloat16 data type: write bfloat16 tables as .npy, or use float16/float32")
    named = init if isinstance(init, NamedInit) else resolve(init, params)
    if seed is None:
        if named.is_random:
            raise TableError(f"{named.canonical} is random: pass a seed (e.g. seed=0 / --seed 0); a table is "
                             "only reproducible, resumable and verifiable with a fixed seed")
        seed = 0
    seed = resolve_seed(seed)
    stream_int = resolve_stream(stream)
    for name, v in (("chunk_mb", chunk_mb), ("zarr_chunk_mb", zarr_chunk_mb)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not v > 0 or not math.isfinite(v):
            raise TableError(f"{name} must be a positive number of MiB, got {v!r}")
    if threads is not None:
        _runtime.set_num_threads(threads)
    itemsize = dt.itemsize
    chunk_bytes = int(chunk_mb * 2**20)
    if chunk_bytes < itemsize:
        raise TableError(f"chunk_mb={chunk_mb} is smaller than one {dtname} element; use at least 0.001")
    total = _prod(shape)
    plan = _Plan(path, fmt, shape, dt, dtname, total, max(1, chunk_bytes // itemsize))
    row_elements = _prod(shape[1:]) if shape else 1

    expected = check_and_expect(named, shape, dt, seed, stream_int)  # checks every parameter first
    need = total * 8 * 3 if named.fn_name == "orthogonal" else total * itemsize
    if named.is_global and need > chunk_bytes:
        why = ("orthogonal needs the whole matrix (a float64 QR, about 3 x 8 bytes per element)"
               if named.fn_name == "orthogonal" else
               "sparse picks each column's zeros from the whole column, so every chunk would redo the "
               "whole table's work")
        raise TableError(f"{named.canonical} cannot be written chunk by chunk: {why}. This table needs "
                         f"one chunk of {need / 2**20:,.0f} MiB: pass chunk_mb/--chunk-mb >= "
                         f"{math.ceil(need / 2**20)} if that fits in memory, or use the Python API "
                         f"(fastinit.{named.fn_name}).")
    if fmt == "zarr":
        row_bytes = row_elements * itemsize
        if shape and row_bytes > chunk_bytes:
            raise TableError(f"one row of {shape} is {row_bytes / 2**20:,.1f} MiB, more than the chunk budget: "
                             f"pass --chunk-mb >= {math.ceil(row_bytes / 2**20)}, or write .npy")
        if shape:
            zr = max(1, min(shape[0], int(zarr_chunk_mb * 2**20) // max(1, row_bytes)))
            rows_per_write = max(zr, (chunk_bytes // max(1, row_bytes)) // zr * zr)
            plan.zarr_chunk_rows = zr
            plan.max_elements = max(1, rows_per_write * row_elements)

    sidecar = sidecar_path(path)
    stream_arg = stream if isinstance(stream, str) else stream_int
    params_json = _jsonable(named.params)
    from .. import STREAM_VERSION, __version__

    record: Dict[str, Any] = {
        "fastinit_sidecar": _SIDECAR_VERSION,
        "about": "fastinit's record of an INCOMPLETE table: resume it with the command below plus --resume; "
                 "the record is removed when the table is complete",
        "format": fmt, "shape": list(shape), "dtype": dtname, "init": named.name, "params": params_json,
        "seed": seed, "stream": stream_int, "stream_arg": stream_arg, "stream_version": STREAM_VERSION,
        "fastinit_version": __version__, "elements_total": total, "elements_done": 0,
        "chunk_bytes": chunk_bytes, "zarr_chunk_rows": plan.zarr_chunk_rows,
        "command": _command(path, shape, named.name, dtname, seed, stream_arg, named.params),
    }
    old = _read_sidecar(sidecar)
    exists = os.path.lexists(path)
    done = 0
    stats_state: Optional[Stats] = None
    if resume and old is not None:
        _compare(old, record, path)
        done = int(old.get("elements_done", 0))
        if not 0 <= done <= total:
            raise TableError(f"{sidecar} records {done} elements done of {total}: start over with --force")
        if old.get("stats") and stats:
            stats_state = Stats.from_json(old["stats"])
        if fmt == "zarr" and old.get("zarr_chunk_rows"):
            plan.zarr_chunk_rows = int(old["zarr_chunk_rows"])
            zr = plan.zarr_chunk_rows
            rows_per_write = max(zr, (chunk_bytes // max(1, row_elements * itemsize)) // zr * zr)
            plan.max_elements = max(1, rows_per_write * row_elements)
            record["zarr_chunk_rows"] = zr
        if not exists:
            if done:
                raise TableError(f"{path} is missing but {sidecar} records {done:,} elements written: start "
                                 "over with --force")
            resume_existing = False
        else:
            resume_existing = True
    elif resume:
        if exists:
            raise TableError(f"nothing to resume: {path} exists without a record ({os.path.basename(sidecar)}), "
                             "so it is complete or not fastinit's. Check it with `fastinit verify`, or rewrite "
                             "it with --force.")
        resume_existing = False
    else:
        if old is not None and not force:
            raise TableError(f"{path} is an incomplete fastinit table ({int(old.get('elements_done', 0)):,} of "
                             f"{int(old.get('elements_total', 0)):,} elements written): continue it with --resume, "
                             "or overwrite it with --force")
        if exists and not force:
            raise TableError(f"{path} already exists: pass --force to overwrite it (or choose another path)")
        resume_existing = False
    record["elements_done"] = done

    # -- open or create the table; the record always exists before the table does --
    fd: Optional[int] = None
    f = None
    za = None
    npy_header = b""
    offset = 0
    if not resume_existing:
        done = 0
        record["elements_done"] = 0
        stats_state = None
        _write_json_atomic(sidecar, dict(record, stats=None), fsync)
        if fsync:
            _fsync_dir(sidecar)
        if exists:
            if os.path.isdir(path) and not os.path.islink(path):
                if fmt != "zarr":
                    raise TableError(f"{path} is a directory; remove it or choose another path")
                shutil.rmtree(path)
            else:
                os.remove(path)
    try:
        if fmt == "npy":
            npy_header = _npy_header(shape, dt)
            offset = len(npy_header)
            if resume_existing:
                size = os.path.getsize(path)
                if size != offset + total * itemsize:
                    raise TableError(f"{path} has {size:,} bytes, not the {offset + total * itemsize:,} this table "
                                     "needs: it changed since; start over with --force")
                f = open(path, "r+b")
                head = f.read(offset)
                if head not in (npy_header, _placeholder(offset, sidecar)):
                    f.close()
                    raise TableError(f"{path}'s header is not the one this table needs: start over with --force")
            else:
                f = open(path, "w+b")
                f.write(_placeholder(offset, sidecar))
                f.truncate(offset + total * itemsize)
                f.flush()
                _preallocate(f.fileno(), offset, total * itemsize, path)
            fd = f.fileno()
        else:
            za = _zarr_open(path, plan, resume_existing)
    except BaseException:
        if f is not None:
            f.close()
        raise

    stat = None
    if stats:
        stat = stats_state if stats_state is not None else Stats(shift=expected.mean if expected else 0.0)
    out_stream = progress_stream if progress_stream is not None else sys.stderr
    prog = Progress(progress, total, done, row_elements, itemsize, out_stream, progress_interval)
    nthreads = _runtime.get_num_threads()
    pool = ThreadPoolExecutor(max_workers=nthreads) if stat is not None and nthreads > 1 else None
    ckpt = _Checkpointer(sidecar, record, fd, fsync)
    stop: List[str] = []
    old_handlers: Dict[int, Any] = {}
    if handle_signals and threading.current_thread() is threading.main_thread():
        def _on_signal(signum: int, frame: Any) -> None:
            stop.append(signal.Signals(signum).name)
            if signum == signal.SIGINT:  # a second Ctrl-C interrupts at once (the record stays valid)
                signal.signal(signal.SIGINT, signal.default_int_handler)

        for s in (signal.SIGINT, signal.SIGTERM):
            old_handlers[s] = signal.signal(s, _on_signal)
    delay = _debug_sleep()
    buf: Optional[np.ndarray] = None
    start_done = done
    t0 = time.perf_counter()
    prog.update(done, force=True)
    try:
        for p, count, index, bshape in blocks(shape, done, total, plan.max_elements):
            if stop:
                break
            if fmt == "npy":
                assert f is not None
                arr = np.memmap(f, dtype=dt, mode="r+", offset=offset + p * itemsize, shape=bshape or (1,))
                if not bshape:
                    arr = arr.reshape(())
            else:
                if buf is None:
                    buf = np.empty(plan.max_elements, dt)
                arr = buf[:count].reshape(bshape)
            named(arr, seed=seed, stream=stream_int, full_shape=shape, index=index)
            if stat is not None:
                stat.add(arr, dtname, pool)
            if za is not None:
                za[index] = arr
            del arr  # a .npy chunk is unmapped here
            done = p + count
            ckpt.advance(done, stat.to_json() if stat is not None else None)
            prog.update(done)
            if delay:
                time.sleep(delay)
    finally:
        seconds = time.perf_counter() - t0
        for s, h in old_handlers.items():
            signal.signal(s, h)
        if pool is not None:
            pool.shutdown()
        try:
            ckpt.close()  # fsync + the last record: what is counted is on disk
        finally:
            if f is not None and done < total:
                f.close()
    complete = done == total
    if complete:
        if f is not None:
            f.seek(0)
            f.write(npy_header)
            f.flush()
            if fsync:
                os.fsync(f.fileno())
            f.close()
        if za is not None:
            za.attrs["fastinit"] = dict(_jsonable({k: record[k] for k in ("init", "params", "seed", "stream",
                                                                           "stream_arg", "stream_version")}),
                                        complete=True)
        os.remove(sidecar)
        if fsync:
            _fsync_dir(sidecar)
    prog.finish()
    return TableSummary(
        path=path, format=fmt, shape=shape, dtype=dtname, init=named.describe(), seed=seed, stream=stream_int,
        elements=total, nbytes=total * itemsize, elements_written=done - start_done, resumed_from=start_done,
        seconds=seconds, complete=complete, interrupted=stop[0] if stop and not complete else None,
        stats=stat, expected=expected, peak_rss=_peak_rss(), threads=nthreads, chunk_bytes=chunk_bytes,
        resume_command=record["command"] + " --resume")


def _zarr_open(path: str, plan: _Plan, existing: bool) -> Any:
    try:
        import zarr
    except ImportError:
        raise TableError("writing .zarr needs zarr (pip install 'fastinit[dask]' or pip install zarr); "
                         "or write TABLE.npy") from None
    if existing:
        za = zarr.open_array(store=path, mode="r+")
        if tuple(za.shape) != plan.shape or np.dtype(za.dtype) != plan.dtype:
            raise TableError(f"{path} holds a {za.shape} {za.dtype} array, not {plan.shape} {plan.dtype}: "
                             "start over with --force")
        if plan.shape and za.chunks[0] != plan.zarr_chunk_rows:
            raise TableError(f"{path} has chunks of {za.chunks[0]} rows, the record says {plan.zarr_chunk_rows}: "
                             "start over with --force")
        return za
    chunks = ((plan.zarr_chunk_rows,) + tuple(max(1, d) for d in plan.shape[1:])) if plan.shape else ()
    za = zarr.create_array(store=path, shape=plan.shape, chunks=chunks, dtype=plan.dtype, compressors=None,
                           fill_value=0, zarr_format=3, overwrite=True)
    za.attrs["fastinit"] = {"complete": False}
    return za


# --- verification ----------------------------------------------------------------------------------

@dataclass
class VerifyResult:
    """What :func:`verify_table` found; ``ok`` is True when every checked element matches."""

    path: str
    ok: bool
    status: str  # "match", "mismatch" or "incomplete"
    checked_elements: int = 0
    checked_rows: int = 0
    total_rows: int = 0
    mismatched_elements: int = 0
    first_mismatch: Optional[Tuple[Tuple[int, ...], float, float]] = None
    message: str = ""
    details: List[str] = field(default_factory=list)

    def __str__(self) -> str:
        return self.message


def _open_for_reading(path: str, fmt: str) -> Tuple[Tuple[int, ...], np.dtype, Any]:
    if fmt == "npy":
        if not os.path.isfile(path):
            raise TableError(f"{path} does not exist (or is not a file)")
        shape, dt, offset = read_npy_header(path)
        return shape, dt, offset
    try:
        import zarr
    except ImportError:
        raise TableError("reading .zarr needs zarr (pip install zarr)") from None
    if not os.path.exists(path):
        raise TableError(f"{path} does not exist")
    za = zarr.open_array(store=path, mode="r")
    return tuple(za.shape), np.dtype(za.dtype), za


def verify_table(
    path: Any,
    init: Any,
    *,
    seed: Optional[int] = None,
    stream: Any = 0,
    dtype: Any = None,
    rows: int = 1000,
    all: bool = False,
    chunk_mb: float = 64.0,
    sample_seed: int = 0,
    progress: str = "none",
    progress_stream: Optional[TextIO] = None,
    **params: Any,
) -> VerifyResult:
    """Recompute ``rows`` rows of ``path`` (always the first and the last, the rest at random;
    every row with ``all=True``) with ``init``/``seed``/``stream``/``params`` and compare bits.

    ``dtype`` reinterprets the file's elements (needed for bfloat16, which ``.npy`` stores as
    2-byte void); by default the file's dtype is used. Returns a :class:`VerifyResult` (``ok``).
    """
    path = os.fspath(path)
    fmt = _table_format(path)
    side = sidecar_path(path)
    old = _read_sidecar(side)
    if old is not None:
        msg = (f"{path} is INCOMPLETE: {int(old.get('elements_done', 0)):,} of {int(old.get('elements_total', 0)):,} "
               f"elements written (record {os.path.basename(side)}). Finish it with:\n  {old.get('command', '?')} --resume")
        return VerifyResult(path, False, "incomplete", message=msg)
    try:
        shape, fdt, handle = _open_for_reading(path, fmt)
    except TableError as exc:
        if "incomplete" in str(exc):
            return VerifyResult(path, False, "incomplete", message=str(exc))
        raise
    dt = fdt
    if dtype is not None:
        want = resolve_dtype(dtype)
        if want.itemsize != fdt.itemsize or (fdt.kind not in "V" and want != fdt):
            raise TableError(f"{path} holds {fdt} elements, not {want}; omit --dtype")
        dt = want
    elif fdt.kind == "V" and fdt.itemsize == 2:
        dt = bfloat16  # how NumPy stores ml_dtypes.bfloat16 in .npy
    dtname = _DTYPE_NAMES.get(dt)
    if dtname is None:
        raise TableError(f"{path} holds {dt} elements; fastinit writes float32, float64, float16 and bfloat16")
    named = init if isinstance(init, NamedInit) else resolve(init, params)
    if seed is None:
        if named.is_random:
            raise TableError(f"{named.canonical} is random: pass the seed the table was written with (--seed)")
        seed = 0
    seed = resolve_seed(seed)
    stream_int = resolve_stream(stream)
    check_and_expect(named, shape, dt, seed, stream_int)
    if not isinstance(rows, int) or isinstance(rows, bool) or rows < 1:
        raise TableError(f"rows must be an int >= 1, got {rows!r}")
    total = _prod(shape)
    row_elements = _prod(shape[1:]) if shape else 1
    n_rows = shape[0] if shape else 1
    max_elements = max(1, int(chunk_mb * 2**20) // dt.itemsize)
    if named.is_global and total * dt.itemsize > int(chunk_mb * 2**20):
        raise TableError(f"{named.canonical} is computed whole: pass --chunk-mb >= "
                         f"{math.ceil(total * dt.itemsize / 2**20)} to verify this table")
    if all or rows >= n_rows:
        ranges = [(0, n_rows)] if total else []
    else:
        rng = np.random.default_rng(sample_seed)
        picks = np.unique(np.concatenate([[0, n_rows - 1], rng.integers(0, n_rows, size=rows)]))
        ranges = []
        for r in picks.tolist():
            if ranges and ranges[-1][1] == r:
                ranges[-1] = (ranges[-1][0], r + 1)
            else:
                ranges.append((r, r + 1))
    checked_rows = sum(b - a for a, b in ranges)
    to_check = checked_rows * row_elements
    prog = Progress(progress, to_check, 0, row_elements, dt.itemsize,
                    progress_stream if progress_stream is not None else sys.stderr, label="rows checked")
    uint = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[dt.itemsize]
    bad = 0
    first: Optional[Tuple[Tuple[int, ...], float, float]] = None
    checked = 0
    f = open(path, "rb") if fmt == "npy" else None
    try:
        for r0, r1 in ranges:
            for p, count, index, bshape in blocks(shape, r0 * row_elements, r1 * row_elements, max_elements):
                want = np.empty(bshape, dt)
                named(want, seed=seed, stream=stream_int, full_shape=shape, index=index)
                if f is not None:
                    got = np.memmap(f, dtype=dt, mode="r", offset=handle + p * dt.itemsize, shape=bshape or (1,))
                    got = got.reshape(bshape)
                else:
                    got = np.asarray(handle[index]).astype(dt, copy=False)
                diff = want.reshape(-1).view(uint) != np.asarray(got).reshape(-1).view(uint)
                n = int(np.count_nonzero(diff))
                if n:
                    bad += n
                    if first is None:
                        k = int(np.argmax(diff))
                        coords = tuple(int(c) for c in np.unravel_index(p + k, shape)) if shape else ()
                        first = (coords, float(np.asarray(got).reshape(-1)[k].astype(np.float64)),
                                 float(want.reshape(-1)[k].astype(np.float64)))
                del got
                checked += count
                prog.update(checked)
    finally:
        if f is not None:
            f.close()
    prog.finish()
    what = f"{named.describe()}, seed={seed}, stream={stream_int}"
    scope = (f"all {n_rows:,} rows" if checked_rows == n_rows else
             f"{checked_rows:,} of {n_rows:,} rows (first, last and a random sample; --all checks every row)")
    if bad == 0:
        msg = f"{path}: MATCH: {checked:,} elements in {scope} equal {what} bit for bit"
        return VerifyResult(path, True, "match", checked, checked_rows, n_rows, 0, None, msg)
    assert first is not None
    coords, fv, ev = first
    msg = (f"{path}: MISMATCH: {bad:,} of {checked:,} checked elements ({scope}) differ from {what}; "
           f"first at index {coords}: the file has {fv!r}, expected {ev!r}")
    return VerifyResult(path, False, "mismatch", checked, checked_rows, n_rows, bad, first, msg)
