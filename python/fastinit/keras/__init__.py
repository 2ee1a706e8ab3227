"""``fastinit.keras``: Keras 3 initializers whose values come from fastinit.

Importing this module imports Keras (``import fastinit`` alone never does); set
``KERAS_BACKEND`` before, as usual. Every class subclasses Keras's class of the same name (so
``isinstance(init, keras.initializers.VarianceScaling)`` holds for the variance-scaling family,
and ``EinsumDense``, ``MultiHeadAttention`` and ``GroupedQueryAttention`` set their kernels' fan
axes as for Keras's own), has Keras's name, parameters, defaults and attributes, and can be passed
wherever Keras takes an initializer (``kernel_initializer=``, ``embeddings_initializer=`` ...):

    GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, VarianceScaling,
    RandomUniform, RandomNormal, TruncatedNormal, Orthogonal, Identity, Zeros, Ones, Constant, STFT

Numbers may be given as Python or NumPy numbers, 0-d NumPy arrays or scalar tensors
(``keras.ops.convert_to_tensor(0.5)``), as Keras allows; ``Constant`` also takes an array (list,
NumPy array, tensor), broadcast to the shape as Keras does. ``STFT`` is deterministic: its values
are Keras's formula (:func:`fastinit.stft`), equal to Keras's own to float rounding.

``init(shape, dtype=None)`` fills a NumPy array on the host with the fastinit preset of the same
name (Keras layout and formulas, see the table in docs/guide/presets-and-fans.md) and returns
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
  each layer its own instance and ``stream`` (e.g. the layer's name).
- ``seed=None``: as in Keras, a seed is drawn at construction from Python's ``random`` module (so
  ``keras.utils.set_random_seed`` makes it repeatable; it is the ``seed`` attribute, as in Keras)
  and the calls then proceed as above. ``get_config`` records ``seed: None``, as Keras does.
- ``seed=keras.random.SeedGenerator(...)``: as in Keras, every call advances the generator
  (``generator.next()``) and uses its state ``[s0, s1]`` as the fastinit seed
  ``(s0 mod 2**32) * 2**32 + (s1 mod 2**32)`` (the rule :func:`fastinit.jax.seed_from_key` applies
  to a JAX key), with the stream ``stream``: ``SeedGenerator(s)``'s n-th draw (n = 0, 1, ...) is
  ``seed = s * 2**32 + n``. ``get_config`` serializes the generator as Keras does (a dict that
  ``from_config`` turns back into a SeedGenerator with the same initial seed).

``from_config``/``clone`` start the call count anew; Keras layers that clone their initializer
(``EinsumDense`` to set its fan axes, ``MultiHeadAttention``/``GroupedQueryAttention`` for each
projection, the normalization layers) therefore give each clone the first call's values, exactly
as Keras's own seeded initializers repeat theirs.
"""

from __future__ import annotations

from ._common import SeedError, seed_from_state
from ._constant import STFT, Constant, Identity, Ones, Zeros
from ._random import Orthogonal, RandomNormal, RandomUniform, TruncatedNormal
from ._variance_scaling import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling,
)

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
    "STFT",
]

# not in __all__ (not Keras names): the seed rule of a SeedGenerator's state, and the seed error
_helpers = (SeedError, seed_from_state)

for _name in __all__:  # the public home of every class (repr, pickling, Keras's "module" field)
    globals()[_name].__module__ = __name__
