"""fastinit.jax with the real JAX (CPU).

- every factory has jax.nn.initializers's signature (names, order, defaults);
- the init functions give the fastinit NumPy preset for the key's seed bit for bit
  (jax.random.key(s) is seed s), and samples that match jax.nn.initializers' own statistically
  (parity_stats: KS p > 1e-4, std within 5 standard errors of the formula's, bounds);
- same key, same values; other key, other values; typed and raw uint32[2] keys agree; the same
  values under jax.jit (pure_callback) and jax.vmap; usable in a small model (init, forward, grad);
- dtypes and JAX's errors.
"""

import inspect
import math

import jax
import jax.nn.initializers as J
import jax.numpy as jnp
import numpy as np
import pytest

import fastinit
import fastinit.jax as fj
from fastinit.core.dtypes import bfloat16 as np_bfloat16

from parity_stats import TRUNC_STD, assert_same_distribution

SEED = 1618
KEY = jax.random.key(SEED)
FACTORIES = ["variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
             "lecun_normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal", "uniform",
             "normal", "truncated_normal", "orthogonal", "constant"]


@pytest.mark.parametrize("name", FACTORIES + ["zeros", "ones"])
def test_signature_is_jaxs(name):
    theirs = inspect.signature(getattr(J, name)).parameters
    ours = inspect.signature(getattr(fj, name)).parameters
    assert [(p.name, p.kind, repr(p.default)) for p in ours.values()] == \
        [(p.name, p.kind, repr(p.default)) for p in theirs.values()]


def test_seed_of_a_key():
    assert fj.seed_from_key(jax.random.key(42)) == 42
    assert fj.seed_from_key(jax.random.PRNGKey(42)) == 42
    assert fj.seed_from_key(jax.random.key(2**32 - 1)) == 2**32 - 1
    assert fj.seed_from_key(jax.random.wrap_key_data(np.array([5, 7], np.uint32))) == (5 << 32) | 7
    k = jax.random.key(7)
    words = np.asarray(jax.random.key_data(k))
    assert fj.seed_from_key(k) == (int(words[0]) << 32) | int(words[1])


def stats_case(name, shape):
    """(our init, JAX's init, the NumPy preset, kind, sigma, mean) for a factory name."""
    fan_in, fan_out = fastinit.compute_fans(shape)
    avg = math.sqrt(2 / (fan_in + fan_out))
    cases = {
        "glorot_uniform": ((), lambda s: fastinit.glorot_uniform(s, seed=SEED), "uniform", avg),
        "glorot_normal": ((), lambda s: fastinit.glorot_normal(s, seed=SEED), "truncated_normal", avg),
        "he_uniform": ((), lambda s: fastinit.he_uniform(s, seed=SEED), "uniform", math.sqrt(2 / fan_in)),
        "he_normal": ((), lambda s: fastinit.he_normal(s, seed=SEED), "truncated_normal", math.sqrt(2 / fan_in)),
        "lecun_uniform": ((), lambda s: fastinit.lecun_uniform(s, seed=SEED), "uniform", math.sqrt(1 / fan_in)),
        "lecun_normal": ((), lambda s: fastinit.lecun_normal(s, seed=SEED), "truncated_normal",
                         math.sqrt(1 / fan_in)),
        "xavier_normal": ((), lambda s: fastinit.glorot_normal(s, seed=SEED), "truncated_normal", avg),
        "kaiming_uniform": ((), lambda s: fastinit.he_uniform(s, seed=SEED), "uniform", math.sqrt(2 / fan_in)),
        "vs_normal": ((0.7, "fan_geo_avg", "normal"),
                      lambda s: fastinit.variance_scaling(s, 0.7, "fan_geo_avg", "untruncated_normal", seed=SEED),
                      "normal", math.sqrt(0.7 / math.sqrt(fan_in * fan_out))),
        "vs_uniform": ((2.0, "fan_out", "uniform"),
                       lambda s: fastinit.variance_scaling(s, 2.0, "fan_out", "uniform", seed=SEED),
                       "uniform", math.sqrt(2.0 / fan_out)),
        "vs_truncated": ((0.5, "fan_avg", "truncated_normal"),
                         lambda s: fastinit.variance_scaling(s, 0.5, "fan_avg", "truncated_normal", seed=SEED),
                         "truncated_normal", avg / math.sqrt(2)),
    }
    args, preset, kind, sigma = cases[name]
    factory = "variance_scaling" if name.startswith("vs_") else name
    return getattr(fj, factory)(*args), getattr(J, factory)(*args), preset, kind, sigma


@pytest.mark.parametrize("shape", [(256, 512), (5, 5, 32, 64)])
@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                                  "lecun_normal", "xavier_normal", "kaiming_uniform", "vs_normal", "vs_uniform",
                                  "vs_truncated"])
def test_fan_initializers(name, shape):
    ours, theirs, preset, kind, sigma = stats_case(name, shape)
    x = ours(KEY, shape)
    assert isinstance(x, jax.Array) and x.dtype == jnp.float32 and x.shape == shape
    np.testing.assert_array_equal(np.asarray(x), preset(shape))
    bound = {"uniform": sigma * math.sqrt(3), "truncated_normal": 2 * sigma / TRUNC_STD, "normal": None}[kind]
    assert_same_distribution(np.asarray(x), np.asarray(theirs(KEY, shape)), sigma, kind, f"{name} {shape}",
                             bound=bound)


def test_axes():
    shape = (8, 96, 128)
    x = fj.he_uniform(batch_axis=0)(KEY, shape)
    np.testing.assert_array_equal(np.asarray(x), fastinit.he_uniform(shape, batch_axis=0, seed=SEED))
    y = fj.lecun_normal(in_axis=(0, 1), out_axis=2)(KEY, shape)
    np.testing.assert_array_equal(np.asarray(y), fastinit.lecun_normal(shape, in_axis=(0, 1), out_axis=2, seed=SEED))
    sigma = math.sqrt(1 / (8 * 96))
    assert_same_distribution(np.asarray(y), np.asarray(J.lecun_normal(in_axis=(0, 1), out_axis=2)(KEY, shape)),
                             sigma, "truncated_normal", "lecun_normal axes", bound=2 * sigma / TRUNC_STD)


@pytest.mark.parametrize("factory,args,preset,kind,sigma,mean", [
    ("uniform", (), lambda s: fastinit.random_uniform(s, 0.0, 0.01, seed=SEED), "uniform", 0.01 / math.sqrt(12),
     0.005),
    ("uniform", (3.0,), lambda s: fastinit.random_uniform(s, 0.0, 3.0, seed=SEED), "uniform", 3 / math.sqrt(12), 1.5),
    ("normal", (), lambda s: fastinit.random_normal(s, stddev=0.01, seed=SEED), "normal", 0.01, 0.0),
    ("normal", (0.4,), lambda s: fastinit.random_normal(s, stddev=0.4, seed=SEED), "normal", 0.4, 0.0),
    ("truncated_normal", (), lambda s: fastinit.truncated_normal(s, 0.0, 0.01, seed=SEED), "truncated_normal",
     0.01 * TRUNC_STD, 0.0),
    ("truncated_normal", (0.5,), lambda s: fastinit.truncated_normal(s, 0.0, 0.5, seed=SEED), "truncated_normal",
     0.5 * TRUNC_STD, 0.0),
])
def test_plain_initializers(factory, args, preset, kind, sigma, mean):
    shape = (300, 400)
    x = np.asarray(getattr(fj, factory)(*args)(KEY, shape))
    np.testing.assert_array_equal(x, preset(shape))
    theirs = np.asarray(getattr(J, factory)(*args)(KEY, shape))
    bound = {"uniform": sigma * math.sqrt(3), "truncated_normal": 2 * sigma / TRUNC_STD, "normal": None}[kind]
    assert_same_distribution(x, theirs, sigma, kind, f"{factory}{args}", mean=mean, bound=bound)


def test_truncated_normal_bounds():
    x = np.asarray(fj.truncated_normal(0.5, lower=-1.0, upper=3.0)(KEY, (200, 100)))
    np.testing.assert_array_equal(x, fastinit.truncated_normal((200, 100), 0.0, 0.5, -1.0, 3.0, seed=SEED))
    assert x.min() >= -0.5 and x.max() <= 1.5


@pytest.mark.parametrize("shape,column_axis", [((300, 100), -1), ((100, 300), -1), ((6, 40, 30), 1)])
def test_orthogonal(shape, column_axis):
    x = np.asarray(fj.orthogonal(1.5, column_axis=column_axis)(KEY, shape))
    np.testing.assert_array_equal(x, fastinit.orthogonal(shape, 1.5, column_axis=column_axis, seed=SEED))
    flat = np.moveaxis(x, column_axis, -1).reshape(-1, shape[column_axis]).astype(np.float64)
    g = flat.T @ flat if flat.shape[0] >= flat.shape[1] else flat @ flat.T
    np.testing.assert_allclose(g, 2.25 * np.eye(g.shape[0]), atol=1e-5)
    theirs = np.asarray(J.orthogonal(1.5, column_axis=column_axis)(KEY, shape))
    theirs = np.moveaxis(theirs, column_axis, -1).reshape(flat.shape)
    assert_same_distribution(flat, theirs, 1.5 / math.sqrt(max(flat.shape)), "normal", f"orthogonal {shape}")


def test_constants_equal_jax():
    for dtype in (None, jnp.int32, jnp.bfloat16):
        for ours, theirs in ((fj.zeros, J.zeros), (fj.ones, J.ones), (fj.constant(-7.25), J.constant(-7.25))):
            a, b = ours(KEY, (3, 5), dtype), theirs(KEY, (3, 5), dtype)
            assert a.dtype == b.dtype
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


# ---------------------------------------------------------------- keys, jit, vmap, a model


def test_keys():
    init = fj.glorot_uniform()
    a = init(jax.random.key(3), (64, 32))
    np.testing.assert_array_equal(a, init(jax.random.key(3), (64, 32)))
    np.testing.assert_array_equal(a, init(jax.random.PRNGKey(3), (64, 32)))  # raw uint32[2] key
    assert not np.array_equal(a, init(jax.random.key(4), (64, 32)))
    k1, k2 = jax.random.split(jax.random.key(3))
    assert not np.array_equal(init(k1, (64, 32)), init(k2, (64, 32)))
    np.testing.assert_array_equal(init(k1, (64, 32)), fastinit.glorot_uniform((64, 32), seed=fj.seed_from_key(k1)))


def test_under_jit_and_vmap():
    init = fj.he_normal()
    eager = init(KEY, (32, 16))
    jitted = jax.jit(lambda k: init(k, (32, 16)))(KEY)
    np.testing.assert_array_equal(np.asarray(jitted), np.asarray(eager))
    keys = jax.random.split(KEY, 3)
    batched = jax.vmap(lambda k: init(k, (32, 16)))(keys)
    assert batched.shape == (3, 32, 16)
    for i in range(3):
        np.testing.assert_array_equal(np.asarray(batched[i]), np.asarray(init(keys[i], (32, 16))))


def test_a_small_model():
    def init_params(key):
        k1, k2 = jax.random.split(key)
        return {"w1": fj.glorot_uniform()(k1, (8, 16)), "b1": fj.zeros(k1, (16,)),
                "w2": fj.lecun_normal()(k2, (16, 1)), "b2": fj.constant(0.1)(k2, (1,))}

    def loss(params, x):
        h = jnp.tanh(x @ params["w1"] + params["b1"])
        return jnp.mean((h @ params["w2"] + params["b2"]) ** 2)

    params = init_params(jax.random.key(0))
    again = jax.jit(init_params)(jax.random.key(0))
    for name in params:
        np.testing.assert_array_equal(np.asarray(params[name]), np.asarray(again[name]))
    x = jnp.ones((4, 8))
    grads = jax.grad(loss)(params, x)
    assert all(np.isfinite(np.asarray(g)).all() for g in grads.values())
    assert float(loss(params, x)) >= 0


# ---------------------------------------------------------------- dtypes and errors


@pytest.mark.parametrize("dtype", [jnp.bfloat16, jnp.float16, jnp.float32])
def test_dtypes(dtype):
    x = fj.normal(0.5)(KEY, (40, 30), dtype)
    assert x.dtype == dtype
    want = fastinit.random_normal((40, 30), stddev=0.5, seed=SEED, dtype=np.dtype(dtype))
    np.testing.assert_array_equal(np.asarray(x).astype(np.float32), want.astype(np.float32))
    # the factory's dtype is the default
    assert fj.glorot_normal(dtype=jnp.bfloat16)(KEY, (4, 4)).dtype == jnp.bfloat16
    assert np.dtype(np_bfloat16) == np.dtype(jnp.bfloat16)


def test_float64_without_x64_warns_like_jax():
    with pytest.warns(UserWarning, match="float64.*truncated to dtype float32"):
        x = fj.uniform()(KEY, (3, 3), jnp.float64)
    assert x.dtype == jnp.float32


def test_errors():
    with pytest.raises(ValueError, match="Must be at least 2D") as theirs:
        J.glorot_uniform()(KEY, (7,))
    with pytest.raises(ValueError) as ours:
        fj.glorot_uniform()(KEY, (7,))
    assert str(ours.value) == str(theirs.value)
    np.testing.assert_array_equal(fj.he_uniform(in_axis=0, out_axis=())(KEY, (7,)),
                                  fastinit.he_uniform((7,), in_axis=0, out_axis=(), seed=SEED))
    with pytest.raises(ValueError, match="2D"):
        fj.orthogonal()(KEY, (5,))
    with pytest.raises(ValueError, match="distribution.*normal"):
        fj.variance_scaling(1.0, "fan_in", "untruncated_normal")
    with pytest.raises(ValueError, match="mode"):
        fj.variance_scaling(1.0, "fan_sum", "normal")
    with pytest.raises(TypeError, match="int32"):
        fj.normal()(KEY, (3, 3), jnp.int32)
    with pytest.raises(TypeError, match="key"):
        fj.normal()("not a key", (3, 3))
    with pytest.raises(ValueError, match="single PRNG key"):
        fj.normal()(jax.random.split(KEY, 2), (3, 3))
    with pytest.raises(ValueError, match="lower < upper"):
        fj.truncated_normal(1.0, lower=1.0, upper=-1.0)
