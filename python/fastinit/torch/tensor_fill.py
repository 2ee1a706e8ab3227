"""A tensor filled through NumPy, wherever its memory is: a CPU tensor's own memory (its
:func:`~.checks.numpy_view`), a DTensor's local shard (:mod:`.dtensor`), an accelerator tensor
on the device or through host chunks; the autograd version bumped as an in-place op would."""

from typing import Any, Callable, Optional

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from .checks import Tensor, _check_tensor, numpy_view
from .device_fill import DevicePath
from .dtensor import Located, fill_device, fill_dtensor
from .placements import is_dtensor

__all__ = ["fill_tensor"]


def fill_tensor(tensor: Tensor, where: str, fill: Callable[[np.ndarray], Any], located: Optional[Located] = None,
                *, whole: bool = False, device: Optional[DevicePath] = None) -> Tensor:
    """Run ``fill`` on the NumPy view of ``tensor``, bump its autograd version, return it.

    ``located(view, place)`` (when given) is used instead wherever the view is not the whole
    tensor: ``place`` is ``{}`` or ``{"full_shape": ..., "index": ...}`` (a DTensor's local shard,
    a chunk of a CUDA tensor). Without it, a DTensor is filled only by the position-free fills
    (constants). ``whole``: the fill needs the whole tensor in one piece (orthogonal_, sparse_):
    a CUDA tensor is then filled through one host buffer of its size. ``device``: how a CUDA
    tensor (or local shard) is written on the device (:class:`~.device_fill.DevicePath`; None: by
    the kernels when ``where`` names one of :data:`~.device_fill.DEVICE_FILLS`).
    """
    _check_tensor(tensor, where)
    if is_dtensor(tensor):
        return fill_dtensor(tensor, where, fill, located, whole, device)
    if tensor.device.type != "cpu":
        if tensor.numel():
            fill_device(tensor, where, fill, located, whole, path=device)
    elif located is None:
        fill(numpy_view(tensor))
    else:
        located(numpy_view(tensor), {})
    torch.autograd.graph.increment_version(tensor)
    return tensor
