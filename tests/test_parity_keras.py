"""Parity with the real Keras 3 (torch backend): keras.initializers and Keras's compute_fans.

- fans: compute_fans (default layout) equals keras.src.initializers.random_initializers.
  compute_fans for a table of shapes (Dense, Conv1-3D, grouped, depthwise, rank 0/1), with the
  shapes of real Keras layers' kernels; Keras's input_axes/output_axes equal in_axis/out_axis with
  every other axis a batch axis; layout="depthwise" and groups give the fans a real
  DepthwiseConv2D / grouped Conv2D has (counted by running the layer), which Keras's own
  compute_fans does not;
- every Keras initializer (VarianceScaling in every mode and distribution, Glorot/He/Lecun,
  RandomUniform/RandomNormal/TruncatedNormal with defaults and with parameters, Orthogonal):
  parameters equal exactly, samples match Keras's own samples statistically (parity_stats.py);
  Identity/Zeros/Ones/Constant equal bit for bit;
- fastinit.get accepts every Keras initializer name and every Keras config (keras.initializers.
  serialize output) and gives Keras's parameters.
"""

import os

os.environ["KERAS_BACKEND"] = "torch"  # before the first keras import of the process

import math  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import initializers as K  # noqa: E402
from keras.src.initializers import ALL_OBJECTS_DICT  # noqa: E402
from keras.src.initializers.random_initializers import compute_fans as keras_compute_fans  # noqa: E402

import fastinit  # noqa: E402

from parity_stats import TRUNC_STD, affine_fit, as_f64, assert_params, assert_same_distribution  # noqa: E402

SEED = 2718


def test_backend_is_torch():
    assert keras.backend.backend() == "torch"


# ---------------------------------------------------------------- fans


def kernel_shape(layer, input_shape):
    layer.build(input_shape)
    return tuple(layer.kernel.shape)  # DepthwiseConv2D's kernel too


KERAS_LAYERS = [
    (lambda: keras.layers.Dense(30), (None, 20), (20, 30)),
    (lambda: keras.layers.Conv1D(6, 5), (None, 10, 4), (5, 4, 6)),
    (lambda: keras.layers.Conv2D(32, 3), (None, 8, 8, 16), (3, 3, 16, 32)),
    (lambda: keras.layers.Conv3D(8, (2, 3, 4)), (None, 6, 6, 6, 3), (2, 3, 4, 3, 8)),
    (lambda: keras.layers.Conv2D(6, 3, groups=3), (None, 8, 8, 9), (3, 3, 3, 6)),
    (lambda: keras.layers.DepthwiseConv2D(3, depth_multiplier=2), (None, 8, 8, 5), (3, 3, 5, 2)),
]
FAN_SHAPES = [s for _, _, s in KERAS_LAYERS] + [(), (7,), (0,), (1, 1), (0, 5), (3, 4, 0), (2, 3, 1, 1, 2)]


@pytest.mark.parametrize("make,input_shape,shape", KERAS_LAYERS)
def test_layer_kernel_shapes(make, input_shape, shape):
    assert kernel_shape(make(), input_shape) == shape


@pytest.mark.parametrize("shape", FAN_SHAPES)
def test_fans_equal_keras(shape):
    assert fastinit.compute_fans(shape) == keras_compute_fans(shape)
    assert fastinit.compute_fans(shape, layout="jax") == keras_compute_fans(shape)


@pytest.mark.parametrize("shape,input_axes,output_axes", [
    ((8, 3, 5, 6), [0], [3]), ((8, 3, 5, 6), [0, 1], [2, 3]), ((4, 5, 6), [-3], [-1]), ((4, 5, 6), [1], [0, 2]),
])
def test_keras_input_output_axes(shape, input_axes, output_axes):
    named = {a % len(shape) for a in input_axes + output_axes}
    rest = tuple(a for a in range(len(shape)) if a not in named)
    expected = keras_compute_fans(shape, input_axes=input_axes, output_axes=output_axes)
    assert fastinit.compute_fans(shape, in_axis=input_axes, out_axis=output_axes, batch_axis=rest) == expected


def measured_fans(layer, channels, spatial=9):
    """(fan_in, fan_out) of a 2-d conv layer (all weights 1, no bias, 'same' padding) measured by
    running it: an interior output over an all-ones input sums fan_in inputs; an interior one-hot
    input reaches fan_out outputs."""
    ones = np.ones((1, spatial, spatial, channels), np.float32)
    y = as_f64(layer(ones)).reshape(spatial, spatial, -1)
    fan_in = y[spatial // 2, spatial // 2, 0]
    x = np.zeros_like(ones)
    x[0, spatial // 2, spatial // 2, 0] = 1.0
    fan_out = as_f64(layer(x)).sum()
    return int(round(fan_in)), int(round(fan_out))


@pytest.mark.parametrize("channels,mult,k", [(5, 2, 3), (8, 1, 5), (3, 4, 3)])
def test_depthwise_layout_gives_the_real_depthwise_fans(channels, mult, k):
    layer = keras.layers.DepthwiseConv2D(k, depth_multiplier=mult, padding="same", use_bias=False,
                                         depthwise_initializer="ones")
    shape = kernel_shape(layer, (None, 9, 9, channels))
    real = measured_fans(layer, channels)
    assert fastinit.compute_fans(shape, layout="depthwise") == real == (k * k, mult * k * k)
    assert keras_compute_fans(shape) != real  # Keras counts every channel as an input


@pytest.mark.parametrize("c_in,c_out,groups", [(9, 6, 3), (8, 16, 4), (6, 6, 1)])
def test_groups_give_the_real_grouped_conv_fans(c_in, c_out, groups):
    layer = keras.layers.Conv2D(c_out, 3, groups=groups, padding="same", use_bias=False, kernel_initializer="ones")
    shape = kernel_shape(layer, (None, 9, 9, c_in))
    assert fastinit.compute_fans(shape, groups=groups) == measured_fans(layer, c_in)


# ---------------------------------------------------------------- random initializers


def keras_unit(shape, kind, seed=SEED):
    if kind == "uniform":
        return keras.random.uniform(shape, 0.0, 1.0, seed=seed)
    if kind == "normal":
        return keras.random.normal(shape, 0.0, 1.0, seed=seed)
    return keras.random.truncated_normal(shape, 0.0, 1.0, seed=seed)


def fastinit_unit(shape, kind, stream):
    if kind == "uniform":
        return fastinit.uniform(shape, 0.0, 1.0, seed=SEED, stream=stream)
    if kind == "normal":
        return fastinit.normal(shape, 0.0, 1.0, seed=SEED, stream=stream)
    return fastinit.truncated_normal(shape, 0.0, 1.0, -2.0, 2.0, seed=SEED, stream=stream)


def compare(ours, theirs, kind, stream, what, mean=0.0):
    """Exact parameters and statistical agreement of a fastinit sample and a Keras sample."""
    shape = ours.shape
    op = affine_fit(ours, fastinit_unit(shape, kind, stream))
    assert_params(op, affine_fit(theirs, keras_unit(shape, kind)), what)
    if kind == "uniform":  # (low, high - low)
        sigma, bound = op[1] / math.sqrt(12), op[1] / 2
        assert_same_distribution(ours, theirs, sigma, "uniform", what, mean=op[0] + op[1] / 2, bound=bound)
    elif kind == "normal":
        assert_same_distribution(ours, theirs, op[1], "normal", what, mean=mean)
    else:  # Keras's stddev is the pre-truncation std
        assert_same_distribution(ours, theirs, op[1] * TRUNC_STD, "truncated_normal", what, mean=mean,
                                 bound=2 * op[1])


SHAPES = [(256, 512), (5, 5, 32, 64), (60000,)]
KIND = {"truncated_normal": "truncated", "normal": "truncated", "untruncated_normal": "normal", "uniform": "uniform"}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform", "normal"])
def test_variance_scaling_matches_keras(shape, mode, distribution):
    theirs = K.VarianceScaling(0.7, mode, distribution, seed=SEED)(shape)
    stream = f"vs/{shape}/{mode}/{distribution}"
    ours = fastinit.variance_scaling(shape, 0.7, mode, distribution, seed=SEED, stream=stream)
    compare(ours, theirs, KIND[distribution], stream, f"VarianceScaling({mode}, {distribution}) {shape}")


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cls,name,kind", [
    (K.GlorotUniform, "glorot_uniform", "uniform"), (K.GlorotNormal, "glorot_normal", "truncated"),
    (K.HeUniform, "he_uniform", "uniform"), (K.HeNormal, "he_normal", "truncated"),
    (K.LecunUniform, "lecun_uniform", "uniform"), (K.LecunNormal, "lecun_normal", "truncated"),
])
def test_presets_match_keras(cls, name, kind, shape):
    theirs = cls(seed=SEED)(shape)
    stream = f"{name}/{shape}"
    compare(getattr(fastinit, name)(shape, seed=SEED, stream=stream), theirs, kind, stream, f"{name} {shape}")
    via_get = fastinit.get(cls.__name__)(shape, seed=SEED, stream=stream)
    np.testing.assert_array_equal(via_get, getattr(fastinit, name)(shape, seed=SEED, stream=stream))


def test_variance_scaling_with_input_output_axes_matches_keras():
    shape = (64, 8, 16, 48)
    keras_init = K.VarianceScaling(2.0, "fan_avg", "uniform", seed=SEED, input_axes=[0], output_axes=[2, 3])
    ours = fastinit.get(K.serialize(keras_init))(shape, stream="axes")
    compare(ours, keras_init(shape), "uniform", "axes", "VarianceScaling(input_axes, output_axes)")


@pytest.mark.parametrize("cls,name,kind,kwargs", [
    (K.RandomUniform, "random_uniform", "uniform", {}),
    (K.RandomUniform, "random_uniform", "uniform", {"minval": -0.3, "maxval": 0.7}),
    (K.RandomNormal, "random_normal", "normal", {}),
    (K.RandomNormal, "random_normal", "normal", {"mean": 0.5, "stddev": 2.0}),
    (K.TruncatedNormal, "random_truncated_normal", "truncated", {}),
    (K.TruncatedNormal, "random_truncated_normal", "truncated", {"mean": -1.0, "stddev": 0.3}),
])
def test_random_initializers_match_keras(cls, name, kind, kwargs):
    shape = (300, 400)
    theirs = cls(seed=SEED, **kwargs)(shape)
    ours = getattr(fastinit, name)(shape, seed=SEED, stream=name, **kwargs)
    compare(ours, theirs, kind, name, f"{cls.__name__}({kwargs})", mean=kwargs.get("mean", 0.0))


# ---------------------------------------------------------------- orthogonal and deterministic


def orthonormal_error(m):
    g = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    return np.abs(g - np.eye(g.shape[0])).max()


@pytest.mark.parametrize("shape", [(256, 256), (400, 100), (100, 400), (3, 3, 16, 32), (3, 3, 64, 8)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_matches_keras(shape, gain):
    theirs = as_f64(K.Orthogonal(gain=gain, seed=SEED)(shape)).reshape(-1, shape[-1])
    ours = fastinit.orthogonal(shape, gain, seed=SEED, stream="q")
    assert ours.dtype == np.float32
    flat = ours.reshape(-1, shape[-1]).astype(np.float64)
    assert orthonormal_error(flat / gain) < 1e-5
    assert orthonormal_error(theirs / gain) < 1e-5
    sigma = gain / math.sqrt(max(flat.shape))
    assert_same_distribution(flat, theirs, sigma, "normal", f"Orthogonal {shape}")


@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.5])
def test_identity_equals_keras(shape, gain):
    theirs = as_f64(K.Identity(gain=gain)(shape)).reshape(shape)
    np.testing.assert_array_equal(fastinit.identity(shape, gain), theirs)


def test_identity_rank_refused_like_keras():
    with pytest.raises(ValueError):
        K.Identity()((2, 3, 4))
    with pytest.raises(ValueError, match="2-d"):
        fastinit.identity((2, 3, 4))


def test_constants_equal_keras():
    shape = (3, 5)
    for name, theirs in [("Zeros", K.Zeros()(shape)), ("Ones", K.Ones()(shape)), ("Constant", K.Constant()(shape))]:
        np.testing.assert_array_equal(fastinit.get(name)(shape), as_f64(theirs).reshape(shape))
    np.testing.assert_array_equal(fastinit.constant(shape, 0.3), as_f64(K.Constant(0.3)(shape)).reshape(shape))


# ---------------------------------------------------------------- get: every Keras name and config

KERAS_NAMES = sorted(n for n in ALL_OBJECTS_DICT if n.lower().replace("_", "") not in ("stft", "stftinitializer",
                                                                                        "initializer"))


@pytest.mark.parametrize("name", KERAS_NAMES)
def test_get_resolves_every_keras_name(name):
    ours = fastinit.get(name)
    if name in ("Constant", "constant"):
        # Keras 3.15 cannot resolve its own name (Constant.from_config needs "value": KeyError);
        # fastinit.get gives the class default, Constant(value=0.0)
        with pytest.raises(KeyError):
            K.get(name)
        keras_init = K.Constant()
    else:
        keras_init = K.get(name)
    cls = type(keras_init).__name__
    shape = (200, 300)
    if cls in ("Zeros", "Ones", "Constant", "Identity"):
        np.testing.assert_array_equal(ours(shape), as_f64(keras_init(shape)).reshape(shape))
        return
    if cls == "Orthogonal":
        assert orthonormal_error(ours(shape, seed=SEED).astype(np.float64)) < 1e-5
        return
    kind = {"RandomUniform": "uniform", "RandomNormal": "normal", "TruncatedNormal": "truncated",
            "VarianceScaling": "truncated"}.get(cls) or ("uniform" if "Uniform" in cls else "truncated")
    # rebuild Keras's initializer with a seed (K.get gives an unseeded one)
    seeded = type(keras_init).from_config({**keras_init.get_config(), "seed": SEED})
    compare(ours(shape, seed=SEED, stream=name), seeded(shape), kind, name, f"get({name!r})")


@pytest.mark.parametrize("keras_init,kind", [
    (K.VarianceScaling(0.5, "fan_out", "uniform", seed=SEED), "uniform"),
    (K.VarianceScaling(3.0, "fan_avg", "untruncated_normal", seed=SEED), "normal"),
    (K.VarianceScaling(2.0, "fan_in", "normal", seed=SEED), "truncated"),
    (K.HeNormal(seed=SEED), "truncated"),
    (K.GlorotUniform(seed=SEED), "uniform"),
    (K.RandomNormal(0.25, 0.1, seed=SEED), "normal"),
    (K.RandomUniform(-1.0, 3.0, seed=SEED), "uniform"),
    (K.TruncatedNormal(0.0, 0.2, seed=SEED), "truncated"),
])
def test_get_keras_configs(keras_init, kind):
    config = K.serialize(keras_init)
    shape = (5, 5, 32, 64)
    ours = fastinit.get(config)(shape, stream="cfg")  # the config's seed is the default seed
    mean = config["config"].get("mean", 0.0)
    compare(ours, keras_init(shape), kind, "cfg", f"get({config['class_name']})", mean=mean)


def test_get_keras_deterministic_configs():
    """fastinit.get(config) builds what keras.initializers.get(config) builds (note: Keras's
    Identity.get_config drops gain, so a serialized Identity(gain=2) is Identity(gain=1) in both)."""
    shape = (4, 6)
    for keras_init in (K.Constant(0.7), K.Identity(gain=2.0), K.Zeros(), K.Ones()):
        config = K.serialize(keras_init)
        np.testing.assert_array_equal(fastinit.get(config)(shape), as_f64(K.get(config)(shape)).reshape(shape))
    np.testing.assert_array_equal(fastinit.get({"class_name": "Identity", "config": {"gain": 2.0}})(shape),
                                  as_f64(K.Identity(gain=2.0)(shape)).reshape(shape))
    orth = fastinit.get(K.serialize(K.Orthogonal(gain=1.5, seed=3)))((8, 8))
    np.testing.assert_allclose(orth @ orth.T, 2.25 * np.eye(8), atol=1e-5)
