"""The deterministic classes of :mod:`fastinit.keras`: Zeros, Ones, Constant (scalars and arrays,
broadcast as Keras does), Identity and STFT (subclasses of Keras's classes of the same names)."""

import importlib
from collections.abc import Sequence
from typing import Any, Optional, Union

import numpy as np

from ..core import fills as _fills
from ..core.docstrings import shared_docs
from ..core.dtypes import FLOAT_DTYPES
from ..core.layout import as_shape
from ..presets.stft import SCALINGS, SIDES, WINDOWS, check_stft_args
from ..presets.stft import stft as _stft
from ..presets.structured import identity as _identity
from ._common import (
    NumpyInitializer,
    as_array,
    float_dtype,
    keras,
    keras_dtype,
    number,
    register,
    scalar,
    to_tensor,
)

__all__ = ["Zeros", "Ones", "Constant", "Identity", "STFT"]

_K: Any = keras.initializers


class _Deterministic(NumpyInitializer):
    """Float dtypes through fastinit; integer/bool dtypes through NumPy (no randomness either way)."""

    def _float(self, out: np.ndarray) -> None:
        raise NotImplementedError

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        raise NotImplementedError

    def _values(self, shape: tuple[int, ...], name: str) -> np.ndarray:
        if name not in FLOAT_DTYPES:
            return self._other(shape, np.dtype(name))
        out = np.empty(shape, FLOAT_DTYPES[name])
        self._float(out)
        return out


@register
class Zeros(_Deterministic, _K.Zeros):  # type: ignore[misc]
    """Keras ``Zeros``: a tensor of zeros.

    Float dtypes are written by fastinit, integer and bool dtypes by NumPy.

    Example:
        >>> import numpy as np, fastinit.keras as fk
        >>> np.asarray(fk.Zeros()((2, 3), dtype="int32")).tolist()
        [[0, 0, 0], [0, 0, 0]]
    """

    def _float(self, out: np.ndarray) -> None:
        _fills.zeros(out)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.zeros(shape, dtype)


@register
class Ones(_Deterministic, _K.Ones):  # type: ignore[misc]
    """Keras ``Ones``: a tensor of ones.

    Float dtypes are written by fastinit, integer and bool dtypes by NumPy.

    Example:
        >>> import numpy as np, fastinit.keras as fk
        >>> np.asarray(fk.Ones()((2,))).tolist()
        [1.0, 1.0]
    """

    def _float(self, out: np.ndarray) -> None:
        _fills.ones(out)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        return np.ones(shape, dtype)


def _constant_value(value: Any) -> Union[float, np.ndarray]:
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
    """Keras ``Constant``: ``value`` everywhere, or an array broadcast to the shape.

    Args:
        value: The value (default 0): a number (Python, NumPy, a 0-d array or scalar tensor),
            rounded once to the dtype; or an array (a list, a NumPy array, a tensor) that is
            broadcast to the shape, as Keras does.

    Raises:
        TypeError: a value that is neither a real number nor an array of them.
        ValueError: (at the call) an array that does not broadcast to the shape.

    Example:
        >>> import numpy as np, fastinit.keras as fk
        >>> np.asarray(fk.Constant([1.0, 2.0])((2, 2))).tolist()
        [[1.0, 2.0], [1.0, 2.0]]
    """

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
    def from_config(cls, config: dict[str, Any]) -> "Constant":
        return cls(keras.saving.deserialize_keras_object(config["value"]))


@register
class Identity(_Deterministic, _K.Identity):  # type: ignore[misc]
    """Keras ``Identity``: ``gain`` times the identity matrix (2-d shapes only).

    Ones on the main diagonal (square or rectangular), times ``gain`` (:func:`fastinit.identity`).
    Differs from Keras: ``get_config`` keeps ``gain``.

    Args:
        gain: The factor on the identity (default 1).

    Example:
        >>> import numpy as np, fastinit.keras as fk
        >>> np.asarray(fk.Identity(2.0)((2, 3))).tolist()
        [[2.0, 0.0, 0.0], [0.0, 2.0, 0.0]]
    """

    def __init__(self, gain: Any = 1.0) -> None:
        self.gain = number(gain, "gain")

    @shared_docs
    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        """The initial tensor: ``gain`` times the identity matrix of the 2-d ``shape``.

        Args:
            shape: {keras_shape} Rank 2.
            dtype: {keras_dtype}

        Returns:
            ``keras.ops.convert_to_tensor`` of the values, in ``dtype``.

        Raises:
            ValueError: a shape that is not 2-d (Keras's message).
        """
        rank = len(as_shape(shape))
        if rank != 2:  # Keras's message
            raise ValueError(f"Identity matrix initializer can only be used for 2D matrices. Received: shape={shape} "
                             f"of rank {rank}.")
        return super().__call__(shape, dtype)

    def _float(self, out: np.ndarray) -> None:
        _identity(out, self.gain)

    def _other(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
        rows, cols = shape  # 2-d: checked by __call__
        return (np.eye(rows, cols) * self.gain).astype(dtype)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


def _check_keras_stft_args(side: Any, window: Any, scaling: Any) -> None:
    """Keras's checks of STFT's arguments, with its messages (exact names: Keras does not
    lower-case them); a window name neither fastinit nor SciPy knows gets SciPy's error, as in Keras."""
    if not isinstance(side, str) or side not in SIDES:
        raise ValueError(f"side should be 'real' or 'imag', not {side}")
    if isinstance(window, str) and window.lower() not in WINDOWS:
        importlib.import_module("scipy.signal").get_window(window, 1)  # Keras requires SciPy
    if scaling is not None and (not isinstance(scaling, str) or scaling not in SCALINGS):
        raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received scaling={scaling}")


@register
class STFT(_K.STFT):  # type: ignore[misc]
    """Keras ``STFT``: the kernel ``(T, 1, F)`` of a short-time Fourier transform.

    Cosines (``side="real"``) or sines (``"imag"``) of -2 pi t f / (2 (F - 1)) for frame position
    t < T and frequency bin f < F, times the window, divided by its L2 norm (``"density"``) or L1
    norm (``"spectrum"``) (:func:`fastinit.stft`). Deterministic. Differs from Keras: computed in
    float64 and rounded once, so within float rounding of Keras's own values. Float dtypes.

    Args:
        side: ``"real"`` (default) or ``"imag"``.
        window: A window name (``"hann"``, the default, ``"hamming"``, ... as
            ``scipy.signal.get_window`` takes them), an array of ``T`` values, or None
            (rectangular).
        scaling: ``"density"`` (default), ``"spectrum"`` or None (no normalization).
        periodic: True: the periodic form of a named window (for spectral analysis); False (the
            default): the symmetric form.

    Raises:
        ValueError: an unknown ``side``, ``window`` or ``scaling``.

    Example:
        >>> import numpy as np, fastinit.keras as fk
        >>> k = np.asarray(fk.STFT()((4, 1, 3)))
        >>> k.shape, float(k[0].max())  # the Hann window is 0 at the ends
        ((4, 1, 3), 0.0)
    """

    def __init__(self, side: str = "real", window: Any = "hann", scaling: Optional[str] = "density",
                 periodic: bool = False) -> None:
        _check_keras_stft_args(side, window, scaling)
        check_stft_args(side, window, scaling)
        if not isinstance(window, (str, tuple)) and window is not None:
            window = as_array(window).astype(np.float64)
            if window.ndim != 1:
                raise ValueError(f"STFT: window must be 1-d (one value per frame), got shape {window.shape}")
        self.side, self.window, self.scaling, self.periodic = side, window, scaling, bool(periodic)

    @shared_docs
    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        """The STFT kernel of ``shape``.

        Args:
            shape: ``(frame_length, channels, fft_bins)``: ``T``, 1 and ``F``.
            dtype: {keras_dtype}

        Returns:
            ``keras.ops.convert_to_tensor`` of the values, in ``dtype``.

        Raises:
            ValueError: a ``window`` array whose length is not ``frame_length``.
        """
        name = keras_dtype(dtype)
        dims = as_shape(shape)
        if isinstance(self.window, np.ndarray) and dims and self.window.shape != dims[:1]:  # Keras's message
            raise ValueError(f"The shape of `window` must be equal to [frame_length]. Received: window shape="
                             f"{self.window.shape}, frame_length={dims[0]} (one value per frame)")
        out = np.empty(dims, float_dtype(name, "STFT"))
        _stft(out, self.side, self.window, self.scaling, self.periodic)
        return to_tensor(out, name)

    def get_config(self) -> dict[str, Any]:
        window = self.window.tolist() if isinstance(self.window, np.ndarray) else self.window
        return {"side": self.side, "window": window, "periodic": self.periodic, "scaling": self.scaling}
