"""Whole-model init: :func:`init_module`, its ``scheme`` handling, and meta-device materialization.

:func:`init_module` checks everything first (tensors, devices, dtypes, the scheme, a rule for
every tensor), and only then draws the seed (if None), materializes a meta module and fills each
tensor on the stream named by its qualified name.
"""

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable, NamedTuple, Optional, Union

import numpy as np
import torch  # absolute import: the real PyTorch

from ..core.dtypes import bfloat16 as _bfloat16
from ..core.seed import Seed, resolve_seed
from ..names.registry import Initializer
from ..names.registry import get as _get
from . import dtensor as _dtensor
from .checks import _FLOAT_DTYPES, Tensor, _seed
from .device_presets import scheme_path
from .functions import normal_
from .own_init import OWN, OwnRule, apply_own, own_rules
from .parametrized import layer_rules
from .rules import ZEROS, Rule
from .tensor_fill import fill_tensor
from .tensor_names import plain_name

__all__ = ["init_module", "Scheme", "SchemeValue"]

SchemeValue = Union[str, Mapping[str, Any], Initializer, Callable[..., Any], None]
Scheme = Union[str, Initializer, Mapping[str, SchemeValue], None]


class _Entry(NamedTuple):
    """One tensor of the module: its first (canonical) name, the tensor, whether it is a parameter."""

    name: str
    tensor: Tensor
    is_param: bool


class _Scheme(NamedTuple):
    """A parsed ``scheme``: ``(pattern, rule or None)`` in order, and the rule for all weights."""

    patterns: list[tuple[str, Optional[Rule]]]
    weight_rule: Optional[Rule]


# ---------------------------------------------------------------- the module's tensors


def _collect(module: torch.nn.Module) -> tuple[list[_Entry], dict[int, list[str]]]:
    """Every tensor, by its first (canonical) name, and (by ``id``) all its names."""
    entries: list[_Entry] = []
    aliases: dict[int, list[str]] = {}
    for kind, named in ((True, module.named_parameters(remove_duplicate=False)),
                        (False, module.named_buffers(remove_duplicate=False))):
        for name, t in named:
            if t is None:
                continue
            if id(t) not in aliases:
                aliases[id(t)] = []
                entries.append(_Entry(name, t, kind))
            aliases[id(t)].append(name)
    return entries, aliases


def _check_placement(entries: list[_Entry]) -> None:
    """No lazy (shapeless) tensors, and every tensor on the CPU or the meta device."""
    lazy = [e.name for e in entries if torch.nn.parameter.is_lazy(e.tensor)]
    if lazy:
        raise ValueError(f"init_module: lazy modules are not materialized yet ({', '.join(lazy[:5])}); run a forward "
                         "pass (or module.initialize_parameters) first")
    flat = [e.name for e in entries if type(e.tensor).__name__ == "FlatParameter"]
    if flat:
        raise ValueError(f"init_module: {', '.join(flat[:3])} are FSDP1 flat parameters (many tensors in one "
                         "sharded buffer); fastinit cannot tell which values they hold. Call init_module before "
                         "wrapping with FullyShardedDataParallel (or pass it as param_init_fn), or use FSDP2 "
                         "(fully_shard), whose DTensor parameters init_module fills shard by shard")
    elsewhere = [f"{e.name} ({e.tensor.device})" for e in entries if e.tensor.device.type not in ("cpu", "meta")]
    if elsewhere:
        raise ValueError(f"init_module fills CPU memory, but {', '.join(elsewhere[:5])} are elsewhere; build the model "
                         "on the CPU or on torch.device('meta'), call init_module, then move it with .to(device)")


def _default_rules(module: torch.nn.Module) -> dict[str, Rule]:
    """The layers' own rules by qualified name: pre-order, ancestors first (MultiheadAttention,
    Transformer override their children)."""
    defaults: dict[str, Rule] = {}
    for prefix, m in module.named_modules():
        rules = layer_rules(m)  # a parametrized weight's rule on its originals
        padding_idx = getattr(m, "padding_idx", None)
        if "weight" in rules and padding_idx is not None and _dtensor.is_dtensor(m._parameters.get("weight")):
            rules["weight"] = _sharded_embedding(int(padding_idx))
        for rel, module_rule in rules.items():
            defaults.setdefault(f"{prefix}.{rel}" if prefix else rel, module_rule)
    return defaults


def _sharded_embedding(padding_idx: int) -> Rule:
    """nn.Embedding's rule for a DTensor weight: N(0, 1), global row ``padding_idx`` zero."""
    def fill(t: Tensor, seed: int, stream: str) -> None:
        normal_(t, seed=seed, stream=stream)
        _dtensor.zero_global_row(t, padding_idx)
    return Rule(fill)


# ---------------------------------------------------------------- scheme


def _scheme_rule(value: Any, where: str) -> Optional[Rule]:
    """The rule of a scheme entry: a preset name/config/Initializer, a callable, or None (keep)."""
    if value is None:
        return None
    if isinstance(value, (str, Mapping)):
        try:
            value = _get(value)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"scheme{where}: {exc}") from None
    if isinstance(value, Initializer):
        return _initializer_rule(value, where)
    if callable(value):
        fn = value

        def call(t: Tensor, seed: int, stream: str) -> None:
            fn(t, seed=seed, stream=stream)
        return Rule(call, any_dtype=True)  # the callable decides which dtypes it fills
    raise TypeError(f"scheme{where} must be an initializer name, a config dict, a fastinit.get(...) initializer, "
                    f"a callable fn(tensor, *, seed, stream) or None (leave as is); got {type(value).__name__}")


@dataclass(frozen=True)
class _InitializerRule(Rule):
    """A scheme's fastinit initializer, which :meth:`check` tries on a tensor before anything is
    written: its parameters, the tensor's rank, shape and dtype are validated by a fill of an empty
    slice of the tensor's shape (nothing is allocated beyond one element)."""

    init: Optional[Initializer] = None
    where: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def check(self, name: str, tensor: Tensor) -> None:
        """Raise (TypeError/ValueError naming the scheme entry and the tensor) if filling
        ``tensor`` would fail."""
        shape = tuple(tensor.shape)
        if self.init is None or 0 in shape:
            return  # empty tensors are not filled
        dtype = _bfloat16 if tensor.dtype == torch.bfloat16 else np.dtype(str(tensor.dtype).removeprefix("torch."))
        kwargs: dict[str, Any] = dict(self.extra)
        if shape:
            kwargs.update(full_shape=shape, index=(slice(0, 0),))
        scratch = np.empty((0,) + shape[1:] if shape else (), dtype)
        try:
            self.init(scratch, seed=0, stream=name, **kwargs)
        except (TypeError, ValueError) as exc:
            raise type(exc)(f"init_module: scheme{self.where} cannot fill {name} (shape {shape}, "
                            f"{tensor.dtype}): {exc}") from None


def _initializer_rule(init: Initializer, where: str) -> Rule:
    """A fastinit initializer filling the tensor's NumPy view, with ``layout="torch"`` unless set
    (a CUDA tensor or local shard: on the device, :func:`.device_presets.scheme_path`)."""
    extra: dict[str, Any] = {"layout": "torch"} if init.accepts("layout") and "layout" not in init.params else {}

    def fill(t: Tensor, seed: int, stream: str) -> None:
        fill_tensor(t, f"scheme{where}", lambda x: init(x, seed=seed, stream=stream, **extra),
                    lambda x, place: init(x, seed=seed, stream=stream, **place, **extra),
                    device=scheme_path(init, seed, stream, {**init.params, **extra}))
    return _InitializerRule(fill, init=init, where=where, extra=extra)


def _parse_scheme(scheme: Scheme) -> _Scheme:
    """``scheme`` checked and turned into rules (see :func:`init_module`)."""
    patterns: list[tuple[str, Rule | None]] = []
    weight_rule: Rule | None = None
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
    return _Scheme(patterns, weight_rule)


# ---------------------------------------------------------------- the plan


def _is_bias(name: str) -> bool:
    """Whether the last component of the qualified ``name`` contains "bias"."""
    return "bias" in name.rsplit(".", 1)[-1]


def _find_rule(entry: _Entry, names: list[str], parsed: _Scheme,
               defaults: dict[str, Rule]) -> tuple[bool, Optional[Rule]]:
    """``(found, rule)`` for one tensor known by ``names``: the first matching scheme pattern, else
    the scheme's weight rule (rank >= 2) or zeros (a rank < 2 parameter named bias), else the
    layer's own rule. ``rule`` None with ``found`` True: the scheme leaves the tensor as it is."""
    for pattern, value in parsed.patterns:
        if any(fnmatch.fnmatchcase(n, pattern) for n in names):  # the plain names are among them
            return True, value
    if parsed.weight_rule is not None and entry.is_param:
        if entry.tensor.dim() >= 2:
            return True, parsed.weight_rule
        if any(_is_bias(n) for n in names):
            return True, ZEROS
    for n in names:
        if n in defaults:
            return True, defaults[n]
    return False, None


def _check_rule(entry: _Entry, rule: Optional[Rule], on_meta: bool) -> None:
    """A tensor on the meta device needs a rule; fastinit's own rules need a float dtype."""
    if rule is None and on_meta:
        raise ValueError(f"init_module: scheme leaves {entry.name} as it is, but the module is on the meta device, "
                         "where it has no values; give it an initializer")
    if rule is not None and not rule.any_dtype and entry.tensor.dtype not in _FLOAT_DTYPES:
        raise TypeError(f"init_module: {entry.name} has dtype {entry.tensor.dtype}; fastinit fills float32, float64, "
                        "float16 and bfloat16 tensors (scheme value None leaves a tensor as it is)")


def _fitting(rule: Optional[Rule], tensor: Tensor) -> Optional[Rule]:
    """``rule``, without a fall-through rule (:attr:`OwnRule.then`) that cannot fill ``tensor``'s dtype."""
    if isinstance(rule, OwnRule) and rule.then is not None and not rule.then.any_dtype \
            and tensor.dtype not in _FLOAT_DTYPES:
        return OWN
    return rule


def _unknown_error(unknown: list[str], on_meta: bool) -> ValueError:
    """The error listing the tensors no rule covers."""
    what = "parameters" if not on_meta else "parameters/buffers (the module is on the meta device)"
    return ValueError(
        f"init_module: no rule for the {what} {'; '.join(unknown[:10])}"
        f"{' ...' if len(unknown) > 10 else ''}: their modules are not torch's own layers and have no "
        "reset_parameters/_init_weights of their own. Give them initializers with scheme={pattern: initializer}, e.g. "
        f"scheme={{{unknown[0].split(' ')[0]!r}: 'zeros'}} or a callable fn(tensor, *, seed, stream)")


def _plan(module: torch.nn.Module, entries: list[_Entry], aliases: dict[int, list[str]], defaults: dict[str, Rule],
          parsed: _Scheme, on_meta: bool) -> list[tuple[str, Optional[Rule]]]:
    """``(name, rule or None)`` for every tensor to fill or keep, in order; raises before anything
    is written. Tensors without a rule: parameters (and, on the meta device, buffers) raise;
    buffers of a CPU module are left as they are."""
    plan: list[tuple[str, Rule | None]] = []
    unknown: list[str] = []
    for entry in entries:
        names = aliases[id(entry.tensor)]
        names = names + [p for p in (plain_name(module, n) for n in names) if p not in names]
        found, rule = _find_rule(entry, names, parsed, defaults)
        rule = _fitting(rule, entry.tensor)
        if not found:
            if entry.is_param or on_meta:
                owner = type(module.get_submodule(entry.name.rpartition(".")[0])).__name__
                unknown.append(f"{entry.name} {tuple(entry.tensor.shape)} in {owner}")
            continue
        _check_rule(entry, rule, on_meta)
        if isinstance(rule, _InitializerRule):
            rule.check(entry.name, entry.tensor)
        plan.append((entry.name, rule))
    if unknown:
        raise _unknown_error(unknown, on_meta)
    return plan


# ---------------------------------------------------------------- init_module


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
      ``_reset_parameters``), the others by their own modules' rules;
    - a parametrized tensor of these layers (``torch.nn.utils.parametrizations.weight_norm``, any
      ``register_parametrization``): the layer's rule on the unparametrized tensor, which the first
      parametrization's ``right_inverse`` maps to its originals, as torch did when the layer was
      parametrized after its construction (:mod:`fastinit.torch.parametrized`).

    A rule applies when the module's reset method is torch's own. **The model's own init code**
    runs under :class:`fastinit.torch.seeded` (so its random draws are fastinit's, keyed by the
    same stream names; a draw into a temporary whose values the code then writes into one tensor,
    as ``torch.rand(n)`` turned into a bias or ``orthogonal_``'s QR input, is keyed on that tensor
    as :func:`fastinit.torch.build` keys it) for: every tensor under a Hugging Face ``transformers``
    ``PreTrainedModel`` (its ``init_weights()``, which also recomputes buffers such as ``position_ids`` and rotary
    ``inv_freq`` and re-ties tied weights) or under a module with an ``_init_weights`` method
    (called by its required arguments: ``()``; ``(module)`` over ``module.apply``; ``(module,
    name)`` for every submodule, children first, as timm's ``named_apply``), and the own tensors of
    a module whose ``reset_parameters``/``_reset_parameters`` has no fastinit rule (a custom layer,
    or a torch layer subclass overriding it). A tensor takes the first of:

    1. the first ``scheme`` pattern matching one of its names (or a preset ``scheme``'s rule);
    2. the model's own init code, when it writes the tensor (an in-place op, or a new tensor put
       under its name as ``register_buffer`` does);
    3. its layer's default: torch's layer rule above, or a custom layer's own
       ``reset_parameters`` (which runs before the model's code, as the layer's constructor ran it);
    4. nothing: a RuntimeError for a parameter (on the meta device: any tensor) that the model's
       code left alone without a layer default, whose values would be uninitialized memory or
       whatever its constructor drew; a buffer of a CPU-built model keeps its values.

    Unknown modules with parameters (custom modules with
    their own ``nn.Parameter``, ParameterList, parametrizations of other modules or whose
    originals cannot be derived so ...) raise ValueError listing the
    tensors, unless ``scheme`` covers them; their buffers are left as they are (but raise when the
    module is materialized from the meta device, since their memory is then uninitialized).
    Tied (shared) tensors are filled once, under their first name in ``named_parameters()``.

    Args:
        module: a ``torch.nn.Module`` on the CPU, or on the meta device (then
            ``module.to_empty(device="cpu")`` allocates it, ties between shared parameters are
            kept, and every tensor is filled), or a mix of both.
        seed: The Philox key, an int in [0, 2**64): the values are then a pure function of
            (seed, each tensor's name, shape, dtype and rule). None draws one from torch's
            default generator (``torch.manual_seed`` makes it repeatable).
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
        TypeError: ``module`` is not a ``torch.nn.Module``, a tensor has a dtype fastinit does not
            fill, a scheme (or one of its values) has the wrong type, or a module's
            ``_init_weights`` requires arguments other than ``(module, name)``. Raised before
            anything is written.
        ValueError: a tensor on a device other than CPU or meta (build on CPU or meta, init,
            then ``.to(device)``), lazy (uninitialized) parameters, unknown tensors without a
            scheme entry, an unknown initializer name, or a scheme initializer that cannot fill
            a tensor it matches (e.g. ``dirac_`` on a Linear weight: every fastinit initializer
            is tried on an empty slice of each tensor's shape first). Raised before anything is
            written; a user callable is not tried: it runs only when its tensor is filled.
        RuntimeError: the model's own init code left a tensor alone that no layer default
            covers (step 4 above; raised after that code ran), or a draw's parameters that torch
            refuses (torch's own message).

    Example:
        >>> import torch, fastinit, fastinit.torch as fit
        >>> model = fit.init_module(torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.LayerNorm(2)), seed=0)
        >>> model[1].weight.tolist(), model[1].bias.tolist()
        ([1.0, 1.0], [0.0, 0.0])
        >>> model[0].weight.abs().max().item() <= 1 / 3 ** 0.5  # kaiming_uniform_(a=sqrt(5)): 1/sqrt(fan_in)
        True
        >>> w = fastinit.kaiming_uniform((2, 3), 5 ** 0.5, seed=0, stream="0.weight")  # stream: its name
        >>> bool((model[0].weight == torch.from_numpy(w)).all())
        True
        >>> on_meta = torch.nn.Linear(3, 2, device="meta")  # no memory until init_module
        >>> on_cpu = fit.init_module(torch.nn.Linear(3, 2), seed=0)
        >>> torch.equal(fit.init_module(on_meta, seed=0).weight, on_cpu.weight)
        True
    """
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"module must be a torch.nn.Module, got {type(module).__name__}")
    base_seed = None if seed is None else resolve_seed(seed)  # None: drawn once everything is checked
    entries, aliases = _collect(module)
    _check_placement(entries)
    on_meta = any(e.tensor.is_meta for e in entries)
    own = own_rules(module)  # the model's own init code (transformers' init_weights, reset_parameters ...)
    defaults = own.merge(_default_rules(module))
    parsed = _parse_scheme(scheme)
    plan = _plan(module, entries, aliases, defaults, parsed, on_meta)

    if base_seed is None:
        base_seed = _seed(None)
    if on_meta:
        _materialize(module)
    apply_own(module, own, plan, base_seed, on_meta, lambda name: plain_name(module, name))
    _fill_plan(module, plan, base_seed)
    return module


def _fill_plan(module: torch.nn.Module, plan: list[tuple[str, Optional[Rule]]], seed: int) -> None:
    """Run every planned rule on the (possibly just materialized) tensor of that name."""
    tensors = {name: t for name, t in list(module.named_parameters()) + list(module.named_buffers())}
    for name, planned in plan:
        t = tensors[name]
        if planned is None or t.numel() == 0:
            continue
        planned(t, seed, plain_name(module, name))


def _materialize(module: torch.nn.Module) -> None:
    """``module.to_empty(device="cpu")``, keeping parameters/buffers that were shared shared."""
    owners: dict[int, list[tuple[torch.nn.Module, str, bool]]] = {}
    for m in module.modules():
        stores: tuple[tuple[dict[str, Any], bool], ...] = ((m._parameters, True), (m._buffers, False))
        for store, is_param in stores:
            for key, t in store.items():
                if t is not None:
                    owners.setdefault(id(t), []).append((m, key, is_param))
    groups = [g for g in owners.values() if len(g) > 1]
    module.to_empty(device="cpu")
    for group in groups:
        first_m, first_key, first_is_param = group[0]
        first_store: dict[str, Any] = first_m._parameters if first_is_param else first_m._buffers
        shared = first_store[first_key]
        for m, key, is_param in group[1:]:
            store_of: dict[str, Any] = m._parameters if is_param else m._buffers
            store_of[key] = shared
