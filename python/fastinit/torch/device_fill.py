"""CUDA and ROCm tensors filled on the device by :mod:`fastinit.gpu`'s Triton kernels, in their own memory.

The torch adapter describes each fill as a NumPy fill (``fill(view)`` or ``located(view, place)``,
see :mod:`.dtensor`). For a device tensor, :func:`fill_on_device` runs that description once on a
*stand-in*: an unwritten NumPy array of the tensor's shape and dtype, with the compiled core's fill
functions replaced by a recorder. The fill's own checks run as on the CPU (a refused fill raises
before anything is written), and the core call it would have made (format, seed, stream, logical
strides, origin, parameters) is launched as a device kernel on the tensor instead. Bits are the
CPU engine's (docs/stream-v1.md; tests/test_gpu_interpreter.py).

The fills that are one core call on the whole view are taken to the device by name
(:data:`DEVICE_FILLS`), or by their :class:`DevicePath` (``RECORDED``: an ``init_module`` scheme's
elementwise initializer); the others bring their own device fill (``DevicePath(fill)``: eye_,
dirac_, orthogonal_, sparse_, rows_ and the structured scheme initializers, see
:mod:`.device_presets`), which writes the tensor with torch's device ops and the kernels
(:func:`launch_recorded`). What has neither, or runs without Triton, stays on the host-staging
path, which warns once per reason that it is the slow path.
"""


import mmap
import platform
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Optional

import numpy as np
import torch

__all__ = ["DEVICE_FILLS", "RECORDED", "DevicePath", "SlowPathWarning", "fill_on_device", "kernels_or_warn",
           "launch_recorded", "numpy_dtype"]

#: The ``fastinit.torch`` fills whose NumPy description is exactly one core fill of the view.
DEVICE_FILLS = frozenset({"uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_",
                          "kaiming_uniform_", "kaiming_normal_", "constant_", "ones_", "zeros_"})
_CORE_FILLS = {"fill_bits": "random_bits", "fill_uniform": "uniform", "fill_normal": "normal",
               "fill_truncated_normal": "truncated_normal"}
#: Stand-ins larger than this are mapped with MAP_NORESERVE (Linux's value on x86-64 and AArch64).
_RESERVE_ABOVE = 64 << 20
_MAP_NORESERVE = 0x4000
_warned: set[str] = set()
_NO_TRITON = "Triton is not installed (pip install 'fastinit[gpu]')"


class SlowPathWarning(UserWarning):
    """A device tensor is filled on the CPU and copied to the device (said once per reason)."""


@dataclass(frozen=True)
class DevicePath:
    """How a fill writes a device tensor: ``fill(tensor, place)`` (``place`` as ``located``'s: ``{}``
    or ``{"full_shape", "index"}``) with torch's device ops and the kernels; None: its NumPy
    description is recorded and launched as one kernel fill (:func:`launch_recorded`).
    ``kernels``: it needs Triton (else the host-staging path runs)."""

    fill: Optional[Callable[[torch.Tensor, dict[str, Any]], None]] = None
    kernels: bool = True


#: The device path of a fill whose NumPy description is one core fill of the view.
RECORDED = DevicePath()


def _warn_once(reason: str, stacklevel: int = 4) -> None:
    if reason not in _warned:
        _warned.add(reason)
        warnings.warn(f"fastinit: filling device tensors on the CPU and copying them (the slow path): {reason}",
                      SlowPathWarning, stacklevel=stacklevel)


def kernels_or_warn() -> bool:
    """Whether the kernels can run (Triton is installed); if not, the slow-path warning (once)."""
    from .. import gpu
    if gpu.available():
        return True
    _warn_once(_NO_TRITON, 5)  # the caller of fill_on_device's caller, as its own warnings
    return False


class _Recorder:
    """Stands in for ``fastinit._core`` while a fill runs on the stand-in: the core fills of the
    stand-in's memory are recorded, not run; everything else goes to the real core."""

    def __init__(self, core: Any, stand_in: np.ndarray) -> None:
        self.core, self.stand_in, self.calls = core, stand_in, []  # type: ignore[var-annotated]

    def _ours(self, array: Any) -> bool:
        return isinstance(array, np.ndarray) and np.may_share_memory(array, self.stand_in)

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.core, name)
        if name not in _CORE_FILLS and name != "fill_constant":
            return real

        def record(array: Any, *args: Any, **kwargs: Any) -> Any:
            if not self._ours(array):
                return real(array, *args, **kwargs)
            self.calls.append((name, array, args, kwargs))
            return None
        return record


def numpy_dtype(dtype: torch.dtype) -> np.dtype:
    """The NumPy dtype of a torch float or complex dtype (bfloat16: ``ml_dtypes.bfloat16``)."""
    from ..core.dtypes import bfloat16
    return np.dtype(bfloat16) if dtype == torch.bfloat16 else torch.empty(0, dtype=dtype).numpy().dtype


def _stand_in(tensor: torch.Tensor) -> np.ndarray:
    """An unwritten C-ordered NumPy array of the tensor's shape and dtype. Its pages are never
    touched; above :data:`_RESERVE_ABOVE` bytes they are mapped without reserving swap
    (``MAP_NORESERVE``), so a device tensor larger than the host's memory still gets one."""
    dtype = numpy_dtype(tensor.dtype)
    shape = tuple(tensor.shape)
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if nbytes > _RESERVE_ABOVE and platform.system() == "Linux" and platform.machine() in ("x86_64", "aarch64"):
        memory = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | _MAP_NORESERVE)
        return np.frombuffer(memory, dtype=dtype).reshape(shape)
    return np.empty(shape, dtype=dtype)


def _record(tensor: torch.Tensor, fill: Callable[[np.ndarray], Any], located: Optional[Callable[..., Any]],
            place: dict[str, Any]) -> tuple[np.ndarray, list[Any]]:
    from ..core import fills
    from ..gpu.recording import LOCK  # every swap of fills._core holds it (fastinit.cupy and fastinit.jax's too)
    stand_in = _stand_in(tensor)
    with LOCK:
        recorder = _Recorder(fills._core, stand_in)
        fills._core = recorder  # type: ignore[assignment]
        try:
            if located is None:
                fill(stand_in)
            else:
                located(stand_in, place)
        finally:
            fills._core = recorder.core
    return stand_in, recorder.calls


def _target(tensor: torch.Tensor, stand_in: np.ndarray, array: np.ndarray) -> Optional[torch.Tensor]:
    """The view of ``tensor`` that ``array`` (a view of the stand-in) stands for, or None."""
    offset = array.ctypes.data - stand_in.ctypes.data
    same = array.shape == stand_in.shape and array.strides == stand_in.strides
    if not tensor.is_complex():
        return tensor if same and offset == 0 else None
    half = stand_in.itemsize // 2
    real = torch.view_as_real(tensor)
    if offset == 0 and array.shape == stand_in.shape + (2,) and array.strides == stand_in.strides + (half,):
        return real
    return real[..., offset // half] if same and offset in (0, half) else None


def _launches(tensor: torch.Tensor, stand_in: np.ndarray, calls: list[Any]) -> Optional[list[Any]]:
    """``(view, kwargs of fastinit.gpu.launch.fill)`` for each recorded call, or None when the calls
    are not one fill of the whole tensor (or its two complex parts) that the kernels compute."""
    launches = []
    for name, array, args, kwargs in calls:
        view = _target(tensor, stand_in, array)
        if view is None:
            return None
        if name == "fill_constant":
            fmt, pattern = args
            dtype = {"bfloat16": np.uint16}.get(fmt, np.dtype(fmt))
            value = np.frombuffer(pattern, dtype=dtype)
            if fmt == "bfloat16":
                value = (value.astype(np.uint32) << 16).view(np.float32)
            launches.append((view, {"dist": "constant", "fmt": fmt, "values": (float(value[0]),)}))
            continue
        fmt, args = ("uint32", args) if name == "fill_bits" else (args[0], args[1:])
        seed, stream, strides, origin, *values = args
        launches.append((view, {"dist": _CORE_FILLS[name], "fmt": fmt, "seed": seed, "stream": stream,
                                "logical_strides": tuple(strides), "origin": origin, "values": tuple(values),
                                "axis_offsets": kwargs.get("axis_offsets")}))  # index arrays, one entry an axis
    whole = len(launches) == 1 and launches[0][0].numel() == stand_in.size * (2 if tensor.is_complex() else 1)
    parts = len(launches) == 2 and tensor.is_complex() and launches[0][0].data_ptr() != launches[1][0].data_ptr()
    return launches if whole or parts else None


def launch_recorded(tensor: torch.Tensor, located: Callable[..., Any], place: dict[str, Any]) -> bool:
    """Run ``located(stand_in, place)`` on a stand-in of the device tensor ``tensor`` and launch the
    core fill it records as kernels on ``tensor``. False (nothing written) when the description is
    not one fill of the whole tensor (or its two complex parts); raises what the CPU fill raises."""
    stand_in, calls = _record(tensor, lambda x: located(x, {}), located, place)
    launches = _launches(tensor, stand_in, calls)
    if launches is None:
        return False
    from ..gpu import launch
    for view, kwargs in launches:
        launch.fill(view, **kwargs)
    return True


def fill_on_device(tensor: torch.Tensor, where: str, fill: Callable[[np.ndarray], Any],
                   located: Optional[Callable[..., Any]], place: dict[str, Any],
                   path: Optional[DevicePath] = None) -> bool:
    """Fill the device tensor ``tensor`` on the device when Triton is installed (or ``path`` needs
    no kernels): with ``path.fill``, or with the kernels when the fill is one they compute (named
    in :data:`DEVICE_FILLS`, or ``path`` is :data:`RECORDED`). Returns False (nothing written) when
    the caller must stage it through the host; raises what the CPU fill raises for bad parameters,
    before anything is written."""
    if path is None and where not in DEVICE_FILLS:
        _warn_once(f"{where} has no device kernel")
        return False
    if (path is None or path.kernels) and not kernels_or_warn():
        return False
    if path is not None and path.fill is not None:
        path.fill(tensor, place)
        return True
    if not launch_recorded(tensor, located or (lambda x, p: fill(x)), place):
        _warn_once(f"{where} on this tensor (a fill of parts of it) has no device kernel")
        return False
    return True
