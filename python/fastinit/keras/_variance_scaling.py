"""The variance-scaling family of :mod:`fastinit.keras`: VarianceScaling and its presets
GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform and LecunNormal (subclasses of
Keras's ``VarianceScaling`` and of its classes of the same names, so that ``EinsumDense`` sets
their fan axes)."""

from collections.abc import Sequence
from typing import Any, Callable, Optional, TypeVar, cast

import numpy as np

from ..core.checks import is_integer, is_real
from ..core.docstrings import fill_placeholders, shared_docs
from ..core.seed import Stream
from ..core.suggest import check_choice, did_you_mean
from ..presets.fans import keras_axes
from ..presets.glorot_he_lecun import ROWS
from ..presets.variance_scaling import DISTRIBUTIONS, MODES
from ..presets.variance_scaling import variance_scaling as _variance_scaling
from ._common import RandomInitializer, keras, number, register, scalar

__all__ = ["VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform",
           "LecunNormal"]

_K: Any = keras.initializers


def _axes(value: Any, name: str) -> Optional[tuple[int, ...]]:
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


def _scale(value: Any) -> float:
    """VarianceScaling's ``scale``: a finite float > 0; a number <= 0 gets Keras's ValueError."""
    number_ = scalar(value)
    if is_real(number_) and number_ <= 0:  # NaN and infinities: number()'s error
        raise ValueError(f"Argument `scale` must be positive float. Received: scale={number_}")
    return number(value, "scale", minimum=0.0, strict=True)


def _choice(value: Any, name: str, choices: Sequence[str]) -> str:
    """``mode``/``distribution``: one of ``choices`` (as given: Keras does not lower-case a mode),
    else Keras's ValueError (TypeError for a non-str ``distribution``, which Keras cannot lower-case)."""
    if name == "distribution" and not isinstance(value, str):
        return check_choice(value, name, choices)  # the TypeError naming it
    if not isinstance(value, str) or value not in choices:
        near = did_you_mean(value, choices) if isinstance(value, str) else ""
        valid = "{" + ", ".join(repr(c) for c in choices) + "}"
        raise ValueError(f"Invalid `{name}` argument: {value}. Please use one of {valid}.{near}")
    return value


@register
@shared_docs
class VarianceScaling(RandomInitializer, _K.VarianceScaling):  # type: ignore[misc]
    """Keras ``VarianceScaling``: zero-mean values of variance ``scale / n``, ``n`` from the fans.

    A subclass of ``keras.initializers.VarianceScaling`` with its attributes (``scale``, ``mode``,
    ``distribution``, ``seed``, ``input_axes``, ``output_axes``), read at every call, so Keras's
    ``EinsumDense`` (and ``MultiHeadAttention``, ``GroupedQueryAttention``) sets the kernel's fan
    axes as for its own class. Values: :func:`fastinit.variance_scaling`. Differs from Keras: the
    values are fastinit's; ``mode="fan_geo_avg"`` is accepted too, as in JAX.

    Args:
        scale: The variance's factor, > 0 (default 1).
        mode: Which fan ``n`` is: ``"fan_in"`` (default), ``"fan_out"``, ``"fan_avg"`` (their
            mean) or ``"fan_geo_avg"`` (their geometric mean); at least 1. Fans by Keras's rule.
        distribution: ``"truncated_normal"`` (default; cut at +-2 std, std corrected so the
            variance is ``scale / n``; Keras's ``"normal"`` means the same),
            ``"untruncated_normal"`` or ``"uniform"`` (U(-sqrt(3 scale / n), sqrt(3 scale / n))).
        seed: {keras_seed}
        input_axes: {keras_axes}
        output_axes: The fan-out axes, used together with ``input_axes`` (above).
        stream: {stream}

    Raises:
        ValueError: ``scale <= 0``, or an unknown ``mode`` or ``distribution`` (the message
            suggests the nearest name).
        TypeError: a seed that is not an int, None or a SeedGenerator.

    Example:
        >>> import numpy as np, fastinit, fastinit.keras as fk
        >>> init = fk.VarianceScaling(2.0, "fan_in", "uniform", seed=0)
        >>> w = np.asarray(init((100, 10)))
        >>> bool(np.abs(w).max() <= (3 * 2.0 / 100) ** 0.5)
        True
        >>> np.array_equal(w, fastinit.variance_scaling((100, 10), 2.0, "fan_in", "uniform", seed=0))
        True
    """

    def __init__(self, scale: Any = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: Any = None, input_axes: Optional[Sequence[int]] = None,
                 output_axes: Optional[Sequence[int]] = None, *, stream: Stream = 0) -> None:
        self.scale = _scale(scale)
        self.mode = _choice(mode, "mode", MODES)
        if isinstance(distribution, str):
            distribution = distribution.lower()  # as Keras
        distribution = _choice(distribution, "distribution", DISTRIBUTIONS)
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

    def __init__(self, seed: Any = None, input_axes: Optional[Sequence[int]] = None,
                 output_axes: Optional[Sequence[int]] = None, *, stream: Stream = 0) -> None:
        scale, mode, distribution = self._args
        super().__init__(scale, mode, distribution, seed, input_axes, output_axes, stream=stream)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        return {key: config[key] for key in ("seed", "input_axes", "output_axes", "stream")}


#: What follows a preset class's first line (its own formula) in its docstring, formatted with its
#: class name ``cls``, its fastinit function ``name`` and that one's row of ``ROWS``.
_PRESET_DOC = """

    This is ``VarianceScaling({scale}, "{mode}", "{distribution}")``, with Keras's formula, fans
    and defaults; the values are :func:`fastinit.{name}`'s, so the
    first call of an instance equals ``fastinit.{name}(shape, seed=seed, stream=stream)`` bit for
    bit. Differs from Keras: the values are fastinit's, and an instance shared by several layers
    gives each different values (Keras's seeded instances repeat theirs).

    Args:
        seed: {{keras_seed}}
        input_axes: {{keras_axes}}
        output_axes: The fan-out axes, used together with ``input_axes`` (above).
        stream: {{stream}}

    Example:
        >>> import numpy as np, fastinit, fastinit.keras as fk
        >>> w = np.asarray(fk.{cls}(seed=0, stream="k")((3, 2)))
        >>> np.array_equal(w, fastinit.{name}((3, 2), seed=0, stream="k"))
        True
    """

_C = TypeVar("_C", bound=type[_Preset])


def _preset(name: str) -> Callable[[_C], _C]:
    """The class decorator of the preset ``fastinit.{name}``: the class takes the row ``ROWS[name]``,
    its docstring :data:`_PRESET_DOC` after its first line, and it is registered for Keras's
    serialization (``"fastinit>" + class name``). docs/_ext/shared_docs.py does the same for the
    API reference."""

    def make(cls: _C) -> _C:
        row = ROWS[name]
        cls._args = row
        cls.__doc__ = fill_placeholders((cls.__doc__ or "") + _PRESET_DOC.format(cls=cls.__name__, name=name,
                                                                                 **row._asdict()))
        return cast(_C, register(cls))

    return make


@_preset("glorot_uniform")
class GlorotUniform(_Preset, _K.GlorotUniform):  # type: ignore[misc]
    """Keras ``GlorotUniform``: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out))."""


@_preset("glorot_normal")
class GlorotNormal(_Preset, _K.GlorotNormal):  # type: ignore[misc]
    """Keras ``GlorotNormal``: a truncated normal (+-2 std) of std sqrt(2 / (fan_in + fan_out))."""


@_preset("he_uniform")
class HeUniform(_Preset, _K.HeUniform):  # type: ignore[misc]
    """Keras ``HeUniform``: U(-limit, limit), limit = sqrt(6 / fan_in)."""


@_preset("he_normal")
class HeNormal(_Preset, _K.HeNormal):  # type: ignore[misc]
    """Keras ``HeNormal``: a truncated normal (+-2 std) of std sqrt(2 / fan_in)."""


@_preset("lecun_uniform")
class LecunUniform(_Preset, _K.LecunUniform):  # type: ignore[misc]
    """Keras ``LecunUniform``: U(-limit, limit), limit = sqrt(3 / fan_in)."""


@_preset("lecun_normal")
class LecunNormal(_Preset, _K.LecunNormal):  # type: ignore[misc]
    """Keras ``LecunNormal``: a truncated normal (+-2 std) of std sqrt(1 / fan_in)."""
