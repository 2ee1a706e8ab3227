"""A NumPy fill recorded as device launches, for arrays the caller holds as torch device tensors.

fastinit's fills (the core's and the elementwise presets') check their arguments and then make one
call of the compiled core per real array (a complex array: one for its real view, or one per part).
:func:`record` runs such a fill once on a *stand-in*, an unwritten NumPy array of the output's shape
and dtype, with the core's fill functions replaced by a recorder: the fill's own checks run as on
the CPU (a refused fill raises before any device memory is touched), and the core calls it would
have made become :class:`Launch` descriptions. :func:`run` writes them into a torch tensor of that
shape and dtype with :func:`fastinit.gpu.launch.fill`. The bits are the CPU engine's
(docs/stream-v1.md; tests/test_gpu_interpreter.py).

A fill that is not one core call on the whole output (or one per complex part), such as
``orthogonal`` or the complex disks, records as None: the caller computes it on the host. A fill
that writes its output with NumPy after its core calls (the complex disks turn uniforms into
points of the disk) is found by marks in the output's first and last elements, which a recorded
fill leaves as they were; a fill that wrote only inner elements would not be, so the callers
offer only fills that are one pass (fastinit.cupy's list, fastinit.jax's elementwise initializers).

This module imports torch only in :func:`run`, and Triton only when a kernel is launched.
"""

from __future__ import annotations

import mmap
import platform
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..core import fills
from . import params

__all__ = ["LOCK", "Launch", "record", "run", "stand_in"]

#: Held while ``fastinit.core.fills._core`` is swapped for a recorder (reentrant: a fill may nest).
LOCK = threading.RLock()
_CORE_FILLS = {"fill_bits": "random_bits", "fill_uniform": "uniform", "fill_normal": "normal",
               "fill_truncated_normal": "truncated_normal"}
#: Stand-ins larger than this are mapped with MAP_NORESERVE (Linux's value on x86-64 and AArch64).
_RESERVE_ABOVE = 64 << 20
_MAP_NORESERVE = 0x4000
#: Bytes no fill writes: 0xA5 repeated under a top byte 0x7F (a NaN with a payload in the 16- and 32-bit
#: formats, ~1.6e306 in float64), its last item-size bytes (the top byte last: little-endian).
_MARK = bytes([0xA5] * 15 + [0x7F])


@dataclass(frozen=True)
class Launch:
    """One kernel launch: which view of the output it writes and the keywords of
    :func:`fastinit.gpu.launch.fill` (``dist``, ``fmt``, ``seed``, ``stream``, ...).

    ``part`` is ``"whole"`` (a real output), ``"pairs"`` (a complex output as its real view of
    shape ``shape + (2,)``), ``"real"`` or ``"imag"`` (one part of a complex output)."""

    part: str
    kwargs: dict[str, Any] = field(default_factory=dict)


def stand_in(shape: Sequence[int], dtype: Any) -> np.ndarray:
    """An unwritten C-ordered NumPy array of ``shape`` and ``dtype``. Its pages are never touched;
    above 64 MiB they are mapped without reserving swap (``MAP_NORESERVE``), so an output larger
    than the host's memory still gets one."""
    dt = np.dtype(dtype)
    shape = tuple(int(n) for n in shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dt.itemsize
    if nbytes > _RESERVE_ABOVE and platform.system() == "Linux" and platform.machine() in ("x86_64", "aarch64"):
        memory = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE)
        return np.frombuffer(memory, dtype=dt).reshape(shape)
    return np.empty(shape, dtype=dt)


class _Recorder:
    """Stands in for ``fastinit._core`` while a fill runs: the core fills of the stand-in's memory
    are recorded, not run; every other call goes to the real core."""

    def __init__(self, core: Any, target: np.ndarray) -> None:
        self.core, self.target = core, target
        self.calls: list[tuple[str, np.ndarray, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.core, name)
        if name not in _CORE_FILLS and name != "fill_constant":
            return real

        def record(array: Any, *args: Any, **kwargs: Any) -> Any:
            if not (isinstance(array, np.ndarray) and np.may_share_memory(array, self.target)):
                return real(array, *args, **kwargs)
            self.calls.append((name, array, args, kwargs))
            return None
        return record


def _ends(target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    raw = target.reshape(-1).view(np.uint8)
    return raw[:target.itemsize], raw[raw.size - target.itemsize:]


def _mark(target: np.ndarray) -> None:
    """Write :data:`_MARK` into the first and last elements of the stand-in (two pages at most)."""
    if target.size:
        for end in _ends(target):
            end[:] = np.frombuffer(_MARK[len(_MARK) - target.itemsize:], np.uint8)


def _marked(target: np.ndarray) -> bool:
    """Whether the first and last elements still hold :data:`_MARK`: a recorded fill writes nothing,
    so a changed end means the fill wrote its output with NumPy after (or instead of) core calls."""
    return not target.size or all(end.tobytes() == _MARK[len(_MARK) - target.itemsize:] for end in _ends(target))


def _part(target: np.ndarray, array: np.ndarray) -> str | None:
    """Which part of ``target`` the recorded ``array`` (a view of it) is, or None."""
    offset = array.ctypes.data - target.ctypes.data
    same = array.shape == target.shape and array.strides == target.strides
    if target.dtype.kind != "c":
        return "whole" if same and offset == 0 else None
    half = target.itemsize // 2
    if offset == 0 and array.shape == target.shape + (2,) and array.strides == target.strides + (half,):
        return "pairs"
    return {0: "real", half: "imag"}.get(offset) if same else None


def _constant(fmt: str, pattern: bytes) -> dict[str, Any]:
    dtype = np.dtype(np.uint16) if fmt == "bfloat16" else np.dtype(fmt)
    value = np.frombuffer(pattern, dtype=dtype)
    if fmt == "bfloat16":
        value = (value.astype(np.uint32) << 16).view(np.float32)
    return {"dist": "constant", "fmt": fmt, "values": (float(value[0]),)}


def _launch(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    """The keywords of :func:`fastinit.gpu.launch.fill` for one recorded core call."""
    if name == "fill_constant":
        return _constant(*args)
    fmt, rest = ("uint32", args) if name == "fill_bits" else (args[0], args[1:])
    seed, stream, strides, origin, *values = rest
    return {"dist": _CORE_FILLS[name], "fmt": fmt, "seed": seed, "stream": stream,
            "logical_strides": tuple(strides), "origin": origin, "values": tuple(values),
            "axis_offsets": kwargs.get("axis_offsets")}


def record(shape: Sequence[int], dtype: Any, fill: Callable[[np.ndarray], Any]) -> list[Launch] | None:
    """The launches that write what ``fill(out)`` writes into an output of ``shape`` and ``dtype``
    (a NumPy dtype: float32, float64, float16, bfloat16, complex64, complex128, uint32), or None
    when ``fill`` is not one core call on the whole output (or one per complex part).

    Raises:
        What ``fill`` raises for its arguments (TypeError, ValueError ...), the core's own
        parameter checks included: nothing is launched.
    """
    target = stand_in(shape, dtype)
    _mark(target)
    with LOCK, np.errstate(all="ignore"):  # a fill that reads its own output reads garbage here
        recorder = _Recorder(fills._core, target)
        fills._core = recorder  # type: ignore[assignment]
        try:
            fill(target)
        finally:
            fills._core = recorder.core
    if not _marked(target):  # the fill computed on its output itself (the complex disks): not one pass
        return None
    launches = []
    for name, array, args, kwargs in recorder.calls:
        part = _part(target, array)
        if part is None:
            return None
        launches.append(Launch(part, _launch(name, args, kwargs)))
    parts = sorted(launch.part for launch in launches)
    if parts not in (["whole"], ["pairs"], ["imag", "real"]):
        return None
    for one in launches:  # the core's parameter checks (std >= 0, a < b ...), which the recorder skipped
        if one.kwargs["dist"] in ("uniform", "normal", "truncated_normal"):
            params.check(one.kwargs["dist"], one.kwargs["fmt"], one.kwargs["values"])
    return launches


def run(tensor: Any, launches: Sequence[Launch], interpret: bool | None = None) -> None:
    """Write ``launches`` (from :func:`record` for ``tensor``'s shape and dtype) into the torch
    tensor ``tensor``, on its device (``interpret``: as :func:`fastinit.gpu.launch.fill`)."""
    import torch

    from . import launch
    for one in launches:
        view = tensor
        if one.part != "whole":
            view = torch.view_as_real(tensor)
            view = view if one.part == "pairs" else view[..., 0 if one.part == "real" else 1]
        launch.fill(view, **one.kwargs, interpret=interpret)
