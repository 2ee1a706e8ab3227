"""The deterministic classes of :mod:`fastinit.keras`: Zeros, Ones, Constant (scalars and arrays,
broadcast as Keras does), Identity and STFT (subclasses of Keras's classes of the same names)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core import fills as _fills
from ..core.dtypes import FLOAT_DTYPES
from ..core.layout import as_shape
from ..presets.stft import check_stft_args
from ..presets.stft import stft as _stft
from ..presets.structured import identity as _identity
from ._common import as_array, float_dtype, keras, keras_dtype, number, register, scalar, to_tensor

__all__ = ["Zeros", "Ones", "Constant", "Identity", "STFT"]

_K: Any = keras.initializers


class _Deterministic(_K.Initializer):  # type: ignore[misc]
    """Float dtypes through fastinit; integer/bool dtypes through NumPy (no randomness either way)."""

    def _float(self, out: np.ndarray) -> None:
        raise NotImplementedError

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        raise NotImplementedError

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        """A tensor of ``shape`` and ``dtype`` (default ``keras.backend.floatx()``)."""
        name = keras_dtype(dtype)
        dims = as_shape(shape)
        if name in FLOAT_DTYPES:
            out = np.empty(dims, FLOAT_DTYPES[name])
            self._float(out)
        else:
            out = self._other(dims, np.dtype(name))
        return to_tensor(out, name)


@register
class Zeros(_Deterministic, _K.Zeros):  # type: ignore[misc]
    """Keras ``Zeros``: 0."""

    def _float(self, out: np.ndarray) -> None:
        _fills.zeros(out)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.zeros(shape, dtype)


@register
class Ones(_Deterministic, _K.Ones):  # type: ignore[misc]
    """Keras ``Ones``: 1."""

    def _float(self, out: np.ndarray) -> None:
        _fills.ones(out)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.ones(shape, dtype)


def _constant_value(value: Any) -> float | np.ndarray:
    """A number (Python, NumPy, 0-d tensor) as a float; an array-like (list, array, tensor) as a
    NumPy array of a real dtype."""
    value = scalar(value)
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return number(value, "value")
    try:
        array = as_array(value)
    except (TypeError, ValueError):
        array = np.asarray(None)
    if array.dtype.kind not in "iufb" or array.ndim == 0:
        raise TypeError(f"Constant: value must be a real number or an array of them (broadcast to the shape), got "
                        f"{type(value).__name__} {value!r}")
    return array


@register
class Constant(_Deterministic, _K.Constant):  # type: ignore[misc]
    """Keras ``Constant(value=0.0)``: ``value`` rounded to the dtype; an array (a list, a NumPy
    array, a tensor) is broadcast to the shape, as Keras does."""

    def __init__(self, value: Any = 0.0) -> None:
        self.value = _constant_value(value)

    def _broadcast(self, shape: tuple[int, ...]) -> np.ndarray:
        try:
            return np.broadcast_to(self.value, shape)
        except ValueError:
            raise ValueError(f"Constant: a value of shape {np.shape(self.value)} does not broadcast to the shape "
                             f"{shape}") from None

    def _float(self, out: np.ndarray) -> None:
        if isinstance(self.value, float):
            _fills.constant(out, self.value)
        else:
            out[...] = self._broadcast(out.shape)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return self._broadcast(shape).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"value": keras.saving.serialize_keras_object(self.value)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Constant:
        return cls(keras.saving.deserialize_keras_object(config["value"]))


@register
class Identity(_Deterministic, _K.Identity):  # type: ignore[misc]
    """Keras ``Identity(gain=1.0)``: ``gain`` times the identity matrix, 2-d shapes only
    (:func:`fastinit.identity`). Unlike Keras's, ``get_config`` keeps ``gain``."""

    def __init__(self, gain: Any = 1.0) -> None:
        self.gain = number(gain, "gain")

    def _float(self, out: np.ndarray) -> None:
        _identity(out, self.gain)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        if len(shape) != 2:
            raise ValueError(f"Identity needs a 2-d shape, got {shape}")
        return (np.eye(*shape) * self.gain).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


@register
class STFT(_K.STFT):  # type: ignore[misc]
    """Keras ``STFT(side="real", window="hann", scaling="density", periodic=False)``: the kernel
    ``(T, 1, F)`` of a short-time Fourier transform (:func:`fastinit.stft`): cosines ("real") or
    sines ("imag") of -2 pi t f / (2 (F - 1)), times the window, divided by its L2 norm
    ("density") or L1 norm ("spectrum"). ``window``: a name ("hann", "hamming", ... as
    ``scipy.signal.get_window``), an array of ``T`` values, or None. Float dtypes; computed in
    float64 and rounded once, so within float rounding of Keras's own values."""

    def __init__(self, side: str = "real", window: Any = "hann", scaling: str | None = "density",
                 periodic: bool = False) -> None:
        check_stft_args(side, window, scaling)
        if not isinstance(window, (str, tuple)) and window is not None:
            window = as_array(window).astype(np.float64)
            if window.ndim != 1:
                raise ValueError(f"STFT: window must be 1-d (one value per frame), got shape {window.shape}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, bool(periodic)

    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        """The kernel of ``shape`` ``(frame_length, channels, fft_bins)``, ``dtype`` (default floatx)."""
        name = keras_dtype(dtype)
        out = np.empty(as_shape(shape), float_dtype(name, "STFT"))
        _stft(out, self.side, self.window, self.scaling, self.periodic)
        return to_tensor(out, name)

    def get_config(self) -> dict[str, Any]:
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}
