"""JAX's ``zeros`` and ``ones`` (initializers themselves) and ``constant`` (a factory): ``jnp.zeros``,
``jnp.ones``, ``jnp.full``, any dtype; the key is ignored."""

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from ..core.docstrings import fill_placeholders, shared_docs
from ..core.layout import as_shape
from .arguments import Initializer
from .arrays import INIT_DOC

__all__ = ["constant", "ones", "zeros"]


def _default(dtype: Any) -> Any:
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64)) if dtype is None else dtype


def _placed(result: Any, out_sharding: Any) -> Any:
    """``result`` where ``out_sharding`` puts it (``None``: where it is)."""
    return result if out_sharding is None else jax.device_put(result, out_sharding)


@shared_docs
def zeros(key: Any, shape: Sequence[int], dtype: Any = None, out_sharding: Any = None) -> Any:
    """JAX ``zeros``: an initializer itself (not a factory) giving ``jnp.zeros(shape, dtype)``.

    Args:
        key: Ignored (zeros are not random); any value.
        {jax_fixed_args}

    Returns:
        The ``jax.Array`` of zeros.

    Example:
        >>> import jax, fastinit.jax as fj
        >>> fj.zeros(jax.random.key(0), (2, 2)).tolist()
        [[0.0, 0.0], [0.0, 0.0]]
    """
    return _placed(jnp.zeros(as_shape(shape), _default(dtype)), out_sharding)


@shared_docs
def ones(key: Any, shape: Sequence[int], dtype: Any = None, out_sharding: Any = None) -> Any:
    """JAX ``ones``: an initializer itself (not a factory) giving ``jnp.ones(shape, dtype)``.

    Args:
        key: Ignored (ones are not random); any value.
        {jax_fixed_args}

    Returns:
        The ``jax.Array`` of ones.

    Example:
        >>> import jax, fastinit.jax as fj
        >>> fj.ones(jax.random.key(0), (2,)).tolist()
        [1.0, 1.0]
    """
    return _placed(jnp.ones(as_shape(shape), _default(dtype)), out_sharding)


def constant(value: Any, dtype: Any = None) -> Initializer:
    """JAX ``constant``: a factory whose ``init`` gives ``jnp.full(shape, value, dtype)``.

    Args:
        value: The value to fill with (a number or anything ``jnp.full`` broadcasts).
        dtype: The default dtype of ``init``, any JAX dtype (``None``: JAX's default float dtype).

    Returns:
        ``init(key, shape, dtype=dtype, out_sharding=None)``; the key is ignored.

    Example:
        >>> import jax, fastinit.jax as fj
        >>> fj.constant(0.5)(jax.random.key(0), (2,)).tolist()
        [0.5, 0.5]
    """
    default = dtype

    def init(key: Any, shape: Sequence[int], dtype: Any = default, out_sharding: Any = None) -> Any:
        return _placed(jnp.full(as_shape(shape), value, dtype=_default(dtype)), out_sharding)

    init.__name__ = init.__qualname__ = "constant"
    init.__doc__ = fill_placeholders(INIT_DOC.format(summary=f"constant({value!r})", dtype=default,
                                                      how="The key is ignored: every element is ``value``."))
    return init
