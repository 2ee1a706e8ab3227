"""``fastinit.get``: an initializer from a Keras name, a PyTorch name or a Keras-style config dict.

Names (case and underscores are ignored: "glorot_uniform", "GlorotUniform" and "glorotuniform"
are one name):

- Keras's: VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform,
  LecunNormal, RandomUniform (alias "uniform"), RandomNormal (alias "normal"), TruncatedNormal,
  Orthogonal (OrthogonalInitializer), Identity (IdentityInitializer), Zeros ("zero"), Ones ("one"),
  Constant, STFT (STFTInitializer; side, window, scaling, periodic), with Keras's semantics and
  defaults: "normal" is RandomNormal(stddev=0.05) and "truncated_normal" is
  TruncatedNormal(stddev=0.05), as in ``keras.initializers.get``.
- PyTorch's: xavier_uniform, xavier_normal, kaiming_uniform, kaiming_normal, eye, dirac, sparse;
  and ``torch.nn.init``'s in-place names with a trailing underscore, with PyTorch's semantics:
  "uniform_" (U(0, 1)), "normal_" (N(0, 1)), "trunc_normal_" (bounds a, b in absolute values),
  "constant_", "zeros_", "ones_", "eye_", "dirac_", "sparse_", "orthogonal_" (PyTorch layout),
  "xavier_uniform_", ..., "kaiming_normal_".

- JAX's delta_orthogonal (``scale`` or ``gain``, ``column_axis``).

JAX's names that clash with these ("xavier_normal", "kaiming_normal", "normal", "uniform",
"truncated_normal") mean something else in JAX; call the presets directly (docs/guide/presets-and-fans.md).

A config is ``{"class_name": name, "config": {...}}`` (Keras's ``serialize`` output; "module" and
"registered_name" are ignored). Its keys are the initializer's parameters, by Keras's or PyTorch's
names (``stddev``, ``minval``, ``val``, ``a``/``b`` of ``uniform_`` ...) or fastinit's; ``seed``
(an int) becomes the default seed; Keras's ``input_axes``/``output_axes`` (used when both are
given, as in Keras) count only those axes, every other axis being ignored as Keras does.

The names and parameters come from the one table of initializers, :mod:`fastinit.names.specs`.
"""

import numbers
from collections.abc import Mapping
from typing import Any, Callable, Optional, Union

import numpy as np

from ..core.complex import complex_target, is_complex
from ..core.docstrings import shared_docs
from ..core.layout import Index, Shape, as_shape
from ..core.seed import Seed, Stream
from ..core.suggest import closest
from ..presets.args import prepare
from ..presets.plans import Plan
from .lookup import KERAS_AXES, Binding, lookup, names

__all__ = ["Initializer", "get", "names"]

_STREAM_KEYWORDS = ("seed", "stream", "full_shape", "index")
_FAN_AXES = ("in_axis", "out_axis", "batch_axis")


def _check_seed(seed: Any) -> Optional[int]:
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


def _param_key(binding: Binding, key: str) -> str:
    """The spec's name of config key ``key``; TypeError for a key the initializer does not take."""
    if key in ("dtype",) + _STREAM_KEYWORDS:
        raise TypeError(f"config key {key!r} is not a parameter of {binding.name}; pass {key}= when calling "
                        "the initializer")
    param = binding.rename.get(key, key)
    if param not in binding.parameters():
        accepted = sorted(set(binding.accepted()) | {"seed"})
        near = closest(key, accepted)
        hint = (" Did you mean " + " or ".join(repr(n) for n in near) + "?") if near else ""
        raise TypeError(f"{binding.name} has no parameter {key!r}.{hint} "
                        f"Accepted config keys: {', '.join(accepted)}")
    return param


def _keras_axes(axes: Mapping[str, Any],
                params: Mapping[str, Any]) -> Optional[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Keras's (input_axes, output_axes), used when both are given (as in Keras)."""
    if axes.get("input_axes") is None or axes.get("output_axes") is None:
        return None
    if any(a in params for a in _FAN_AXES):
        raise TypeError("give either Keras's input_axes/output_axes or in_axis/out_axis/batch_axis, not both")
    return _axes_list(axes["input_axes"], "input_axes"), _axes_list(axes["output_axes"], "output_axes")


class Initializer:
    """An initializer returned by :func:`get`: a fastinit preset with bound parameters.

    ``init(out, *, seed=None, stream=0, full_shape=None, index=None, dtype=None, **overrides)``
    fills ``out`` (an array, or a shape to allocate) and returns it. Make one with :func:`get`
    rather than by hand.

    Args:
        spec: The initializer as its name presents it (from the name lookup of :func:`get`).
        config: Its bound parameters by Keras's, PyTorch's or fastinit's names, and ``seed``
            (the default seed of every call).

    Attributes:
        name: The initializer's name, e.g. ``"he_normal"``.
        seed: The default seed (the config's ``seed``), or None.
        params: The parameters the preset is called with, by fastinit's names.

    Example:
        >>> import fastinit
        >>> init = fastinit.get({"class_name": "RandomNormal", "config": {"stddev": 0.1, "seed": 3}})
        >>> init
        fastinit.get('random_normal')(stddev=0.1, seed=3)
        >>> init((2, 2)).shape
        (2, 2)
        >>> init.get_config()
        {'class_name': 'random_normal', 'config': {'stddev': 0.1, 'seed': 3}}
    """

    def __init__(self, spec: Binding, config: Mapping[str, Any]):
        self._spec = spec
        self._config = dict(config)
        self.name = spec.name
        self.seed: Optional[int] = None
        params: dict[str, Any] = dict(spec.defaults)
        axes: dict[str, Any] = {}
        for key, value in self._config.items():
            if key == "seed":
                self.seed = _check_seed(value)
            elif key in KERAS_AXES and spec.keras_axes:
                axes[key] = value
            else:
                params[_param_key(spec, key)] = value
        if spec.translate is not None:
            params = spec.translate(params)
        self._keras_axes = _keras_axes(axes, params)
        self.params = params
        self._accepts = frozenset(spec.parameters())  # read by torch/module_init.py; prefer accepts()

    def accepts(self, param: str) -> bool:
        """True when the preset takes parameter ``param`` (by fastinit's name, e.g. "layout")."""
        return param in self._accepts

    @property
    def binding(self) -> Binding:
        """The initializer as its name presents it (spec, parameter names, defaults)."""
        return self._spec

    def _logical_shape(self, out: Any, full_shape: Optional[Shape]) -> tuple[int, ...]:
        if full_shape is not None:
            return as_shape(full_shape, "full_shape")
        if isinstance(out, np.ndarray):
            shape: tuple[int, ...] = out.shape
            return shape
        return as_shape(out, "shape")

    def _kwargs(self, overrides: Mapping[str, Any], logical_shape: Callable[[], tuple[int, ...]]) -> dict[str, Any]:
        """The parameters to call the preset with: bound ones, ``overrides``, and Keras's axes as
        in_axis/out_axis/batch_axis of the tensor's rank (``logical_shape`` is asked only then)."""
        kwargs = {**self.params, **overrides}
        if self._keras_axes is not None and not set(_FAN_AXES) & set(overrides):
            rank = len(logical_shape())
            ins, outs = self._keras_axes
            named = {a % rank for a in ins + outs if isinstance(a, int) and -rank <= a < rank}
            kwargs.update(in_axis=ins, out_axis=outs, batch_axis=tuple(a for a in range(rank) if a not in named))
        return kwargs

    def plan(self, full_shape: Shape) -> Optional[Plan]:
        """The one fill this initializer makes in a tensor of ``full_shape`` (its preset's plan),
        or None when it is not elementwise (orthogonal, sparse, identity, eye, dirac)."""
        make = self._spec.spec.plan
        if make is None:
            return None
        shape = as_shape(full_shape, "full_shape")
        return make(shape, **self._kwargs({}, lambda: shape))

    @shared_docs
    def __call__(
        self,
        out: Any,
        *,
        seed: Seed = None,
        stream: Stream = 0,
        full_shape: Optional[Shape] = None,
        index: Optional[Index] = None,
        dtype: Any = None,
        **overrides: Any,
    ) -> np.ndarray:
        """Fill ``out`` with this initializer (its preset with the bound parameters).

        Deterministic initializers (zeros, ones, constant, identity, eye, dirac, stft) ignore
        ``seed`` and ``stream`` but still check ``out`` against ``full_shape``/``index``.

        Args:
            out: {out}
            seed: {seed}
                Default: the config's ``seed``, when it has one.
            stream: {stream}
            full_shape: {full_shape}
            index: {index}
            dtype: {dtype}
            **overrides: Parameters that replace bound ones for this call, by fastinit's names.

        Returns:
            The filled array (``out`` itself when it is an array).

        Raises:
            TypeError: a parameter the preset does not take, or of the wrong type.
            ValueError: as the preset raises it (bad values, ``seed``/``stream``/``index``).

        Example:
            >>> import fastinit
            >>> fastinit.get("glorot_uniform")((4, 2), seed=0).dtype
            dtype('float32')
        """
        kwargs = self._kwargs(overrides, lambda: self._logical_shape(out, full_shape))
        spec = self._spec.spec
        if spec.random:
            kwargs.update(seed=self.seed if seed is None else seed, stream=stream, full_shape=full_shape, index=index)
            return spec.fn(out, dtype=dtype, **kwargs)
        if spec.kind != "elementwise":  # identity, eye, dirac, stft: deterministic, shard-aware
            return spec.fn(out, full_shape=full_shape, index=index, dtype=dtype, **kwargs)
        # zeros, ones, constant: the same value everywhere; check the shard (complex too), then fill
        if is_complex(out, dtype):
            return spec.fn(complex_target(out, dtype, full_shape, index).array, **kwargs)
        return spec.fn(prepare(out, dtype, full_shape, index)[0], **kwargs)

    def get_config(self) -> dict[str, Any]:
        """``{"class_name": name, "config": {...}}``, which :func:`get` turns back into this."""
        return {"class_name": self.name, "config": dict(self._config)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self._config.items())
        return f"fastinit.get({self.name!r})({args})" if args else f"fastinit.get({self.name!r})"


def get(name_or_config: Union[str, Mapping[str, Any], Callable[..., Any]]) -> Callable[..., Any]:
    """The initializer named by a Keras or PyTorch name, or described by a Keras-style config.

    Args:
        name_or_config: a name (``"glorot_uniform"``, ``"GlorotUniform"``, ``"he_normal"``,
            ``"xavier_uniform"``, ``"kaiming_normal_"`` ...), a config
            ``{"class_name": ..., "config": {...}}``, or a callable (returned unchanged, as Keras
            does). See the module docstring for every name and the config keys.

    Returns:
        An :class:`Initializer`: ``init(out, *, seed, stream, full_shape, index, dtype)``.

    Raises:
        ValueError: an unknown name (the message names the closest known ones).
        TypeError: a config key the initializer does not take (naming the closest valid key), a
            malformed config, or neither a str, a dict nor a callable.

    Example:
        >>> import numpy as np, fastinit
        >>> init = fastinit.get("HeNormal")  # Keras's name; "he_normal" is the same
        >>> np.array_equal(init((8, 4), seed=0), fastinit.he_normal((8, 4), seed=0))
        True
    """
    if isinstance(name_or_config, str):
        return Initializer(lookup(name_or_config), {})
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
        return Initializer(lookup(name), config)
    if callable(name_or_config):
        return name_or_config
    raise TypeError(f"name_or_config must be an initializer name (str), a config dict or a callable, "
                    f"got {type(name_or_config).__name__} {name_or_config!r}")
