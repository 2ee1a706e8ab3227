"""Variance scaling, with Keras's and JAX's formulas (its named presets glorot, he and lecun are in
:mod:`fastinit.presets.glorot_he_lecun`):

    n     = fan_in | fan_out | (fan_in + fan_out) / 2 | sqrt(fan_in * fan_out)     (by ``mode``)
    truncated_normal:   std = sqrt(scale / n) / 0.87962566103423978, truncated at +-2 std
    untruncated_normal: std = sqrt(scale / n)
    uniform:            U(-limit, limit), limit = sqrt(3 * scale / n)

(0.87962566103423978 is the standard deviation of a standard normal truncated to [-2, 2], so the
truncated samples have standard deviation sqrt(scale / n).) ``n`` is at least 1, as in Keras.

Fans come from :func:`fastinit.compute_fans` with the Keras/JAX layout by default (``(in, out)``,
``(*kernel, in, out)``); every function takes ``layout``, ``in_axis``, ``out_axis``,
``batch_axis`` and ``groups``. When filling a shard (``full_shape``, ``index``) the fans are those
of ``full_shape``, so every shard gets the parameters of the whole tensor.

Each function fills ``out`` (a float32/float64/float16/bfloat16 array, or a shape to allocate with
``dtype``, default float32) with ONE call to :func:`fastinit.uniform`, :func:`fastinit.normal` or
:func:`fastinit.truncated_normal`, passing ``seed``, ``stream``, ``full_shape`` and ``index``
through unchanged: the values are those fills' values (stream version 1), and a shard equals the
same slice of a whole fill, bit for bit. Which fill, with which parameters, is the preset's plan
(``variance_scaling_plan``, ``glorot_uniform_plan`` ...: a pure function of the whole tensor's
shape and the parameters, see :mod:`fastinit.presets.plans`).

Complex outputs (complex64/complex128), with JAX's semantics (``v = scale / n``):

    truncated_normal:   truncated_normal_disk(std = sqrt(v) / 0.95311164380491208, bound = 2)
    untruncated_normal: normal(0, sqrt(v))       (each part N(0, v / 2))
    uniform:            uniform_disk(radius = sqrt(2 * v))

(0.95311164380491208 is JAX's constant; with it the truncated complex samples have
``E|z|**2 = 1.0187 * v``, as in JAX.) These are the polar samplers of
:mod:`fastinit.presets.disk` and the complex form of :func:`fastinit.normal`; a shard still equals
the same slice of a whole fill.
"""

import math
from typing import Any, Optional

import numpy as np

from ..core.complex import complex_target, is_complex
from ..core.docstrings import shared_docs
from ..core.fills import normal
from ..core.layout import Index, Shape, as_shape
from ..core.seed import Seed, Stream
from ..core.suggest import check_choice
from .args import prepare, real_param
from .disk import truncated_normal_disk, uniform_disk
from .fans import Axis, compute_fans
from .plans import Plan, fill

__all__ = ["MODES", "DISTRIBUTIONS", "TRUNCATED_NORMAL_STD", "COMPLEX_TRUNCATED_NORMAL_STD", "variance_scaling",
           "variance_scaling_plan", "complex_variance_scaling"]

#: Accepted ``mode`` values.
MODES = ("fan_in", "fan_out", "fan_avg", "fan_geo_avg")
#: Accepted ``distribution`` values; "normal" means truncated_normal, as in Keras (not as in JAX).
DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform", "normal")
#: Standard deviation of a standard normal truncated to [-2, 2] (Keras's and JAX's constant).
TRUNCATED_NORMAL_STD = 0.87962566103423978
#: JAX's divisor for the complex truncated normal (modulus truncated at 2 standard deviations).
COMPLEX_TRUNCATED_NORMAL_STD = 0.95311164380491208


def _checked(scale: Any, mode: Any, distribution: Any) -> tuple[float, str, str]:
    """``(scale, mode, distribution)`` checked and normalised ("normal" is "truncated_normal")."""
    scale = real_param(scale, "scale", minimum=0.0, strict=True)
    mode = check_choice(mode, "mode", MODES)
    d = check_choice(distribution, "distribution", DISTRIBUTIONS)
    return scale, mode, "truncated_normal" if d == "normal" else d


def _denominator(fan_in: int, fan_out: int, mode: str) -> float:
    if mode == "fan_in":
        n: float = fan_in
    elif mode == "fan_out":
        n = fan_out
    elif mode == "fan_avg":
        n = (fan_in + fan_out) / 2.0
    else:
        n = math.sqrt(fan_in * fan_out)
    return max(1.0, n)


def variance_scaling_plan(shape: Shape, scale: float = 1.0, mode: str = "fan_in",
                          distribution: str = "truncated_normal", *, layout: Optional[str] = None,
                          in_axis: Optional[Axis] = None, out_axis: Optional[Axis] = None, batch_axis: Axis = (),
                          groups: int = 1) -> Plan:
    """The fill :func:`variance_scaling` makes for a tensor of ``shape`` (a pure function).

    Args:
        shape: the whole tensor's shape; the fans come from it.
        scale, mode, distribution: as for :func:`variance_scaling`.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.

    Returns:
        ``Plan("truncated_normal", mean=0, std=sqrt(scale/n)/0.8796..., a=-2, b=2)``,
        ``Plan("normal", mean=0, std=sqrt(scale/n))`` or ``Plan("uniform", low=-limit,
        high=limit)``, limit = sqrt(3*scale/n).
    """
    scale, mode, distribution = _checked(scale, mode, distribution)
    fan_in, fan_out = compute_fans(shape, layout=layout, in_axis=in_axis, out_axis=out_axis,
                                   batch_axis=batch_axis, groups=groups)
    scale /= _denominator(fan_in, fan_out, mode)
    if distribution == "truncated_normal":
        return Plan("truncated_normal", mean=0.0, std=math.sqrt(scale) / TRUNCATED_NORMAL_STD, a=-2.0, b=2.0)
    if distribution == "untruncated_normal":
        return Plan("normal", mean=0.0, std=math.sqrt(scale))
    limit = math.sqrt(3.0 * scale)
    return Plan("uniform", low=-limit, high=limit)


@shared_docs
def variance_scaling(out: Any, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal", *,
                     layout: Optional[str] = None, in_axis: Optional[Axis] = None, out_axis: Optional[Axis] = None,
                     batch_axis: Axis = (), groups: int = 1, seed: Seed = None, stream: Stream = 0,
                     full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                     dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with zero-mean values of variance ``scale / n`` (Keras ``VarianceScaling``,
    JAX ``jax.nn.initializers.variance_scaling``).

    Args:
        out: {out}
            A complex64/complex128 one gets JAX's complex forms (see the module
            docstring).
        scale: The variance's numerator, a real number > 0 (default 1.0).
        mode: "fan_in", "fan_out", "fan_avg" or "fan_geo_avg" (the last as in JAX): ``n`` is
            fan_in, fan_out, their mean, or their geometric mean (at least 1).
        distribution: "truncated_normal" (std sqrt(scale/n)/0.87962566103423978, cut at +-2 std,
            so the result has std sqrt(scale/n)), "untruncated_normal" (std sqrt(scale/n)) or
            "uniform" (U(-limit, limit), limit = sqrt(3*scale/n)). **"normal" is an alias of
            "truncated_normal", as in Keras**; in JAX, "normal" means untruncated: JAX's
            ``variance_scaling(s, m, "normal")`` is ``distribution="untruncated_normal"`` here.
        layout: {layout}
        in_axis: {in_axis}
        out_axis: {out_axis}
        batch_axis: {batch_axis}
        groups: {groups}
        {fill_args}

    {returns_filled}

    Raises:
        TypeError: {preset_type_errors}
        ValueError: {fan_value_errors}
            An unknown ``distribution`` names the closest too.

    Example:
        >>> import fastinit
        >>> w = fastinit.variance_scaling((500, 100), 2.0, "fan_avg", "untruncated_normal", seed=0)
        >>> round(float(w.std()), 3)  # sqrt(2.0 / ((500 + 100) / 2))
        0.082
    """
    _checked(scale, mode, distribution)  # the parameters first, then ``out``
    if is_complex(out, dtype):
        return complex_variance_scaling(out, scale, mode, distribution, layout=layout, in_axis=in_axis,
                                        out_axis=out_axis, batch_axis=batch_axis, groups=groups, seed=seed,
                                        stream=stream, full_shape=full_shape, index=index, dtype=dtype)
    array, shape = prepare(out, dtype, full_shape, index)
    plan = variance_scaling_plan(shape, scale, mode, distribution, layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)
    return fill(array, plan, seed=seed, stream=stream, full_shape=full_shape, index=index)


def complex_variance_scaling(out: Any, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                             *, layout: Optional[str] = None, in_axis: Optional[Axis] = None,
                             out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1, seed: Seed = None,
                             stream: Stream = 0, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                             dtype: Any = None) -> np.ndarray:
    """:func:`variance_scaling` of a complex64/complex128 ``out`` (JAX's complex variance scaling).

    With ``v = scale / n``: "truncated_normal" (and "normal", its Keras alias) is
    :func:`fastinit.truncated_normal_disk` ``(std=sqrt(v) / 0.95311164380491208, bound=2)``;
    "untruncated_normal" (JAX's "normal") is :func:`fastinit.normal` ``(0, sqrt(v))``, each part
    N(0, v/2); "uniform" is :func:`fastinit.uniform_disk` ``(radius=sqrt(2 * v))``. Arguments as
    for :func:`variance_scaling`; ``dtype`` (when ``out`` is a shape) must be complex.
    """
    scale, mode, distribution = _checked(scale, mode, distribution)
    array = complex_target(out, dtype, full_shape, index).array
    shape = array.shape if full_shape is None else as_shape(full_shape, "full_shape")
    fan_in, fan_out = compute_fans(shape, layout=layout, in_axis=in_axis, out_axis=out_axis,
                                   batch_axis=batch_axis, groups=groups)
    v = scale / _denominator(fan_in, fan_out, mode)
    where: dict[str, Any] = {"seed": seed, "stream": stream, "full_shape": full_shape, "index": index}
    if distribution == "truncated_normal":
        return truncated_normal_disk(array, math.sqrt(v) / COMPLEX_TRUNCATED_NORMAL_STD, 2.0, **where)
    if distribution == "untruncated_normal":
        return normal(array, 0.0, math.sqrt(v), **where)
    return uniform_disk(array, math.sqrt(2.0 * v), **where)
