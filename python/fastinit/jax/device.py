"""An initializer's array made on its GPUs: each device's block is computed there by the Triton
kernels of :mod:`fastinit.gpu` into a torch CUDA tensor, which JAX takes over through DLPack
(``jax.dlpack.from_dlpack``: the same memory, no copy, nothing on the host).

:func:`gpu_array` is tried first for a concrete key: it answers None (and the host path of
:mod:`.arrays` runs, unchanged) when a target device is not a GPU, when torch with CUDA or Triton
is missing, for the non-elementwise initializers (``orthogonal``, ``delta_orthogonal``) and for
fills that are not one pass of the stream (the complex disks of ``variance_scaling``). Under
``jax.jit``/``vmap`` the values still come from the host callback. Each block's fill is recorded
on a stand-in before any device memory is taken (:mod:`fastinit.gpu.recording`), so a refused
fill raises first; the values equal the host path's bit for bit.
"""

import warnings
from typing import Any, Callable, Optional

import jax
import numpy as np

from ..gpu import recording
from .blocks import Bounds, bounds
from .keys import seed_from_key

__all__ = ["default_device", "gpu_array"]


def default_device() -> Any:
    """The device ``jnp.asarray`` puts a new array on: ``jax.config.jax_default_device`` (a
    device, or a platform name: that backend's first local device), else the first local device."""
    chosen = jax.config.jax_default_device
    if chosen is None:
        return jax.local_devices()[0]
    return jax.local_devices(backend=chosen)[0] if isinstance(chosen, str) else chosen


def _is_gpu(device: Any) -> bool:
    """A CUDA or ROCm device (JAX names both platforms ``gpu``; some versions ``cuda``/``rocm``)."""
    return getattr(device, "platform", None) in ("gpu", "cuda", "rocm")


def _torch_device(device: Any) -> Any:
    """torch's device for a JAX GPU device: the same local ordinal (CUDA_VISIBLE_DEVICES holds for both)."""
    import torch
    ordinal = getattr(device, "local_hardware_id", None)
    return torch.device("cuda", int(device.id if ordinal is None else ordinal))


def _kernels_ready() -> bool:
    """torch with a GPU, and Triton, are installed (else the host path runs)."""
    from .. import gpu
    if not gpu.available():
        return False
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def _placements(dims: tuple[int, ...], sharding: Any) -> list[tuple[Any, Bounds]]:
    """(device, bounds of its block) for each device this process fills."""
    if sharding is None:
        return [(default_device(), tuple((0, n) for n in dims))]
    return [(device, bounds(index, dims)) for device, index in sharding.addressable_devices_indices_map(dims).items()]


def _empty(shape: tuple[int, ...], dt: np.dtype, device: Any) -> Any:
    """An unwritten torch tensor of ``shape`` and ``dt`` on the JAX GPU ``device``."""
    import torch
    return torch.empty(shape, dtype=getattr(torch, dt.name), device=_torch_device(device))


def _recorded(fill: Callable[..., Any], seed: int, dims: tuple[int, ...], dt: np.dtype, sharding: Any,
              placements: list[tuple[Any, Bounds]]) -> Optional[dict[Bounds, list[recording.Launch]]]:
    """The launches of each distinct block (replicas share them), or None when one is not one pass."""
    recorded: dict[Bounds, list[recording.Launch]] = {}
    for _, block in placements:
        if block not in recorded:
            index = None if sharding is None else tuple(slice(*b) for b in block)
            launches = recording.record(tuple(b - a for a, b in block), dt,
                                        lambda out, i=index: fill(out, seed, dims, i))
            if launches is None:
                return None
            recorded[block] = launches
    return recorded


def _out_of_memory(exc: BaseException) -> bool:
    import torch
    return isinstance(exc, torch.cuda.OutOfMemoryError)


def gpu_array(key: Any, fill: Callable[..., Any], dims: tuple[int, ...], dt: np.dtype, sharding: Any,
              elementwise: bool) -> Optional[Any]:
    """The initializer's ``jax.Array`` computed on its GPUs (one block per device of
    ``sharding``, or the whole array on the default device), or None for the host path.

    The blocks are torch allocations, outside JAX's preallocated pool (by default 75% of each
    GPU's memory): where torch runs out of memory, a RuntimeWarning says so and the host path runs
    (the blocks already made are freed)."""
    if not elementwise:
        return None
    placements = _placements(dims, sharding)
    if not all(_is_gpu(device) for device, _ in placements) or not _kernels_ready():
        return None
    recorded = _recorded(fill, seed_from_key(key), dims, dt, sharding, placements)
    if recorded is None:
        return None
    arrays = []
    for device, block in placements:
        try:
            tensor = _empty(tuple(b - a for a, b in block), dt, device)
        except RuntimeError as exc:
            if not _out_of_memory(exc):
                raise
            warnings.warn(f"fastinit.jax: torch could not allocate a {dt} block of {block} on {device} ({exc}); "
                          "computing it on the host instead. JAX preallocates most of the GPU's memory: set "
                          "XLA_PYTHON_CLIENT_MEM_FRACTION (or XLA_PYTHON_CLIENT_PREALLOCATE=false) to leave room",
                          RuntimeWarning, stacklevel=4)
            return None
        recording.run(tensor, recorded[block])
        arrays.append(jax.dlpack.from_dlpack(tensor))  # JAX holds the tensor: no copy
    if sharding is None:
        return arrays[0]
    return jax.make_array_from_single_device_arrays(dims, sharding, arrays)
