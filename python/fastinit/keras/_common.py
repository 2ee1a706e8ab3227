"""What the classes of :mod:`fastinit.keras` share: dtypes, numbers given as tensors, seeds
(int, None or ``keras.random.SeedGenerator``) and the per-call streams."""

import random as _random
from collections.abc import Sequence
from typing import Any, Optional

import numpy as np

from ._import_error import import_failure

try:
    import keras  # type: ignore[import-untyped]  # absolute import: the real Keras, not this package (no stubs)
except ImportError as _exc:  # Keras missing, or the backend it is set to use (named in the message)
    raise import_failure(_exc) from _exc
if not hasattr(keras, "initializers"):  # pragma: no cover - python/fastinit itself on sys.path
    raise ImportError("`import keras` found fastinit's own keras package; do not put python/fastinit on sys.path")

from ..core.checks import is_integer, is_real
from ..core.docstrings import shared_docs
from ..core.dtypes import FLOAT_DTYPES
from ..core.layout import as_shape
from ..core.seed import Stream, resolve_seed, resolve_stream, stream_from_name
from ..presets.args import real_param

__all__ = ["SeedError", "keras", "keras_dtype", "float_dtype", "number", "to_tensor", "NumpyInitializer",
           "RandomInitializer",
           "seed_from_state", "register"]

register = keras.saving.register_keras_serializable(package="fastinit")
SeedGenerator = keras.random.SeedGenerator
_serialize = keras.saving.serialize_keras_object
_deserialize = keras.saving.deserialize_keras_object


class SeedError(TypeError, ValueError):
    """A seed that is not an int, None or a ``keras.random.SeedGenerator`` (Keras raises
    ValueError, fastinit TypeError for a wrong type: this is both)."""


def keras_dtype(dtype: Any) -> str:
    """Keras's standard name of ``dtype`` (None: ``keras.backend.floatx()``)."""
    try:
        return str(keras.backend.standardize_dtype(dtype))
    except (TypeError, ValueError) as exc:
        raise TypeError(f"dtype {dtype!r} is not a Keras dtype: {exc}") from None


def float_dtype(name: str, who: str) -> np.dtype:
    """The NumPy dtype fastinit fills for the Keras dtype ``name``, else TypeError."""
    dt = FLOAT_DTYPES.get(name)
    if dt is None:
        raise TypeError(f"{who}: dtype {name!r} is not supported; fastinit writes float32, float64, float16 and "
                        "bfloat16")
    return dt


def to_tensor(array: np.ndarray, name: str) -> Any:
    """``array`` as a tensor of the current backend, of Keras dtype ``name``."""
    if name == "bfloat16":  # exact: every bfloat16 value is a float32 value; not every backend takes ml_dtypes
        return keras.ops.convert_to_tensor(array.astype(np.float32), dtype="bfloat16")
    return keras.ops.convert_to_tensor(array, dtype=name)


def as_array(value: Any) -> np.ndarray:
    """``value`` (a tensor of any backend, a NumPy array or scalar, a list) as a NumPy array."""
    if isinstance(value, keras.Variable):
        value = value.value
    if hasattr(value, "detach") and hasattr(value, "cpu"):  # torch: Keras's convert_to_numpy warns under NumPy 2
        t = value.detach().cpu()
        return np.asarray((t.float() if str(t.dtype) == "torch.bfloat16" else t).numpy())
    if keras.ops.is_tensor(value):
        return np.asarray(keras.ops.convert_to_numpy(value))
    return np.asarray(value)


def scalar(value: Any) -> Any:
    """A 0-d tensor or 0-d NumPy array of a real (not bool) dtype as a Python number; anything
    else unchanged (so that the caller's check names it)."""
    if is_real(value) or isinstance(value, (str, bytes, bool)) or value is None:
        return value
    try:
        array = as_array(value)
    except (TypeError, ValueError):
        return value
    if array.shape == () and array.dtype.kind in "iuf":
        return array.item()
    return value


def number(value: Any, name: str, *, minimum: Optional[float] = None, strict: bool = False) -> float:
    """A parameter Keras takes as "a Python scalar or a scalar tensor": a finite float."""
    return real_param(scalar(value), name, minimum=minimum, strict=strict)


def seed_from_state(state: Any) -> int:
    """fastinit's seed of a SeedGenerator state ``[s0, s1]``: ``(s0 mod 2**32) * 2**32 + (s1 mod
    2**32)`` (each word as an unsigned 32-bit integer, as the JAX adapter reads a key)."""
    words = as_array(state).astype(np.int64).ravel()
    if words.size != 2:
        raise ValueError(f"a SeedGenerator state has 2 words, got {words.size}")
    return ((int(words[0]) % 2**32) << 32) | (int(words[1]) % 2**32)


def _seed(seed: Any) -> Any:
    """The concrete seed: a 64-bit int or a SeedGenerator (None draws an int; a dict is Keras's
    serialized SeedGenerator)."""
    if seed is None:
        return _random.getrandbits(64)
    if isinstance(seed, dict):
        seed = _deserialize(seed)
    if isinstance(seed, SeedGenerator):
        return seed
    if not is_integer(seed):  # Keras's message; fastinit's ints are those in [0, 2**64)
        raise SeedError(f"`seed` argument should be an instance of `keras.random.SeedGenerator()` or an integer. "
                        f"Received: seed={seed}")
    return resolve_seed(int(seed))


class NumpyInitializer(keras.initializers.Initializer):  # type: ignore[misc]
    """A Keras initializer whose values are made as a NumPy array (:meth:`_values`), then
    converted to a tensor of the current backend."""

    def _values(self, shape: tuple[int, ...], name: str) -> np.ndarray:
        """The values of ``shape`` for the Keras dtype ``name``."""
        raise NotImplementedError

    @shared_docs
    def __call__(self, shape: Sequence[int], dtype: Any = None) -> Any:
        """The initial tensor of ``shape`` and ``dtype``, as a tensor of the current backend.

        Args:
            shape: {keras_shape}
            dtype: {keras_dtype}

        Returns:
            ``keras.ops.convert_to_tensor`` of the values, in ``dtype``.
        """
        name = keras_dtype(dtype)
        return to_tensor(self._values(as_shape(shape), name), name)


class RandomInitializer(NumpyInitializer):
    """Seed, stream and call count of the random initializers (see fastinit.keras's docstring).

    Attributes as Keras's ``RandomInitializer``: ``seed`` is the concrete seed (an int, also when
    the constructor got None, or the SeedGenerator), ``_init_seed`` what the constructor got (what
    ``get_config`` records).
    """

    def __init__(self, seed: Any = None, *, stream: Stream = 0) -> None:
        who = type(self).__name__
        if not (isinstance(stream, str) or is_integer(stream)):
            raise TypeError(f"{who}: stream must be an int in [0, 2**64) or a str, got {type(stream).__name__}")
        self._stream = resolve_stream(stream if isinstance(stream, str) else int(stream))
        self.stream = stream
        self.seed = _seed(seed)
        self._init_seed = int(seed) if is_integer(seed) else seed
        self._calls = 0

    def _next(self) -> tuple[int, int]:
        """(seed, stream) of the next call."""
        if isinstance(self.seed, SeedGenerator):  # the generator advances: a new seed per call
            return seed_from_state(self.seed.next()), self._stream
        n = self._calls
        self._calls = n + 1
        return self.seed, self._stream if n == 0 else stream_from_name(f"fastinit.keras.call:{self._stream}:{n}")

    def _fill(self, out: np.ndarray, seed: int, stream: int) -> None:
        raise NotImplementedError

    def _values(self, shape: tuple[int, ...], name: str) -> np.ndarray:
        out = np.empty(shape, float_dtype(name, type(self).__name__))
        self._fill(out, *self._next())
        return out

    def get_config(self) -> dict[str, Any]:
        return {"seed": _serialize(self._init_seed), "stream": self.stream}
