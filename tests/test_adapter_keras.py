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
"""

import os

os.environ["KERAS_BACKEND"] = "torch"  # before the first keras import of the process

import math  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from keras import initializers as K  # noqa: E402
from scipy import signal as scipy_signal  # noqa: E402

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


# ---------------------------------------------------------------- what Keras accepts


def test_seed_generator_gives_each_call_the_generators_next_state():
    gen = keras.random.SeedGenerator(1337)
    init = fk.RandomNormal(stddev=1.0, seed=gen)
    a, b = values(init((25, 20))), values(init((25, 20)))
    assert not np.array_equal(a, b)  # as Keras: a generator gives fresh values per call
    np.testing.assert_array_equal(a, fastinit.random_normal((25, 20), stddev=1.0, seed=1337 * 2**32))
    np.testing.assert_array_equal(b, fastinit.random_normal((25, 20), stddev=1.0, seed=1337 * 2**32 + 1))
    assert fk.seed_from_state([3, -1]) == 3 * 2**32 + 2**32 - 1
    assert init.seed is gen and isinstance(init, K.RandomNormal)


@pytest.mark.parametrize("cls", [fk.Orthogonal, fk.VarianceScaling, fk.RandomUniform, fk.RandomNormal,
                                 fk.GlorotNormal, fk.TruncatedNormal])
def test_seed_generator_serializes_as_keras(cls):
    ours = cls(seed=keras.random.SeedGenerator(7, name="gen"))
    theirs = getattr(K, cls.__name__)(seed=keras.random.SeedGenerator(7, name="gen"))
    assert ours.get_config()["seed"] == theirs.get_config()["seed"]
    back = K.deserialize(K.serialize(ours))
    assert type(back) is cls and isinstance(back.seed, keras.random.SeedGenerator)
    assert back.get_config() == ours.get_config()
    np.testing.assert_array_equal(values(back((8, 8))), values(cls(seed=keras.random.SeedGenerator(7))((8, 8))))


def test_seed_attribute_is_concrete_as_in_keras():
    init = fk.HeNormal()
    assert isinstance(init.seed, int) and init.get_config()["seed"] is None
    again = fk.HeNormal(seed=init.seed)  # what EinsumDense does when it clones
    np.testing.assert_array_equal(values(init((9, 7))), values(again((9, 7))))
    np.testing.assert_array_equal(values(fk.HeNormal(seed=np.int64(4))((3, 3))), values(fk.HeNormal(seed=4)((3, 3))))


@pytest.mark.parametrize("wrap", [lambda v: keras.ops.convert_to_tensor(v), np.array, np.float32],
                         ids=["tensor", "0-d array", "numpy scalar"])
def test_numbers_as_scalar_tensors(wrap):
    cases = [(fk.RandomNormal(wrap(0.5), wrap(2.0), seed=3), fk.RandomNormal(0.5, 2.0, seed=3)),
             (fk.RandomUniform(wrap(-1.0), wrap(0.5), seed=3), fk.RandomUniform(-1.0, 0.5, seed=3)),
             (fk.TruncatedNormal(wrap(0.0), wrap(0.25), seed=3), fk.TruncatedNormal(0.0, 0.25, seed=3)),
             (fk.VarianceScaling(wrap(0.5), seed=3), fk.VarianceScaling(0.5, seed=3)),
             (fk.Orthogonal(wrap(2.0), seed=3), fk.Orthogonal(2.0, seed=3)),
             (fk.Constant(wrap(0.25)), fk.Constant(0.25)), (fk.Identity(wrap(3.0)), fk.Identity(3.0))]
    for ours, plain in cases:
        np.testing.assert_array_equal(values(ours((6, 4))), values(plain((6, 4))))
        assert ours.get_config() == plain.get_config()  # JSON-serializable floats
    with pytest.raises(TypeError, match="stddev"):
        fk.RandomNormal(stddev=keras.ops.convert_to_tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="mean"):
        fk.RandomNormal(mean=np.array(True))


@pytest.mark.parametrize("value,shape", [(np.arange(3.0), (2, 3)), ([[1.0], [2.0]], (2, 4)),
                                         (np.full((3, 3), 0.3), (3, 3))])
def test_constant_arrays_broadcast_as_keras(value, shape):
    for dtype in ("float32", "float64", "int32"):
        np.testing.assert_array_equal(values(fk.Constant(value)(shape, dtype)), values(K.Constant(value)(shape, dtype)))
    tensor = keras.ops.convert_to_tensor(np.asarray(value, np.float32))
    np.testing.assert_array_equal(values(fk.Constant(tensor)(shape)), values(K.Constant(value)(shape)))
    init = fk.Constant(value)
    assert init.get_config() == K.Constant(np.asarray(value)).get_config()
    back = K.deserialize(K.serialize(init))
    np.testing.assert_array_equal(values(back(shape)), values(init(shape)))
    with pytest.raises(ValueError, match="broadcast"):
        fk.Constant(np.arange(5.0))((2, 3))
    with pytest.raises(TypeError, match="value"):
        fk.Constant("a")


STFT_CASES = [("real", None, "density", False), ("real", "hamming", None, True), ("imag", "tukey", "density", False),
              ("imag", list(range(1, 65)), "spectrum", False), ("real", "hann", "density", False),
              ("imag", "blackman", "spectrum", True), ("real", "bartlett", None, False)]


@pytest.mark.parametrize("side,window,scaling,periodic", STFT_CASES)
@pytest.mark.parametrize("shape", [(64, 1, 33), (64, 1, 257)])
def test_stft_equals_keras(side, window, scaling, periodic, shape):
    ours, theirs = fk.STFT(side, window, scaling, periodic), K.STFT(side, window, scaling, periodic)
    x, y = values(ours(shape)), values(theirs(shape))
    assert x.dtype == np.float32 and x.shape == shape
    np.testing.assert_allclose(x, y, atol=2e-5 * max(1.0, np.abs(y).max()), rtol=1e-5)
    exact = fastinit.stft(shape, side, window, scaling, periodic, dtype=np.float64)
    np.testing.assert_array_equal(x, exact.astype(np.float32))  # computed in float64, rounded once
    assert ours.get_config() == theirs.get_config()
    back = K.deserialize(K.serialize(ours))
    assert type(back) is fk.STFT and np.array_equal(values(back(shape)), x)


def test_stft_formula_and_errors():
    t, f = np.arange(256)[:, None, None], np.arange(513)[None, None, :] / 1024.0
    np.testing.assert_allclose(values(fk.STFT("real", None)((256, 1, 513), "float64")), np.cos(-2 * np.pi * t * f),
                               atol=1e-12)
    np.testing.assert_allclose(values(fk.STFT("imag", None)((256, 1, 513), "float64")), np.sin(-2 * np.pi * t * f),
                               atol=1e-12)
    assert fk.STFT()((16, 1, 9), "bfloat16").dtype == torch.bfloat16
    kaiser = values(fk.STFT("real", ("kaiser", 4.0), None)((16, 1, 9)))  # a SciPy tuple (Keras takes only names)
    window = scipy_signal.get_window(("kaiser", 4.0), 16, fftbins=False)
    np.testing.assert_allclose(kaiser, np.cos(-2 * np.pi * (np.arange(16)[:, None, None] * np.arange(9) / 16))
                               * window[:, None, None], atol=1e-6)
    with pytest.raises(ValueError, match="side"):
        fk.STFT("complex")
    with pytest.raises(ValueError, match="scaling"):
        fk.STFT(scaling="L2")
    with pytest.raises(ValueError, match="window"):
        fk.STFT(window="no-such-window")
    with pytest.raises(ValueError, match="one value per frame"):
        fk.STFT(window=[1.0, 2.0])((16, 1, 9))
    with pytest.raises(ValueError, match="frequency bins"):
        fk.STFT()((16, 1, 1))
    with pytest.raises(TypeError, match="int32"):
        fk.STFT()((16, 1, 9), "int32")


# ---------------------------------------------------------------- Keras's special cases of its own classes


def test_einsum_dense_sets_fastinits_fan_axes():
    # the example: query kernel (32, 8, 16), fan_in 32 (not 32 * 8)
    mha = keras.layers.MultiHeadAttention(num_heads=8, key_dim=16, kernel_initializer=fk.LecunNormal(seed=1))
    mha.build((None, 10, 32), (None, 10, 32))
    q = values(mha.query_dense.kernel)
    assert q.shape == (32, 8, 16)
    np.testing.assert_array_equal(q, fastinit.lecun_normal((32, 8, 16), in_axis=0, out_axis=(1, 2), seed=1))
    assert abs(q.std() - math.sqrt(1 / 32)) < 0.01
    out = values(mha.output_dense.kernel)  # (8, 16, 32): fan_in = 8 * 16
    np.testing.assert_array_equal(out, fastinit.lecun_normal((8, 16, 32), in_axis=(0, 1), out_axis=2, seed=1))
    assert type(mha.query_dense.kernel_initializer) is fk.LecunNormal  # still fastinit's (a clone)


def test_einsum_dense_honours_axes_set_on_the_instance():
    init = fk.VarianceScaling(2.0, "fan_out", "uniform", seed=2, input_axes=[0, 1], output_axes=[2])
    layer = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 6, 5), kernel_initializer=init)
    layer.build((None, 3, 12))
    assert layer.kernel_initializer is init  # axes given: no clone, as in Keras
    np.testing.assert_array_equal(values(layer.kernel),
                                  fastinit.variance_scaling((12, 6, 5), 2.0, "fan_out", "uniform",
                                                            in_axis=(0, 1), out_axis=2, seed=2))
    init = fk.GlorotUniform(seed=2)
    init.input_axes, init.output_axes = [0], [1, 2]  # attributes are read at every call, as Keras reads them
    np.testing.assert_array_equal(values(init((12, 6, 5))),
                                  fastinit.glorot_uniform((12, 6, 5), in_axis=0, out_axis=(1, 2), seed=2))


def test_batch_normalization_clones_fastinits_initializers():
    layer = keras.layers.BatchNormalization(gamma_initializer=fk.Constant(2.0),
                                            beta_initializer=fk.RandomNormal(seed=4))
    layer.build((None, 16))
    assert (values(layer.gamma) == 2.0).all()
    np.testing.assert_array_equal(values(layer.beta), fastinit.random_normal((16,), stddev=0.05, seed=4))
