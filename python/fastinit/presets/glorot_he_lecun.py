"""The Keras/JAX presets glorot (Xavier), he (Kaiming) and lecun, uniform and truncated normal: one
table of (scale, mode, distribution) rows (:data:`ROWS`), as Keras and JAX state them. Each preset
is :func:`fastinit.presets.variance_scaling.variance_scaling` with its row, and its plan (a pure
function of the whole tensor's shape, see :mod:`fastinit.presets.plans`) is
:func:`~fastinit.presets.variance_scaling.variance_scaling_plan` with it: every body below is that
one call. A complex64/complex128 ``out`` gets JAX's complex form, as in ``variance_scaling``.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple, Optional, Protocol

import numpy as np

from ..core.docstrings import shared_docs
from ..core.layout import Index, Shape
from ..core.seed import Seed, Stream
from .fans import Axis
from .plans import Plan, named
from .variance_scaling import variance_scaling, variance_scaling_plan

__all__ = [
    "ROWS",
    "Row",
    "glorot_uniform",
    "glorot_normal",
    "he_uniform",
    "he_normal",
    "lecun_uniform",
    "lecun_normal",
    "glorot_uniform_plan",
    "glorot_normal_plan",
    "he_uniform_plan",
    "he_normal_plan",
    "lecun_uniform_plan",
    "lecun_normal_plan",
]


class Row(NamedTuple):
    """A preset's arguments of :func:`variance_scaling` (normal: truncated at +-2 std, as in Keras)."""

    scale: float
    mode: str
    distribution: str


#: Each preset's row (JAX's ``xavier_*`` and ``kaiming_*`` are its ``glorot_*`` and ``he_*``).
ROWS: Mapping[str, Row] = MappingProxyType({
    "glorot_uniform": Row(1.0, "fan_avg", "uniform"),
    "glorot_normal": Row(1.0, "fan_avg", "truncated_normal"),
    "he_uniform": Row(2.0, "fan_in", "uniform"),
    "he_normal": Row(2.0, "fan_in", "truncated_normal"),
    "lecun_uniform": Row(1.0, "fan_in", "uniform"),
    "lecun_normal": Row(1.0, "fan_in", "truncated_normal"),
})


class PresetPlan(Protocol):
    """The signature of each row's plan: the fill its preset makes in a tensor of ``shape``."""

    def __call__(self, shape: Shape, *, layout: Optional[str] = None, in_axis: Optional[Axis] = None,
                 out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1) -> Plan: ...


def _plan(name: str) -> PresetPlan:
    """``{name}_plan``: :func:`variance_scaling_plan` with the row ``name``, named and documented."""
    scale, mode, distribution = ROWS[name]

    def plan(shape: Shape, *, layout: Optional[str] = None, in_axis: Optional[Axis] = None,
             out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1) -> Plan:
        return variance_scaling_plan(shape, scale, mode, distribution, layout=layout, in_axis=in_axis,
                                     out_axis=out_axis, batch_axis=batch_axis, groups=groups)

    plan.__doc__ = (f"The fill :func:`{name}` makes in a tensor of ``shape`` (a pure function): "
                    f":func:`variance_scaling_plan` with ``scale={scale}, mode={mode!r}, "
                    f"distribution={distribution!r}``; the keywords give the fans as :func:`compute_fans` does.")
    return named(plan, f"{name}_plan")


glorot_uniform_plan = _plan("glorot_uniform")
glorot_normal_plan = _plan("glorot_normal")
he_uniform_plan = _plan("he_uniform")
he_normal_plan = _plan("he_normal")
lecun_uniform_plan = _plan("lecun_uniform")
lecun_normal_plan = _plan("lecun_normal")


@shared_docs
def glorot_uniform(out: Any, *, layout: Optional[str] = None, in_axis: Optional[Axis] = None,
                   out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1, seed: Seed = None,
                   stream: Stream = 0, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                   dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)) (Keras/JAX ``glorot_uniform``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_avg", distribution="uniform"``.
    Keras ``GlorotUniform``, JAX ``glorot_uniform`` (= JAX ``xavier_uniform``); PyTorch's
    ``xavier_uniform_`` gives the same numbers in its own layout (see :func:`xavier_uniform`).

    {variance_scaling_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.glorot_uniform((64, 32), seed=0, stream="dense.kernel")
        >>> bool(abs(w).max() <= (6 / (64 + 32)) ** 0.5)
        True
    """
    return variance_scaling(out, *ROWS["glorot_uniform"], layout=layout, in_axis=in_axis, out_axis=out_axis,
                            batch_axis=batch_axis, groups=groups, seed=seed, stream=stream, full_shape=full_shape,
                            index=index, dtype=dtype)


@shared_docs
def glorot_normal(out: Any, *, layout: Optional[str] = None, in_axis: Optional[Axis] = None,
                  out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1, seed: Seed = None,
                  stream: Stream = 0, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                  dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with a normal truncated at +-2 std whose std is sqrt(2 / (fan_in + fan_out))
    (Keras/JAX ``glorot_normal``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_avg", distribution="truncated_normal"``.
    Keras ``GlorotNormal``, JAX ``glorot_normal`` (= JAX ``xavier_normal``). Truncated, unlike
    PyTorch's ``xavier_normal_`` (see :func:`xavier_normal`).

    {variance_scaling_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.glorot_normal((200, 200), seed=0, stream="dense.kernel")
        >>> round(float(w.std()), 2)  # sqrt(2 / (200 + 200))
        0.07
    """
    return variance_scaling(out, *ROWS["glorot_normal"], layout=layout, in_axis=in_axis, out_axis=out_axis,
                            batch_axis=batch_axis, groups=groups, seed=seed, stream=stream, full_shape=full_shape,
                            index=index, dtype=dtype)


@shared_docs
def he_uniform(out: Any, *, layout: Optional[str] = None, in_axis: Optional[Axis] = None,
               out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1, seed: Seed = None,
               stream: Stream = 0, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
               dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with U(-limit, limit), limit = sqrt(6 / fan_in) (Keras/JAX ``he_uniform``).

    :func:`variance_scaling` with ``scale=2.0, mode="fan_in", distribution="uniform"``.
    Keras ``HeUniform``, JAX ``he_uniform`` (= JAX ``kaiming_uniform``); PyTorch's
    ``kaiming_uniform_(nonlinearity='relu')`` gives the same numbers in its own layout.

    {variance_scaling_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.he_uniform((3, 3, 16, 32), seed=0)  # Conv2D kernel: fan_in = 3 * 3 * 16
        >>> bool(abs(w).max() <= (6 / 144) ** 0.5)
        True
    """
    return variance_scaling(out, *ROWS["he_uniform"], layout=layout, in_axis=in_axis, out_axis=out_axis,
                            batch_axis=batch_axis, groups=groups, seed=seed, stream=stream, full_shape=full_shape,
                            index=index, dtype=dtype)


@shared_docs
def he_normal(out: Any, *, layout: Optional[str] = None, in_axis: Optional[Axis] = None,
              out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1, seed: Seed = None,
              stream: Stream = 0, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
              dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with a normal truncated at +-2 std whose std is sqrt(2 / fan_in) (Keras/JAX ``he_normal``).

    :func:`variance_scaling` with ``scale=2.0, mode="fan_in", distribution="truncated_normal"``.
    Keras ``HeNormal``, JAX ``he_normal`` (= JAX ``kaiming_normal``). Truncated, unlike
    PyTorch's ``kaiming_normal_`` (see :func:`kaiming_normal`).

    {variance_scaling_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.he_normal((256, 128), seed=0, stream="dense.kernel")
        >>> round(float(w.std()), 2)  # sqrt(2 / 256)
        0.09
    """
    return variance_scaling(out, *ROWS["he_normal"], layout=layout, in_axis=in_axis, out_axis=out_axis,
                            batch_axis=batch_axis, groups=groups, seed=seed, stream=stream, full_shape=full_shape,
                            index=index, dtype=dtype)


@shared_docs
def lecun_uniform(out: Any, *, layout: Optional[str] = None, in_axis: Optional[Axis] = None,
                  out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1, seed: Seed = None,
                  stream: Stream = 0, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                  dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with U(-limit, limit), limit = sqrt(3 / fan_in) (Keras/JAX ``lecun_uniform``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_in", distribution="uniform"``.
    Keras ``LecunUniform``, JAX ``lecun_uniform``.

    {variance_scaling_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.lecun_uniform((300, 10), seed=0)
        >>> bool(abs(w).max() <= (3 / 300) ** 0.5)
        True
    """
    return variance_scaling(out, *ROWS["lecun_uniform"], layout=layout, in_axis=in_axis, out_axis=out_axis,
                            batch_axis=batch_axis, groups=groups, seed=seed, stream=stream, full_shape=full_shape,
                            index=index, dtype=dtype)


@shared_docs
def lecun_normal(out: Any, *, layout: Optional[str] = None, in_axis: Optional[Axis] = None,
                 out_axis: Optional[Axis] = None, batch_axis: Axis = (), groups: int = 1, seed: Seed = None,
                 stream: Stream = 0, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
                 dtype: Any = None) -> np.ndarray:
    """Fill ``out`` with a normal truncated at +-2 std whose std is sqrt(1 / fan_in) (Keras/JAX ``lecun_normal``).

    :func:`variance_scaling` with ``scale=1.0, mode="fan_in", distribution="truncated_normal"``.
    Keras ``LecunNormal``, JAX ``lecun_normal``.

    {variance_scaling_preset}

    Example:
        >>> import fastinit
        >>> w = fastinit.lecun_normal((400, 100), seed=0)
        >>> round(float(w.std()), 2)  # sqrt(1 / 400)
        0.05
    """
    return variance_scaling(out, *ROWS["lecun_normal"], layout=layout, in_axis=in_axis, out_axis=out_axis,
                            batch_axis=batch_axis, groups=groups, seed=seed, stream=stream, full_shape=full_shape,
                            index=index, dtype=dtype)
