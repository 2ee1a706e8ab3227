"""compute_fans and calculate_gain on their own: every layout, explicit axes, groups and
depthwise kernels, the rank < 2 rule, and bad input. (Equality with PyTorch's, Keras's and JAX's
own functions is in test_parity_*.py.)"""

import math

import numpy as np
import pytest

import fastinit
from fastinit import calculate_gain, compute_fans


@pytest.mark.parametrize("shape,layout,expected", [
    ((), None, (1, 1)),
    ((7,), None, (7, 7)),
    (7, None, (7, 7)),
    ((7,), "torch", (7, 7)),
    ((0,), None, (0, 0)),
    ((3, 5), None, (3, 5)),                 # Dense (in, out)
    ((3, 5), "jax", (3, 5)),
    ((5, 3), "torch", (3, 5)),              # Linear (out, in)
    ((3, 16, 32), None, (48, 96)),          # Conv1D (k, in, out)
    ((3, 3, 16, 32), None, (144, 288)),     # Conv2D
    ((2, 3, 3, 16, 32), None, (288, 576)),  # Conv3D
    ((32, 16, 3), "torch", (48, 96)),
    ((32, 16, 3, 3), "torch", (144, 288)),
    ((32, 16, 2, 3, 3), "torch", (288, 576)),
    ((3, 3, 32, 2), "depthwise", (9, 18)),  # Keras DepthwiseConv2D (k, k, channels, multiplier)
    ((5, 32, 1), "depthwise", (5, 5)),
    ((32, 1), "depthwise", (1, 1)),
    ((3, 3, 0, 2), "depthwise", (9, 18)),
    ((0, 4), None, (0, 4)),
])
def test_layouts(shape, layout, expected):
    fans = compute_fans(shape, layout=layout)
    assert fans == expected
    assert all(type(f) is int for f in fans)


def test_numpy_ints_in_shape():
    assert compute_fans((np.int64(3), np.int32(4))) == (3, 4)


def test_torch_and_keras_layouts_agree_on_transposed_kernels():
    rng = np.random.default_rng(0)
    for rank in range(2, 6):
        for _ in range(5):
            dims = tuple(int(d) for d in rng.integers(1, 7, size=rank))
            keras = dims[2:] + (dims[1], dims[0])  # (*k, in, out) from torch's (out, in, *k)
            assert compute_fans(dims, layout="torch") == compute_fans(keras)


@pytest.mark.parametrize("channels,mult,k", [(32, 1, (3, 3)), (8, 4, (5,)), (3, 2, (3, 3, 3))])
def test_depthwise_equals_torch_depthwise_with_groups(channels, mult, k):
    """A Keras depthwise kernel and a PyTorch depthwise conv (groups=channels) are the same layer."""
    keras_fans = compute_fans(k + (channels, mult), layout="depthwise")
    torch_fans = compute_fans((channels * mult, 1) + k, layout="torch", groups=channels)
    rf = math.prod(k)
    assert keras_fans == torch_fans == (rf, mult * rf)
    # and the explicit-axes spelling of a group: channels as a batch axis
    assert compute_fans(k + (channels, mult), in_axis=(), out_axis=-1, batch_axis=-2) == (rf, mult * rf)
    assert compute_fans(k + (channels, mult), layout="depthwise", groups=channels) == keras_fans


@pytest.mark.parametrize("shape,layout,groups,expected", [
    ((64, 8, 3, 3), "torch", 4, (72, 144)),   # Conv2d(32 -> 64, groups=4): (out, in/g, k, k)
    ((3, 3, 8, 64), None, 4, (72, 144)),      # Keras Conv2D(groups=4): (k, k, in/g, out)
    ((64, 8, 3, 3), "torch", 1, (72, 576)),
    ((12, 12), None, 3, (12, 4)),
])
def test_groups_divide_fan_out(shape, layout, groups, expected):
    assert compute_fans(shape, layout=layout, groups=groups) == expected


def test_explicit_axes_jax_style():
    shape = (2, 3, 4, 5)
    assert compute_fans(shape, in_axis=1, out_axis=3) == (3 * 8, 5 * 8)
    assert compute_fans(shape, in_axis=(0, 1), out_axis=(2, 3)) == (6, 20)
    assert compute_fans(shape, in_axis=-2, out_axis=-1, batch_axis=0) == (12, 15)
    assert compute_fans(shape, in_axis=-3, out_axis=-1, batch_axis=(0,)) == (12, 20)
    # one explicit axis overrides the layout's, the other is the layout's
    assert compute_fans((4, 5), in_axis=-1, out_axis=-2) == (5, 4)
    assert compute_fans((4, 5, 6), layout="torch", in_axis=2) == (30, 20)
    # Keras's input_axes/output_axes: everything else is a batch axis
    assert compute_fans((2, 3, 4, 5), in_axis=(0,), out_axis=(3,), batch_axis=(1, 2)) == (2, 5)


def test_batch_axis_on_rank_1_needs_axes():
    with pytest.raises(ValueError, match="pass in_axis and out_axis"):
        compute_fans((5,), batch_axis=0)
    assert compute_fans((5,), in_axis=0, out_axis=()) == (5, 1)


@pytest.mark.parametrize("kwargs,exc,match", [
    (dict(shape=(3, 4), layout="trch"), ValueError, "Did you mean 'torch'"),
    (dict(shape=(3, 4), layout=3), TypeError, "layout must be a str"),
    (dict(shape=(3, 4), in_axis=2), ValueError, "in_axis=2 is out of range"),
    (dict(shape=(3, 4), out_axis=(0, 0)), ValueError, "twice"),
    (dict(shape=(3, 4), in_axis=0, out_axis=0), ValueError, "distinct"),
    (dict(shape=(3, 4, 5), batch_axis=-1), ValueError, "distinct"),
    (dict(shape=(3, 4), in_axis=0.0), TypeError, "in_axis must be an int"),
    (dict(shape=(3, 4), in_axis=[0.0]), TypeError, "in_axis must contain ints"),
    (dict(shape=(3, 4), in_axis="0"), TypeError, "in_axis"),
    (dict(shape=(3, 4), groups=0), ValueError, "groups must be >= 1"),
    (dict(shape=(3, 4), groups=2.0), TypeError, "groups must be an int"),
    (dict(shape=(3, 4), groups=3), ValueError, "does not divide"),
    (dict(shape=(6,), groups=2), ValueError, "groups=2 needs a convolution kernel"),
    (dict(shape=(3, 3, 8, 2), layout="depthwise", groups=2), ValueError, "contradicts"),
    (dict(shape=(3, 3, 8, 2), layout="depthwise", in_axis=0), ValueError, "fixes the axes"),
    (dict(shape=(8,), layout="depthwise"), ValueError, "rank >= 2"),
    (dict(shape=(-1, 3)), ValueError, "negative"),
    (dict(shape=(2.0, 3)), TypeError, "shape must contain ints"),
    (dict(shape=np.zeros((2, 3))), TypeError, "array.shape"),
])
def test_bad_input(kwargs, exc, match):
    shape = kwargs.pop("shape")
    with pytest.raises(exc, match=match):
        compute_fans(shape, **kwargs)


def test_gain_table():
    for name in ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
                 "conv_transpose3d", "sigmoid"):
        assert calculate_gain(name) == 1.0
    assert calculate_gain("tanh") == 5.0 / 3
    assert calculate_gain("relu") == math.sqrt(2.0)
    assert calculate_gain("selu") == 0.75
    assert calculate_gain("leaky_relu") == math.sqrt(2.0 / (1 + 0.01**2))
    assert calculate_gain("leaky_relu", 0) == math.sqrt(2.0)
    assert calculate_gain("leaky_relu", 0.2) == math.sqrt(2.0 / 1.04)
    assert calculate_gain("relu", 0.2) == math.sqrt(2.0)  # param ignored, as in PyTorch


@pytest.mark.parametrize("args,exc,match", [
    (("Relu",), ValueError, "Did you mean 'relu'"),
    (("leaky",), ValueError, "leaky_relu"),
    (("softmax",), ValueError, "Valid values"),
    ((None,), TypeError, "nonlinearity must be a str"),
    (("leaky_relu", "0.1"), TypeError, "param"),
    (("leaky_relu", True), TypeError, "param"),
    (("leaky_relu", float("nan")), ValueError, "finite"),
])
def test_gain_bad_input(args, exc, match):
    with pytest.raises(exc, match=match):
        calculate_gain(*args)


def test_exported():
    assert fastinit.compute_fans is compute_fans and "compute_fans" in fastinit.__all__
    assert "calculate_gain" in fastinit.__all__
