"""JAX's ``orthogonal`` and ``delta_orthogonal`` factories: properties of the whole matrix, so the
whole array is computed on the host even for one shard."""

from typing import Any, Optional

import numpy as np

from ..core.checks import integer
from ..core.docstrings import shared_docs
from ..presets.orthogonal import delta_orthogonal as _delta_orthogonal
from ..presets.orthogonal import orthogonal as _orthogonal
from .arguments import Initializer, number
from .arrays import make_initializer

__all__ = ["delta_orthogonal", "orthogonal"]


def _check_orthogonal(dims: tuple[int, ...]) -> None:
    if len(dims) < 2:
        raise ValueError("orthogonal initializer requires at least a 2D shape")


@shared_docs
def orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """JAX ``orthogonal``: a Haar (semi-)orthogonal matrix times ``scale``.

    The array is seen as a matrix whose columns run along ``column_axis`` (the other axes
    flattened into rows); its rows or columns, whichever are fewer, are orthonormal, times
    ``scale``. Values: :func:`fastinit.orthogonal` (float64 QR of a normal matrix); complex dtypes:
    Haar unitary. The whole matrix is computed on the host even with ``out_sharding`` (JAX's own
    raises NotImplementedError there).

    Args:
        scale: The factor on the matrix (default 1).
        column_axis: The axis of the columns (default -1, the last).
        dtype: {jax_dtype}

    {jax_returns_init}

    Raises:
        ValueError: (at the call) a shape of rank < 2.

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> q = np.asarray(fj.orthogonal()(jax.random.key(0), (5, 3)))
        >>> np.allclose(q.T @ q, np.eye(3), atol=1e-6)
        True
    """
    scale = number(scale, "scale")
    column_axis = integer(column_axis, "column_axis")

    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _orthogonal(out, scale, column_axis=column_axis, seed=seed)  # the whole array (elementwise=False)

    return make_initializer(fill, dtype, "orthogonal", f"orthogonal({scale}, column_axis={column_axis})",
                            check=_check_orthogonal, complex_ok=True, elementwise=False)


def _check_delta(dims: tuple[int, ...]) -> None:
    if len(dims) not in (3, 4, 5):  # JAX's messages, then the shape
        raise ValueError(f"Delta orthogonal initializer requires a 3D, 4D or 5D shape. Got {dims}.")
    if dims[-1] < dims[-2]:
        raise ValueError(f"`fan_in` must be less or equal than `fan_out`. Got shape {dims} (in = shape[-2] > "
                         "out = shape[-1]).")


@shared_docs
def delta_orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """JAX ``delta_orthogonal`` (Xiao et al. 2018): an orthogonal matrix at a kernel's centre.

    A 3/4/5-d kernel ``(*spatial, in, out)``, zero except at the spatial centre (``(k - 1) // 2``
    on each spatial axis), which holds ``orthogonal(scale, column_axis)``'s ``(in, out)`` matrix
    (:func:`fastinit.delta_orthogonal`); complex dtypes: a Haar unitary centre.

    Args:
        scale: The factor on the centre matrix (default 1).
        column_axis: The axis of the centre matrix's columns (default -1).
        dtype: {jax_dtype}

    {jax_returns_init}

    Raises:
        ValueError: (at the call) a rank other than 3, 4 or 5, or ``in > out``, as in JAX.

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> k = np.asarray(fj.delta_orthogonal()(jax.random.key(0), (3, 2, 4)))
        >>> np.allclose(k[1] @ k[1].T, np.eye(2), atol=1e-6), float(np.abs(k[0]).sum() + np.abs(k[2]).sum())
        (True, 0.0)
    """
    scale = number(scale, "scale")
    column_axis = integer(column_axis, "column_axis")

    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _delta_orthogonal(out, scale, column_axis=column_axis, seed=seed)  # the whole array (elementwise=False)

    return make_initializer(fill, dtype, "delta_orthogonal", f"delta_orthogonal({scale}, column_axis={column_axis})",
                            check=_check_delta, complex_ok=True, elementwise=False)
