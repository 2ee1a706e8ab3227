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

import fnmatch
import math
import numbers
import warnings
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, Union

import numpy as np

try:
    import torch  # absolute import: the real PyTorch, not this module
except ImportError as _exc:  # pragma: no cover - only without torch
    raise ImportError("fastinit.torch needs PyTorch; install it (e.g. `pip install torch`) or use fastinit's "
                      "NumPy functions") from _exc
if not hasattr(torch, "Tensor"):  # pragma: no cover - python/fastinit itself on sys.path
    raise ImportError("`import torch` found fastinit's own torch.py; do not put python/fastinit on sys.path")

from .. import fills as _fills
from .._dtypes import bfloat16 as _np_bfloat16
from .._preset_args import real_param as _real_param
from .._seed import Seed, Stream, resolve_seed
from ..fans import calculate_gain, compute_fans
from ..orthogonal import orthogonal as _orthogonal
from ..registry import Initializer, get as _get
from ..structured import dirac as _dirac, eye as _eye, sparse as _sparse
from ..torch_presets import (kaiming_normal as _kaiming_normal, kaiming_uniform as _kaiming_uniform,
                            xavier_normal as _xavier_normal, xavier_uniform as _xavier_uniform)

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

Tensor = torch.Tensor

_FLOAT_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)
_FAN_MESSAGE = "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions"


# ---------------------------------------------------------------- the tensor's memory as NumPy


def _check_tensor(tensor: Any, where: str) -> None:
    """Everything :func:`numpy_view` needs, checked without touching memory."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{where}: tensor must be a torch.Tensor, got {type(tensor).__name__}; "
                        "for NumPy arrays use fastinit's functions (fastinit.uniform, ...) directly")
    if torch.nn.parameter.is_lazy(tensor):
        raise ValueError(f"{where}: tensor is an uninitialized lazy parameter/buffer; run a forward pass (or "
                         "module.initialize_parameters) first so that it has a shape")
    if tensor.is_meta:
        raise ValueError(f"{where}: tensor is on the meta device and has no memory to fill; materialize the "
                         "module with fastinit.torch.init_module(module, seed) (to_empty + fill), or create the "
                         "tensor on the CPU")
    if tensor.device.type != "cpu":
        raise ValueError(f"{where}: tensor is on {tensor.device}; fastinit fills CPU memory: fill a CPU tensor "
                         f"and move it (t_cpu = torch.empty(shape, dtype=dtype); fill; t.copy_(t_cpu) or "
                         f"t_cpu.to('{tensor.device}'))")
    if tensor.layout != torch.strided:
        raise TypeError(f"{where}: tensor has layout {tensor.layout}; fastinit fills dense (strided) tensors")
    if tensor.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"{where}: tensor has dtype {tensor.dtype}; fastinit fills torch.float32, torch.float64, "
                        "torch.float16 and torch.bfloat16 tensors (convert with tensor.to(torch.float32))")
    if tensor.is_neg() or tensor.is_conj():
        raise TypeError(f"{where}: tensor is a lazily negated/conjugated view; call .resolve_neg() and fill that")
    if any(st == 0 and n > 1 for st, n in zip(tensor.stride(), tensor.shape)) or (
            tensor.numel() > 1 and torch._debug_has_internal_overlap(tensor) == 1):
        raise ValueError(f"{where}: tensor has overlapping memory (an expanded/broadcast view, stride 0), so "
                         "its elements cannot each get their own value; fill the tensor it was expanded from, "
                         "or a .clone()")


def numpy_view(tensor: Tensor) -> np.ndarray:
    """A writable NumPy view of a CPU tensor's own memory (same strides, no copy).

    float32/float64/float16 tensors give arrays of the same dtype; a bfloat16 tensor gives an
    ``ml_dtypes.bfloat16`` array over the same bytes. Writing to the view writes the tensor
    (without bumping its autograd version counter; the fill functions here do that).

    Raises:
        TypeError: not a tensor, unsupported dtype or layout. ValueError: a meta or non-CPU
        tensor, or one whose elements overlap in memory.
    """
    _check_tensor(tensor, "numpy_view")
    t = tensor.detach()
    try:
        if t.dtype == torch.bfloat16:
            return t.view(torch.int16).numpy().view(_np_bfloat16)
        return t.numpy()
    except RuntimeError as exc:  # functorch/fake tensors and other wrappers have no plain storage
        raise TypeError(f"tensor of type {type(tensor).__name__} has no CPU memory NumPy can view: {exc}") from None


def _fill(tensor: Tensor, where: str, fill: Callable[[np.ndarray], Any]) -> Tensor:
    _check_tensor(tensor, where)
    array = numpy_view(tensor)
    fill(array)
    torch.autograd.graph.increment_version(tensor)
    return tensor


def _check_generator(generator: Any, where: str) -> None:
    if generator is not None:
        raise TypeError(f"{where}: generator= is not supported: fastinit draws from (seed, stream), not from a "
                        "torch.Generator; pass seed=<int> (and stream=) instead, or leave both out to draw the "
                        "seed from torch's default generator (torch.manual_seed)")


def _seed(seed: Seed) -> int:
    """``seed`` checked, or (None) 64 bits drawn from torch's default CPU generator."""
    if seed is None:
        words = torch.empty(2, dtype=torch.int64).random_(0, 1 << 32)
        return (int(words[0]) << 32) | int(words[1])
    return resolve_seed(seed)


def _fan_rank(tensor: Tensor) -> None:
    if tensor.dim() < 2:
        raise ValueError(_FAN_MESSAGE)


def _number(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{where}: {name} must be a real number, got {type(value).__name__} {value!r}")
    v = float(value)
    if math.isnan(v):
        raise ValueError(f"{where}: {name} must not be NaN")
    return v


# ---------------------------------------------------------------- torch.nn.init's functions


def uniform_(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Optional[torch.Generator] = None, *,
             seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with U(a, b) in place (``torch.nn.init.uniform_``); returns ``tensor``.

    Values: :func:`fastinit.uniform` ``(view, a, b, seed=seed, stream=stream)``. ``seed=None``
    draws the seed from torch's default generator.
    """
    _check_generator(generator, "uniform_")
    _check_tensor(tensor, "uniform_")
    s = _seed(seed)
    return _fill(tensor, "uniform_", lambda x: _fills.uniform(x, a, b, seed=s, stream=stream))


def normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Optional[torch.Generator] = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) in place (``torch.nn.init.normal_``); returns ``tensor``.

    Values: :func:`fastinit.normal` ``(view, mean, std, seed=seed, stream=stream)``.
    """
    _check_generator(generator, "normal_")
    _check_tensor(tensor, "normal_")
    s = _seed(seed)
    return _fill(tensor, "normal_", lambda x: _fills.normal(x, mean, std, seed=s, stream=stream))


def trunc_normal_(tensor: Tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0,
                  generator: Optional[torch.Generator] = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with N(mean, std**2) truncated to [a, b] in place (``torch.nn.init.trunc_normal_``).

    ``a`` and ``b`` are **absolute** bounds, as in torch (default [-2, 2], i.e. +-2 only when
    mean=0 and std=1). Values: :func:`fastinit.truncated_normal` ``(view, mean, std, (a - mean) /
    std, (b - mean) / std)``: inverse-CDF sampling, exact in far tails too (torch warns when the
    mean is more than 2 std outside [a, b]; fastinit needs no warning). ``a``/``b`` may be
    infinite (one-sided). Returns ``tensor``.
    """
    _check_generator(generator, "trunc_normal_")
    mean = _real_param(mean, "mean")
    std = _real_param(std, "std")
    a_abs, b_abs = _number(a, "a", "trunc_normal_"), _number(b, "b", "trunc_normal_")
    if not std > 0:
        raise ValueError(f"trunc_normal_: std must be > 0, got {std!r}")
    if not a_abs < b_abs:
        raise ValueError(f"trunc_normal_: the bounds need a < b, got a={a!r}, b={b!r}")
    lo, hi = (a_abs - mean) / std, (b_abs - mean) / std
    _check_tensor(tensor, "trunc_normal_")
    s = _seed(seed)
    return _fill(tensor, "trunc_normal_",
                 lambda x: _fills.truncated_normal(x, mean, std, lo, hi, seed=s, stream=stream))


def constant_(tensor: Tensor, val: float, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with ``val`` (``torch.nn.init.constant_``); ``seed``/``stream`` are ignored."""
    return _fill(tensor, "constant_", lambda x: _fills.constant(x, val))


def ones_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with 1 (``torch.nn.init.ones_``); ``seed``/``stream`` are ignored."""
    return _fill(tensor, "ones_", _fills.ones)


def zeros_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill ``tensor`` with 0 (``torch.nn.init.zeros_``); ``seed``/``stream`` are ignored."""
    return _fill(tensor, "zeros_", _fills.zeros)


def eye_(tensor: Tensor, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill the 2-d ``tensor`` with the identity matrix (``torch.nn.init.eye_``)."""
    _check_tensor(tensor, "eye_")
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    return _fill(tensor, "eye_", _eye)


def dirac_(tensor: Tensor, groups: int = 1, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """Fill a {3, 4, 5}-d conv kernel with the Dirac delta, per group (``torch.nn.init.dirac_``)."""
    _check_tensor(tensor, "dirac_")
    if tensor.dim() not in (3, 4, 5):
        raise ValueError("Only tensors with 3, 4, or 5 dimensions are supported")
    return _fill(tensor, "dirac_", lambda x: _dirac(x, groups))


def xavier_uniform_(tensor: Tensor, gain: float = 1.0, generator: Optional[torch.Generator] = None, *,
                    seed: Seed = None, stream: Stream = 0) -> Tensor:
    """U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)), fans of torch's layout
    (``torch.nn.init.xavier_uniform_``). Values: :func:`fastinit.xavier_uniform`."""
    _check_generator(generator, "xavier_uniform_")
    _check_tensor(tensor, "xavier_uniform_")
    _fan_rank(tensor)
    s = _seed(seed)
    return _fill(tensor, "xavier_uniform_", lambda x: _xavier_uniform(x, gain, seed=s, stream=stream))


def xavier_normal_(tensor: Tensor, gain: float = 1.0, generator: Optional[torch.Generator] = None, *,
                   seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2), std = gain * sqrt(2 / (fan_in + fan_out)), untruncated
    (``torch.nn.init.xavier_normal_``). Values: :func:`fastinit.xavier_normal`."""
    _check_generator(generator, "xavier_normal_")
    _check_tensor(tensor, "xavier_normal_")
    _fan_rank(tensor)
    s = _seed(seed)
    return _fill(tensor, "xavier_normal_", lambda x: _xavier_normal(x, gain, seed=s, stream=stream))


def _kaiming(fill: Callable[..., np.ndarray], where: str, tensor: Tensor, a: float, mode: str, nonlinearity: str,
             generator: Any, seed: Seed, stream: Stream) -> Tensor:
    _check_generator(generator, where)
    _check_tensor(tensor, where)
    if 0 in tensor.shape:  # torch's rule, warning included
        warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=3)
        return tensor
    _fan_rank(tensor)
    s = _seed(seed)
    return _fill(tensor, where, lambda x: fill(x, a, mode, nonlinearity, seed=s, stream=stream))


def kaiming_uniform_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                     generator: Optional[torch.Generator] = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """U(-bound, bound), bound = calculate_gain(nonlinearity, a) * sqrt(3 / fan_mode)
    (``torch.nn.init.kaiming_uniform_``; nn.Linear and nn.Conv use ``a=math.sqrt(5)``).
    Values: :func:`fastinit.kaiming_uniform`. A zero-element tensor is left alone with torch's
    warning."""
    return _kaiming(_kaiming_uniform, "kaiming_uniform_", tensor, a, mode, nonlinearity, generator, seed, stream)


def kaiming_normal_(tensor: Tensor, a: float = 0, mode: str = "fan_in", nonlinearity: str = "leaky_relu",
                    generator: Optional[torch.Generator] = None, *, seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2), std = calculate_gain(nonlinearity, a) / sqrt(fan_mode), untruncated
    (``torch.nn.init.kaiming_normal_``). Values: :func:`fastinit.kaiming_normal`."""
    return _kaiming(_kaiming_normal, "kaiming_normal_", tensor, a, mode, nonlinearity, generator, seed, stream)


def orthogonal_(tensor: Tensor, gain: float = 1, generator: Optional[torch.Generator] = None, *,
                seed: Seed = None, stream: Stream = 0) -> Tensor:
    """A (semi-)orthogonal matrix times ``gain``, rows = shape[0], the other axes flattened
    (``torch.nn.init.orthogonal_``). Values: :func:`fastinit.orthogonal` with ``layout="torch"``
    (Haar-distributed; float64 QR of a normal matrix from the stream)."""
    _check_generator(generator, "orthogonal_")
    _check_tensor(tensor, "orthogonal_")
    if tensor.dim() < 2:
        raise ValueError("Only tensors with 2 or more dimensions are supported")
    s = _seed(seed)
    return _fill(tensor, "orthogonal_", lambda x: _orthogonal(x, gain, layout="torch", seed=s, stream=stream))


def sparse_(tensor: Tensor, sparsity: float, std: float = 0.01, generator: Optional[torch.Generator] = None, *,
            seed: Seed = None, stream: Stream = 0) -> Tensor:
    """N(0, std**2) with ceil(sparsity * rows) zeros in every column of the 2-d ``tensor``
    (``torch.nn.init.sparse_``). Values: :func:`fastinit.sparse`."""
    _check_generator(generator, "sparse_")
    _check_tensor(tensor, "sparse_")
    if tensor.dim() != 2:
        raise ValueError("Only tensors with 2 dimensions are supported")
    s = _seed(seed)
    return _fill(tensor, "sparse_", lambda x: _sparse(x, sparsity, std, seed=s, stream=stream))


# ---------------------------------------------------------------- init_module

#: A rule: fills one tensor given (tensor, seed, stream name).
_Rule = Callable[[Tensor, int, str], None]
SchemeValue = Union[str, Mapping[str, Any], Initializer, Callable[..., Any], None]
Scheme = Union[str, Initializer, Mapping[str, SchemeValue], None]


def _torch_fan_in(shape: Tuple[int, ...]) -> int:
    return compute_fans(shape, layout="torch")[0]


def _kaiming_sqrt5(t: Tensor, seed: int, stream: str) -> None:
    kaiming_uniform_(t, a=math.sqrt(5), seed=seed, stream=stream)


def _uniform_rule(bound: float) -> _Rule:
    def rule(t: Tensor, seed: int, stream: str) -> None:
        uniform_(t, -bound, bound, seed=seed, stream=stream)
    return rule


def _constant_rule(value: float) -> _Rule:
    def rule(t: Tensor, seed: int, stream: str) -> None:
        constant_(t, value)
    return rule


def _normal_rule(t: Tensor, seed: int, stream: str) -> None:
    normal_(t, seed=seed, stream=stream)


def _xavier_uniform_rule(t: Tensor, seed: int, stream: str) -> None:
    xavier_uniform_(t, seed=seed, stream=stream)


def _xavier_normal_rule(t: Tensor, seed: int, stream: str) -> None:
    xavier_normal_(t, seed=seed, stream=stream)


def _zero_any(t: Tensor, seed: int, stream: str) -> None:
    """Zero any dtype (num_batches_tracked is int64): a torch op, nothing random."""
    with torch.no_grad():
        t.zero_()


_ONES = _constant_rule(1.0)
_ZEROS = _constant_rule(0.0)
setattr(_zero_any, "_any_dtype", True)  # rules without it need a float dtype fastinit writes


def _own(m: torch.nn.Module, name: str) -> Optional[Tensor]:
    t: Optional[Tensor] = m._parameters.get(name)
    if t is None:
        t = m._buffers.get(name)
    return t


def _linear_like(m: torch.nn.Module) -> Dict[str, _Rule]:
    """nn.Linear and nn.Conv*/ConvTranspose*: kaiming_uniform(a=sqrt(5)), bias U(+-1/sqrt(fan_in))."""
    rules: Dict[str, _Rule] = {}
    weight = _own(m, "weight")
    if weight is None:
        return rules
    rules["weight"] = _kaiming_sqrt5
    if _own(m, "bias") is not None:
        fan_in = _torch_fan_in(tuple(weight.shape))
        rules["bias"] = _uniform_rule(1 / math.sqrt(fan_in) if fan_in > 0 else 0.0)
    return rules


def _bilinear(m: torch.nn.Module) -> Dict[str, _Rule]:
    weight = _own(m, "weight")
    if weight is None or weight.shape[1] <= 0:
        return {}
    rule = _uniform_rule(1 / math.sqrt(weight.shape[1]))
    return {"weight": rule, "bias": rule} if _own(m, "bias") is not None else {"weight": rule}


def _embedding(m: torch.nn.Module) -> Dict[str, _Rule]:
    padding_idx = getattr(m, "padding_idx", None)

    def rule(t: Tensor, seed: int, stream: str) -> None:
        normal_(t, seed=seed, stream=stream)
        if padding_idx is not None:
            numpy_view(t)[padding_idx] = 0
    return {"weight": rule}


def _norm_base(m: torch.nn.Module) -> Dict[str, _Rule]:
    """BatchNorm*, SyncBatchNorm, InstanceNorm*: running stats reset, affine weight 1, bias 0."""
    rules: Dict[str, _Rule] = {"weight": _ONES, "bias": _ZEROS, "running_mean": _ZEROS, "running_var": _ONES,
                               "num_batches_tracked": _zero_any}
    return {k: v for k, v in rules.items() if _own(m, k) is not None}


def _affine_norm(m: torch.nn.Module) -> Dict[str, _Rule]:
    """LayerNorm, GroupNorm, RMSNorm: weight 1, bias 0."""
    return {k: v for k, v in (("weight", _ONES), ("bias", _ZEROS)) if _own(m, k) is not None}


def _prelu(m: torch.nn.Module) -> Dict[str, _Rule]:
    return {"weight": _constant_rule(float(getattr(m, "init")))}


def _rnn(m: torch.nn.Module) -> Dict[str, _Rule]:
    """RNN/LSTM/GRU and their cells: every parameter U(+-1/sqrt(hidden_size))."""
    hidden = int(getattr(m, "hidden_size"))
    rule = _uniform_rule(1.0 / math.sqrt(hidden) if hidden > 0 else 0.0)
    return {name: rule for name, p in m._parameters.items() if p is not None}


def _multihead_attention(m: torch.nn.Module) -> Dict[str, _Rule]:
    """MultiheadAttention._reset_parameters: xavier_uniform projections, zero biases (out_proj's
    too), xavier_normal bias_k/bias_v; out_proj.weight keeps nn.Linear's rule."""
    rules: Dict[str, _Rule] = {}
    for name in ("in_proj_weight", "q_proj_weight", "k_proj_weight", "v_proj_weight"):
        if _own(m, name) is not None:
            rules[name] = _xavier_uniform_rule
    if _own(m, "in_proj_bias") is not None:
        rules["in_proj_bias"] = _ZEROS
        if getattr(m.out_proj, "bias", None) is not None:
            rules["out_proj.bias"] = _ZEROS
    for name in ("bias_k", "bias_v"):
        if _own(m, name) is not None:
            rules[name] = _xavier_normal_rule
    return rules


def _transformer(m: torch.nn.Module) -> Dict[str, _Rule]:
    """nn.Transformer._reset_parameters: xavier_uniform for every parameter of rank > 1 under it."""
    return {name: _xavier_uniform_rule for name, p in m.named_parameters() if p.dim() > 1}


def _handlers() -> List[Tuple[type, str, Callable[[torch.nn.Module], Dict[str, _Rule]]]]:
    nn = torch.nn
    table: List[Tuple[type, str, Callable[[torch.nn.Module], Dict[str, _Rule]]]] = [
        (nn.Linear, "reset_parameters", _linear_like),
        (nn.modules.conv._ConvNd, "reset_parameters", _linear_like),
        (nn.Bilinear, "reset_parameters", _bilinear),
        (nn.Embedding, "reset_parameters", _embedding),
        (nn.EmbeddingBag, "reset_parameters", _embedding),
        (nn.modules.batchnorm._NormBase, "reset_parameters", _norm_base),
        (nn.LayerNorm, "reset_parameters", _affine_norm),
        (nn.GroupNorm, "reset_parameters", _affine_norm),
        (nn.PReLU, "reset_parameters", _prelu),
        (nn.RNNBase, "reset_parameters", _rnn),
        (nn.RNNCellBase, "reset_parameters", _rnn),
        (nn.MultiheadAttention, "_reset_parameters", _multihead_attention),
        (nn.Transformer, "_reset_parameters", _transformer),
    ]
    if hasattr(nn, "RMSNorm"):
        table.append((nn.RMSNorm, "reset_parameters", _affine_norm))
    return table


_HANDLERS = _handlers()


def _module_rules(m: torch.nn.Module) -> Dict[str, _Rule]:
    """Rules (names relative to ``m``) for a module whose reset method is torch's own; a subclass
    that overrides it gets none (its tensors are then 'unknown')."""
    for base, method, handler in _HANDLERS:
        if isinstance(m, base) and getattr(type(m), method, None) is getattr(base, method):
            return handler(m)
    return {}


def _scheme_rule(value: Any, where: str) -> Optional[_Rule]:
    """The rule of a scheme entry: a preset name/config/Initializer, a callable, or None (keep)."""
    if value is None:
        return None
    if isinstance(value, (str, Mapping)):
        try:
            value = _get(value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"scheme{where}: {exc}") from None
    if isinstance(value, Initializer):
        init = value
        extra: Dict[str, Any] = {"layout": "torch"} if "layout" in init._accepts and "layout" not in init.params else {}

        def rule(t: Tensor, seed: int, stream: str) -> None:
            _fill(t, f"scheme{where}", lambda x: init(x, seed=seed, stream=stream, **extra))
        return rule
    if callable(value):
        fn = value

        def call(t: Tensor, seed: int, stream: str) -> None:
            fn(t, seed=seed, stream=stream)
        setattr(call, "_any_dtype", True)  # the callable decides which dtypes it fills
        return call
    raise TypeError(f"scheme{where} must be an initializer name, a config dict, a fastinit.get(...) initializer, "
                    f"a callable fn(tensor, *, seed, stream) or None (leave as is); got {type(value).__name__}")


def _is_bias(name: str) -> bool:
    return "bias" in name.rsplit(".", 1)[-1]


def init_module(module: torch.nn.Module, seed: Seed, *, scheme: Scheme = None) -> torch.nn.Module:
    """Initialize every parameter and buffer of ``module`` in place, reproducibly, and return it.

    Each tensor is filled on its own fastinit stream, named by its qualified name
    (``"encoder.0.weight"``): its values depend only on (``seed``, that name, its shape, dtype and
    rule), not on the other layers, the order of the modules, or the thread count. Adding a layer
    leaves every other layer's weights unchanged (note that ``nn.Sequential`` names layers by
    position: inserting one renames those after it; name your layers to avoid that).

    Rules (``scheme=None``): what the module's own ``reset_parameters`` does with torch's
    defaults, with fastinit's values:

    - ``nn.Linear``, ``nn.Conv1d/2d/3d``, ``nn.ConvTranspose1d/2d/3d``: weight
      ``kaiming_uniform_(a=sqrt(5))``, bias U(+-1/sqrt(fan_in)); ``nn.Bilinear``: U(+-1/sqrt(in1));
    - ``nn.Embedding``, ``nn.EmbeddingBag``: N(0, 1), row ``padding_idx`` zero;
    - ``nn.BatchNorm*``, ``nn.SyncBatchNorm``, ``nn.InstanceNorm*``: weight 1, bias 0,
      running_mean 0, running_var 1, num_batches_tracked 0; ``nn.LayerNorm``, ``nn.GroupNorm``,
      ``nn.RMSNorm``: weight 1, bias 0; ``nn.PReLU``: its ``init`` value;
    - ``nn.MultiheadAttention``: xavier_uniform in-projections, zero in_proj_bias and
      out_proj.bias, xavier_normal bias_k/bias_v (out_proj.weight: nn.Linear's rule);
    - ``nn.RNN``, ``nn.LSTM``, ``nn.GRU`` and their cells: every parameter U(+-1/sqrt(hidden_size));
    - ``nn.Transformer``: xavier_uniform for every parameter of rank > 1 under it (its
      ``_reset_parameters``), the others by their own modules' rules.

    A rule applies when the module's reset method is torch's own; a subclass that overrides
    ``reset_parameters`` counts as unknown. Unknown modules with parameters (custom modules with
    their own ``nn.Parameter``, ParameterList, parametrizations ...) raise ValueError listing the
    tensors, unless ``scheme`` covers them; their buffers are left as they are (but raise when the
    module is materialized from the meta device, since their memory is then uninitialized).
    Tied (shared) tensors are filled once, under their first name in ``named_parameters()``.

    Args:
        module: a ``torch.nn.Module`` on the CPU, or on the meta device (then
            ``module.to_empty(device="cpu")`` allocates it, ties between shared parameters are
            kept, and every tensor is filled), or a mix of both.
        seed: an int in [0, 2**64); None draws one from torch's default generator.
        scheme: None (torch's defaults, above); a preset name (``"glorot_uniform"``,
            ``"he_normal"``, ``"trunc_normal_"`` ..., resolved with :func:`fastinit.get`) or a
            :func:`fastinit.get` initializer, applied to every parameter of rank >= 2 (with
            ``layout="torch"`` for fan-based presets: ``(out, in, *kernel)``), parameters of rank
            < 2 whose name contains "bias" set to zero, the rest by the defaults; or a mapping
            ``{pattern: initializer}``, the patterns ``fnmatch``-style over qualified names
            (``"*.bias"``, ``"encoder.*.weight"``; ``*`` crosses dots), the first matching pattern
            winning and unmatched tensors taking the defaults. A mapping's initializer is a preset
            name, a config dict, a :func:`fastinit.get` initializer (these fill a NumPy view of the
            tensor, torch layout), a callable ``fn(tensor, *, seed, stream)`` that fills the torch
            tensor in place (e.g. ``functools.partial(fastinit.torch.trunc_normal_, std=0.02)``),
            or None to leave the tensor as it is. Patterns that match nothing are ignored.

    Returns:
        ``module`` (materialized on the CPU if it was on the meta device).

    Raises:
        TypeError / ValueError before anything is written: a tensor on a device other than CPU or
        meta (build on CPU or meta, init, then ``.to(device)``), an unsupported dtype, lazy
        (uninitialized) parameters, unknown tensors without a scheme entry, a bad scheme.
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    base_seed = None if seed is None else resolve_seed(seed)  # None: drawn once everything is checked

    # every tensor, by its first (canonical) name, with all its names
    entries: List[Tuple[str, Tensor, bool]] = []  # (canonical name, tensor, is_parameter)
    aliases: Dict[int, List[str]] = {}
    for kind, named in ((True, module.named_parameters(remove_duplicate=False)),
                        (False, module.named_buffers(remove_duplicate=False))):
        for name, t in named:
            if t is None:
                continue
            if id(t) not in aliases:
                aliases[id(t)] = []
                entries.append((name, t, kind))
            aliases[id(t)].append(name)

    lazy = [name for name, t, _ in entries if torch.nn.parameter.is_lazy(t)]
    if lazy:
        raise ValueError(f"init_module: lazy modules are not materialized yet ({', '.join(lazy[:5])}); run a forward "
                         "pass (or module.initialize_parameters) first")
    elsewhere = [f"{name} ({t.device})" for name, t, _ in entries if t.device.type not in ("cpu", "meta")]
    if elsewhere:
        raise ValueError(f"init_module fills CPU memory, but {', '.join(elsewhere[:5])} are elsewhere; build the model "
                         "on the CPU or on torch.device('meta'), call init_module, then move it with .to(device)")
    on_meta = any(t.is_meta for _, t, _ in entries)

    # default rules: pre-order, ancestors first (MultiheadAttention, Transformer override children)
    defaults: Dict[str, _Rule] = {}
    for prefix, m in module.named_modules():
        for rel, module_rule in _module_rules(m).items():
            defaults.setdefault(f"{prefix}.{rel}" if prefix else rel, module_rule)

    patterns: List[Tuple[str, Optional[_Rule]]] = []
    weight_rule: Optional[_Rule] = None
    if isinstance(scheme, (str, Initializer)):
        weight_rule = _scheme_rule(scheme, "")
    elif isinstance(scheme, Mapping):
        for pattern, value in scheme.items():
            if not isinstance(pattern, str):
                raise TypeError(f"scheme keys must be fnmatch patterns (str), got {type(pattern).__name__} {pattern!r}")
            patterns.append((pattern, _scheme_rule(value, f"[{pattern!r}]")))
    elif scheme is not None:
        raise TypeError(f"scheme must be None, a preset name (e.g. 'glorot_uniform'), a fastinit.get(...) initializer "
                        f"or a mapping {{pattern: initializer}}, got {type(scheme).__name__}")

    plan: List[Tuple[str, Optional[_Rule]]] = []
    unknown: List[str] = []
    for name, t, is_param in entries:
        names = aliases[id(t)]
        found = False
        rule: Optional[_Rule] = None
        for pattern, value in patterns:
            if any(fnmatch.fnmatchcase(n, pattern) for n in names):
                rule, found = value, True
                break
        if not found and weight_rule is not None and is_param:
            if t.dim() >= 2:
                rule, found = weight_rule, True
            elif any(_is_bias(n) for n in names):
                rule, found = _ZEROS, True
        if not found:
            for n in names:
                if n in defaults:
                    rule, found = defaults[n], True
                    break
        if not found:
            if is_param or on_meta:
                owner = type(module.get_submodule(name.rpartition(".")[0])).__name__
                unknown.append(f"{name} {tuple(t.shape)} in {owner}")
            continue
        if rule is None and on_meta:
            raise ValueError(f"init_module: scheme leaves {name} as it is, but the module is on the meta device, where "
                             "it has no values; give it an initializer")
        if rule is not None and not getattr(rule, "_any_dtype", False) and t.dtype not in _FLOAT_DTYPES:
            raise TypeError(f"init_module: {name} has dtype {t.dtype}; fastinit fills float32, float64, float16 and "
                            "bfloat16 tensors (scheme value None leaves a tensor as it is)")
        plan.append((name, rule))
    if unknown:
        what = "parameters" if not on_meta else "parameters/buffers (the module is on the meta device)"
        raise ValueError(
            f"init_module: no rule for the {what} {'; '.join(unknown[:10])}"
            f"{' ...' if len(unknown) > 10 else ''}: their modules are not torch's own layers (or override "
            "reset_parameters). Give them initializers with scheme={pattern: initializer}, e.g. "
            f"scheme={{{unknown[0].split(' ')[0]!r}: 'zeros'}} or a callable fn(tensor, *, seed, stream)")

    if base_seed is None:
        base_seed = _seed(None)
    if on_meta:
        _materialize(module)
    tensors = {name: t for name, t in list(module.named_parameters()) + list(module.named_buffers())}
    for name, planned in plan:
        t = tensors[name]
        if planned is None or t.numel() == 0:
            continue
        planned(t, base_seed, name)
    return module


def _materialize(module: torch.nn.Module) -> None:
    """``module.to_empty(device="cpu")``, keeping parameters/buffers that were shared shared."""
    owners: Dict[int, List[Tuple[torch.nn.Module, str, bool]]] = {}
    for m in module.modules():
        stores: Tuple[Tuple[Dict[str, Any], bool], ...] = ((m._parameters, True), (m._buffers, False))
        for store, is_param in stores:
            for key, t in store.items():
                if t is not None:
                    owners.setdefault(id(t), []).append((m, key, is_param))
    groups = [g for g in owners.values() if len(g) > 1]
    module.to_empty(device="cpu")
    for group in groups:
        first_m, first_key, first_is_param = group[0]
        first_store: Dict[str, Any] = first_m._parameters if first_is_param else first_m._buffers
        shared = first_store[first_key]
        for m, key, is_param in group[1:]:
            store_of: Dict[str, Any] = m._parameters if is_param else m._buffers
            store_of[key] = shared
