"""JAX's ``variance_scaling`` and the presets made from it (``glorot_*``, ``he_*``, ``lecun_*`` and
JAX's aliases ``xavier_*``, ``kaiming_*``), real and complex."""

import math
from collections.abc import Sequence
from typing import Any, Callable, Optional

import numpy as np

from ..core import fills as _fills
from ..core.complex import COMPLEX_PARTS
from ..core.docstrings import fill_placeholders, shared_docs
from ..core.suggest import did_you_mean
from ..presets.disk import truncated_normal_disk, uniform_disk
from ..presets.glorot_he_lecun import ROWS
from ..presets.variance_scaling import MODES, variance_scaling_plan
from ..presets.variance_scaling import variance_scaling as _variance_scaling
from .arguments import Axis, Initializer, number
from .arrays import make_initializer

__all__ = ["COMPLEX_TRUNCATED_NORMAL_STD", "glorot_normal", "glorot_uniform", "he_normal", "he_uniform",
           "kaiming_normal", "kaiming_uniform", "lecun_normal", "lecun_uniform", "variance_scaling",
           "xavier_normal", "xavier_uniform"]

#: JAX's variance_scaling distributions and fastinit's name for each.
_DISTRIBUTIONS = {"truncated_normal": "truncated_normal", "normal": "untruncated_normal", "uniform": "uniform"}
#: std of a complex standard normal whose modulus is truncated at 2 (JAX's constant).
COMPLEX_TRUNCATED_NORMAL_STD = 0.95311164380491208


def _check_axes_rank(shape: Sequence[int], in_axis: Axis) -> None:
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional weights tensor with "
                         "default in_axis. Must be at least 2D or specify in_axis explicitly.")


def _complex_variance_scaling(out: np.ndarray, std: float, distribution: str, seed: int, where: dict[str, Any]) -> None:
    """JAX's complex forms, each of variance ``std**2`` (see :mod:`fastinit.jax`); ``where``: the
    ``full_shape`` and ``index`` of ``out``."""
    if distribution == "normal":
        _fills.normal(out, 0.0, std, seed=seed, **where)
    elif distribution == "truncated_normal":
        truncated_normal_disk(out, std / COMPLEX_TRUNCATED_NORMAL_STD, 2.0, seed=seed, **where)
    else:
        uniform_disk(out, math.sqrt(2.0) * std, seed=seed, **where)


def _check_name(value: Any, name: str, choices: tuple[str, ...]) -> None:
    """JAX's ValueError for a ``mode``/``distribution`` not among ``choices`` (exact names: JAX
    does not lower-case them), with the valid names after JAX's text."""
    if not isinstance(value, str) or value not in choices:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise ValueError(f"invalid {name} for variance scaling initializer: {value}.{hint} Valid values: "
                         f"{', '.join(map(repr, choices))}")


@shared_docs
def variance_scaling(scale: Any, mode: str, distribution: str, in_axis: Axis = -2, out_axis: Axis = -1,
                     batch_axis: Axis = (), dtype: Any = None) -> Initializer:
    """JAX ``variance_scaling``: zero-mean values of variance ``scale / n``, ``n`` from the fans.

    Values: :func:`fastinit.variance_scaling`, with JAX's fans and defaults; complex dtypes: JAX's
    complex forms (see :mod:`fastinit.jax`). Differs from JAX: the values are fastinit's, made on
    the host from the key's seed.

    Args:
        scale: The variance's factor, > 0.
        mode: Which fan ``n`` is: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` (their mean) or
            ``"fan_geo_avg"`` (their geometric mean).
        distribution: ``"truncated_normal"`` (cut at +-2 std, std corrected so the variance is
            ``scale / n``), ``"normal"`` (JAX's: **untruncated**, fastinit's
            ``"untruncated_normal"``) or ``"uniform"``.
        in_axis: {jax_axes}
        out_axis: The output (fan-out) axis or axes (default -1), as for ``in_axis``.
        batch_axis: The batch axes (default ``()``), counted in neither fan.
        dtype: {jax_dtype}

    {jax_returns_init}

    Raises:
        ValueError: ``scale <= 0``, or an unknown ``mode`` or ``distribution`` (JAX's message).

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> init = fj.variance_scaling(2.0, "fan_in", "uniform")
        >>> w = init(jax.random.key(0), (100, 10))
        >>> np.array_equal(np.asarray(w), fastinit.variance_scaling((100, 10), 2.0, "fan_in", "uniform", seed=0))
        True
    """
    scale = number(scale, "scale", minimum=0.0, strict=True)
    _check_name(mode, "mode", MODES)
    _check_name(distribution, "distribution", tuple(_DISTRIBUTIONS))
    ours = _DISTRIBUTIONS[distribution]
    axes: dict[str, Any] = {"in_axis": in_axis, "out_axis": out_axis, "batch_axis": batch_axis}

    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        where: dict[str, Any] = {"full_shape": full_shape, "index": index}  # fans from the global shape
        if out.dtype in COMPLEX_PARTS:
            plan = variance_scaling_plan(full_shape, scale, mode, "untruncated_normal", **axes)
            _complex_variance_scaling(out, plan["std"], distribution, seed, where)
        else:
            _variance_scaling(out, scale, mode, ours, seed=seed, **axes, **where)

    return make_initializer(fill, dtype, "variance_scaling", f"variance_scaling({scale}, {mode!r}, {distribution!r})",
                            check=lambda dims: _check_axes_rank(dims, in_axis), complex_ok=True)


def _preset(name: str, alias: str = "") -> Callable[..., Initializer]:
    """The factory ``name``: :func:`variance_scaling` with the row ``ROWS[name]``."""
    scale, mode, distribution = ROWS[name]

    def factory(in_axis: Axis = -2, out_axis: Axis = -1, batch_axis: Axis = (), dtype: Any = None) -> Initializer:
        init = variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis, dtype)
        init.__name__ = init.__qualname__ = name
        return init

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = fill_placeholders(_PRESET_DOC.format(name=name, alias=alias, scale=scale, mode=mode,
                                                           distribution=distribution))
    return factory


#: The docstring of the preset factories (the API reference's extension formats it the same way).
_PRESET_DOC = """JAX ``{name}``{alias}: a variance-scaling initializer factory.

    ``variance_scaling({scale}, {mode!r}, {distribution!r}, in_axis, out_axis, batch_axis, dtype)``.
    Values: :func:`fastinit.{name}` (Keras's and JAX's formula, fans and layout), so a call
    with ``jax.random.key(s)`` equals ``fastinit.{name}(shape, seed=s)``. Differs from JAX: the
    values are fastinit's, made on the host from the key's seed.

    Args:
        in_axis: {{jax_axes}}
        out_axis: The output (fan-out) axis or axes (default -1), as for ``in_axis``.
        batch_axis: The batch axes (default ``()``), counted in neither fan.
        dtype: {{jax_dtype}}

    {{jax_returns_init}}

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> w = fj.{name}()(jax.random.key(0), (3, 2))
        >>> np.array_equal(np.asarray(w), fastinit.{name}((3, 2), seed=0))
        True
    """


glorot_uniform = _preset("glorot_uniform", " (= ``xavier_uniform``)")
glorot_normal = _preset("glorot_normal", " (= ``xavier_normal``)")
lecun_uniform = _preset("lecun_uniform")
lecun_normal = _preset("lecun_normal")
he_uniform = _preset("he_uniform", " (= ``kaiming_uniform``)")
he_normal = _preset("he_normal", " (= ``kaiming_normal``)")
xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal
