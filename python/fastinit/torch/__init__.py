"""``fastinit.torch``: ``torch.nn.init`` as fastinit fills, and reproducible whole-model init.

Importing this module imports PyTorch (``import fastinit`` alone never does).

**Drop-in functions.** ``uniform_``, ``normal_``, ``trunc_normal_``, ``constant_``, ``ones_``,
``zeros_``, ``eye_``, ``dirac_``, ``xavier_uniform_``, ``xavier_normal_``, ``kaiming_uniform_``,
``kaiming_normal_``, ``orthogonal_``, ``sparse_`` and ``calculate_gain`` have ``torch.nn.init``'s
names, positional parameters, defaults and semantics (``trunc_normal_``'s ``a``/``b`` are absolute
bounds, as in torch; rank < 2 refused by the fan-based ones with torch's message), plus the
keywords ``seed`` and ``stream``. Each fills a CPU tensor of float32, float64, float16 or bfloat16
**in place, through the tensor's own memory** (a NumPy view of it; no copy, ``data_ptr()``
unchanged), contiguous or not, and returns the tensor. They work on parameters that require grad,
with or without ``torch.no_grad()``, and bump the tensor's autograd version counter as an in-place
torch op would.

- ``seed``: an int in [0, 2**64) makes the values a pure function of (seed, stream, shape, dtype),
  the fastinit contract. ``seed=None`` (the default) draws a 64-bit seed from torch's default CPU
  generator, so ``torch.manual_seed(s)`` makes a script repeatable, as it does with
  ``torch.nn.init``; the values themselves are fastinit's, not torch's.
- ``stream``: an int or a str (e.g. the parameter's name); see :func:`fastinit.stream_from_name`.
- ``generator``: accepted for signature compatibility; anything but None raises TypeError (pass
  ``seed=`` instead).
- The deterministic ones (``constant_``, ``ones_``, ``zeros_``, ``eye_``, ``dirac_``) accept and
  ignore ``seed``/``stream``, so any of these functions can serve as an :func:`init_module` rule.
- CUDA (or any non-CPU) tensors raise ValueError: fill a CPU tensor and move it with
  ``.to(device)``. Meta tensors raise ValueError too: they have no memory; materialize the module
  with :func:`init_module`. Other dtypes raise TypeError.

**Whole-model init.** :func:`init_module` fills every parameter and buffer of a module as its
``reset_parameters`` would, with fastinit streams named by the tensors' qualified names.
"""

from __future__ import annotations

try:
    import torch  # absolute import: the real PyTorch, not this package
except ImportError as _exc:  # pragma: no cover - only without torch
    raise ImportError("fastinit.torch needs PyTorch; install it (e.g. `pip install torch`) or use fastinit's "
                      "NumPy functions") from _exc
if not hasattr(torch, "Tensor"):  # pragma: no cover - python/fastinit itself on sys.path
    raise ImportError("`import torch` found fastinit's own torch package; do not put python/fastinit on sys.path")

# Tensor, Scheme and SchemeValue: importable from fastinit.torch as before the split, not in __all__.
from .functions import Tensor as Tensor
from .functions import (
    calculate_gain,
    constant_,
    dirac_,
    eye_,
    kaiming_normal_,
    kaiming_uniform_,
    normal_,
    numpy_view,
    ones_,
    orthogonal_,
    sparse_,
    trunc_normal_,
    uniform_,
    xavier_normal_,
    xavier_uniform_,
    zeros_,
)
from .module_init import Scheme as Scheme
from .module_init import SchemeValue as SchemeValue
from .module_init import init_module

__all__ = [
    "calculate_gain",
    "uniform_",
    "normal_",
    "trunc_normal_",
    "constant_",
    "ones_",
    "zeros_",
    "eye_",
    "dirac_",
    "xavier_uniform_",
    "xavier_normal_",
    "kaiming_uniform_",
    "kaiming_normal_",
    "orthogonal_",
    "sparse_",
    "init_module",
    "numpy_view",
]
