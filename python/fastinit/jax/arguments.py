"""The factories' arguments as JAX takes them: numbers (concrete 0-d arrays too) and dtypes (JAX's
default float dtype, JAX's x64 warning, :class:`DtypeError` for a dtype fastinit does not write)."""

import warnings
from collections.abc import Sequence
from typing import Any, Callable, Optional, Union

import jax
import jax.numpy as jnp
import numpy as np

from ..core.checks import is_real
from ..core.complex import COMPLEX_PARTS
from ..core.dtypes import FLOAT_FORMATS
from ..presets.args import real_param

__all__ = ["Axis", "DtypeError", "Initializer", "checked_dtype", "number"]

Axis = Union[int, Sequence[int]]
#: ``init(key, shape, dtype=..., out_sharding=None) -> jax.Array``
Initializer = Callable[..., Any]


def number(value: Any, name: str, *, minimum: Optional[float] = None, strict: bool = False) -> float:
    """A parameter JAX takes as a number: Python/NumPy numbers and 0-d (concrete) arrays of a real
    dtype, as a finite float; anything else gets ``real_param``'s error naming ``name``."""
    if not is_real(value) and not isinstance(value, (bool, str)) and getattr(value, "shape", None) == ():
        try:
            array = np.asarray(value)
        except (TypeError, jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            raise TypeError(f"{name} must be a concrete number (a Python number or a 0-d array), got a traced "
                            "value; build the initializer outside jax.jit") from None
        if array.dtype.kind in "iuf" or array.dtype == jnp.bfloat16:
            value = float(array)
    return real_param(value, name, minimum=minimum, strict=strict)


class DtypeError(TypeError, ValueError):
    """A dtype fastinit does not write (JAX raises ValueError, fastinit TypeError: this is both)."""


def checked_dtype(dtype: Any, who: str, complex_ok: bool = False) -> np.dtype:
    """``dtype`` (None: JAX's default float dtype) as JAX canonicalizes it, checked for fastinit
    (complex64/complex128 too when ``complex_ok``)."""
    requested = np.dtype(np.float64 if dtype is None else dtype)
    canonical = np.dtype(jax.dtypes.canonicalize_dtype(requested))
    if dtype is not None and canonical != requested:
        warnings.warn(f"Explicitly requested dtype {requested} requested in {who} is not available, and will be "
                      f"truncated to dtype {canonical}. To enable more dtypes, set the jax_enable_x64 configuration "
                      "option or the JAX_ENABLE_X64 shell environment variable.", UserWarning, stacklevel=3)
    if canonical in FLOAT_FORMATS or (complex_ok and canonical in COMPLEX_PARTS):
        return canonical
    extra = "; complex64 and complex128 too" if complex_ok else " (complex only where JAX takes it)"
    raise DtypeError(f"{who}: dtype {canonical} is not supported; fastinit writes float32, float64, float16 and "
                    f"bfloat16 (jnp.bfloat16){extra}")
