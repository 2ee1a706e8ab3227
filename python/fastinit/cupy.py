"""CuPy arrays (and any CUDA or ROCm array exporting DLPack) filled on their GPU, in their own memory.

``fastinit.cupy.normal(out, ...)`` is :func:`fastinit.normal` for a GPU array ``out``: the same
parameters, the same checks and the same values, bit for bit, computed there by the Triton
kernels of :mod:`fastinit.gpu` (docs/guide/gpu.md). ``out`` is seen as a torch tensor through
DLPack (``torch.utils.dlpack.from_dlpack``: no copy, the same memory), filled, and returned as it was given::

    import cupy, fastinit.cupy
    w = cupy.empty((1024, 1024), dtype=cupy.float32)
    fastinit.cupy.he_normal(w, seed=0, stream="layer1.weight")   # w itself, filled on its GPU

The fills each of which is one pass of the stream over the array are here (:data:`__all__`):
``random_bits``, ``uniform``, ``normal``, ``truncated_normal``, ``constant``, ``zeros``,
``ones``, ``variance_scaling``, the Glorot/He/LeCun/Kaiming/Xavier presets and Keras's
``random_*``; ``full_shape``/``index`` (shards) included. The others (``orthogonal``, ``sparse``,
``eye``, ``dirac``, the complex disks ...) have no device kernel: fill a NumPy array with
fastinit and copy it (``cupy.asarray``). Where a fill here is not one pass for the arguments given
(``variance_scaling`` of a complex array with a disk distribution) it raises ValueError before
writing.

The kernels run on torch's current CUDA stream of ``out``'s device; ``from_dlpack`` makes
that stream wait for the array's producer (DLPack's stream handshake). Work that CuPy queues on a
stream other than the default one must wait for ``torch.cuda.current_stream()``.

Needs torch (its DLPack import and the launches) and Triton (``pip install "fastinit[gpu]"``);
``import fastinit`` imports neither, and this module does not import CuPy.
"""

import functools
from typing import Any, Callable

import numpy as np

from . import gpu
from .core import fills as _fills
from .core.dtypes import bfloat16
from .core.layout import check_no_overlap
from .gpu import recording
from .presets import glorot_he_lecun as _ghl
from .presets import pytorch as _pytorch
from .presets import random_init as _random
from .presets import variance_scaling as _vs

try:
    import torch
    import torch.utils.dlpack
except ImportError as _exc:  # pragma: no cover - only without torch
    raise ImportError("fastinit.cupy needs torch (DLPack import and the kernel launches); install it "
                      "(`pip install torch`) and Triton (`pip install \"fastinit[gpu]\"`)") from _exc

__all__ = ["constant", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform", "kaiming_normal",
           "kaiming_uniform", "lecun_normal", "lecun_uniform", "normal", "ones", "random_bits", "random_normal",
           "random_truncated_normal", "random_uniform", "truncated_normal", "uniform", "variance_scaling",
           "xavier_normal", "xavier_uniform", "zeros"]

#: DLPack's device types (dlpack.h, ``DLDeviceType``) of the GPUs the kernels run on, and names of others.
_GPU_DEVICES = {2: "CUDA", 10: "ROCm"}
_OTHER_DEVICES = {1: "CPU", 3: "CUDA host (pinned)", 4: "OpenCL", 7: "Vulkan", 8: "Metal", 9: "VPI",
                  11: "ROCm host", 13: "CUDA managed", 14: "oneAPI"}


def _tensor(out: Any, where: str) -> "torch.Tensor":
    """``out`` as a torch tensor over the same GPU memory, or TypeError/ImportError before anything is written."""
    if not (hasattr(out, "__dlpack__") and hasattr(out, "__dlpack_device__")) or isinstance(out, np.ndarray):
        raise TypeError(f"fastinit.cupy.{where}: out must be a CuPy array (or another CUDA/ROCm array exporting "
                        f"__dlpack__), got {type(out).__name__}; for NumPy arrays and shapes use fastinit.{where}")
    if type(out).__module__.split(".")[0] in ("jax", "jaxlib"):
        raise TypeError(f"fastinit.cupy.{where}: out is a JAX array, which is immutable; use the fastinit.jax "
                        "initializers (on a GPU they fill a new array there)")
    kind = int(out.__dlpack_device__()[0])
    if kind not in _GPU_DEVICES:
        name = _OTHER_DEVICES.get(kind, f"DLPack device type {kind}")
        raise TypeError(f"fastinit.cupy.{where}: out is in {name} memory, not on a CUDA or ROCm GPU; "
                        f"for host memory use fastinit.{where} on a NumPy array")
    if not gpu.available():
        raise ImportError(f"fastinit.cupy.{where} needs Triton for its device kernels: "
                          "pip install \"fastinit[gpu]\"")
    try:
        tensor: torch.Tensor = torch.utils.dlpack.from_dlpack(out)  # no copy: the same memory
    except (BufferError, RuntimeError) as exc:  # e.g. negative strides, which torch has not
        raise ValueError(f"fastinit.cupy.{where}: torch cannot view out through DLPack ({exc}); pass an array "
                         "torch can view, e.g. cupy.ascontiguousarray(out), and copy back") from exc
    return tensor


def _numpy_dtype(tensor: "torch.Tensor", where: str) -> np.dtype:
    if tensor.dtype == torch.bfloat16:
        return bfloat16
    try:
        return torch.empty(0, dtype=tensor.dtype).numpy().dtype
    except TypeError:
        raise TypeError(f"fastinit.cupy.{where}: out has dtype {tensor.dtype}, which fastinit does not write (float32, "
                        "float64, float16, bfloat16, complex64, complex128; uint32 for random_bits)") from None


def _check_layout(tensor: "torch.Tensor", dtype: np.dtype) -> None:
    """The overlap check of NumPy outputs (:func:`fastinit.core.layout.check_no_overlap`) on the
    tensor's own strides: a zero or interleaving stride is refused, as for NumPy."""
    strides = tuple(s * dtype.itemsize for s in tensor.stride())
    check_no_overlap(np.lib.stride_tricks.as_strided(np.empty(1, dtype), tuple(tensor.shape), strides))


def _on_device(numpy_fill: Callable[..., Any]) -> Callable[..., Any]:
    """``numpy_fill`` (a fastinit fill of a NumPy ``out``) for GPU arrays."""
    where = numpy_fill.__name__

    @functools.wraps(numpy_fill)
    def fill(out: Any, *args: Any, **kwargs: Any) -> Any:
        tensor = _tensor(out, where)
        dtype = _numpy_dtype(tensor, where)
        _check_layout(tensor, dtype)
        launches = recording.record(tuple(tensor.shape), dtype, lambda a: numpy_fill(a, *args, **kwargs))
        if launches is None:
            raise ValueError(f"fastinit.cupy.{where}: with these arguments (out of dtype {dtype}) the fill is not "
                             f"one pass of the stream and has no device kernel; fill a NumPy array with "
                             f"fastinit.{where} and copy it to the GPU (cupy.asarray)")
        recording.run(tensor, launches)
        return out

    fill.__doc__ = _DOC.format(name=where) + (numpy_fill.__doc__ or "")
    return fill


_DOC = """Fill the GPU array ``out`` in place with what :func:`fastinit.{name}` writes into a NumPy array
    of its shape and dtype, bit for bit, computed on its GPU.

    ``out`` is a CuPy array, or any CUDA or ROCm array exporting ``__dlpack__``; it is returned
    itself. Raises TypeError for anything else (naming ``out``) and ImportError without Triton,
    before anything is written. Below, :func:`fastinit.{name}`'s own documentation: its
    parameters, checks and values are this function's (``out`` being a GPU array).

    """

constant = _on_device(_fills.constant)
glorot_normal = _on_device(_ghl.glorot_normal)
glorot_uniform = _on_device(_ghl.glorot_uniform)
he_normal = _on_device(_ghl.he_normal)
he_uniform = _on_device(_ghl.he_uniform)
kaiming_normal = _on_device(_pytorch.kaiming_normal)
kaiming_uniform = _on_device(_pytorch.kaiming_uniform)
lecun_normal = _on_device(_ghl.lecun_normal)
lecun_uniform = _on_device(_ghl.lecun_uniform)
normal = _on_device(_fills.normal)
ones = _on_device(_fills.ones)
random_bits = _on_device(_fills.random_bits)
random_normal = _on_device(_random.random_normal)
random_truncated_normal = _on_device(_random.random_truncated_normal)
random_uniform = _on_device(_random.random_uniform)
truncated_normal = _on_device(_fills.truncated_normal)
uniform = _on_device(_fills.uniform)
variance_scaling = _on_device(_vs.variance_scaling)
xavier_normal = _on_device(_pytorch.xavier_normal)
xavier_uniform = _on_device(_pytorch.xavier_uniform)
zeros = _on_device(_fills.zeros)
