"""fastinit: neural-network weight initializations written in place, at memory speed,
reproducible bit for bit across threads, SIMD paths, shards and machines.

Stream version 1 (see docs/stream-v1.md): every value is a pure function of (seed, stream, element
index in the full tensor, parameters, dtype).

Example:
    >>> import numpy as np, fastinit
    >>> w = fastinit.he_normal((256, 128), seed=0, stream="layer1.weight")  # a new float32 array
    >>> w.shape, w.dtype
    ((256, 128), dtype('float32'))
    >>> buf = np.empty((256, 128), np.float32)
    >>> _ = fastinit.he_normal(buf, seed=0, stream="layer1.weight")  # in place: the same bits
    >>> np.array_equal(buf, w)
    True
"""

import importlib
from types import ModuleType

try:
    from . import _core  # noqa: F401  (imported first: a broken build fails here, with the message below)
except ImportError as exc:  # pragma: no cover - only on a broken install
    raise ImportError(
        "fastinit's compiled core (fastinit._core) failed to load: "
        f"{exc}. Reinstall with `pip install --force-reinstall --no-binary fastinit fastinit` "
        "or, from a checkout, `pip install .` (needs a C++17 compiler)."
    ) from exc

from .core.fills import constant, normal, ones, random_bits, truncated_normal, uniform, zeros
from .core.runtime import (
    SIMD_ENV_VAR,
    STORES_ENV_VAR,
    _apply_environment,
    get_num_threads,
    set_num_threads,
    set_simd_path,
    set_store_kind,
    simd_path,
    simd_paths,
    store_kind,
)
from .core.seed import stream_from_name
from .fingerprint import fingerprint
from .names.registry import Initializer, get
from .presets.disk import truncated_normal_disk, uniform_disk
from .presets.fans import calculate_gain, compute_fans
from .presets.glorot_he_lecun import glorot_normal, glorot_uniform, he_normal, he_uniform, lecun_normal, lecun_uniform
from .presets.orthogonal import delta_orthogonal, orthogonal
from .presets.pytorch import kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform
from .presets.random_init import random_normal, random_truncated_normal, random_uniform
from .presets.stft import stft
from .presets.structured import dirac, eye, identity, sparse
from .presets.variance_scaling import variance_scaling
from .rows import hashed_row_ids, rows
from .shard import shard_index, shard_shape

#: Version of the value contract (defined in the C++ core, cpp/stream_version.hpp); a change to any
#: produced bit increments it.
STREAM_VERSION: int = _core.STREAM_VERSION

from ._version import __version__ as __version__  # noqa: E402

__all__ = [
    "STREAM_VERSION",
    "SIMD_ENV_VAR",
    "STORES_ENV_VAR",
    "constant",
    "fingerprint",
    "get_num_threads",
    "normal",
    "ones",
    "random_bits",
    "set_num_threads",
    "set_simd_path",
    "set_store_kind",
    "simd_path",
    "simd_paths",
    "store_kind",
    "stream_from_name",
    "truncated_normal",
    "truncated_normal_disk",
    "uniform",
    "uniform_disk",
    "zeros",
    # fans and presets (Keras, PyTorch, JAX initializers)
    "Initializer",
    "calculate_gain",
    "compute_fans",
    "delta_orthogonal",
    "dirac",
    "eye",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "orthogonal",
    "random_normal",
    "random_truncated_normal",
    "random_uniform",
    "sparse",
    "stft",
    "variance_scaling",
    # shards (fastinit.dask, fastinit.outofcore and fastinit.cli are imported on first use)
    "shard_index",
    "shard_shape",
    # rows by ID (embedding tables, key-value stores)
    "hashed_row_ids",
    "rows",
    "xavier_normal",
    "xavier_uniform",
]

_apply_environment()

_LAZY_SUBMODULES = ("dask", "outofcore", "cli", "torch", "keras", "jax", "cupy")


# PEP 562: ``fastinit.dask`` etc. without importing dask at ``import fastinit``
def __getattr__(name: str) -> ModuleType:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """The public API (``__all__``), ``__version__`` and the submodules imported on first use:
    not the helpers this module imports for itself."""
    return sorted({*__all__, "__version__", *_LAZY_SUBMODULES})
