"""JAX's ``uniform``, ``normal`` and ``truncated_normal`` factories (parameters as JAX names them)."""

from typing import Any, Optional

import numpy as np

from ..core import fills as _fills
from ..core.checks import is_real, real
from ..core.docstrings import shared_docs
from .arguments import Initializer, number
from .arrays import make_initializer

__all__ = ["normal", "truncated_normal", "uniform"]


@shared_docs
def uniform(scale: Any = 1e-2, dtype: Any = None) -> Initializer:
    """JAX ``uniform``: values from U[0, scale).

    Values: :func:`fastinit.random_uniform` ``(minval=0, maxval=scale)``; a negative ``scale``
    gives U(scale, 0], as in JAX. Differs from JAX: the values are fastinit's.

    Args:
        scale: The upper bound (default 0.01).
        dtype: {jax_dtype} Real dtypes only.

    {jax_returns_init}

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> b = fj.uniform(1.0)(jax.random.key(0), (3,))
        >>> np.array_equal(np.asarray(b), fastinit.random_uniform((3,), 0.0, 1.0, seed=0))
        True
    """
    scale = number(scale, "scale")
    low, high = min(0.0, scale), max(0.0, scale)
    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _fills.uniform(out, low, high, seed=seed, full_shape=full_shape, index=index)

    return make_initializer(fill, dtype, "uniform", f"uniform({scale})")


@shared_docs
def normal(stddev: Any = 1e-2, dtype: Any = None) -> Initializer:
    """JAX ``normal``: values from N(0, stddev**2), untruncated.

    Values: :func:`fastinit.random_normal` ``(stddev=stddev)``; complex dtypes: the complex
    normal of standard deviation ``stddev`` (each part ``stddev / sqrt(2)``), as in JAX. Differs
    from JAX: the values are fastinit's.

    Args:
        stddev: The standard deviation (default 0.01), >= 0.
        dtype: {jax_dtype}

    {jax_returns_init}

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> w = fj.normal(1.0)(jax.random.key(0), (3,))
        >>> np.array_equal(np.asarray(w), fastinit.random_normal((3,), 0.0, 1.0, seed=0))
        True
    """
    stddev = number(stddev, "stddev", minimum=0.0)
    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _fills.normal(out, 0.0, stddev, seed=seed, full_shape=full_shape, index=index)

    return make_initializer(fill, dtype, "normal", f"normal({stddev})", complex_ok=True)


@shared_docs
def truncated_normal(stddev: Any = 1e-2, dtype: Any = None, lower: Any = -2.0, upper: Any = 2.0) -> Initializer:
    """JAX ``truncated_normal``: N(0, stddev**2) cut at [lower * stddev, upper * stddev].

    ``stddev`` is the standard deviation before the cut, and the bounds are in standard
    deviations, as in JAX. Values: :func:`fastinit.truncated_normal` ``(std=stddev, a=lower,
    b=upper)``, inverse-CDF sampling. Differs from JAX: the values are fastinit's.

    Args:
        stddev: The standard deviation before the cut (default 0.01), >= 0.
        dtype: {jax_dtype} Real dtypes only.
        lower: The lower bound in standard deviations (default -2).
        upper: The upper bound in standard deviations (default 2), ``> lower``.

    {jax_returns_init}

    Raises:
        ValueError: ``lower >= upper`` or a negative ``stddev``.

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> w = np.asarray(fj.truncated_normal(0.02)(jax.random.key(0), (1000,)))
        >>> bool(np.abs(w).max() <= 0.04)
        True
    """
    stddev = number(stddev, "stddev", minimum=0.0)
    lo = real(lower if is_real(lower) else number(lower, "lower"), "lower")
    hi = real(upper if is_real(upper) else number(upper, "upper"), "upper")
    if not lo < hi:
        raise ValueError(f"truncated_normal needs lower < upper, got lower={lower!r}, upper={upper!r}")
    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _fills.truncated_normal(out, 0.0, stddev, lo, hi, seed=seed, full_shape=full_shape, index=index)

    return make_initializer(fill, dtype, "truncated_normal", f"truncated_normal({stddev}, lower={lo}, upper={hi})")
