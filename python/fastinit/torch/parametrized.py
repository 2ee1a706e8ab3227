"""Layer defaults of parametrized tensors (``torch.nn.utils.parametrize``): :func:`layer_rules`.

A layer whose ``weight`` is parametrized (``torch.nn.utils.parametrizations.weight_norm``, any
``torch.nn.utils.parametrize.register_parametrization``) holds no ``weight`` tensor but its
originals: ``parametrizations.weight.original`` (one) or ``original0``, ``original1`` ...
(several: weight_norm's g and v). Its constructor drew ``weight`` (``reset_parameters``) before
the parametrization was registered, and torch then set the originals to the **first**
parametrization's ``right_inverse`` of it (the weight itself where that parametrization has no
``right_inverse`` or its ``right_inverse`` raises NotImplementedError; parametrizations registered
later leave the originals as they are). The layer default of the originals is that, with fastinit's
values: the layer's rule (:mod:`.rules`) fills a tensor of the weight's shape and dtype, and the
first parametrization's ``right_inverse`` of it gives each original its value.

That fill is keyed as :func:`fastinit.torch.build` keys the constructor's draw: on the stream of the
original that is the drawn tensor itself (weight_norm's v, ``original1``; the only original where
there is no ``right_inverse``), else of the one original whose value depends on the weight. So
:func:`fastinit.torch.init_module` gives a model built on the meta device the bits ``build`` gives
it. The originals have no layer default (and :func:`~fastinit.torch.init_module` asks for a
``scheme`` entry) where this cannot be done: no original depends on the weight, or several do and
none is the weight itself; the parametrization's ``forward`` or ``right_inverse`` fails on
meta-device stand-ins; ``right_inverse`` gives the originals other shapes or dtypes; the originals
are DTensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

import torch  # absolute import: the real PyTorch
from torch.nn.utils import parametrize

from .checks import Tensor
from .placements import is_dtensor
from .record import storage_id
from .rules import Rule, module_rules

__all__ = ["layer_rules"]

#: What a parametrization's ``forward``/``right_inverse`` may raise on meta stand-ins (no rule then).
_PROBE_ERRORS = (RuntimeError, TypeError, ValueError, IndexError, AttributeError)


@dataclass(frozen=True)
class _Inverse:
    """How the originals of one parametrized tensor come from its unparametrized value.

    Attributes:
        first: the first parametrization registered on the tensor.
        invert: whether its ``right_inverse`` maps the value (False: the value is the one original).
        shape, dtype: those of the unparametrized value.
        names: the originals' attribute names, in order.
        keyed: the index of the original whose stream keys the layer rule's draw.
    """

    first: torch.nn.Module
    invert: bool
    shape: tuple[int, ...]
    dtype: torch.dtype
    names: tuple[str, ...]
    keyed: int


def _outputs(value: Any) -> tuple[Any, ...]:
    return (value,) if isinstance(value, torch.Tensor) else tuple(value)


def _inverted(first: torch.nn.Module, weight: Tensor) -> tuple[tuple[Any, ...], Tensor] | None:
    """(``first.right_inverse(weight)`` as a tuple, the weight it was given); None where it raises
    NotImplementedError (torch then takes the weight itself), also on the CPU: a meta-device
    ``weight`` is tried again as CPU zeros (an op may have no meta kernel)."""
    try:
        return _outputs(first.right_inverse(weight)), weight  # type: ignore[operator]  # the parametrization's
    except NotImplementedError:
        if not weight.is_meta:
            return None
    cpu = torch.zeros(tuple(weight.shape), dtype=weight.dtype, requires_grad=weight.requires_grad)
    return _inverted(first, cpu)


def _keyed(outs: tuple[Any, ...], weight: Tensor) -> int | None:
    """The original that is ``weight`` itself, else the one whose value depends on it (None: none or several)."""
    same = [i for i, o in enumerate(outs) if o.shape == weight.shape and storage_id(o) == storage_id(weight)]
    if same:
        return same[0]
    depends = [i for i, o in enumerate(outs) if o.requires_grad]
    return depends[0] if len(depends) == 1 else None


def _probe(plist: Any) -> _Inverse | None:
    """The :class:`_Inverse` of a ``ParametrizationList``, found on meta-device stand-ins; None
    where the originals get no layer default (see the module docstring)."""
    names = ("original",) if plist.is_tensor else tuple(f"original{i}" for i in range(plist.ntensors))
    originals = [getattr(plist, n) for n in names]
    if any(is_dtensor(o) for o in originals):
        return None
    first = plist[0]
    metas = [torch.empty_like(o, device="meta") for o in originals]
    inverted = None
    try:
        if hasattr(first, "right_inverse"):
            with torch.no_grad():
                weight = first(*metas)  # the unparametrized value's shape and dtype: torch checks them at registration
            x = torch.empty_like(weight, device="meta").requires_grad_(weight.is_floating_point())
            with torch.enable_grad():
                inverted = _inverted(first, x)
    except _PROBE_ERRORS:
        return None
    if inverted is None:  # no right_inverse: the weight is the original
        return _Inverse(first, False, tuple(metas[0].shape), metas[0].dtype, names, 0) if plist.is_tensor else None
    outs, given = inverted
    fits = len(outs) == len(originals) and all(isinstance(o, torch.Tensor) and o.shape == m.shape and
                                               o.dtype == m.dtype for o, m in zip(outs, metas))
    keyed = _keyed(outs, given) if fits else None
    return None if keyed is None else _Inverse(first, True, tuple(weight.shape), weight.dtype, names, keyed)


@dataclass
class _Originals:
    """The layer rule's value of one parametrized tensor mapped to its originals; the last values
    are kept until each original has taken its own (each original's fill would draw them again)."""

    layer: Rule
    inverse: _Inverse
    last: tuple[tuple[int, str], tuple[Tensor, ...]] | None = None
    left: set[int] = field(default_factory=set)

    def values(self, seed: int, stream: str, index: int) -> Tensor:
        """The value of original ``index`` (``stream``: that original's) for ``seed``."""
        inv = self.inverse
        draw_stream = f"{stream.rpartition('.')[0]}.{inv.names[inv.keyed]}".lstrip(".")
        key = (seed, draw_stream)
        if self.last is None or self.last[0] != key or index not in self.left:
            value = torch.empty(inv.shape, dtype=inv.dtype, device="cpu")
            self.layer(value, seed, draw_stream)
            with torch.no_grad():
                outs = _outputs(inv.first.right_inverse(value)) if inv.invert else (value,)  # type: ignore[operator]
            self.last, self.left = (key, outs), set(range(len(inv.names)))
        self.left.discard(index)
        out = self.last[1][index]
        if not self.left:
            self.last = None
        return out

    def rule(self, index: int) -> Rule:
        """The rule of original ``index``."""
        def fill(t: Tensor, seed: int, stream: str) -> None:
            value = self.values(seed, stream, index)
            if tuple(value.shape) != tuple(t.shape):
                raise RuntimeError(f"init_module: {type(self.inverse.first).__name__}.right_inverse gives {stream} "
                                   f"the shape {tuple(value.shape)}, not its {tuple(t.shape)}; give it an "
                                   "initializer with scheme={name: ...}")
            with torch.no_grad():
                t.copy_(value)
        return Rule(fill, any_dtype=self.layer.any_dtype)


def layer_rules(m: torch.nn.Module) -> dict[str, Rule]:
    """The layer rules of ``m``'s own tensors, parametrized ones included.

    Args:
        m: a module (its submodules are not looked at, but for its parametrizations).

    Returns:
        :func:`.rules.module_rules` of ``m``, names relative to it; for each parametrized tensor the
        layer's rule goes to its originals (``parametrizations.weight.original0`` ...), as the module
        docstring describes, or, where it cannot, to none of them.
    """
    if not parametrize.is_parametrized(m):
        return module_rules(m)
    plists = cast("torch.nn.ModuleDict", m.parametrizations)
    inverses = {name: _probe(plist) for name, plist in plists.items()}
    stand_in = object.__new__(type(m))  # the layer as its handler sees it: unparametrized tensors, on meta
    stand_in.__dict__.update(m.__dict__)  # shallow (copy.copy: torch refuses to pickle a parametrized module)
    stand_in.__dict__["_parameters"] = {**m._parameters, **{
        name: torch.empty(inv.shape, dtype=inv.dtype, device="meta") for name, inv in inverses.items() if inv}}
    rules: dict[str, Rule] = {}
    for name, rule in module_rules(stand_in).items():
        inv = inverses.get(name)
        if inv is None:
            rules[name] = rule
            continue
        originals = _Originals(rule, inv)
        rules.update({f"parametrizations.{name}.{n}": originals.rule(i) for i, n in enumerate(inv.names)})
    return rules
