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
- ``generator``: a ``torch.Generator``: with ``seed=None`` the 64-bit seed is drawn from it instead
  of from the default generator (``torch.Generator().manual_seed(42)`` gives what
  ``torch.manual_seed(42)`` gives); passing both ``seed`` and ``generator`` raises ValueError.
- Numbers may be Python or NumPy scalars, 0-d tensors or 0-d arrays. Complex64/complex128 tensors
  are filled with torch's semantics (``normal_``: each part N(mean, std**2/2); ``uniform_``: each
  part U(a, b); ``xavier_*``/``kaiming_*``/``sparse_`` likewise; ``eye_``/``dirac_``/``constant_``
  real or complex values); ``trunc_normal_`` and ``orthogonal_`` refuse them, as torch does.
- Exceptions have torch's types (ValueError for ranks and ``calculate_gain``; bad parameter
  values raise :class:`ParameterError`, a ValueError and RuntimeError; unsupported dtypes
  :class:`UnsupportedDtypeError`, a TypeError and NotImplementedError).
- The deterministic ones (``constant_``, ``ones_``, ``zeros_``, ``eye_``, ``dirac_``) accept and
  ignore ``seed``/``stream``, so any of these functions can serve as an :func:`init_module` rule;
  on dtypes fastinit does not write (int, bool ...) they use torch's own op, as torch does.
- torch's deprecated names (``uniform``, ``normal``, ``constant``, ``eye``, ``dirac``,
  ``xavier_uniform`` ...) warn (FutureWarning) and call the new ones.
- DTensors (``torch.distributed.tensor``): the local shard is filled with the global tensor's
  values at its positions, fans from the global shape (see :mod:`fastinit.torch.dtensor`;
  ``Partial`` placements are refused);
  :func:`dtensor_index` gives a DTensor's place in the global tensor for fastinit's NumPy fills.
- CUDA tensors (where ``torch.cuda.is_available()``) are filled on the device, in their own
  memory, by fastinit's Triton kernels and torch's device ops (``pip install "fastinit[gpu]"``;
  without Triton on the CPU in bounded pinned chunks copied to the device; see docs/guide/gpu.md,
  untested on a GPU so far); other non-CPU tensors raise
  ValueError: fill a CPU tensor and move it with ``.to(device)``. Meta tensors raise ValueError
  too: they have no memory; materialize the module with :func:`init_module`. Other dtypes raise TypeError.

**Whole-model init.** :func:`init_module` fills every parameter and buffer of a module as its
``reset_parameters`` would, with fastinit streams named by the tensors' qualified names; models
that bring their own init code (transformers' ``PreTrainedModel``, custom ``reset_parameters``)
have it run under :class:`seeded`, in which every random in-place init of the model's tensors
draws fastinit's values: ``with fastinit.torch.seeded(model, seed): model.init_weights()``.
:func:`build` (and :class:`deferred`) records a model's construction, constructor-time init
included, and replays it with the same keyed values: ``build(lambda: timm.create_model(name), seed)``.
"""

from __future__ import annotations

try:
    import torch  # absolute import: the real PyTorch, not this package
except ImportError as _exc:  # pragma: no cover - only without torch
    raise ImportError("fastinit.torch needs PyTorch; install it (e.g. `pip install torch`) or use fastinit's "
                      "NumPy functions") from _exc
if not hasattr(torch, "Tensor"):  # pragma: no cover - python/fastinit itself on sys.path
    raise ImportError("`import torch` found fastinit's own torch package; do not put python/fastinit on sys.path")

from .build import build, deferred

# Tensor, Scheme and SchemeValue: importable from fastinit.torch as before the split, not in __all__.
from .checks import NotATensorError, ParameterError, UnsupportedDtypeError, numpy_view
from .checks import Tensor as Tensor
from .deprecated import (  # torch's deprecated names, not in __all__ (as in torch.nn.init)
    constant,
    dirac,
    eye,
    kaiming_normal,
    kaiming_uniform,
    normal,
    orthogonal,
    sparse,
    uniform,
    xavier_normal,
    xavier_uniform,
)
from .deterministic import constant_, dirac_, eye_, ones_, zeros_
from .dtensor import dtensor_index
from .fan_scaled import kaiming_normal_, kaiming_uniform_, xavier_normal_, xavier_uniform_
from .fingerprint import fingerprint, fingerprint_module, shard_fingerprint
from .functions import calculate_gain, normal_, orthogonal_, sparse_, trunc_normal_, uniform_
from .module_init import Scheme as Scheme
from .module_init import SchemeValue as SchemeValue
from .module_init import init_module
from .rows import rows_
from .seeding import UnkeyedDrawError, UnkeyedDrawWarning, seeded

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
    "build",
    "deferred",
    "fingerprint",
    "fingerprint_module",
    "shard_fingerprint",
    "rows_",
    "seeded",
    "UnkeyedDrawError",
    "UnkeyedDrawWarning",
    "numpy_view",
    "dtensor_index",
    "ParameterError",
    "UnsupportedDtypeError",
    "NotATensorError",
]

# torch.nn.init's deprecated names (FutureWarning), importable but not in __all__, as in torch.
_DEPRECATED = (constant, dirac, eye, kaiming_normal, kaiming_uniform, normal, orthogonal, sparse, uniform,
               xavier_normal, xavier_uniform)
