"""Device fills: stream version 1 computed by Triton kernels in a tensor's own memory (CUDA, ROCm).

A second implementation of docs/stream-v1.md, held to the same bits as the C++ core. Triton is
an optional dependency (``pip install fastinit[gpu]``): importing :mod:`fastinit` never imports
this package, and this package imports Triton only when a kernel is launched or loaded.

- :func:`fastinit.gpu.launch.fill`: write one fill into a torch tensor, given what the core's
  fills take (format, seed, stream, logical strides, origin, parameters);
- :mod:`fastinit.gpu.params`: the per-fill parameters, computed on the host as the core does;
- :func:`available`: whether Triton can be imported.
"""

from __future__ import annotations

import importlib.util

__all__ = ["available"]


def available() -> bool:
    """Whether Triton is installed (the device kernels can be loaded)."""
    return importlib.util.find_spec("triton") is not None
