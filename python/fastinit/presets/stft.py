"""Short-time Fourier transform kernels: Keras's ``STFT`` initializer, computed with NumPy.

A kernel of shape ``(T, C, F)`` (frame length, input channels, frequency bins ``F = N / 2 + 1`` of
an ``N``-point FFT, ``N = 2 * (F - 1)``) holds, at ``[t, c, f]``,

    real side:  cos(-2 pi t f / N) * w[t] / s
    imag side:  sin(-2 pi t f / N) * w[t] / s

with ``w`` the window (``None``: no window, ``w = 1``, ``s = 1``) and ``s`` its scaling:
``"density"``: sqrt(sum w**2) (L2), ``"spectrum"``: sum |w| (L1), ``None``: 1. Every channel
``c`` gets the same values (Keras builds the kernel with ``C = 1``).

Nothing is random. The angle is reduced exactly first (``t * f mod N`` in integers), then the
value is computed in float64 and rounded once to the output dtype, so the result is the formula's
value correctly rounded to within a few float64 ulps; Keras computes in the output dtype (float32:
errors up to ~1e-4 for long frames), so the two agree to that tolerance.

Windows: an array of ``T`` values, ``None``, or a name. "hann" (also "hanning"), "hamming",
"blackman", "bartlett" and "boxcar" (also "rectangular", "ones") are computed here with NumPy;
``periodic=True`` gives the periodic (DFT-even) form, the symmetric window of length ``T + 1``
without its last value, as ``scipy.signal.get_window(window, T, fftbins=periodic)`` does. Any
other name (or a ``(name, parameter, ...)`` tuple) is passed to ``scipy.signal.get_window`` when
SciPy is installed (Keras's own rule; Keras requires SciPy).
"""

import importlib
from collections.abc import Callable
from typing import Any, Optional

import numpy as np

from ..core.docstrings import shared_docs
from ..core.layout import Index, Shape, index_entries, outer_take
from ..core.suggest import check_choice
from .args import prepare

__all__ = ["SCALINGS", "SIDES", "WINDOWS", "fourier_table", "stft", "stft_scale", "stft_window"]

#: ``side`` values.
SIDES = ("real", "imag")
#: ``scaling`` values (``None`` too).
SCALINGS = ("density", "spectrum")


def _cosine_sum(*coefficients: float) -> Callable[[int], np.ndarray]:
    """The symmetric generalised cosine window sum_k (-1)**k a_k cos(2 pi k n / (M - 1))."""
    def window(m: int) -> np.ndarray:
        if m == 1:
            return np.ones(1)
        phase = 2.0 * np.pi * np.arange(m) / (m - 1)
        values = np.zeros(m)
        for k, a in enumerate(coefficients):
            values += (-a if k % 2 else a) * np.cos(k * phase)
        return values
    return window


def _bartlett(m: int) -> np.ndarray:
    if m == 1:
        return np.ones(1)
    n = np.arange(m)
    half = (m - 1) / 2.0
    values: np.ndarray = 1.0 - np.abs(n - half) / half
    return values


#: The windows computed here (symmetric forms of length M).
WINDOWS: dict[str, Callable[[int], np.ndarray]] = {
    "hann": _cosine_sum(0.5, 0.5),
    "hanning": _cosine_sum(0.5, 0.5),
    "hamming": _cosine_sum(0.54, 0.46),
    "blackman": _cosine_sum(0.42, 0.5, 0.08),
    "bartlett": _bartlett,
    "boxcar": np.ones,
    "rectangular": np.ones,
    "ones": np.ones,
}


def _scipy_window(window: Any, length: int, periodic: bool) -> np.ndarray:
    try:
        get_window = importlib.import_module("scipy.signal").get_window  # optional; no stubs needed
    except ImportError:
        raise ValueError(f"window={window!r} is not one of fastinit's windows {sorted(WINDOWS)}; other windows "
                         "need SciPy (`pip install scipy`), or pass the window's values as an array") from None
    try:
        return np.asarray(get_window(window, length, fftbins=periodic), np.float64)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"window={window!r}: {exc}") from None


def stft_window(window: Any, length: int, periodic: bool = False) -> Optional[np.ndarray]:
    """The ``length`` window values (float64) of ``window``: a name, a tuple for SciPy, an array of
    ``length`` values, or None (no window: returns None). ``periodic``: the DFT-even form."""
    if window is None:
        return None
    if isinstance(window, str) and window.lower() in WINDOWS:
        make = WINDOWS[window.lower()]
        if length <= 1:
            return np.ones(length)
        return np.asarray(make(length + 1)[:-1] if periodic else make(length), np.float64)
    if isinstance(window, (str, tuple)):
        return _scipy_window(window, length, bool(periodic))
    values = np.asarray(window, np.float64)
    if values.shape != (length,):
        raise ValueError(f"window must have one value per frame ({length},), got shape {values.shape}")
    return values


def check_stft_args(side: Any, window: Any, scaling: Any) -> None:
    """Checks of ``side``, ``window`` (a name is resolved on a 1-sample window) and ``scaling``."""
    check_choice(side, "side", SIDES)
    if scaling is not None:
        check_choice(scaling, "scaling", SCALINGS)
    if isinstance(window, (str, tuple)):
        stft_window(window, 1)


def _kernel(frames: int, bins: int, side: str) -> np.ndarray:
    """cos or sin of -2 pi t f / N, shape (frames, 1, bins), float64, angle reduced exactly."""
    n = 2 * (bins - 1)
    k = (np.arange(frames, dtype=np.int64)[:, None] * np.arange(bins, dtype=np.int64)[None, :]) % n
    angle = -2.0 * np.pi * (k / n)
    return (np.cos(angle) if side == "real" else np.sin(angle))[:, None, :]


def fourier_table(bins: int, side: str) -> np.ndarray:
    """cos or sin of -2 pi k / N for k = 0 .. N - 1 (``N = 2 * (bins - 1)``), float64: the values
    :func:`_kernel` takes at ``k = t * f mod N``, each computed from the same float64 angle (the
    device fill of :mod:`fastinit.torch.device_presets` gathers from it)."""
    n = 2 * (bins - 1)
    angle = -2.0 * np.pi * (np.arange(n, dtype=np.int64) / n)
    return np.cos(angle) if side == "real" else np.sin(angle)


def stft_scale(window: Any, frames: int, scaling: Optional[str], periodic: bool) -> Optional[np.ndarray]:
    """The ``frames`` float64 factors ``w / s`` of each frame's row (window over its scaling), or
    None (no window)."""
    w = stft_window(window, frames, bool(periodic))
    if w is None:
        return None
    norm = {"density": np.sqrt(np.sum(w * w)), "spectrum": np.sum(np.abs(w))}.get(scaling or "", 1.0)
    scale: np.ndarray = w / norm
    return scale


@shared_docs
def stft(out: Any, side: str = "real", window: Any = "hann", scaling: Optional[str] = "density",
         periodic: bool = False, *, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
         dtype: Any = None) -> np.ndarray:
    """Fill ``out`` (shape ``(T, C, F)``) with a short-time Fourier transform kernel (Keras ``STFT``).

    Deterministic, so it takes no ``seed`` or ``stream`` (as identity, eye and dirac); with
    ``full_shape``/``index`` it writes exactly ``full[index]`` of the whole kernel (computed whole:
    the window and its scaling need every frame).

    Args:
        out: {out}
            Rank 3: ``(T, C, F)``, frame length, channels, frequency bins.
        side: ``"real"`` (cosines; the default) or ``"imag"`` (sines).
        window: A window name (default ``"hann"``; see the module docstring), a ``(name,
            parameter)`` tuple for SciPy, ``T`` values, or None for no window.
        scaling: ``"density"`` (divide by the window's L2 norm; the default), ``"spectrum"`` (by
            its L1 norm) or None.
        periodic: True for the periodic (DFT-even) window instead of the symmetric one.
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    Returns:
        The filled array (``out`` itself when it is an array).

    Raises:
        ValueError: a bad side, scaling, window or shape (rank 3, ``F >= 2``), or ``out`` not the
            shape of ``full[index]``. TypeError/IndexError: a bad ``out`` or ``index``.

    Example:
        >>> import fastinit
        >>> k = fastinit.stft((4, 1, 3), window=None, scaling=None)  # a 4-point DFT's cosines
        >>> k[:, 0, :].round(6) + 0.0  # + 0.0: no -0.0
        array([[ 1.,  1.,  1.],
               [ 1.,  0., -1.],
               [ 1., -1.,  1.],
               [ 1.,  0., -1.]], dtype=float32)
        >>> whole = fastinit.stft((16, 1, 9))
        >>> bool((fastinit.stft((4, 1, 9), full_shape=(16, 1, 9), index=slice(4, 8)) == whole[4:8]).all())
        True
    """
    check_stft_args(side, window, scaling)
    array, shape = prepare(out, dtype, full_shape, index)
    if len(shape) != 3:
        raise ValueError(f"stft needs a kernel shape (frame_length, channels, fft_bins), got {shape}")
    frames, _, bins = shape
    if bins < 2:
        raise ValueError(f"stft needs at least 2 frequency bins (the last axis), got shape {shape}")
    kernel = _kernel(frames, bins, side)
    scale = stft_scale(window, frames, scaling, periodic)
    if scale is not None:
        kernel = kernel * scale[:, None, None]
    if full_shape is None:
        array[...] = np.broadcast_to(kernel, shape)
    else:
        array[...] = outer_take(np.broadcast_to(kernel, shape), index_entries(shape, index))  # rounded once
    return array

