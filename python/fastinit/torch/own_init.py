"""A model's own init code as :func:`fastinit.torch.init_module` rules, run under :class:`~.seeding.seeded`.

Three kinds of module bring their own rules:

- a Hugging Face ``transformers`` ``PreTrainedModel``: ``init_weights()`` (its ``_init_weights``
  for every submodule, the recomputed buffers such as ``position_ids`` and rotary ``inv_freq``,
  and the re-tied weights) covers every tensor under it, before torch's layer defaults;
- any other module with an ``_init_weights`` method (``self.apply(self._init_weights)``, the
  nanoGPT/timm pattern): the same, called by its required arguments as its model calls it: none,
  ``module._init_weights()``; one (the module), ``module.apply(module._init_weights)``; two (the
  module and its qualified name, timm's ``named_apply``), for every submodule below ``module``,
  children before parents;
- a module with a ``reset_parameters`` / ``_reset_parameters`` for which fastinit has no rule of
  its own (a custom layer, or a torch layer subclass that overrides it): its own tensors; inside
  one of the subtrees above it is the layer's default, run before the subtree's code (as the
  layer's constructor ran it before the model's init).

:func:`own_rules` finds them; :func:`run_own_rules` runs them (children before parents) under
one ``seeded(module, seed)`` context (:class:`~.temporary_draws.SeededTemporaries`: a draw into a
temporary whose values the code writes into a model tensor is keyed on it, as ``build`` keys it)
and returns the stream names they wrote. A tensor the code
leaves alone falls through to its torch layer's default rule (:attr:`OwnRule.then`), when it has
one (:func:`apply_own`).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Callable

import torch  # absolute import: the real PyTorch

from .computed_tensors import computed_keyed
from .data_assign import DataAssignments
from .dtensor import is_dtensor
from .parametrized import layer_rules
from .rules import Rule
from .temporary_draws import SeededTemporaries

__all__ = ["OWN", "OwnRule", "OwnRules", "own_rules", "run_own_rules", "apply_own", "is_pretrained_model"]


def _written_by_runner(t: torch.Tensor, seed: int, stream: str) -> None:
    """Nothing: the tensor's values come from the model's own init code, run before the rules."""


@dataclass(frozen=True)
class OwnRule(Rule):
    """The rule of a tensor initialized by its model's own code (any dtype: the code decides).

    Attributes:
        then: the rule that fills the tensor when the code leaves it alone (its layer's default
            rule); None: such a tensor is an error (see :func:`apply_own`).
    """

    then: Rule | None = None


#: The rule of a tensor initialized by its model's own code, with nothing to fall through to.
OWN = OwnRule(_written_by_runner, any_dtype=True)


def is_pretrained_model(m: torch.nn.Module) -> bool:
    """Whether ``m`` is a transformers ``PreTrainedModel`` (without importing transformers)."""
    return any(c.__name__ == "PreTrainedModel" and c.__module__.startswith("transformers")
               for c in type(m).__mro__)


def _clear_hf_flags(m: torch.nn.Module) -> None:
    """Drop transformers' ``_is_hf_initialized`` marks, so that ``init_weights`` initializes everything."""
    for sub in m.modules():
        sub.__dict__.pop("_is_hf_initialized", None)
    for t in list(m.parameters()) + list(m.buffers()):
        if "_is_hf_initialized" in getattr(t, "__dict__", {}):
            delattr(t, "_is_hf_initialized")


def _untie(m: torch.nn.Module) -> None:
    """Give each tied alias (``lm_head.weight`` of ``{"lm_head.weight": "model.embed_tokens.weight"}``)
    a meta placeholder, as a freshly built model has it separate while it is initialized: the
    alias's own rule (a Linear's) then does not overwrite the target's (an Embedding's zero
    padding row); ``init_weights`` re-ties it at its end. The placeholder is a plain tensor of the
    global shape also for a DTensor (torch's op on a meta tensor draws nothing; a DTensor's would
    set up its cross-rank RNG state)."""
    tied = getattr(m, "all_tied_weights_keys", None) or {}
    for key in tied:
        owner_name, _, attr = str(key).rpartition(".")
        owner = m.get_submodule(owner_name)
        p = owner._parameters.get(attr)
        if p is not None:
            owner._parameters[attr] = torch.nn.Parameter(torch.empty(tuple(p.shape), dtype=p.dtype, device="meta"),
                                                         requires_grad=p.requires_grad)


def _unwrapped_class(m: torch.nn.Module) -> type:
    """``type(m)`` without the subclasses wrappers create at run time: FSDP2's ``fully_shard`` turns
    a ``GPT2LMHeadModel`` into an ``FSDPGPT2LMHeadModel`` defined in ``torch.distributed``."""
    for cls in type(m).__mro__:
        if not cls.__module__.startswith("torch.distributed."):
            return cls
    return type(m)  # pragma: no cover - a module class of torch.distributed itself


def _init_weights_runner(m: torch.nn.Module) -> Callable[[], None]:
    def run() -> None:
        _clear_hf_flags(m)
        _untie(m)
        # transformers treats a class defined outside it as remote/custom code and then skips a module
        # whose own parameters all carry its "initialized" flag (GPT-2's attention, whose scaled
        # c_proj init would be lost); a wrapper's class must not count as custom code
        plain = _unwrapped_class(m)
        if plain is not type(m) and callable(getattr(plain, "is_custom_code", None)):
            custom = bool(plain.is_custom_code())  # type: ignore[attr-defined]  # transformers' classmethod
            m.__dict__["is_custom_code"] = lambda: custom
        try:
            m.init_weights()  # type: ignore[operator]  # transformers' method: initializes, then re-ties
        finally:
            m.__dict__.pop("is_custom_code", None)
    return run


def _required(fn: Callable[..., object]) -> tuple[int, int]:
    """(required positional parameters, required keyword-only parameters) of ``fn``; (1, 0) when
    its signature cannot be read (a builtin)."""
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return 1, 0
    required = [p.kind for p in params if p.default is inspect.Parameter.empty]
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    return sum(k in positional for k in required), required.count(inspect.Parameter.KEYWORD_ONLY)


def _named_apply(fn: Callable[[torch.nn.Module, str], object], m: torch.nn.Module, prefix: str = "") -> None:
    """``fn(sub, name)`` for every submodule below ``m`` (``m`` itself excluded), children before
    parents, names qualified from ``m``: how timm calls a two-argument ``_init_weights``."""
    for child_name, child in m.named_children():
        name = f"{prefix}.{child_name}" if prefix else child_name
        _named_apply(fn, child, name)
        fn(child, name)


def _apply_runner(m: torch.nn.Module) -> Callable[[], None]:
    """``m._init_weights`` called by its required arguments: ``()``, ``(module)`` over ``m.apply``,
    or ``(module, name)`` over every submodule; TypeError for any other signature."""
    fn = m._init_weights
    positional, keyword_only = _required(fn)  # type: ignore[arg-type]
    if keyword_only or positional > 2:
        names = ", ".join(inspect.signature(fn).parameters)  # type: ignore[arg-type]
        raise TypeError(f"init_module: {type(m).__name__}._init_weights({names}) takes required arguments "
                        "fastinit cannot give: it calls _init_weights() with none, (module) over Module.apply, or "
                        "(module, name) over every submodule. Run your init code under "
                        "fastinit.torch.seeded(model, seed) yourself")

    def run() -> None:
        if positional == 0:
            fn()  # type: ignore[operator]
        elif positional == 1:
            m.apply(fn)  # type: ignore[arg-type]
        else:
            _named_apply(fn, m)  # type: ignore[arg-type]
    return run


def _reset_method(m: torch.nn.Module) -> Callable[[], None] | None:
    for name in ("reset_parameters", "_reset_parameters"):
        fn = getattr(m, name, None)
        if callable(fn):
            return fn  # type: ignore[no-any-return]
    return None


@dataclass
class OwnRules:
    """The model's own rules: ``runners`` (children first), the tensors they cover by qualified
    name, and the subtrees (prefixes) where they replace torch's layer defaults."""

    runners: list[Callable[[], None]] = field(default_factory=list)
    subtree_names: set[str] = field(default_factory=set)
    own_names: set[str] = field(default_factory=set)

    def merge(self, defaults: dict[str, Rule]) -> dict[str, Rule]:
        """``defaults`` with an :class:`OwnRule` for the covered tensors: over torch's layer
        defaults in a model's own subtree (the layer's default then fills a tensor the code leaves
        alone), :data:`OWN` where no default exists for a custom reset's tensors."""
        merged = dict(defaults)
        for name in self.subtree_names:
            merged[name] = OwnRule(_written_by_runner, any_dtype=True, then=defaults.get(name))
        for name in self.own_names:
            merged.setdefault(name, OWN)
        return merged


def _names(prefix: str, named: Iterable[tuple[str, torch.Tensor | None]]) -> set[str]:
    return {f"{prefix}.{n}" if prefix else n for n, t in named if t is not None}


def own_rules(module: torch.nn.Module) -> OwnRules:
    """The own rules of ``module`` and its submodules (see the module docstring)."""
    found = OwnRules()
    claimed: list[str] = []
    subtree_runners: list[tuple[int, Callable[[], None]]] = []
    reset_runners: list[tuple[int, Callable[[], None]]] = []
    for prefix, m in module.named_modules():
        inside = any(prefix == c or prefix.startswith(c + ".") or c == "" for c in claimed)
        depth = prefix.count(".") + bool(prefix)
        if not inside and (is_pretrained_model(m) or callable(getattr(m, "_init_weights", None))):
            claimed.append(prefix)
            runner = _init_weights_runner(m) if is_pretrained_model(m) else _apply_runner(m)
            subtree_runners.append((depth, runner))
            found.subtree_names |= _names(prefix, m.named_parameters(remove_duplicate=False))
            found.subtree_names |= _names(prefix, m.named_buffers(remove_duplicate=False))
            continue
        reset = _reset_method(m)
        if reset is not None and not layer_rules(m):
            # in a claimed subtree: the layer's default, run before the subtree's code, as its constructor ran it
            reset_runners.append((depth, reset))
            if not inside:
                found.own_names |= _names(prefix, list(m._parameters.items()) + list(m._buffers.items()))
    # children before parents, as torch's Module.apply and transformers' smart_apply
    ordered = sorted(reset_runners + subtree_runners, key=lambda x: -x[0])
    found.runners = [r for _, r in ordered]
    return found


def run_own_rules(module: torch.nn.Module, rules: OwnRules, seed: int) -> tuple[set[str], set[int]]:
    """Run ``rules.runners`` under ``SeededTemporaries(module, seed)``; the stream names they wrote by ops, and
    the ``id`` of each tensor whose memory a ``p.data = x`` replaced by a copy of unwritten values
    (:meth:`~.data_assign.DataAssignments.copied`)."""
    if not rules.runners:
        return set(), set()
    with torch.no_grad(), SeededTemporaries(module, seed) as ctx, DataAssignments(module, ctx) as assigned, \
            computed_keyed(module, ctx):
        for run in rules.runners:
            run()
    return ctx.written, assigned.copied()


def _local(t: torch.Tensor) -> torch.Tensor:
    """The memory of ``t`` this process holds (a DTensor: its local shard)."""
    return t.to_local() if is_dtensor(t) else t  # type: ignore[attr-defined]  # a DTensor method


def _replaced(memory: dict[int, int], copied: set[int], after: torch.Tensor) -> bool:
    """Whether the code put a new tensor under a name (``register_buffer`` again, as timm's Swin
    blocks do) or new memory under the tensor (``p.data = torch.eye(3)``): it then wrote it, by
    assignment, which the ``seeded`` context indexing the old memory cannot see. ``memory``: the
    address of each tensor's memory before the code ran, by ``id`` (a re-tied weight, a tensor the
    module held before, is not new); ``copied``: the tensors whose new memory is a copy of unwritten
    values (``p.data = pad(p.data)``, as transformers re-ties a bias), which writes nothing."""
    now = _local(after)
    if now.is_meta:
        return False
    if id(after) not in memory:
        return True
    return now.data_ptr() != memory[id(after)] and id(after) not in copied


def _tensors(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return dict(list(module.named_parameters()) + list(module.named_buffers()))


def apply_own(module: torch.nn.Module, rules: OwnRules, plan: list[tuple[str, Rule | None]], seed: int,
              on_meta: bool, stream_of: Callable[[str], str]) -> None:
    """:func:`fastinit.torch.init_module`'s step for the :class:`OwnRule` tensors of ``plan``: the
    runners run (once, if any tensor is planned so), the tensors the scheme leaves as they are (rule
    None) get their values back, and an :class:`OwnRule` tensor the code did not write (by an op
    ``seeded`` saw, or by putting a new tensor or new memory under its name, unless that memory is a
    copy of unwritten values: :mod:`.data_assign`) takes its :attr:`OwnRule.then` rule.
    Without one it raises RuntimeError: a parameter, whose values would be what the constructor
    left (uninitialized memory, torch's generator's draws), or any tensor materialized from the meta
    device (uninitialized memory); a buffer of a CPU-built module keeps its constructor's values."""
    own = {name: rule for name, rule in plan if isinstance(rule, OwnRule)}
    if not own:
        return
    before = _tensors(module)
    memory = {id(t): _local(t).data_ptr() for t in before.values()}  # alive in ``before``: their ids stay theirs
    kept = {name: before[name].detach().clone() for name, rule in plan if rule is None}
    written, copied = run_own_rules(module, rules, seed)
    tensors = _tensors(module)
    with torch.no_grad():
        for name, values in kept.items():
            tensors[name].copy_(values)
    left = [n for n in own if n in tensors and _local(tensors[n]).numel() and stream_of(n) not in written
            and not _replaced(memory, copied, tensors[n])]
    params = dict(module.named_parameters())
    missing = [n for n in left if own[n].then is None and (on_meta or n in params)]
    if missing:
        raise RuntimeError(
            f"init_module: the model's own init code (init_weights / _init_weights / reset_parameters) did not "
            f"write {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}, and no layer default covers "
            f"them: their values would be {'uninitialized memory' if on_meta else 'what the constructor left'}. "
            f"Give them initializers with scheme={{{missing[0]!r}: ...}}")
    for name in left:
        then = own[name].then
        if then is not None:
            then(tensors[name], seed, stream_of(name))
