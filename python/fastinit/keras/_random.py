"""The random classes of :mod:`fastinit.keras`: the variance-scaling family (subclasses of Keras's
``VarianceScaling``, so that ``EinsumDense`` sets their fan axes), RandomUniform, RandomNormal,
TruncatedNormal and Orthogonal (subclasses of Keras's classes of the same names)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.checks import is_integer
from ..core.seed import Stream
from ..core.suggest import check_choice
from ..presets.fans import keras_axes
from ..presets.orthogonal import orthogonal as _orthogonal
from ..presets.random_init import random_normal as _random_normal
from ..presets.random_init import random_truncated_normal as _random_truncated_normal
from ..presets.random_init import random_uniform as _random_uniform
from ..presets.variance_scaling import DISTRIBUTIONS, MODES
from ..presets.variance_scaling import variance_scaling as _variance_scaling
from ._common import RandomInitializer, keras, number, register

__all__ = ["VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
           "LecunNormal", "RandomUniform", "RandomNormal", "TruncatedNormal", "Orthogonal"]

_K: Any = keras.initializers


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


@register
class VarianceScaling(RandomInitializer, _K.VarianceScaling):  # type: ignore[misc]
    """Keras ``VarianceScaling``: zero-mean values of variance ``scale / n``.

    ``n`` = fan_in, fan_out, (fan_in + fan_out) / 2 (``mode``; also "fan_geo_avg", as in JAX), at
    least 1, fans by Keras's rule (``(in, out)``, ``(*kernel, in, out)``; with both
    ``input_axes`` and ``output_axes``, only those axes). ``distribution``: "truncated_normal"
    (also "normal", as in Keras), "untruncated_normal" or "uniform". Values:
    :func:`fastinit.variance_scaling`. ``seed``/``stream``: see the module docstring.

    A subclass of ``keras.initializers.VarianceScaling`` with its attributes (``scale``,
    ``mode``, ``distribution``, ``seed``, ``input_axes``, ``output_axes``), read at every call:
    Keras's ``EinsumDense`` (so ``MultiHeadAttention``, ``GroupedQueryAttention``) recognises it
    and sets the kernel's fan axes, as for its own class.
    """

    def __init__(self, scale: Any = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: Any = None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None, *, stream: Stream = 0) -> None:
        self.scale = number(scale, "scale", minimum=0.0, strict=True)
        self.mode = check_choice(mode, "mode", MODES)
        if isinstance(distribution, str):
            distribution = distribution.lower()  # as Keras
        distribution = check_choice(distribution, "distribution", DISTRIBUTIONS)
        self.distribution = "truncated_normal" if distribution == "normal" else distribution
        _axes(input_axes, "input_axes")
        _axes(output_axes, "output_axes")
        self.input_axes = input_axes
        self.output_axes = output_axes
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        axes: dict[str, Any] = {}
        in_axes, out_axes = _axes(self.input_axes, "input_axes"), _axes(self.output_axes, "output_axes")
        if in_axes is not None and out_axes is not None:  # Keras uses them only together
            axes = keras_axes(in_axes, out_axes, out.ndim)
        _variance_scaling(out, self.scale, self.mode, self.distribution, seed=seed, stream=stream, **axes)

    def get_config(self) -> dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "input_axes": self.input_axes, "output_axes": self.output_axes, **super().get_config()}


class _Preset(VarianceScaling):
    _args: tuple[float, str, str] = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed: Any = None, input_axes: Sequence[int] | None = None,
                 output_axes: Sequence[int] | None = None, *, stream: Stream = 0) -> None:
        scale, mode, distribution = self._args
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes, stream=stream)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {key: config[key] for key in ("seed", "input_axes", "output_axes", "stream")}


@register
class GlorotUniform(_Preset, _K.GlorotUniform):  # type: ignore[misc]
    """Keras ``GlorotUniform``: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out));
    :func:`fastinit.glorot_uniform`."""

    _args = (1.0, "fan_avg", "uniform")


@register
class GlorotNormal(_Preset, _K.GlorotNormal):  # type: ignore[misc]
    """Keras ``GlorotNormal``: truncated normal (+-2 std) with std sqrt(2 / (fan_in + fan_out));
    :func:`fastinit.glorot_normal`."""

    _args = (1.0, "fan_avg", "truncated_normal")


@register
class HeUniform(_Preset, _K.HeUniform):  # type: ignore[misc]
    """Keras ``HeUniform``: U(-limit, limit), limit = sqrt(6 / fan_in); :func:`fastinit.he_uniform`."""

    _args = (2.0, "fan_in", "uniform")


@register
class HeNormal(_Preset, _K.HeNormal):  # type: ignore[misc]
    """Keras ``HeNormal``: truncated normal with std sqrt(2 / fan_in); :func:`fastinit.he_normal`."""

    _args = (2.0, "fan_in", "truncated_normal")


@register
class LecunUniform(_Preset, _K.LecunUniform):  # type: ignore[misc]
    """Keras ``LecunUniform``: U(-limit, limit), limit = sqrt(3 / fan_in); :func:`fastinit.lecun_uniform`."""

    _args = (1.0, "fan_in", "uniform")


@register
class LecunNormal(_Preset, _K.LecunNormal):  # type: ignore[misc]
    """Keras ``LecunNormal``: truncated normal with std sqrt(1 / fan_in); :func:`fastinit.lecun_normal`."""

    _args = (1.0, "fan_in", "truncated_normal")


@register
class RandomUniform(RandomInitializer, _K.RandomUniform):  # type: ignore[misc]
    """Keras ``RandomUniform``: U(minval, maxval); :func:`fastinit.random_uniform`."""

    def __init__(self, minval: Any = -0.05, maxval: Any = 0.05, seed: Any = None, *, stream: Stream = 0) -> None:
        self.minval = number(minval, "minval")
        self.maxval = number(maxval, "maxval")
        if self.minval > self.maxval:
            raise ValueError(f"RandomUniform: minval={self.minval!r} > maxval={self.maxval!r}")
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _random_uniform(out, self.minval, self.maxval, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, **super().get_config()}


@register
class RandomNormal(RandomInitializer, _K.RandomNormal):  # type: ignore[misc]
    """Keras ``RandomNormal``: N(mean, stddev**2); :func:`fastinit.random_normal`."""

    def __init__(self, mean: Any = 0.0, stddev: Any = 0.05, seed: Any = None, *, stream: Stream = 0) -> None:
        self.mean = number(mean, "mean")
        self.stddev = number(stddev, "stddev", minimum=0.0)
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _random_normal(out, self.mean, self.stddev, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@register
class TruncatedNormal(RandomInitializer, _K.TruncatedNormal):  # type: ignore[misc]
    """Keras ``TruncatedNormal``: N(mean, stddev**2) cut at mean +- 2 stddev (``stddev`` before the
    cut, as in Keras); :func:`fastinit.random_truncated_normal`."""

    def __init__(self, mean: Any = 0.0, stddev: Any = 0.05, seed: Any = None, *, stream: Stream = 0) -> None:
        self.mean = number(mean, "mean")
        self.stddev = number(stddev, "stddev", minimum=0.0)
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _random_truncated_normal(out, self.mean, self.stddev, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@register
class Orthogonal(RandomInitializer, _K.Orthogonal):  # type: ignore[misc]
    """Keras ``Orthogonal``: a Haar (semi-)orthogonal matrix times ``gain``, rows =
    prod(shape[:-1]), columns = shape[-1]; :func:`fastinit.orthogonal`. Rank >= 2."""

    def __init__(self, gain: Any = 1.0, seed: Any = None, *, stream: Stream = 0) -> None:
        self.gain = number(gain, "gain")
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _orthogonal(out, self.gain, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, **super().get_config()}
