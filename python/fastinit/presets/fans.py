"""Fans (the numbers of inputs and outputs a weight tensor connects) and PyTorch's gain table.

Layouts, i.e. which axis of a weight tensor holds the layer's inputs and which its outputs:

- ``"keras"`` (the default, also ``"jax"``): input axis -2, output axis -1, every other axis is
  the receptive field: Dense ``(in, out)``, Conv ``(*kernel, in, out)``. Keras, JAX, Flax and
  TensorFlow store kernels this way; the numbers equal ``keras.src.initializers.compute_fans``
  and ``jax.nn.initializers`` with their default ``in_axis=-2, out_axis=-1``.
- ``"torch"``: output axis 0, input axis 1, receptive field ``prod(shape[2:])``: Linear
  ``(out, in)``, Conv ``(out, in // groups, *kernel)``; the numbers equal
  ``torch.nn.init._calculate_fan_in_and_fan_out``.
- ``"depthwise"``: a Keras/TensorFlow depthwise kernel ``(*kernel, channels, multiplier)``, whose
  input axis holds all channels although each output sees only one: fan_in = prod(kernel),
  fan_out = multiplier * prod(kernel). (Keras itself computes fan_in = channels * prod(kernel)
  for these kernels; pass the default layout to reproduce that.)

Rank 0 gives (1, 1) and rank 1 gives (n, n) in every layout, as Keras does (PyTorch refuses rank
< 2, JAX refuses it unless the axes are given).
"""

import math
from collections.abc import Sequence
from typing import Any, NamedTuple, Optional, Union

import numpy as np

from ..core.checks import AxisError, finite_real, integer, is_integer
from ..core.docstrings import shared_docs
from ..core.layout import as_shape
from ..core.suggest import unknown_choice

__all__ = ["Axis", "LAYOUTS", "NONLINEARITIES", "compute_fans", "calculate_gain", "check_layout", "keras_axes"]

Axis = Union[int, Sequence[int]]

#: Layout names accepted by ``layout=``; None means "keras".
LAYOUTS = ("keras", "jax", "torch", "depthwise")

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")

#: The nonlinearities of ``torch.nn.init.calculate_gain``.
NONLINEARITIES = _LINEAR + ("sigmoid", "tanh", "relu", "leaky_relu", "selu")


def check_layout(layout: Optional[str]) -> str:
    """``layout`` normalised: None is "keras", "jax" is "keras"; anything else raises."""
    if layout is None:
        return "keras"
    if not isinstance(layout, str):
        raise TypeError(f"layout must be a str (one of {', '.join(LAYOUTS)}) or None, got {type(layout).__name__}")
    if layout not in LAYOUTS:
        raise unknown_choice("layout", layout, LAYOUTS)
    return "keras" if layout == "jax" else layout


def _axes(axis: Axis, rank: int, name: str, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``axis`` (an int or a sequence of ints) as non-negative axes of a rank-``rank`` shape."""
    items: tuple[Any, ...]
    if is_integer(axis):
        items = (axis,)
    else:
        if isinstance(axis, (str, bytes)):
            raise TypeError(f"{name} must be an int or a sequence of ints, got {axis!r}")
        try:
            items = tuple(axis)  # type: ignore[arg-type]
        except TypeError:
            raise TypeError(f"{name} must be an int or a sequence of ints, "
                            f"got {type(axis).__name__} {axis!r}") from None
    out: list[int] = []
    for a in items:
        if not is_integer(a):
            raise TypeError(f"{name} must contain ints, got {type(a).__name__} {a!r}")
        i = int(a)
        if not -rank <= i < rank:
            raise AxisError(f"{name}={axis!r} is out of range for shape {shape} (rank {rank}); "
                             f"axes must lie in [{-rank}, {rank})")
        i %= rank
        if i in out:
            raise ValueError(f"{name}={axis!r} names axis {i} twice")
        out.append(i)
    return tuple(out)


@shared_docs
def compute_fans(
    shape: Any,
    *,
    layout: Optional[str] = None,
    in_axis: Optional[Axis] = None,
    out_axis: Optional[Axis] = None,
    batch_axis: Axis = (),
    groups: int = 1,
) -> tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight tensor of shape ``shape``.

    fan_in = (size of the input axes) * receptive field and fan_out = (size of the output axes) *
    receptive field, where the receptive field is the product of the axes that are neither input,
    output nor batch axes.

    Args:
        shape: The shape of the *whole* weight (for a shard, its ``full_shape``): an int or a
            sequence of ints, not an array.
        layout: {layout}
        in_axis: {in_axis}
            Keras's ``input_axes``/``output_axes`` (which ignore every other axis) are
            ``in_axis=input_axes, out_axis=output_axes, batch_axis=<all other axes>``.
        out_axis: {out_axis}
        batch_axis: {batch_axis}
        groups: {groups}
            A PyTorch depthwise kernel ``(channels * m, 1, *kernel)`` takes ``groups=channels``;
            with ``layout="depthwise"``, groups is implied (= channels) and may be 1 or channels.

    Returns:
        ``(fan_in, fan_out)`` as ints. Rank 0 gives (1, 1), rank 1 gives (n, n) (Keras's rule,
        used when no axes are given).

    Raises:
        TypeError: ``shape`` is an array or not a shape, or an axis or ``groups`` is not an int.
        ValueError: an unknown layout (the message names the closest), axes out of range or
            named twice, or groups that do not divide the output channels.

    Example:
        >>> import fastinit
        >>> fastinit.compute_fans((3, 3, 16, 32))  # Keras Conv2D kernel: 3 * 3 * 16, 3 * 3 * 32
        (144, 288)
        >>> fastinit.compute_fans((32, 16, 3, 3), layout="torch")  # the same conv in PyTorch
        (144, 288)
    """
    if isinstance(shape, np.ndarray):
        raise TypeError("shape must be a shape (an int or a sequence of ints), got an array; pass array.shape")
    dims = as_shape(shape, "shape")
    layout = check_layout(layout)
    groups = integer(groups, "groups", minimum=1, expected="an int >= 1")
    batch = _axes(batch_axis, len(dims), "batch_axis", dims)
    explicit = in_axis is not None or out_axis is not None
    if layout == "depthwise":
        roles = _depthwise_roles(dims, groups, explicit)
    elif not explicit and len(dims) < 2:
        return _vector_fans(dims, batch_axis, bool(batch), groups)
    else:
        default_in, default_out = (1, 0) if layout == "torch" else (-2, -1)
        roles = _Roles(_axes(default_in if in_axis is None else in_axis, len(dims), "in_axis", dims),
                       _axes(default_out if out_axis is None else out_axis, len(dims), "out_axis", dims),
                       False, groups)
    return _fans(dims, roles, batch, groups)


class _Roles(NamedTuple):
    """The input and output axes of a weight, and how its groups divide the channels."""

    in_axes: tuple[int, ...]
    out_axes: tuple[int, ...]
    one_input: bool  # each output sees one input channel, whatever their number (depthwise)
    out_groups: int  # fan_out is divided by this


def _depthwise_roles(dims: tuple[int, ...], groups: int, explicit: bool) -> _Roles:
    """A Keras depthwise kernel ``(*kernel, channels, multiplier)``: the last two axes."""
    rank = len(dims)
    if explicit:
        raise ValueError("layout='depthwise' fixes the axes (*kernel, channels, multiplier); "
                         "omit in_axis/out_axis, or use layout='keras' with explicit axes")
    if rank < 2:
        raise ValueError(f"layout='depthwise' needs a kernel (*kernel, channels, multiplier) of rank >= 2, "
                         f"got shape {dims}")
    channels = dims[-2]
    if groups not in (1, channels):
        raise ValueError(f"groups={groups} contradicts layout='depthwise', where groups is the number of "
                         f"channels ({channels}); omit groups")
    return _Roles((rank - 2,), (rank - 1,), True, 1)


def _vector_fans(dims: tuple[int, ...], batch_axis: Axis, has_batch: bool, groups: int) -> tuple[int, int]:
    """Rank 0 or 1 without explicit axes: (1, 1) or (n, n), Keras's rule."""
    if has_batch:
        raise ValueError(f"batch_axis={batch_axis!r} leaves no input/output axes in shape {dims}; "
                         "pass in_axis and out_axis")
    if groups != 1:
        raise ValueError(f"groups={groups} needs a convolution kernel (rank >= 2), got shape {dims}")
    n = dims[0] if dims else 1
    return n, n


def _fans(dims: tuple[int, ...], roles: _Roles, batch: tuple[int, ...], groups: int) -> tuple[int, int]:
    """(fan_in, fan_out) once the axes are known: checked distinct, the rest is the receptive field."""
    named: dict[int, str] = {}
    for name, axes in (("in_axis", roles.in_axes), ("out_axis", roles.out_axes), ("batch_axis", batch)):
        for a in axes:
            if a in named:
                raise ValueError(f"axis {a} of shape {dims} is in both {named[a]} and {name}; "
                                 "input, output and batch axes must be distinct")
            named[a] = name
    in_size = math.prod(dims[a] for a in roles.in_axes)
    out_size = math.prod(dims[a] for a in roles.out_axes)
    receptive = math.prod(d for a, d in enumerate(dims) if a not in named)
    if out_size % roles.out_groups:
        raise ValueError(f"groups={groups} does not divide the {out_size} output channels of shape {dims}")
    in_per_group = 1 if roles.one_input else in_size
    return in_per_group * receptive, out_size // roles.out_groups * receptive


def keras_axes(input_axes: Sequence[int], output_axes: Sequence[int], rank: int) -> dict[str, tuple[int, ...]]:
    """Keras's ``input_axes`` and ``output_axes`` (used only together: Keras then ignores every
    other axis) as :func:`compute_fans`'s ``in_axis``, ``out_axis`` and ``batch_axis`` for a
    tensor of rank ``rank``: the batch axes are all the axes neither names. Entries that are not
    axes of the tensor are passed on for :func:`compute_fans` to report."""
    named = {int(a) % rank for a in (*input_axes, *output_axes) if is_integer(a) and -rank <= a < rank}
    return {"in_axis": tuple(input_axes), "out_axis": tuple(output_axes),
            "batch_axis": tuple(a for a in range(rank) if a not in named)}


def calculate_gain(nonlinearity: str, param: Optional[float] = None) -> float:
    """PyTorch's recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    ==================================================  ====================================
    nonlinearity                                        gain
    ==================================================  ====================================
    linear, conv{1,2,3}d, conv_transpose{1,2,3}d,       1
    sigmoid
    tanh                                                5/3
    relu                                                sqrt(2)
    leaky_relu                                          sqrt(2 / (1 + negative_slope**2)),
                                                        negative_slope = ``param`` (default 0.01)
    selu                                                3/4
    ==================================================  ====================================

    Args:
        nonlinearity: A name of the table above, e.g. ``"relu"``.
        param: leaky_relu's negative slope (default ``None``: 0.01); ignored by the others, as
            in PyTorch.

    Returns:
        The gain, a float.

    Raises:
        TypeError: ``nonlinearity`` is not a str, or leaky_relu's ``param`` is not a real number.
        ValueError: an unknown nonlinearity (the message names the closest).

    Example:
        >>> import fastinit
        >>> fastinit.calculate_gain("relu")
        1.4142135623730951
        >>> round(fastinit.calculate_gain("leaky_relu", 0.2), 4)
        1.3868
    """
    if not isinstance(nonlinearity, str):
        raise TypeError(f"nonlinearity must be a str, got {type(nonlinearity).__name__} {nonlinearity!r}")
    if nonlinearity in _LINEAR or nonlinearity == "sigmoid":
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        negative_slope = 0.01 if param is None else finite_real(param, "param (leaky_relu's negative_slope)")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise unknown_choice("nonlinearity", nonlinearity, NONLINEARITIES)
