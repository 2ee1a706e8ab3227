"""The plans of the Keras/JAX presets glorot, he and lecun (:mod:`fastinit.presets.glorot_he_lecun`):
each the one fill its preset makes in a tensor of a given shape, a pure function of the whole
tensor's shape (see :mod:`fastinit.presets.plans`).
"""

from typing import Optional

from ..core.layout import Shape
from .fans import Axis
from .plans import Plan
from .variance_scaling import variance_scaling_plan

__all__ = ["glorot_uniform_plan", "glorot_normal_plan", "he_uniform_plan", "he_normal_plan", "lecun_uniform_plan",
           "lecun_normal_plan"]


def glorot_uniform_plan(
    shape: Shape,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`glorot_uniform` makes for a tensor of ``shape`` (a pure function):
    ``Plan("uniform", low=-limit, high=limit)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 1.0, "fan_avg", "uniform", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def glorot_normal_plan(
    shape: Shape,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`glorot_normal` makes for a tensor of ``shape`` (a pure function):
    ``Plan("truncated_normal", mean=0, std=sqrt(2 / (fan_in + fan_out)) / 0.8796..., a=-2, b=2)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 1.0, "fan_avg", "truncated_normal", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def he_uniform_plan(
    shape: Shape,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`he_uniform` makes for a tensor of ``shape`` (a pure function):
    ``Plan("uniform", low=-limit, high=limit)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 2.0, "fan_in", "uniform", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def he_normal_plan(
    shape: Shape,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`he_normal` makes for a tensor of ``shape`` (a pure function):
    ``Plan("truncated_normal", mean=0, std=sqrt(2 / fan_in) / 0.8796..., a=-2, b=2)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 2.0, "fan_in", "truncated_normal", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def lecun_uniform_plan(
    shape: Shape,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`lecun_uniform` makes for a tensor of ``shape`` (a pure function):
    ``Plan("uniform", low=-limit, high=limit)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 1.0, "fan_in", "uniform", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)


def lecun_normal_plan(
    shape: Shape,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> Plan:
    """The fill :func:`lecun_normal` makes for a tensor of ``shape`` (a pure function):
    ``Plan("truncated_normal", mean=0, std=sqrt(1 / fan_in) / 0.8796..., a=-2, b=2)``.

    Args:
        shape: the whole tensor's shape; the fans come from it.
        layout, in_axis, out_axis, batch_axis, groups: how fans are computed, see
            :func:`fastinit.compute_fans`.
    """
    return variance_scaling_plan(shape, 1.0, "fan_in", "truncated_normal", layout=layout, in_axis=in_axis,
                                 out_axis=out_axis, batch_axis=batch_axis, groups=groups)
