"""The random classes of :mod:`fastinit.keras` other than the variance-scaling family
(:mod:`._variance_scaling`): RandomUniform, RandomNormal, TruncatedNormal and Orthogonal
(subclasses of Keras's classes of the same names)."""

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.docstrings import shared_docs
from ..core.layout import as_shape
from ..core.seed import Stream
from ..presets.orthogonal import orthogonal as _orthogonal
from ..presets.random_init import random_normal as _random_normal
from ..presets.random_init import random_truncated_normal as _random_truncated_normal
from ..presets.random_init import random_uniform as _random_uniform
from ._common import RandomInitializer, keras, number, register

__all__ = ["RandomUniform", "RandomNormal", "TruncatedNormal", "Orthogonal"]

_K: Any = keras.initializers


@register
@shared_docs
class RandomUniform(RandomInitializer, _K.RandomUniform):  # type: ignore[misc]
    """Keras ``RandomUniform``: values from U(minval, maxval).

    The values are :func:`fastinit.random_uniform`'s (the first call of an instance equals
    ``fastinit.random_uniform(shape, minval, maxval, seed=seed, stream=stream)``). Differs from
    Keras: the values are fastinit's.

    Args:
        minval: The lower bound (default -0.05): a number or a scalar tensor.
        maxval: The upper bound (default 0.05), ``>= minval``.
        seed: {keras_seed}
        stream: {stream}

    Raises:
        ValueError: ``minval > maxval`` or a bound that is not finite.

    Example:
        >>> import numpy as np, fastinit, fastinit.keras as fk
        >>> init = fk.RandomUniform(-1.0, 1.0, seed=0, stream="bias")
        >>> b = np.asarray(init((4,)))
        >>> np.array_equal(b, fastinit.random_uniform((4,), -1.0, 1.0, seed=0, stream="bias"))
        True
    """

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
@shared_docs
class RandomNormal(RandomInitializer, _K.RandomNormal):  # type: ignore[misc]
    """Keras ``RandomNormal``: values from N(mean, stddev**2), untruncated.

    The values are :func:`fastinit.random_normal`'s. Differs from Keras: the values are
    fastinit's, and a second call of the same instance gives new values (a derived stream).

    Args:
        mean: The mean (default 0): a number or a scalar tensor.
        stddev: The standard deviation (default 0.05), >= 0.
        seed: {keras_seed}
        stream: {stream}

    Raises:
        ValueError: a negative or non-finite ``stddev``, or a non-finite ``mean``.

    Example:
        >>> import numpy as np, fastinit, fastinit.keras as fk
        >>> init = fk.RandomNormal(stddev=0.02, seed=1, stream="w")
        >>> first, second = (np.asarray(init((3,))) for _ in range(2))
        >>> np.array_equal(first, fastinit.random_normal((3,), stddev=0.02, seed=1, stream="w"))
        True
        >>> np.array_equal(first, second)  # each call of an instance: its own values
        False
    """

    def __init__(self, mean: Any = 0.0, stddev: Any = 0.05, seed: Any = None, *, stream: Stream = 0) -> None:
        self.mean = number(mean, "mean")
        self.stddev = number(stddev, "stddev", minimum=0.0)
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _random_normal(out, self.mean, self.stddev, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@register
@shared_docs
class TruncatedNormal(RandomInitializer, _K.TruncatedNormal):  # type: ignore[misc]
    """Keras ``TruncatedNormal``: N(mean, stddev**2) cut at mean +- 2 stddev.

    ``stddev`` is the standard deviation before the cut, as in Keras (the values' own standard
    deviation is about 0.88 stddev). The values are :func:`fastinit.random_truncated_normal`'s:
    inverse-CDF sampling, no redraws. Differs from Keras: the values are fastinit's.

    Args:
        mean: The mean (default 0): a number or a scalar tensor.
        stddev: The standard deviation before the cut (default 0.05), >= 0.
        seed: {keras_seed}
        stream: {stream}

    Raises:
        ValueError: a negative or non-finite ``stddev``, or a non-finite ``mean``.

    Example:
        >>> import numpy as np, fastinit, fastinit.keras as fk
        >>> w = np.asarray(fk.TruncatedNormal(stddev=0.02, seed=0)((1000,)))
        >>> bool(np.abs(w).max() <= 0.04)
        True
    """

    def __init__(self, mean: Any = 0.0, stddev: Any = 0.05, seed: Any = None, *, stream: Stream = 0) -> None:
        self.mean = number(mean, "mean")
        self.stddev = number(stddev, "stddev", minimum=0.0)
        super().__init__(seed, stream=stream)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _random_truncated_normal(out, self.mean, self.stddev, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, **super().get_config()}


@register
@shared_docs
class Orthogonal(RandomInitializer, _K.Orthogonal):  # type: ignore[misc]
    """Keras ``Orthogonal``: a (semi-)orthogonal matrix times ``gain``.

    The shape is seen as a matrix of prod(shape[:-1]) rows by shape[-1] columns; its rows or
    columns (whichever are fewer) are orthonormal, times ``gain``. Haar-distributed: the float64
    QR of a normal matrix from the stream (:func:`fastinit.orthogonal`). Rank >= 2. Differs from
    Keras: the QR is in float64 and the values are fastinit's.

    Args:
        gain: The factor on the matrix (default 1).
        seed: {keras_seed}
        stream: {stream}

    Example:
        >>> import numpy as np, fastinit, fastinit.keras as fk
        >>> q = np.asarray(fk.Orthogonal(seed=0)((5, 3)))
        >>> np.allclose(q.T @ q, np.eye(3), atol=1e-6)
        True
    """

    def __init__(self, gain: Any = 1.0, seed: Any = None, *, stream: Stream = 0) -> None:
        self.gain = number(gain, "gain")
        super().__init__(seed, stream=stream)

    @shared_docs
    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        """The initial tensor: a (semi-)orthogonal matrix of ``shape`` (rank >= 2), times ``gain``.

        Args:
            shape: {keras_shape} Rank >= 2.
            dtype: {keras_dtype}

        Returns:
            ``keras.ops.convert_to_tensor`` of the values, in ``dtype``.

        Raises:
            ValueError: a shape of rank < 2 (Keras's message).
        """
        rank = len(as_shape(shape))
        if rank < 2:  # Keras's message, before the call counts
            raise ValueError(f"The tensor to initialize must be at least two-dimensional. Received: shape={shape} of "
                             f"rank {rank}.")
        return super().__call__(shape, dtype)

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        _orthogonal(out, self.gain, seed=seed, stream=stream)

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain, **super().get_config()}
