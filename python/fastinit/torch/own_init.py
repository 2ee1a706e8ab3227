"""A model's own init code as :func:`fastinit.torch.init_module` rules, run under :class:`~.seeding.seeded`.

Three kinds of module bring their own rules:

- a Hugging Face ``transformers`` ``PreTrainedModel``: ``init_weights()`` (its ``_init_weights``
  for every submodule, the recomputed buffers such as ``position_ids`` and rotary ``inv_freq``,
  and the re-tied weights) covers every tensor under it, in place of torch's layer defaults;
- any other module with an ``_init_weights`` method (``self.apply(self._init_weights)``, the
  nanoGPT/timm pattern): the same, run as ``module.apply(module._init_weights)`` (or
  ``module._init_weights()`` when it takes no argument);
- a module with a ``reset_parameters`` / ``_reset_parameters`` for which fastinit has no rule of
  its own (a custom layer, or a torch layer subclass that overrides it): its own tensors.

:func:`own_rules` finds them; :func:`run_own_rules` runs them (children before parents) under
one ``seeded(module, seed)`` context and returns the stream names they wrote.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Callable

import torch  # absolute import: the real PyTorch

from .dtensor import is_dtensor
from .rules import Rule, module_rules
from .seeding import seeded

__all__ = ["OWN", "OwnRules", "own_rules", "run_own_rules", "apply_own", "is_pretrained_model"]


def _written_by_runner(t: torch.Tensor, seed: int, stream: str) -> None:
    """Nothing: the tensor's values come from the model's own init code, run before the rules."""


#: The rule of a tensor initialized by its model's own code (any dtype: the code decides).
OWN = Rule(_written_by_runner, any_dtype=True)


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


def _apply_runner(m: torch.nn.Module) -> Callable[[], None]:
    fn = m._init_weights
    try:
        takes_module = len(inspect.signature(fn).parameters) >= 1  # type: ignore[arg-type]
    except (TypeError, ValueError):
        takes_module = True

    def run() -> None:
        if takes_module:
            m.apply(fn)  # type: ignore[arg-type]
        else:
            fn()  # type: ignore[operator]
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
        """``defaults`` with :data:`OWN` for the covered tensors: over torch's layer defaults in a
        model's own subtree, where no default exists for a custom reset's tensors."""
        merged = dict(defaults)
        merged.update(dict.fromkeys(self.subtree_names, OWN))
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
        if any(prefix == c or prefix.startswith(c + ".") or c == "" for c in claimed):
            continue
        depth = prefix.count(".") + bool(prefix)
        if is_pretrained_model(m) or callable(getattr(m, "_init_weights", None)):
            claimed.append(prefix)
            runner = _init_weights_runner(m) if is_pretrained_model(m) else _apply_runner(m)
            subtree_runners.append((depth, runner))
            found.subtree_names |= _names(prefix, m.named_parameters(remove_duplicate=False))
            found.subtree_names |= _names(prefix, m.named_buffers(remove_duplicate=False))
            continue
        reset = _reset_method(m)
        if reset is not None and not module_rules(m):
            reset_runners.append((depth, reset))
            found.own_names |= _names(prefix, list(m._parameters.items()) + list(m._buffers.items()))
    # children before parents, as torch's Module.apply and transformers' smart_apply
    ordered = sorted(reset_runners + subtree_runners, key=lambda x: -x[0])
    found.runners = [r for _, r in ordered]
    return found


def run_own_rules(module: torch.nn.Module, rules: OwnRules, seed: int) -> set[str]:
    """Run ``rules.runners`` under ``seeded(module, seed)``; the stream names they wrote."""
    if not rules.runners:
        return set()
    with torch.no_grad(), seeded(module, seed) as ctx:
        for run in rules.runners:
            run()
    return ctx.written


def _local_numel(t: torch.Tensor) -> int:
    """Elements of ``t`` this process holds (a DTensor: its local shard)."""
    local: torch.Tensor = t.to_local() if is_dtensor(t) else t  # type: ignore[attr-defined]  # a DTensor method
    return local.numel()


def apply_own(module: torch.nn.Module, rules: OwnRules, plan: list[tuple[str, Rule | None]], seed: int,
              on_meta: bool, stream_of: Callable[[str], str]) -> None:
    """:func:`fastinit.torch.init_module`'s step for the :data:`OWN` tensors of ``plan``: the runners
    run (once, if any tensor is planned :data:`OWN`), the tensors the scheme leaves as they are
    (rule None) get their values back, and on a module materialized from the meta device an
    :data:`OWN` tensor the code did not write raises (its memory is uninitialized)."""
    own = [name for name, rule in plan if rule is OWN]
    if not own:
        return
    tensors = dict(list(module.named_parameters()) + list(module.named_buffers()))
    kept = {name: tensors[name].detach().clone() for name, rule in plan if rule is None}
    written = run_own_rules(module, rules, seed)
    tensors = dict(list(module.named_parameters()) + list(module.named_buffers()))
    with torch.no_grad():
        for name, values in kept.items():
            tensors[name].copy_(values)
    missing = [n for n in own if n in tensors and _local_numel(tensors[n]) and stream_of(n) not in written]
    if missing and on_meta:
        raise RuntimeError(
            f"init_module: the model's own init code (init_weights / _init_weights / reset_parameters) did not "
            f"write {', '.join(missing[:10])}{' ...' if len(missing) > 10 else ''}, whose memory is uninitialized "
            f"after materializing from the meta device; give them initializers with scheme={{{missing[0]!r}: ...}}")
