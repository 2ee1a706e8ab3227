"""Names to initializers: the index of every name of :data:`.specs.SPECS`, the did-you-mean error
for an unknown one, and :class:`Binding`, a spec as one name presents it (that framework's
parameter names, defaults and semantics).

Two ways in: :func:`lookup` takes the names :func:`fastinit.get` takes (Keras's and PyTorch's,
whose ``"normal"`` is Keras's ``RandomNormal``); :func:`by_name` (the command line, Dask) takes
fastinit's own names first (``"normal"`` is :func:`fastinit.normal`), then falls back to
:func:`lookup`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable

import numpy as np

from ..core.suggest import closest
from .specs import SPECS, InitSpec, Param

__all__ = ["KERAS_AXES", "Binding", "all_bindings", "by_name", "lookup", "names", "own", "own_names"]

#: Keras's ``input_axes``/``output_axes`` config keys (see :attr:`.specs.InitSpec.keras_axes`).
KERAS_AXES = ("input_axes", "output_axes")
_AXES_PARAM = Param("axes", "axis")


@dataclass(frozen=True)
class Binding:
    """An initializer as one of its names presents it: ``name`` is what its initializer reports;
    ``rename`` maps that name's parameter names to the spec's; ``translate`` rewrites the bound
    parameters (PyTorch's absolute truncation bounds)."""

    name: str
    spec: InitSpec
    rename: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    keras_axes: bool = False
    translate: Callable[[dict[str, Any]], dict[str, Any]] | None = None

    @property
    def fn(self) -> Callable[..., np.ndarray]:
        """The preset or fill it calls."""
        return self.spec.fn

    def parameters(self) -> list[str]:
        """The spec's parameter names, in order."""
        return [p.name for p in self.spec.params]

    def accepted(self) -> list[str]:
        """Every parameter name this name takes (the spec's, the renamed ones, Keras's axes)."""
        accepted = set(self.parameters()) | set(self.rename)
        if self.keras_axes:
            accepted |= set(KERAS_AXES)
        return sorted(accepted)

    def param(self, key: str) -> Param | None:
        """The declared parameter ``key`` names (after ``rename``), or None."""
        if key in KERAS_AXES:
            return _AXES_PARAM
        return self.spec.param(self.rename.get(key, key))

    def missing(self, given: Iterable[str]) -> list[str]:
        """The required parameters ``given`` (names as this binding takes them) lacks."""
        given = set(given)
        renamed = {self.rename.get(k) for k in given}
        return [p.name for p in self.spec.params
                if p.required and p.name not in self.defaults and p.name not in given and p.name not in renamed]


def _norm(name: str) -> str:
    return name.lower().replace("_", "")


def _keras_binding(s: InitSpec) -> Binding:
    return Binding(s.name, s, defaults=MappingProxyType(dict(s.keras_defaults)), keras_axes=s.keras_axes)


def _add(index: dict[str, Binding], key: str, binding: Binding) -> None:
    if index.setdefault(key, binding) != binding:
        raise RuntimeError(f"initializer name {key!r} is claimed twice in fastinit.names.specs")  # pragma: no cover


def _index() -> tuple[dict[str, Binding], dict[str, Binding], dict[str, Binding], tuple[str, ...]]:
    """(normalised Keras/PyTorch name -> binding, exact in-place name -> binding, own name ->
    binding, the names :func:`names` lists)."""
    by_norm: dict[str, Binding] = {}
    inplace: dict[str, Binding] = {}
    listed: set[str] = set()
    for s in SPECS:
        if s.keras:
            for key in s.keras + (s.name,):
                _add(by_norm, _norm(key), _keras_binding(s))
            listed.update(s.keras + (s.name,))
        for key in s.torch:
            _add(by_norm, _norm(key), Binding(key, s))
            _add(inplace, key + "_", Binding(key, s))
            listed.update((key, key + "_"))
        for key in s.jax:
            _add(by_norm, _norm(key), Binding(key, s, MappingProxyType(dict(s.jax_rename))))
            listed.add(key)
        for ip in s.inplace:
            _add(inplace, ip.name, Binding(ip.reports or ip.name, s, MappingProxyType(dict(ip.rename)),
                                           MappingProxyType(dict(ip.defaults)), translate=ip.translate))
            listed.add(ip.name)
    own_index = {s.name: Binding(s.name, s) for s in SPECS}
    return by_norm, inplace, own_index, tuple(sorted(listed))


_BY_NORM, _INPLACE, _OWN, _LISTED = _index()


def names() -> list[str]:
    """Every name :func:`fastinit.get` accepts (one spelling each; case and underscores are free)."""
    return list(_LISTED)


def own_names() -> tuple[str, ...]:
    """fastinit's own initializer names, in the order they are listed to users."""
    return tuple(s.name for s in SPECS)


def lookup(name: str) -> Binding:
    """The initializer :func:`fastinit.get` calls ``name``: an exact ``torch.nn.init`` in-place
    name, else a Keras, PyTorch or (unclashing) JAX name ignoring case and underscores. ValueError for an unknown
    name, naming the few closest known ones (not all of them: ``fastinit list`` does that)."""
    if name in _INPLACE:
        return _INPLACE[name]
    binding = _BY_NORM.get(_norm(name))
    if binding is None:
        known = names()
        if name == name.lower():  # offer the snake_case spellings first
            known.sort(key=lambda n: n != n.lower())
        near = closest(name, known)
        hint = (" Did you mean " + " or ".join(repr(n) for n in near) + "?") if near else ""
        raise ValueError(f"unknown initializer {name!r}.{hint} All {len(known)} names: `fastinit list` "
                         "(command line) or fastinit.names.registry.names() (Python)")
    return binding


def own(name: str) -> Binding | None:
    """fastinit's own initializer ``name`` (exact spelling) with fastinit's parameters, or None."""
    return _OWN.get(name)


def by_name(name: str) -> Binding:
    """``name`` as the command line and Dask read it: fastinit's own name (``-`` for ``_``, any
    case) first, else :func:`lookup`'s (ValueError naming the closest names)."""
    key = name.strip().replace("-", "_")
    binding = own(key) or own(key.lower())
    return binding if binding is not None else lookup(key)


def all_bindings() -> list[Binding]:
    """Every binding a name can resolve to (own names, Keras and PyTorch names, in-place names)."""
    return list(_OWN.values()) + list(_BY_NORM.values()) + list(_INPLACE.values())
