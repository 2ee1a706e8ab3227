"""fastinit.keras with the real Keras 3, torch backend, part two: what Keras accepts (seed
generators, numbers as scalar tensors, constant arrays, STFT) and Keras's special cases of its own
classes (EinsumDense fan axes, BatchNormalization's cloned initializers). Part one, the classes,
values, layers, seeds and dtypes: tests/test_adapter_keras.py.
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
from test_adapter_keras import values  # noqa: E402

import fastinit  # noqa: E402
import fastinit.keras as fk  # noqa: E402

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
