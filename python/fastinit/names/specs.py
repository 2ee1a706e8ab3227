"""The one table of initializers: for each, its fastinit name and function, its parameters (types
and defaults, declared here), what kind of fill it is, its plan, and its Keras and PyTorch names.

Everything that resolves initializers by name reads this table: :func:`fastinit.get`
(:mod:`.registry`), the command line and :mod:`fastinit.dask` (:mod:`.named`), and the
out-of-core writer's expected statistics (:mod:`.expected`). Names are indexed in :mod:`.lookup`.

Framework names of a spec:

- ``keras``: Keras class names and aliases (``"GlorotUniform"``, ``"normal"`` ...). They resolve,
  with the spec's own name, ignoring case and underscores, to the spec with ``keras_defaults``
  and, when ``keras_axes`` is set, Keras's ``input_axes``/``output_axes``.
- ``torch``: PyTorch names (``"xavier_uniform"``); each also with ``torch.nn.init``'s trailing
  underscore (``"xavier_uniform_"``), the same initializer.
- ``inplace``: ``torch.nn.init`` in-place names with PyTorch's own semantics (:class:`InPlace`):
  ``uniform_``'s ``a``/``b``, ``constant_``'s ``val``, ``trunc_normal_``'s absolute bounds.
- ``jax``: JAX names that mean the same initializer in JAX (``"delta_orthogonal"``), resolved
  like Keras names (case and underscores ignored), with JAX's parameter names (``jax_rename``:
  ``scale`` for ``gain``). JAX names that clash with Keras's or PyTorch's are not listed.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Callable, Literal

import numpy as np

from ..core.fills import constant, normal, ones, truncated_normal, uniform, zeros
from ..presets import glorot_he_lecun as ghl
from ..presets import pytorch as pt
from ..presets import random_init as ri
from ..presets import variance_scaling as vs
from ..presets.orthogonal import delta_orthogonal, orthogonal
from ..presets.plans import (
    Plan,
    constant_plan,
    normal_plan,
    ones_plan,
    truncated_normal_plan,
    uniform_plan,
    zeros_plan,
)
from ..presets.stft import stft
from ..presets.structured import dirac, eye, identity, sparse

__all__ = ["REQUIRED", "InPlace", "InitSpec", "Kind", "Param", "ParamType", "SPECS", "spec"]

#: How a parameter's command-line text is read: a number, an int, a word, axes ("0" or "0,1"), or
#: a truth value ("true"/"false", "yes"/"no", "1"/"0").
ParamType = Literal["float", "int", "str", "axis", "bool"]
#: "elementwise": one fill call (it has a plan); "structured": deterministic positions (identity,
#: eye, dirac); "whole": every part filled costs the whole tensor's (orthogonal, delta_orthogonal,
#: stft) or the whole columns' (sparse) work. Every function but zeros/ones/constant takes
#: ``full_shape``/``index``; the deterministic ones (identity, eye, dirac, stft) take no ``seed``.
Kind = Literal["elementwise", "structured", "whole"]


class _Required:
    def __repr__(self) -> str:
        return "REQUIRED"


#: The default of a parameter that has none.
REQUIRED: Any = _Required()


@dataclass(frozen=True)
class Param:
    """One parameter of an initializer: its name, type and default (:data:`REQUIRED` if none);
    ``optional``: None is a value (written ``none`` or ``null`` on the command line)."""

    name: str
    type: ParamType
    default: Any = REQUIRED
    optional: bool = False

    @property
    def required(self) -> bool:
        """True when the initializer has no default for it."""
        return self.default is REQUIRED


@dataclass(frozen=True)
class InPlace:
    """A ``torch.nn.init`` in-place name (``"uniform_"``) with PyTorch's parameter names
    (``rename``: PyTorch's name -> the spec's), defaults, and a ``translate`` of the bound
    parameters to the spec's (``trunc_normal_``'s absolute bounds); ``reports``: the name its
    initializer reports (default: this name)."""

    name: str
    reports: str | None = None
    rename: Mapping[str, str] = field(default_factory=dict)
    defaults: Mapping[str, Any] = field(default_factory=dict)
    translate: Callable[[dict[str, Any]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class InitSpec:
    """One initializer: fastinit's name and function, its parameters, its kind and flags, its plan
    (elementwise only: ``plan(shape, **params)`` is the one fill it makes) and framework names."""

    name: str
    fn: Callable[..., np.ndarray]
    params: tuple[Param, ...]
    kind: Kind = "elementwise"
    deterministic: bool = False  # ignores seed and stream
    keras_axes: bool = False  # by a Keras name, takes Keras's input_axes/output_axes
    plan: Callable[..., Plan] | None = None
    probe_rank: int = 0  # "whole" kinds: the least rank of the small stand-in that checks parameters
    keras: tuple[str, ...] = ()
    keras_defaults: Mapping[str, Any] = field(default_factory=dict)
    torch: tuple[str, ...] = ()
    inplace: tuple[InPlace, ...] = ()
    jax: tuple[str, ...] = ()
    jax_rename: Mapping[str, str] = field(default_factory=dict)  # JAX's parameter name -> the spec's

    def param(self, name: str) -> Param | None:
        """The parameter called ``name``, or None."""
        return next((p for p in self.params if p.name == name), None)

    @property
    def random(self) -> bool:
        """True when the values depend on the seed and stream."""
        return not self.deterministic

    @property
    def elementwise(self) -> bool:
        """True for one fill call per part (the spec then has a plan)."""
        return self.kind == "elementwise"


def _absolute_bounds(params: dict[str, Any]) -> dict[str, Any]:
    """PyTorch's trunc_normal_(mean, std, a, b) with absolute bounds, as fastinit's bounds in std."""
    mean, std = params.get("mean", 0.0), params.get("std", 1.0)
    a, b = params.get("a", -2.0), params.get("b", 2.0)
    for name, v in (("mean", mean), ("std", std), ("a", a), ("b", b)):
        if isinstance(v, bool) or not isinstance(v, numbers.Real):
            raise TypeError(f"trunc_normal_ {name} must be a real number, got {v!r}")
    if not std > 0:
        raise ValueError(f"trunc_normal_ std must be > 0, got {std!r}")
    return {"mean": float(mean), "std": float(std), "a": (a - mean) / std, "b": (b - mean) / std}


def _real(name: str, default: Any = REQUIRED) -> Param:
    return Param(name, "float", default)


_FANS = (
    Param("layout", "str", None, optional=True),
    Param("in_axis", "axis", None, optional=True),
    Param("out_axis", "axis", None, optional=True),
    Param("batch_axis", "axis", ()),
    Param("groups", "int", 1),
)
_TORCH_FANS = (Param("layout", "str", "torch", optional=True),) + _FANS[1:]
_KAIMING = (_real("a", 0.0), Param("mode", "str", "fan_in"), Param("nonlinearity", "str", "leaky_relu")) + _TORCH_FANS


def _keras_preset(fn: Callable[..., np.ndarray], plan: Callable[..., Plan], keras: str) -> InitSpec:
    """One of the six Keras/JAX variance-scaling presets (parameters: the fan options only)."""
    return InitSpec(fn.__name__, fn, _FANS, keras_axes=True, plan=plan, keras=(keras,))


SPECS: tuple[InitSpec, ...] = (
    InitSpec("uniform", uniform, (_real("low", 0.0), _real("high", 1.0)), plan=uniform_plan,
             inplace=(InPlace("uniform_", rename={"a": "low", "b": "high"}),)),
    InitSpec("normal", normal, (_real("mean", 0.0), _real("std", 1.0)), plan=normal_plan,
             inplace=(InPlace("normal_"),)),
    InitSpec("truncated_normal", truncated_normal,
             (_real("mean", 0.0), _real("std", 1.0), _real("a", -2.0), _real("b", 2.0)), plan=truncated_normal_plan,
             inplace=(InPlace("trunc_normal_", translate=_absolute_bounds),)),
    InitSpec("constant", constant, (_real("value"),), deterministic=True, plan=constant_plan,
             keras=("Constant",), keras_defaults={"value": 0.0},
             inplace=(InPlace("constant_", rename={"val": "value"}),)),
    InitSpec("zeros", zeros, (), deterministic=True, plan=zeros_plan, keras=("Zeros", "zero"),
             inplace=(InPlace("zeros_", reports="zeros"),)),
    InitSpec("ones", ones, (), deterministic=True, plan=ones_plan, keras=("Ones", "one"),
             inplace=(InPlace("ones_", reports="ones"),)),
    InitSpec("variance_scaling", vs.variance_scaling,
             (_real("scale", 1.0), Param("mode", "str", "fan_in"), Param("distribution", "str", "truncated_normal"))
             + _FANS, keras_axes=True, plan=vs.variance_scaling_plan, keras=("VarianceScaling",)),
    _keras_preset(ghl.glorot_uniform, ghl.glorot_uniform_plan, "GlorotUniform"),
    _keras_preset(ghl.glorot_normal, ghl.glorot_normal_plan, "GlorotNormal"),
    _keras_preset(ghl.he_uniform, ghl.he_uniform_plan, "HeUniform"),
    _keras_preset(ghl.he_normal, ghl.he_normal_plan, "HeNormal"),
    _keras_preset(ghl.lecun_uniform, ghl.lecun_uniform_plan, "LecunUniform"),
    _keras_preset(ghl.lecun_normal, ghl.lecun_normal_plan, "LecunNormal"),
    InitSpec("random_uniform", ri.random_uniform, (_real("minval", -0.05), _real("maxval", 0.05)),
             plan=ri.random_uniform_plan, keras=("RandomUniform", "uniform")),
    InitSpec("random_normal", ri.random_normal, (_real("mean", 0.0), _real("stddev", 0.05)),
             plan=ri.random_normal_plan, keras=("RandomNormal", "normal")),
    InitSpec("random_truncated_normal", ri.random_truncated_normal, (_real("mean", 0.0), _real("stddev", 0.05)),
             plan=ri.random_truncated_normal_plan, keras=("TruncatedNormal", "random_truncated_normal")),
    InitSpec("xavier_uniform", pt.xavier_uniform, (_real("gain", 1.0),) + _TORCH_FANS, plan=pt.xavier_uniform_plan,
             torch=("xavier_uniform",)),
    InitSpec("xavier_normal", pt.xavier_normal, (_real("gain", 1.0),) + _TORCH_FANS, plan=pt.xavier_normal_plan,
             torch=("xavier_normal",)),
    InitSpec("kaiming_uniform", pt.kaiming_uniform, _KAIMING, plan=pt.kaiming_uniform_plan,
             torch=("kaiming_uniform",)),
    InitSpec("kaiming_normal", pt.kaiming_normal, _KAIMING, plan=pt.kaiming_normal_plan, torch=("kaiming_normal",)),
    InitSpec("orthogonal", orthogonal,
             (_real("gain", 1.0), Param("layout", "str", None, optional=True),
              Param("column_axis", "int", None, optional=True)),
             kind="whole", probe_rank=2, keras=("Orthogonal", "OrthogonalInitializer"),
             inplace=(InPlace("orthogonal_", defaults={"layout": "torch"}),)),
    InitSpec("delta_orthogonal", delta_orthogonal, (_real("gain", 1.0), Param("column_axis", "int", -1)),
             kind="whole", probe_rank=3, jax=("delta_orthogonal",), jax_rename={"scale": "gain"}),
    InitSpec("identity", identity, (_real("gain", 1.0),), kind="structured", deterministic=True,
             keras=("Identity", "IdentityInitializer")),
    InitSpec("eye", eye, (), kind="structured", deterministic=True, torch=("eye",)),
    InitSpec("dirac", dirac, (Param("groups", "int", 1),), kind="structured", deterministic=True, torch=("dirac",)),
    InitSpec("sparse", sparse, (_real("sparsity"), _real("std", 0.01)), kind="whole", torch=("sparse",)),
    InitSpec("stft", stft,
             (Param("side", "str", "real"), Param("window", "str", "hann", optional=True),
              Param("scaling", "str", "density", optional=True), Param("periodic", "bool", False)),
             kind="whole", deterministic=True, probe_rank=3, keras=("STFT", "STFTInitializer")),
)

_BY_NAME: Mapping[str, InitSpec] = MappingProxyType({s.name: s for s in SPECS})


def spec(name: str) -> InitSpec | None:
    """The spec of fastinit's own initializer ``name`` (exact spelling), or None."""
    return _BY_NAME.get(name)
