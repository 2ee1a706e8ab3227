""":class:`~fastinit.torch.seeded`'s draws into CUDA (and ROCm) tensors, written on the device.

A keyed draw is one core fill of a view (:func:`.draws._fill_array`: the fill's format, seed,
stream, the view's logical strides and origin in the model tensor, or a DTensor shard's
``full_shape``/``index``). On a device tensor that description is recorded on a stand-in and
launched as one kernel fill of the view itself (:func:`.device_fill.launch_recorded`), as the
``fastinit.torch`` functions are: in the view's own memory, nothing copied from the host. What
is equal to the CPU's result:

- the draws in the tensor's dtype (``normal_``, ``uniform_``, ``trunc_normal_``,
  ``kaiming_uniform_`` and what reaches them, the truncated normal written out op by op): the
  CPU's bits;
- the transforms draw their float64 uniform or normal (the CPU's bits) into a device buffer and
  run torch's ops on the device: ``bernoulli_`` (a comparison) is the CPU's bits;
  ``log_normal_``, ``exponential_`` and ``cauchy_`` are the CPU's values to the rounding of the
  device's ``exp``, ``log1p`` and ``tan`` (a few ulps of float64 before the cast to the tensor's
  dtype), and ``geometric_`` (a ``floor`` of a ``log1p`` ratio) can differ by one where that
  ratio lies within rounding of an integer.

Without Triton every such draw is computed on the host and copied to the device (the slow path,
said once with :class:`~.device_fill.SlowPathWarning`, as for the functions).
"""

from typing import Callable

import numpy as np
import torch  # absolute import: the real PyTorch

from .checks import Tensor, numpy_view
from .device_fill import kernels_or_warn, launch_recorded

__all__ = ["on_device", "fill_on_device", "scratch_on_device"]

#: Writes a C-ordered NumPy array of the view's shape and dtype with one core fill.
Fill = Callable[[np.ndarray], None]


def on_device(t: Tensor) -> bool:
    """Whether ``t``'s memory is an accelerator's (its draws are written there)."""
    return t.device.type != "cpu"


def fill_on_device(view: Tensor, fill: Fill) -> None:
    """Write ``fill``'s values into the device tensor ``view``: by the kernels, or (no Triton)
    on the host and copied. Raises what the CPU fill raises, before anything is written."""
    if kernels_or_warn():
        if not launch_recorded(view, lambda x, place: fill(x), {}):
            raise RuntimeError("fastinit: internal error: a seeded draw is not one core fill of its view")
        return
    host = torch.empty(tuple(view.shape), dtype=view.dtype)
    fill(numpy_view(host))
    with torch.no_grad():
        view.copy_(host)


def scratch_on_device(like: Tensor, fill: Fill) -> Tensor:
    """A new float64 tensor of ``like``'s shape, on its device, holding ``fill``'s values."""
    out = like.new_empty(tuple(like.shape), dtype=torch.float64)
    fill_on_device(out, fill)
    return out
