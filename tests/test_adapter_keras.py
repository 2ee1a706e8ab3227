"""fastinit.keras with the real Keras 3, torch backend.

- the 15 classes subclass keras.initializers.Initializer, carry Keras's names, are registered as
  "fastinit>Name", and take Keras's parameters and defaults;
- the first call of an instance equals the fastinit NumPy preset with (seed, stream) bit for bit,
  and its samples match Keras's own initializer of the same name statistically (parity_stats:
  KS p > 1e-4, std within 5 standard errors of the formula's, bounds);
- in Dense/Conv2D/Embedding layers the weights are those values;
- seeds: an instance reused across layers gives each layer different values, reproducibly (Keras's
  own seeded instance repeats them); seed=None follows keras.utils.set_random_seed;
- get_config/from_config/serialize/deserialize round trips, model.save + load_model;
- dtypes (bfloat16 = the float32 values rounded, float16, float64; ints for the constants) and
  bad input.
- what Keras accepts and Keras's special cases of its own classes: tests/test_adapter_keras_dropin.py.
"""

import os

os.environ["KERAS_BACKEND"] = "torch"  # before the first keras import of the process

import math  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from keras import initializers as K  # noqa: E402

import fastinit  # noqa: E402
import fastinit.keras as fk  # noqa: E402
from fastinit.core.dtypes import bfloat16 as np_bfloat16  # noqa: E402

from parity_stats import TRUNC_STD, as_f64, assert_same_distribution  # noqa: E402

SEED = 31
NAMES = ["VarianceScaling", "GlorotUniform", "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal",
         "RandomUniform", "RandomNormal", "TruncatedNormal", "Orthogonal", "Identity", "Zeros", "Ones", "Constant",
         "STFT"]


def values(x):
    """A Keras variable or a (torch backend) tensor as NumPy; bfloat16 as float32 (exact)."""
    if isinstance(x, keras.Variable):
        x = x.value
    t = x.detach().cpu()
    return (t.float() if t.dtype == torch.bfloat16 else t).numpy()


def test_backend_is_torch():
    assert keras.backend.backend() == "torch"


@pytest.mark.parametrize("name", NAMES)
def test_classes_are_keras_initializers(name):
    cls = getattr(fk, name)
    assert issubclass(cls, keras.initializers.Initializer) and cls.__doc__
    assert issubclass(cls, getattr(K, name))  # Keras's isinstance checks see Keras's class
    assert cls.__module__ == "fastinit.keras"
    assert keras.saving.get_registered_name(cls) == f"fastinit>{name}"
    assert keras.saving.get_registered_object(f"fastinit>{name}") is cls
    assert hasattr(K, name)  # Keras has a class of that name
    assert set(fk.__all__) == set(NAMES)


def test_defaults_are_keras():
    for name in ("VarianceScaling", "RandomUniform", "RandomNormal", "TruncatedNormal", "Orthogonal", "Constant",
                 "Identity", "GlorotUniform"):
        theirs = getattr(K, name)().get_config()
        ours = getattr(fk, name)().get_config()
        for key, value in theirs.items():
            assert ours[key] == value, (name, key)


# ---------------------------------------------------------------- values and statistics


def vs_sigma(shape, scale, mode):
    fan_in, fan_out = fastinit.compute_fans(shape)
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    return math.sqrt(scale / max(1.0, n))


# (ours, Keras's, the NumPy preset, kind, sigma(shape) of the values, mean)
CASES = [
    (fk.GlorotUniform(seed=SEED), K.GlorotUniform(seed=SEED), lambda s: fastinit.glorot_uniform(s, seed=SEED),
     "uniform", lambda s: vs_sigma(s, 1.0, "fan_avg"), 0.0),
    (fk.GlorotNormal(seed=SEED), K.GlorotNormal(seed=SEED), lambda s: fastinit.glorot_normal(s, seed=SEED),
     "truncated_normal", lambda s: vs_sigma(s, 1.0, "fan_avg"), 0.0),
    (fk.HeUniform(seed=SEED), K.HeUniform(seed=SEED), lambda s: fastinit.he_uniform(s, seed=SEED),
     "uniform", lambda s: vs_sigma(s, 2.0, "fan_in"), 0.0),
    (fk.HeNormal(seed=SEED), K.HeNormal(seed=SEED), lambda s: fastinit.he_normal(s, seed=SEED),
     "truncated_normal", lambda s: vs_sigma(s, 2.0, "fan_in"), 0.0),
    (fk.LecunUniform(seed=SEED), K.LecunUniform(seed=SEED), lambda s: fastinit.lecun_uniform(s, seed=SEED),
     "uniform", lambda s: vs_sigma(s, 1.0, "fan_in"), 0.0),
    (fk.LecunNormal(seed=SEED), K.LecunNormal(seed=SEED), lambda s: fastinit.lecun_normal(s, seed=SEED),
     "truncated_normal", lambda s: vs_sigma(s, 1.0, "fan_in"), 0.0),
    (fk.VarianceScaling(0.7, "fan_out", "untruncated_normal", seed=SEED),
     K.VarianceScaling(0.7, "fan_out", "untruncated_normal", seed=SEED),
     lambda s: fastinit.variance_scaling(s, 0.7, "fan_out", "untruncated_normal", seed=SEED),
     "normal", lambda s: vs_sigma(s, 0.7, "fan_out"), 0.0),
    (fk.VarianceScaling(2.0, "fan_avg", "normal", seed=SEED, stream="x"),
     K.VarianceScaling(2.0, "fan_avg", "normal", seed=SEED),
     lambda s: fastinit.variance_scaling(s, 2.0, "fan_avg", "truncated_normal", seed=SEED, stream="x"),
     "truncated_normal", lambda s: vs_sigma(s, 2.0, "fan_avg"), 0.0),
    (fk.RandomUniform(-0.3, 0.7, seed=SEED), K.RandomUniform(-0.3, 0.7, seed=SEED),
     lambda s: fastinit.random_uniform(s, -0.3, 0.7, seed=SEED), "uniform", lambda s: 1 / math.sqrt(12), 0.2),
    (fk.RandomNormal(0.5, 2.0, seed=SEED), K.RandomNormal(0.5, 2.0, seed=SEED),
     lambda s: fastinit.random_normal(s, 0.5, 2.0, seed=SEED), "normal", lambda s: 2.0, 0.5),
    (fk.TruncatedNormal(0.0, 0.2, seed=SEED), K.TruncatedNormal(0.0, 0.2, seed=SEED),
     lambda s: fastinit.random_truncated_normal(s, 0.0, 0.2, seed=SEED), "truncated_normal",
     lambda s: 0.2 * TRUNC_STD, 0.0),
]
IDS = [f"{type(c[0]).__name__}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("shape", [(256, 512), (3, 3, 32, 64)])
@pytest.mark.parametrize("ours,theirs,preset,kind,sigma,mean", CASES, ids=IDS)
def test_values_are_the_preset_and_match_keras(ours, theirs, preset, kind, sigma, mean, shape):
    ours = ours.clone()  # a fresh instance: its first call
    x = values(ours(shape))
    assert x.dtype == np.float32 and x.shape == shape
    np.testing.assert_array_equal(x, preset(shape))
    s = sigma(shape)
    bound = {"uniform": s * math.sqrt(3), "truncated_normal": 2 * s / TRUNC_STD, "normal": None}[kind]
    assert_same_distribution(x, values(theirs(shape)), s, kind, f"{type(ours).__name__} {shape}", mean=mean,
                             bound=bound)


@pytest.mark.parametrize("shape", [(200, 100), (3, 3, 16, 32)])
def test_orthogonal_matches_keras(shape):
    x = values(fk.Orthogonal(1.5, seed=SEED)(shape))
    np.testing.assert_array_equal(x, fastinit.orthogonal(shape, 1.5, seed=SEED))
    flat = x.reshape(-1, shape[-1]).astype(np.float64)
    g = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(g, 2.25 * np.eye(g.shape[0]), atol=1e-5)
    theirs = values(K.Orthogonal(1.5, seed=SEED)(shape)).reshape(flat.shape)
    assert_same_distribution(flat, theirs, 1.5 / math.sqrt(max(flat.shape)), "normal", f"Orthogonal {shape}")


def test_deterministic_equal_keras():
    shape = (4, 6)
    for ours, theirs in [(fk.Zeros(), K.Zeros()), (fk.Ones(), K.Ones()), (fk.Constant(0.3), K.Constant(0.3)),
                         (fk.Identity(2.0), K.Identity(2.0))]:
        np.testing.assert_array_equal(values(ours(shape)), values(theirs(shape)))
        np.testing.assert_array_equal(values(ours(shape, dtype="int32")), values(theirs(shape, dtype="int32")))
    assert fk.Identity(2.0).get_config() == {"gain": 2.0}  # Keras's Identity drops gain


# ---------------------------------------------------------------- in layers


def build_model():
    inputs = keras.Input((512,))
    x = keras.layers.Dense(256, kernel_initializer=fk.GlorotUniform(seed=1), bias_initializer=fk.Zeros(),
                           name="dense")(inputs)
    x = keras.layers.Reshape((16, 16, 1))(x)
    x = keras.layers.Conv2D(32, 3, kernel_initializer=fk.HeNormal(seed=2), bias_initializer=fk.Constant(0.1),
                            name="conv")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    tokens = keras.Input((4,), dtype="int32")
    e = keras.layers.Embedding(1000, 64, embeddings_initializer=fk.RandomNormal(stddev=0.1, seed=3),
                               name="emb")(tokens)
    e = keras.layers.GlobalAveragePooling1D()(e)
    out = keras.layers.Concatenate()([x, e])
    return keras.Model([inputs, tokens], out)


@pytest.fixture(scope="module")
def model():
    return build_model()


def test_layer_weights(model):
    dense, conv, emb = model.get_layer("dense"), model.get_layer("conv"), model.get_layer("emb")
    np.testing.assert_array_equal(values(dense.kernel), fastinit.glorot_uniform((512, 256), seed=1))
    assert (values(dense.bias) == 0).all() and np.allclose(values(conv.bias), 0.1)
    np.testing.assert_array_equal(values(conv.kernel), fastinit.he_normal((3, 3, 1, 32), seed=2))
    np.testing.assert_array_equal(values(emb.embeddings), fastinit.random_normal((1000, 64), stddev=0.1, seed=3))
    limit = math.sqrt(6 / (512 + 256))
    assert_same_distribution(values(dense.kernel), values(K.GlorotUniform(seed=1)((512, 256))), limit / math.sqrt(3),
                             "uniform", "Dense kernel", bound=limit)
    assert_same_distribution(values(emb.embeddings), values(K.RandomNormal(stddev=0.1, seed=3)((1000, 64))), 0.1,
                             "normal", "Embedding")
    assert_same_distribution(values(conv.kernel), values(K.HeNormal(seed=2)((3, 3, 1, 32))), math.sqrt(2 / 9),
                             "truncated_normal", "Conv2D kernel", bound=2 * math.sqrt(2 / 9) / TRUNC_STD)
    y = model([np.ones((2, 512), np.float32), np.zeros((2, 4), np.int32)])
    assert tuple(y.shape) == (2, 96) and np.isfinite(values(y)).all()


# Keras's torch backend saves variables with np.array(tensor), which NumPy 2 flags (Keras's code, not ours)
@pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")
def test_save_and_load(model, tmp_path):
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(values(a), values(b))
    layer = loaded.get_layer("dense")
    assert type(layer.kernel_initializer) is fk.GlorotUniform
    assert layer.kernel_initializer.get_config() == model.get_layer("dense").kernel_initializer.get_config()
    assert type(loaded.get_layer("emb").embeddings_initializer) is fk.RandomNormal
    assert loaded.get_layer("conv").bias_initializer.get_config() == {"value": 0.1}


INSTANCES = [fk.VarianceScaling(0.5, "fan_geo_avg", "uniform", seed=3, input_axes=[0], output_axes=[1], stream="v"),
             fk.GlorotNormal(seed=4, stream=9), fk.HeUniform(), fk.RandomUniform(-1.0, 2.0, seed=5),
             fk.RandomNormal(0.5, 0.1), fk.TruncatedNormal(stddev=0.3, seed=6), fk.Orthogonal(2.0, seed=7),
             fk.Identity(3.0), fk.Zeros(), fk.Ones(), fk.Constant(-2.5), fk.LecunNormal(seed=8)]


@pytest.mark.parametrize("init", INSTANCES, ids=lambda i: type(i).__name__)
def test_config_round_trips(init):
    config = init.get_config()
    clone = type(init).from_config(config)
    assert type(clone) is type(init) and clone.get_config() == config
    serialized = K.serialize(init)
    assert serialized["registered_name"] == f"fastinit>{type(init).__name__}"
    back = K.deserialize(serialized)
    assert type(back) is type(init) and back.get_config() == config
    if config.get("seed") is not None or "seed" not in config:
        shape = (6, 8)
        np.testing.assert_array_equal(values(init.clone()(shape)), values(back(shape)))


# ---------------------------------------------------------------- seeds


def dense_pair(init):
    inputs = keras.Input((64,))
    a, b = keras.layers.Dense(64, kernel_initializer=init), keras.layers.Dense(64, kernel_initializer=init)
    b(a(inputs))
    return values(a.kernel), values(b.kernel)


def test_reused_seeded_instance_gives_each_layer_its_own_values():
    a, b = dense_pair(fk.GlorotUniform(seed=5))
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(a, fastinit.glorot_uniform((64, 64), seed=5))
    second = fastinit.stream_from_name("fastinit.keras.call:0:1")
    np.testing.assert_array_equal(b, fastinit.glorot_uniform((64, 64), seed=5, stream=second))
    a2, b2 = dense_pair(fk.GlorotUniform(seed=5))  # reproducible
    np.testing.assert_array_equal(a, a2)
    np.testing.assert_array_equal(b, b2)
    ka, kb = dense_pair(K.GlorotUniform(seed=5))  # what Keras's own seeded initializer does
    np.testing.assert_array_equal(ka, kb)


def test_unseeded_instance_follows_keras_global_seed():
    a, b = dense_pair(fk.RandomNormal())
    assert not np.array_equal(a, b)
    keras.utils.set_random_seed(123)
    first = dense_pair(fk.HeNormal())
    keras.utils.set_random_seed(123)
    again = dense_pair(fk.HeNormal())
    np.testing.assert_array_equal(first[0], again[0])
    assert fk.HeNormal().get_config()["seed"] is None


def test_stream_keyword():
    a = values(fk.GlorotUniform(seed=5, stream="dense_1/kernel")((30, 20)))
    np.testing.assert_array_equal(a, fastinit.glorot_uniform((30, 20), seed=5, stream="dense_1/kernel"))
    assert not np.array_equal(a, values(fk.GlorotUniform(seed=5, stream="dense_2/kernel")((30, 20))))


# ---------------------------------------------------------------- dtypes and bad input


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64"])
def test_dtypes(dtype):
    x = fk.TruncatedNormal(stddev=0.5, seed=2)((40, 30), dtype=dtype)
    assert keras.backend.standardize_dtype(x.dtype) == dtype
    want = fastinit.random_truncated_normal((40, 30), stddev=0.5, seed=2,
                                            dtype=np_bfloat16 if dtype == "bfloat16" else dtype)
    np.testing.assert_array_equal(values(keras.ops.cast(x, "float64")), want.astype(np.float64))
    f32 = fastinit.random_truncated_normal((40, 30), stddev=0.5, seed=2)
    if dtype != "float64":  # the fastinit contract: half formats are the float32 values rounded
        np.testing.assert_array_equal(want, f32.astype(want.dtype))
    layer = keras.layers.Dense(8, kernel_initializer=fk.HeUniform(seed=1), dtype=dtype)
    layer.build((None, 16))
    assert keras.backend.standardize_dtype(layer.kernel.dtype) == dtype


def test_bad_input():
    with pytest.raises(TypeError, match="SeedGenerator"):
        fk.GlorotUniform(seed=1.5)
    with pytest.raises(ValueError, match="SeedGenerator"):  # Keras's exception type too
        fk.GlorotUniform(seed="1")
    with pytest.raises(ValueError, match="seed"):
        fk.HeNormal(seed=-1)
    with pytest.raises(ValueError, match="scale"):
        fk.VarianceScaling(0.0)
    with pytest.raises(ValueError, match="mode.*fan_in"):
        fk.VarianceScaling(1.0, "fan_inn")
    with pytest.raises(ValueError, match="distribution"):
        fk.VarianceScaling(1.0, "fan_in", "gamma")
    with pytest.raises(ValueError, match="minval"):
        fk.RandomUniform(1.0, 0.0)
    with pytest.raises(ValueError, match="stddev"):
        fk.RandomNormal(stddev=-1.0)
    with pytest.raises(TypeError, match="stream"):
        fk.Orthogonal(stream=1.5)
    with pytest.raises(TypeError, match="int32"):
        fk.GlorotUniform(seed=1)((3, 4), dtype="int32")
    with pytest.raises(ValueError, match="at least two-dimensional"):
        fk.Orthogonal(seed=1)((5,))
    with pytest.raises(ValueError, match="2D matrices"):
        fk.Identity()((2, 3, 4))
    with pytest.raises(TypeError, match="input_axes"):
        fk.GlorotUniform(input_axes="a", output_axes=[1])
    assert as_f64(fk.Zeros()((2, 2))).sum() == 0
