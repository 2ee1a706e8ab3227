"""Flax layers (linen and nnx Dense/Linear and Conv) with fastinit.jax initializers have, weight by
weight, the distribution the same layers get with jax.nn.initializers' own: fans
(through the std), std within 5 standard errors of the formula's, two-sample KS p > 1e-4, bounds.
Skipped when Flax is not installed (it is in the test extra)."""

import math

import jax
import jax.nn.initializers as J
import jax.numpy as jnp
import numpy as np
import pytest

import fastinit
import fastinit.jax as fj

from parity_stats import TRUNC_STD, assert_same_distribution

flax = pytest.importorskip("flax", reason="flax is not installed (pip install flax)")
from flax import linen, nnx  # noqa: E402

KEY = jax.random.key(7)

# (fastinit factory, JAX factory, kind, sigma(fan_in, fan_out), bound(sigma))
INITS = {
    "lecun_normal": (fj.lecun_normal, J.lecun_normal, "truncated_normal", lambda i, o: math.sqrt(1 / i),
                     lambda s: 2 * s / TRUNC_STD),
    "he_uniform": (fj.he_uniform, J.he_uniform, "uniform", lambda i, o: math.sqrt(2 / i), lambda s: s * math.sqrt(3)),
    "glorot_normal": (fj.glorot_normal, J.glorot_normal, "truncated_normal", lambda i, o: math.sqrt(2 / (i + o)),
                      lambda s: 2 * s / TRUNC_STD),
    "normal": (lambda: fj.normal(0.02), lambda: J.normal(0.02), "normal", lambda i, o: 0.02, lambda s: None),
}


def check(ours, theirs, name, fan_in, fan_out, what):
    _, _, kind, sigma, bound = INITS[name]
    s = sigma(fan_in, fan_out)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    assert_same_distribution(np.asarray(ours), np.asarray(theirs), s, kind, what, bound=bound(s))


def linen_params(module, x):
    return module.init(KEY, x)["params"]


@pytest.mark.parametrize("name", list(INITS))
def test_linen_dense_and_conv(name):
    ours_f, theirs_f = INITS[name][0], INITS[name][1]
    x = jnp.ones((1, 512))
    p1 = linen_params(linen.Dense(256, kernel_init=ours_f()), x)
    p2 = linen_params(linen.Dense(256, kernel_init=theirs_f()), x)
    check(p1["kernel"], p2["kernel"], name, 512, 256, f"linen.Dense {name}")
    assert (np.asarray(p1["bias"]) == 0).all()
    x = jnp.ones((1, 16, 16, 32))
    p1 = linen_params(linen.Conv(64, (3, 3), kernel_init=ours_f()), x)
    p2 = linen_params(linen.Conv(64, (3, 3), kernel_init=theirs_f()), x)
    check(p1["kernel"], p2["kernel"], name, 9 * 32, 9 * 64, f"linen.Conv {name}")


@pytest.mark.parametrize("name", list(INITS))
def test_nnx_linear_and_conv(name):
    ours_f, theirs_f = INITS[name][0], INITS[name][1]
    a = nnx.Linear(512, 256, kernel_init=ours_f(), rngs=nnx.Rngs(0))
    b = nnx.Linear(512, 256, kernel_init=theirs_f(), rngs=nnx.Rngs(0))
    check(a.kernel[...], b.kernel[...], name, 512, 256, f"nnx.Linear {name}")
    a = nnx.Conv(32, 64, (3, 3), kernel_init=ours_f(), rngs=nnx.Rngs(1))
    b = nnx.Conv(32, 64, (3, 3), kernel_init=theirs_f(), rngs=nnx.Rngs(1))
    check(a.kernel[...], b.kernel[...], name, 9 * 32, 9 * 64, f"nnx.Conv {name}")


def test_linen_values_are_fastinits_and_jit_init_agrees():
    module = linen.Dense(64, kernel_init=fj.he_normal(), bias_init=fj.constant(0.5))
    x = jnp.ones((1, 128))
    params = module.init(KEY, x)["params"]
    jitted = jax.jit(module.init)(KEY, x)["params"]
    np.testing.assert_array_equal(params["kernel"], jitted["kernel"])
    assert (np.asarray(params["bias"]) == 0.5).all()
    # linen folds the parameter's path into the key; the kernel is the fastinit preset of that key's seed
    (kernel_key,) = _param_keys(module, x)
    np.testing.assert_array_equal(params["kernel"], fastinit.he_normal((128, 64), seed=fj.seed_from_key(kernel_key)))


def _param_keys(module, x):
    """The keys linen passes to kernel_init, recorded by a wrapping initializer."""
    seen = []

    def record(key, shape, dtype=jnp.float32):
        seen.append(key)
        return jnp.zeros(shape, dtype)

    module.clone(kernel_init=record).init(KEY, x)
    return seen
