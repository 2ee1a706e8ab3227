"""``fastinit.keras``: Keras 3 initializers whose values come from fastinit.

Importing this module imports Keras (``import fastinit`` alone never does); set
``KERAS_BACKEND`` before, as usual. Every class subclasses ``keras.initializers.Initializer``,
has Keras's name, parameters and defaults, and can be passed wherever Keras takes an
initializer (``kernel_initializer=``, ``embeddings_initializer=`` ...):

    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, VarianceScaling,
    RandomUniform, RandomNormal, TruncatedNormal, Orthogonal, Identity, Zeros, Ones, Constant

``init(shape, dtype=None)`` fills a NumPy array on the host with the fastinit preset of the same
name (Keras layout and formulas, see the README's table) and returns
``keras.ops.convert_to_tensor`` of it, in ``dtype`` (default ``keras.backend.floatx()``): float32,
float64, float16 or bfloat16 (bfloat16 values are the float32 values rounded to nearest even, the
fastinit contract). Zeros, Ones, Constant and Identity also give integer and bool dtypes.

The classes are registered with ``keras.saving.register_keras_serializable(package="fastinit")``
(as ``"fastinit>GlorotUniform"`` ...): ``get_config``/``from_config`` round-trip, and a model
using them saves and loads (import ``fastinit.keras`` before ``keras.models.load_model``).

**Seeds.** The random classes take Keras's ``seed`` and a keyword ``stream`` (int or str):

- ``seed=<int>``: the values are a pure function of (seed, stream, call number, shape, dtype).
  The *first* call of an instance gives exactly ``fastinit.<preset>(shape, seed=seed,
  stream=stream)``; the n-th call (n = 1, 2, ...) uses the derived stream
  ``fastinit.stream_from_name(f"fastinit.keras.call:{stream}:{n}")``, where ``stream`` is the
  stream as an int. So one instance shared by several layers gives each layer *different* values
  (Keras's own seeded initializers repeat the same values on every call), reproducibly as long as
  the layers are built in the same order. For values that depend on nothing but the layer, give
  each layer its own instance and ``stream`` (e.g. the layer's name). A ``keras.random.
  SeedGenerator`` is not accepted (TypeError): the per-call streams already give fresh values.
- ``seed=None``: as in Keras, a seed is drawn at construction from Python's ``random`` module (so
  ``keras.utils.set_random_seed`` makes it repeatable) and the calls then proceed as above.
  ``get_config`` records ``seed: None``, as Keras does.

``from_config``/``clone`` start the call count anew.
"""

from __future__ import annotations

import random as _random
from collections.abc import Sequence
from typing import Any

import numpy as np

try:
    import keras  # absolute import: the real Keras, not this module
except ImportError as _exc:  # pragma: no cover - only without keras
    raise ImportError("fastinit.keras needs Keras 3; install it (`pip install keras`) and a backend") from _exc
if not hasattr(keras, "initializers"):  # pragma: no cover - python/fastinit itself on sys.path
    raise ImportError("`import keras` found fastinit's own keras.py; do not put python/fastinit on sys.path")

from .core import fills as _fills
from .core.checks import is_integer
from .core.dtypes import FLOAT_DTYPES
from .core.layout import as_shape
from .core.seed import Stream, resolve_seed, resolve_stream, stream_from_name
from .core.suggest import check_choice
from .presets.args import real_param
from .presets.fans import keras_axes
from .presets.orthogonal import orthogonal as _orthogonal
from .presets.random_init import random_normal as _random_normal
from .presets.random_init import random_truncated_normal as _random_truncated_normal
from .presets.random_init import random_uniform as _random_uniform
from .presets.structured import identity as _identity
from .presets.variance_scaling import DISTRIBUTIONS, MODES
from .presets.variance_scaling import variance_scaling as _variance_scaling

__all__ = [
    "VarianceScaling",
    "GlorotUniform",
    "GlorotNormal",
    "HeUniform",
    "HeNormal",
    "LecunUniform",
    "LecunNormal",
    "RandomUniform",
    "RandomNormal",
    "TruncatedNormal",
    "Orthogonal",
    "Identity",
    "Zeros",
    "Ones",
    "Constant",
]

_register = keras.saving.register_keras_serializable(package="fastinit")


def _keras_dtype(dtype: Any) -> str:
    try:
        return str(keras.backend.standardize_dtype(dtype))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"dtype {dtype!r} is not a Keras dtype: {exc}") from None


def _float_dtype(name: str, who: str) -> np.dtype:
    dt = FLOAT_DTYPES.get(name)
    if dt is None:
        raise TypeError(f"{who}: dtype {name!r} is not supported; fastinit writes float32, float64, float16 and "
                        "bfloat16")
    return dt


def _to_tensor(array: np.ndarray, name: str) -> Any:
    if name == "bfloat16":  # exact: every bfloat16 value is a float32 value; not every backend takes ml_dtypes
        return keras.ops.convert_to_tensor(array.astype(np.float32), dtype="bfloat16")
    return keras.ops.convert_to_tensor(array, dtype=name)


def _check_seed(seed: Any, who: str) -> int | None:
    if seed is None:
        return None
    if not is_integer(seed):
        raise TypeError(f"{who}: seed must be an int in [0, 2**64) or None, got {type(seed).__name__}; fastinit "
                        "gives every call its own stream, so a keras.random.SeedGenerator is not needed")
    return resolve_seed(int(seed))


def _axes(value: Any, name: str) -> tuple[int, ...] | None:
    if value is None:
        return None
    if is_integer(value):
        return (int(value),)
    try:
        axes = tuple(value)
    except TypeError:
        raise TypeError(f"{name} must be a list of ints or None, got {type(value).__name__} {value!r}") from None
    for a in axes:
        if not is_integer(a):
            raise TypeError(f"{name} must contain ints, got {a!r}")
    return tuple(int(a) for a in axes)


class _RandomInitializer(keras.initializers.Initializer):  # type: ignore[misc]
    """Seed, stream and call count of the random initializers (see the module docstring)."""

    def __init__(self, seed: int | None = None, *, stream: Stream = 0) -> None:
        who = type(self).__name__
        self.seed = _check_seed(seed, who)
        if not (isinstance(stream, str) or is_integer(stream)):
            raise TypeError(f"{who}: stream must be an int in [0, 2**64) or a str, got {type(stream).__name__}")
        self._stream = resolve_stream(stream if isinstance(stream, str) else int(stream))
        self.stream = stream
        self._key = self.seed if self.seed is not None else _random.getrandbits(64)
        self._calls = 0

    def _next_stream(self) -> int:
        n = self._calls
        self._calls = n + 1
        return self._stream if n == 0 else stream_from_name(f"fastinit.keras.call:{self._stream}:{n}")

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        raise NotImplementedError

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        """A tensor of ``shape`` and ``dtype`` (default ``keras.backend.floatx()``)."""
        name = _keras_dtype(dtype)
        out = np.empty(as_shape(shape), _float_dtype(name, type(self).__name__))
        self._fill(out, self._key, self._next_stream())
        return _to_tensor(out, name)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "stream": self.stream}


@_register
class VarianceScaling(_RandomInitializer):
    """Keras ``VarianceScaling``: zero-mean values of variance ``scale / n``.

    ``n`` = fan_in, fan_out, (fan_in + fan_out) / 2 (``mode``; also "fan_geo_avg", as in JAX), at
    least 1, fans by Keras's rule (``(in, out)``, ``(*kernel, in, out)``; with both
    ``input_axes`` and ``output_axes``, only those axes). ``distribution``: "truncated_normal"
    (also "normal", as in Keras), "untruncated_normal" or "uniform". Values:
    :func:`fastinit.variance_scaling`. ``seed``/``stream``: see the module docstring.
    """

    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: int | None = None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None, *, stream: Stream = 0) -> None:
        self.scale = real_param(scale, "scale", minimum=0.0, strict=True)
        self.mode = check_choice(mode, "mode", MODES)
        distribution = check_choice(distribution, "distribution", DISTRIBUTIONS)
        self.distribution = "truncated_normal" if distribution == "normal" else distribution
        self.input_axes = input_axes
        self.output_axes = output_axes
        self._in_axes, self._out_axes = _axes(input_axes, "input_axes"), _axes(output_axes, "output_axes")
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        axes: dict[str, Any] = {}
        if self._in_axes is not None and self._out_axes is not None:  # Keras uses them only together
            axes = keras_axes(self._in_axes, self._out_axes, out.ndim)
        _variance_scaling(out, self.scale, self.mode, self.distribution, seed=seed, stream=stream, **axes)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes, **super().get_config()}


class _Preset(VarianceScaling):
    _args: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: int | None = None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None, *, stream: Stream = 0) -> None:
        scale, mode, distribution = self._args
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes,
                "stream": self.stream}


@_register
class GlorotUniform(_Preset):
    """Keras ``GlorotUniform``: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out));
    :func:`fastinit.glorot_uniform`."""

    _args = (1.0, "fan_avg", "uniform")


@_register
class GlorotNormal(_Preset):
    """Keras ``GlorotNormal``: truncated normal (+-2 std) with std sqrt(2 / (fan_in + fan_out));
    :func:`fastinit.glorot_normal`."""

    _args = (1.0, "fan_avg", "truncated_normal")


@_register
class HeUniform(_Preset):
    """Keras ``HeUniform``: U(-limit, limit), limit = sqrt(6 / fan_in); :func:`fastinit.he_uniform`."""

    _args = (2.0, "fan_in", "uniform")


@_register
class HeNormal(_Preset):
    """Keras ``HeNormal``: truncated normal with std sqrt(2 / fan_in); :func:`fastinit.he_normal`."""

    _args = (2.0, "fan_in", "truncated_normal")


@_register
class LecunUniform(_Preset):
    """Keras ``LecunUniform``: U(-limit, limit), limit = sqrt(3 / fan_in); :func:`fastinit.lecun_uniform`."""

    _args = (1.0, "fan_in", "uniform")


@_register
class LecunNormal(_Preset):
    """Keras ``LecunNormal``: truncated normal with std sqrt(1 / fan_in); :func:`fastinit.lecun_normal`."""

    _args = (1.0, "fan_in", "truncated_normal")


@_register
class RandomUniform(_RandomInitializer):
    """Keras ``RandomUniform``: U(minval, maxval); :func:`fastinit.random_uniform`."""

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None, *,
                 stream: Stream = 0) -> None:
        self.minval = real_param(minval, "minval")
        self.maxval = real_param(maxval, "maxval")
        if self.minval > self.maxval:
            raise ValueError(f"RandomUniform: minval={minval!r} > maxval={maxval!r}")
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _random_uniform(out, self.minval, self.maxval, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@_register
class RandomNormal(_RandomInitializer):
    """Keras ``RandomNormal``: N(mean, stddev**2); :func:`fastinit.random_normal`."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None, *,
                 stream: Stream = 0) -> None:
        self.mean = real_param(mean, "mean")
        self.stddev = real_param(stddev, "stddev", minimum=0.0)
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _random_normal(out, self.mean, self.stddev, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@_register
class TruncatedNormal(_RandomInitializer):
    """Keras ``TruncatedNormal``: N(mean, stddev**2) cut at mean +- 2 stddev (``stddev`` before the
    cut, as in Keras); :func:`fastinit.random_truncated_normal`."""

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None, *,
                 stream: Stream = 0) -> None:
        self.mean = real_param(mean, "mean")
        self.stddev = real_param(stddev, "stddev", minimum=0.0)
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _random_truncated_normal(out, self.mean, self.stddev, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@_register
class Orthogonal(_RandomInitializer):
    """Keras ``Orthogonal``: a Haar (semi-)orthogonal matrix times ``gain``, rows =
    prod(shape[:-1]), columns = shape[-1]; :func:`fastinit.orthogonal`. Rank >= 2."""

    def __init__(self, gain: float = 1.0, seed: int | None = None, *, stream: Stream = 0) -> None:
        self.gain = real_param(gain, "gain")
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _orthogonal(out, self.gain, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, **super().get_config()}


class _Deterministic(keras.initializers.Initializer):  # type: ignore[misc]
    """Float dtypes through fastinit; integer/bool dtypes through NumPy (no randomness either way)."""

    def _float(self, out: np.ndarray) -> None:
        raise NotImplementedError

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        """A tensor of ``shape`` and ``dtype`` (default ``keras.backend.floatx()``)."""
        name = _keras_dtype(dtype)
        dims = as_shape(shape)
        if name in FLOAT_DTYPES:
            out = np.empty(dims, FLOAT_DTYPES[name])
            self._float(out)
        else:
            out = self._other(dims, np.dtype(name))
        return _to_tensor(out, name)


@_register
class Zeros(_Deterministic):
    """Keras ``Zeros``: 0."""

    def _float(self, out: np.ndarray) -> None:
        _fills.zeros(out)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.zeros(shape, dtype)


@_register
class Ones(_Deterministic):
    """Keras ``Ones``: 1."""

    def _float(self, out: np.ndarray) -> None:
        _fills.ones(out)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.ones(shape, dtype)


@_register
class Constant(_Deterministic):
    """Keras ``Constant(value=0.0)``: ``value`` rounded to the dtype."""

    def __init__(self, value: float = 0.0) -> None:
        self.value = real_param(value, "value")

    def _float(self, out: np.ndarray) -> None:
        _fills.constant(out, self.value)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.full(shape, self.value).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


@_register
class Identity(_Deterministic):
    """Keras ``Identity(gain=1.0)``: ``gain`` times the identity matrix, 2-d shapes only
    (:func:`fastinit.identity`). Unlike Keras's, ``get_config`` keeps ``gain``."""

    def __init__(self, gain: float = 1.0) -> None:
        self.gain = real_param(gain, "gain")

    def _float(self, out: np.ndarray) -> None:
        _identity(out, self.gain)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-d shape, got {shape}")
        return (np.eye(*shape) * self.gain).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}

