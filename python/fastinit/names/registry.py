"""``fastinit.get``: an initializer from a Keras name, a PyTorch name or a Keras-style config dict.

Names (case and underscores are ignored: "glorot_uniform", "GlorotUniform" and "glorotuniform"
are one name):

- Keras's: VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
  LecunNormal, RandomUniform (alias "uniform"), RandomNormal (alias "normal"), TruncatedNormal,
  Orthogonal (OrthogonalInitializer), Identity (IdentityInitializer), Zeros ("zero"), Ones ("one"),
  Constant, with Keras's semantics and defaults: "normal" is RandomNormal(stddev=0.05) and
  "truncated_normal" is TruncatedNormal(stddev=0.05), as in ``keras.initializers.get``.
- PyTorch's: xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, eye, dirac, sparse;
  and ``torch.nn.init``'s in-place names with a trailing underscore, with PyTorch's semantics:
  "uniform_" (U(0, 1)), "normal_" (N(0, 1)), "trunc_normal_" (bounds a, b in absolute values),
  "constant_", "zeros_", "ones_", "eye_", "dirac_", "sparse_", "orthogonal_" (PyTorch layout),
  "xavier_uniform_", ..., "kaiming_normal_".

JAX's names that clash with these ("xavier_normal", "kaiming_normal", "normal", "uniform",
"truncated_normal") mean something else in JAX; call the presets directly (see the README table).

A config is ``{"class_name": name, "config": {...}}`` (Keras's ``serialize`` output; "module" and
"registered_name" are ignored). Its keys are the initializer's parameters, by Keras's or PyTorch's
names (``stddev``, ``minval``, ``val``, ``a``/``b`` of ``uniform_`` ...) or fastinit's; ``seed``
(an int) becomes the default seed; Keras's ``input_axes``/``output_axes`` (used when both are
given, as in Keras) count only those axes, every other axis being ignored as Keras does.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from ..core.fills import constant, normal, ones, truncated_normal, uniform, zeros
from ..core.layout import Index, Shape, as_shape
from ..core.seed import Seed, Stream
from ..core.suggest import closest
from ..presets.args import prepare
from ..presets.orthogonal import orthogonal
from ..presets.pytorch import kaiming_normal, kaiming_uniform, xavier_normal, xavier_uniform
from ..presets.random_init import random_normal, random_truncated_normal, random_uniform
from ..presets.structured import dirac, eye, identity, sparse
from ..presets.variance_scaling import (
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    lecun_normal,
    lecun_uniform,
    variance_scaling,
)

__all__ = ["Initializer", "get", "names"]

_STREAM_KEYWORDS = ("seed", "stream", "full_shape", "index")


@dataclass(frozen=True)
class _Spec:
    name: str  # the name Initializer reports (and get_config writes)
    fn: Callable[..., np.ndarray]
    defaults: Mapping[str, Any] = field(default_factory=dict)  # defaults that differ from fn's
    rename: Mapping[str, str] = field(default_factory=dict)  # config key -> fn parameter
    keras_axes: bool = False  # accepts Keras's input_axes/output_axes
    torch_trunc: bool = False  # torch trunc_normal_: a, b are absolute bounds

    def parameters(self) -> list[str]:
        sig = inspect.signature(self.fn).parameters
        return [p for p in sig if p not in ("out", "dtype") + _STREAM_KEYWORDS]


def _s(name: str, fn: Callable[..., np.ndarray], **kw: Any) -> _Spec:
    return _Spec(name, fn, **kw)


_KERAS = {
    "VarianceScaling": _s("variance_scaling", variance_scaling, keras_axes=True),
    "GlorotUniform": _s("glorot_uniform", glorot_uniform, keras_axes=True),
    "GlorotNormal": _s("glorot_normal", glorot_normal, keras_axes=True),
    "HeUniform": _s("he_uniform", he_uniform, keras_axes=True),
    "HeNormal": _s("he_normal", he_normal, keras_axes=True),
    "LecunUniform": _s("lecun_uniform", lecun_uniform, keras_axes=True),
    "LecunNormal": _s("lecun_normal", lecun_normal, keras_axes=True),
    "RandomUniform": _s("random_uniform", random_uniform),
    "RandomNormal": _s("random_normal", random_normal),
    "TruncatedNormal": _s("random_truncated_normal", random_truncated_normal),
    "Orthogonal": _s("orthogonal", orthogonal),
    "Identity": _s("identity", identity),
    "Zeros": _s("zeros", zeros),
    "Ones": _s("ones", ones),
    "Constant": _s("constant", constant, defaults={"value": 0.0}),
}
_ALIASES = {
    "uniform": "RandomUniform",
    "normal": "RandomNormal",
    "zero": "Zeros",
    "one": "Ones",
    "OrthogonalInitializer": "Orthogonal",
    "IdentityInitializer": "Identity",
    "random_truncated_normal": "TruncatedNormal",
}
_TORCH = {
    "xavier_uniform": _s("xavier_uniform", xavier_uniform),
    "xavier_normal": _s("xavier_normal", xavier_normal),
    "kaiming_uniform": _s("kaiming_uniform", kaiming_uniform),
    "kaiming_normal": _s("kaiming_normal", kaiming_normal),
    "eye": _s("eye", eye),
    "dirac": _s("dirac", dirac),
    "sparse": _s("sparse", sparse),
}
_TORCH_INPLACE = {
    "uniform_": _s("uniform_", uniform, rename={"a": "low", "b": "high"}),
    "normal_": _s("normal_", normal),
    "trunc_normal_": _s("trunc_normal_", truncated_normal, torch_trunc=True),
    "constant_": _s("constant_", constant, rename={"val": "value"}),
    "zeros_": _s("zeros", zeros),
    "ones_": _s("ones", ones),
    "orthogonal_": _s("orthogonal_", orthogonal, defaults={"layout": "torch"}),
}
_TORCH_INPLACE.update({f"{k}_": v for k, v in _TORCH.items()})


def _norm(name: str) -> str:
    return name.lower().replace("_", "")


_BY_NORM: dict[str, _Spec] = {}
for _k, _v in _KERAS.items():
    _BY_NORM[_norm(_k)] = _v
    _BY_NORM[_norm(_v.name)] = _v
for _k, _target in _ALIASES.items():
    _BY_NORM[_norm(_k)] = _KERAS[_target]
for _k, _v in _TORCH.items():
    _BY_NORM[_norm(_k)] = _v


def names() -> list[str]:
    """Every name :func:`get` accepts (one spelling each; case and underscores are free)."""
    return sorted(set(_KERAS) | set(_ALIASES) | {s.name for s in _KERAS.values()} | set(_TORCH)
                  | set(_TORCH_INPLACE))


def _lookup(name: str) -> _Spec:
    if name in _TORCH_INPLACE:
        return _TORCH_INPLACE[name]
    spec = _BY_NORM.get(_norm(name))
    if spec is None:
        known = names()
        if name == name.lower():  # offer the snake_case spellings first
            known.sort(key=lambda n: n != n.lower())
        near = closest(name, known)
        hint = (" Did you mean " + " or ".join(repr(n) for n in near) + "?") if near else ""
        raise ValueError(f"unknown initializer {name!r}.{hint} Known names: {', '.join(names())}")
    return spec


def _check_seed(seed: Any) -> int | None:
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise TypeError(f"config seed must be an int or None, got {type(seed).__name__} {seed!r}; "
                        "Keras SeedGenerator configs are not supported: pass seed= when calling")
    return int(seed)


def _axes_list(value: Any, name: str) -> tuple[int, ...]:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return (int(value),)
    try:
        return tuple(value)
    except TypeError:
        raise TypeError(f"config {name} must be a list of ints, got {value!r}") from None


class Initializer:
    """An initializer returned by :func:`get`: a fastinit preset with bound parameters.

    ``init(out, *, seed=None, stream=0, full_shape=None, index=None, dtype=None, **overrides)``
    fills ``out`` (an array, or a shape to allocate) and returns it. Keyword ``overrides`` replace
    bound parameters. Deterministic initializers (zeros, ones, constant, identity, eye, dirac)
    ignore ``seed`` and ``stream`` but still check ``out`` against ``full_shape``/``index``.
    """

    def __init__(self, spec: _Spec, config: Mapping[str, Any]):
        self._spec = spec
        self._config = dict(config)
        self.name = spec.name
        self.seed: int | None = None
        params: dict[str, Any] = dict(spec.defaults)
        valid = spec.parameters()
        keras_axes: dict[str, Any] = {}
        for key, value in self._config.items():
            if key == "seed":
                self.seed = _check_seed(value)
            elif key in ("dtype",) + _STREAM_KEYWORDS:
                raise TypeError(f"config key {key!r} is not a parameter of {spec.name}; pass {key}= when calling "
                                "the initializer")
            elif key in ("input_axes", "output_axes") and spec.keras_axes:
                keras_axes[key] = value
            else:
                param = spec.rename.get(key, key)
                if param not in valid:
                    accepted = sorted(set(valid) | set(spec.rename) | {"seed"}
                                      | ({"input_axes", "output_axes"} if spec.keras_axes else set()))
                    near = closest(key, accepted)
                    hint = (" Did you mean " + " or ".join(repr(n) for n in near) + "?") if near else ""
                    raise TypeError(f"{spec.name} has no parameter {key!r}.{hint} "
                                    f"Accepted config keys: {', '.join(accepted)}")
                params[param] = value
        if spec.torch_trunc:
            params = self._torch_trunc(params)
        self._keras_axes: tuple[tuple[int, ...], tuple[int, ...]] | None = None
        if keras_axes.get("input_axes") is not None and keras_axes.get("output_axes") is not None:
            if "in_axis" in params or "out_axis" in params or "batch_axis" in params:
                raise TypeError("give either Keras's input_axes/output_axes or in_axis/out_axis/batch_axis, not both")
            self._keras_axes = (_axes_list(keras_axes["input_axes"], "input_axes"),
                                _axes_list(keras_axes["output_axes"], "output_axes"))
        self.params = params
        fn_params = inspect.signature(spec.fn).parameters
        self._accepts = set(fn_params)

    @staticmethod
    def _torch_trunc(params: dict[str, Any]) -> dict[str, Any]:
        """PyTorch's trunc_normal_(mean, std, a, b) with absolute bounds, as fastinit's bounds in std."""
        mean, std = params.get("mean", 0.0), params.get("std", 1.0)
        a, b = params.get("a", -2.0), params.get("b", 2.0)
        for name, v in (("mean", mean), ("std", std), ("a", a), ("b", b)):
            if isinstance(v, bool) or not isinstance(v, numbers.Real):
                raise TypeError(f"trunc_normal_ {name} must be a real number, got {v!r}")
        if not std > 0:
            raise ValueError(f"trunc_normal_ std must be > 0, got {std!r}")
        return {"mean": float(mean), "std": float(std), "a": (a - mean) / std, "b": (b - mean) / std}

    def _logical_shape(self, out: Any, full_shape: Shape | None) -> tuple[int, ...]:
        if full_shape is not None:
            return as_shape(full_shape, "full_shape")
        if isinstance(out, np.ndarray):
            shape: tuple[int, ...] = out.shape
            return shape
        return as_shape(out, "shape")

    def __call__(
        self,
        out: Any,
        *,
        seed: Seed = None,
        stream: Stream = 0,
        full_shape: Shape | None = None,
        index: Index | None = None,
        dtype: Any = None,
        **overrides: Any,
    ) -> np.ndarray:
        kwargs = {**self.params, **overrides}
        if self._keras_axes is not None and not {"in_axis", "out_axis", "batch_axis"} & set(overrides):
            shape = self._logical_shape(out, full_shape)
            rank = len(shape)
            ins, outs = self._keras_axes
            named = {a % rank for a in ins + outs if isinstance(a, int) and -rank <= a < rank}
            kwargs.update(in_axis=ins, out_axis=outs, batch_axis=tuple(a for a in range(rank) if a not in named))
        if "seed" in self._accepts:
            kwargs.update(seed=self.seed if seed is None else seed, stream=stream, full_shape=full_shape, index=index)
            return self._spec.fn(out, dtype=dtype, **kwargs)
        if "full_shape" in self._accepts:  # identity, eye, dirac: deterministic, shard-aware
            return self._spec.fn(out, full_shape=full_shape, index=index, dtype=dtype, **kwargs)
        array, _ = prepare(out, dtype, full_shape, index)  # zeros, ones, constant: check the shard
        return self._spec.fn(array, **kwargs)

    def get_config(self) -> dict[str, Any]:
        """``{"class_name": name, "config": {...}}``, which :func:`get` turns back into this."""
        return {"class_name": self.name, "config": dict(self._config)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config.items())
        return f"fastinit.get({self.name!r})({args})" if args else f"fastinit.get({self.name!r})"


def get(name_or_config: str | Mapping[str, Any] | Callable[..., Any]) -> Callable[..., Any]:
    """The initializer named by a Keras or PyTorch name, or described by a Keras-style config.

    Args:
        name_or_config: a name (``"glorot_uniform"``, ``"GlorotUniform"``, ``"he_normal"``,
            ``"xavier_uniform"``, ``"kaiming_normal_"`` ...), a config
            ``{"class_name": ..., "config": {...}}``, or a callable (returned unchanged, as Keras
            does). See the module docstring for every name and the config keys.

    Returns:
        An :class:`Initializer`: ``init(out, *, seed, stream, full_shape, index, dtype)``.

    Raises:
        ValueError for an unknown name, listing the closest known names; TypeError for a config
        key the initializer does not take (with the closest valid key) or a malformed config.
    """
    if isinstance(name_or_config, str):
        return Initializer(_lookup(name_or_config), {})
    if isinstance(name_or_config, Mapping):
        extra = set(name_or_config) - {"class_name", "config", "module", "registered_name"}
        if "class_name" not in name_or_config or extra:
            raise TypeError(f"a config must be {{'class_name': str, 'config': dict}}, got keys "
                            f"{sorted(map(str, name_or_config))}")
        name = name_or_config["class_name"]
        if not isinstance(name, str):
            raise TypeError(f"config class_name must be a str, got {type(name).__name__} {name!r}")
        config = name_or_config.get("config") or {}
        if not isinstance(config, Mapping):
            raise TypeError(f"config['config'] must be a dict of parameters, got {type(config).__name__}")
        return Initializer(_lookup(name), config)
    if callable(name_or_config):
        return name_or_config
    raise TypeError(f"name_or_config must be an initializer name (str), a config dict or a callable, "
                    f"got {type(name_or_config).__name__} {name_or_config!r}")
