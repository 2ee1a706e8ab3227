"""CUDA and ROCm tensors filled on the device by :mod:`fastinit.gpu`'s Triton kernels, in their own memory.

The torch adapter describes each fill as a NumPy fill (``fill(view)`` or ``located(view, place)``,
see :mod:`.dtensor`). For a device tensor, :func:`fill_on_device` records that description on a
stand-in of the tensor's shape and dtype (:func:`fastinit.gpu.recording.record`): the fill's own
checks run as on the CPU (a refused fill raises before anything is written), and the core call it
would have made (format, seed, stream, logical strides, origin, parameters) is launched as a
device kernel on the tensor instead. Bits are the CPU engine's (docs/stream-v1.md;
tests/test_gpu_interpreter.py).

The fills that are one core call on the whole view are taken to the device by name
(:data:`DEVICE_FILLS`), or by their :class:`DevicePath` (``RECORDED``: an ``init_module`` scheme's
elementwise initializer); the others bring their own device fill (``DevicePath(fill)``: eye_,
dirac_, orthogonal_, sparse_, rows_ and the structured scheme initializers, see
:mod:`.device_presets`), which writes the tensor with torch's device ops and the kernels
(:func:`launch_recorded`). What has neither, or runs without Triton, stays on the host-staging
path, which warns once per reason that it is the slow path.
"""


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


def numpy_dtype(dtype: torch.dtype) -> np.dtype:
    """The NumPy dtype of a torch float or complex dtype (bfloat16: ``ml_dtypes.bfloat16``)."""
    from ..core.dtypes import bfloat16
    return np.dtype(bfloat16) if dtype == torch.bfloat16 else torch.empty(0, dtype=dtype).numpy().dtype


def launch_recorded(tensor: torch.Tensor, located: Callable[..., Any], place: dict[str, Any]) -> bool:
    """Record ``located(stand_in, place)`` on a stand-in of the device tensor ``tensor`` and launch
    the core fill it makes as kernels on ``tensor`` (:mod:`fastinit.gpu.recording`). False (nothing
    written) when the description is not one fill of the whole tensor (or its two complex parts);
    raises what the CPU fill raises."""
    from ..gpu import recording  # here: importing fastinit.torch imports no fastinit.gpu
    launches = recording.record(tuple(tensor.shape), numpy_dtype(tensor.dtype), lambda x: located(x, place))
    if launches is None:
        return False
    recording.run(tensor, launches)
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
        _warn_once(f"{where} on this tensor is not one core fill of the whole tensor (it fills parts of it, "
                   "or writes values with NumPy) and has no device kernel")
        return False
    return True
