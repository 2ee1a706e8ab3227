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
             "normal", "truncated_normal", "orthogonal", "delta_orthogonal", "constant"]


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


# ------------------------------------------------------- numbers as arrays, delta_orthogonal, complex


@pytest.mark.parametrize("wrap", [lambda v: jnp.array(v, jnp.float32), np.array, np.float32, lambda v: jnp.array(v)],
                         ids=["jnp float32", "0-d numpy", "numpy scalar", "jnp default"])
def test_numbers_as_arrays(wrap):
    pairs = [(fj.uniform(wrap(1.0), jnp.bfloat16), fj.uniform(1.0, jnp.bfloat16)),
             (fj.normal(wrap(0.5)), fj.normal(0.5)), (fj.truncated_normal(wrap(0.5), lower=wrap(-1.0)),
                                                       fj.truncated_normal(0.5, lower=-1.0)),
             (fj.variance_scaling(wrap(2.0), "fan_in", "uniform"), fj.variance_scaling(2.0, "fan_in", "uniform")),
             (fj.orthogonal(wrap(1.5)), fj.orthogonal(1.5)), (fj.delta_orthogonal(wrap(1.5)), fj.delta_orthogonal(1.5))]
    for ours, plain in pairs:
        np.testing.assert_array_equal(ours(KEY, (3, 4, 6)), plain(KEY, (3, 4, 6)))
    assert fj.uniform(jnp.array(1.0, jnp.float32), jnp.bfloat16)(KEY, (5,)).dtype == jnp.bfloat16
    with pytest.raises(TypeError, match="stddev"):
        fj.normal(jnp.ones(2))
    with pytest.raises(TypeError, match="scale"):
        fj.uniform(np.array(True))


@pytest.mark.parametrize("shape", [(3, 16, 32), (3, 3, 8, 8), (4, 2, 16, 40), (3, 3, 3, 5, 7), (1, 6, 6)])
@pytest.mark.parametrize("scale,column_axis", [(1.0, -1), (2.0, -2)])
def test_delta_orthogonal_structure(shape, scale, column_axis):
    x = np.asarray(fj.delta_orthogonal(scale, column_axis)(KEY, shape), np.float64)
    theirs = np.asarray(J.delta_orthogonal(scale, column_axis)(KEY, shape), np.float64)
    centre = tuple((k - 1) // 2 for k in shape[:-2])
    for w in (x, theirs):
        assert w.shape == shape
        mask = np.ones(shape[:-2], bool)
        mask[centre] = False
        assert (w[mask] == 0).all()  # zero away from the spatial centre
        m = w[centre]
        np.testing.assert_allclose(m @ m.T, scale**2 * np.eye(shape[-2]), atol=1e-5)  # orthonormal rows
    np.testing.assert_array_equal(x, fastinit.delta_orthogonal(shape, scale, column_axis=column_axis, seed=SEED))
    np.testing.assert_array_equal(x[centre], fastinit.orthogonal(shape[-2:], scale, column_axis=column_axis,
                                                                 seed=SEED))
    jitted = jax.jit(lambda k: fj.delta_orthogonal(scale, column_axis)(k, shape))(KEY)
    np.testing.assert_array_equal(np.asarray(jitted, np.float64), x)


def test_delta_orthogonal_statistics_and_errors():
    shape = (3, 3, 200, 256)
    x = np.asarray(fj.delta_orthogonal()(KEY, shape))[1, 1]
    y = np.asarray(J.delta_orthogonal()(KEY, shape))[1, 1]
    assert_same_distribution(x, y, 1 / math.sqrt(256), "normal", "delta_orthogonal centre")
    for bad in [(3, 3), (3,), (2, 2, 2, 2, 2, 2)]:
        with pytest.raises(ValueError, match="3D, 4D or 5D"):
            J.delta_orthogonal()(KEY, bad)
        with pytest.raises(ValueError, match="3D, 4D or 5D"):
            fj.delta_orthogonal()(KEY, bad)
    with pytest.raises(ValueError, match="fan_in.*less or equal"):
        J.delta_orthogonal()(KEY, (3, 8, 4))
    with pytest.raises(ValueError, match="fan_in.*less or equal"):
        fj.delta_orthogonal()(KEY, (3, 8, 4))
    with pytest.raises(ValueError, match="in <= out"):
        fastinit.delta_orthogonal((3, 8, 4))
    assert fj.delta_orthogonal(dtype=jnp.bfloat16)(KEY, (3, 4, 4)).dtype == jnp.bfloat16
    assert fj.delta_orthogonal()(KEY, (3, 0, 4)).shape == (3, 0, 4)


def complex_moduli_check(ours, theirs, variance, bound, what):
    """Complex samples: E|z|^2 = variance (5 SE), phase uniform, |z| <= bound; |z| and the phase
    match JAX's (KS)."""
    from scipy import stats

    x, y = np.asarray(ours).ravel(), np.asarray(theirs).ravel()
    for name, z in (("fastinit", x), ("jax", y)):
        p = np.abs(z.astype(np.complex128)) ** 2
        se = p.std() / math.sqrt(p.size)
        assert abs(p.mean() - variance) <= 5 * se, f"{what}: {name} E|z|^2 {p.mean():.5g} vs {variance:.5g}"
        assert abs(z.mean()) <= 5 * math.sqrt(variance / z.size), f"{what}: {name} mean {z.mean()}"
        if bound is not None:
            assert np.abs(z).max() <= bound * (1 + 1e-6), f"{what}: {name} |z| beyond {bound}"
    assert stats.ks_2samp(np.abs(x), np.abs(y)).pvalue > 1e-4, f"{what}: |z| distributions differ"
    assert stats.ks_2samp(np.angle(x), np.angle(y)).pvalue > 1e-4, f"{what}: phases differ"
    assert stats.kstest((np.angle(x) / (2 * np.pi)) % 1.0, "uniform").pvalue > 1e-4, f"{what}: phase not uniform"


@pytest.mark.parametrize("distribution", ["normal", "truncated_normal", "uniform"])
@pytest.mark.parametrize("mode,scale", [("fan_in", 1.0), ("fan_avg", 2.0), ("fan_geo_avg", 0.5)])
def test_complex_variance_scaling(distribution, mode, scale):
    shape = (256, 300)
    ours = fj.variance_scaling(scale, mode, distribution)(KEY, shape, jnp.complex64)
    theirs = J.variance_scaling(scale, mode, distribution)(KEY, shape, jnp.complex64)
    assert ours.dtype == theirs.dtype == jnp.complex64 and ours.shape == shape
    n = {"fan_in": 256, "fan_avg": 278, "fan_geo_avg": math.sqrt(256 * 300)}[mode]
    v = scale / n
    if distribution == "truncated_normal":  # JAX's constant: E|z|^2 = v * E[Exp(1) | <= 4] / 0.9531^2 = 1.0187 v
        v_true = v * (1 - 4 * math.exp(-4) / (1 - math.exp(-4))) / fj.COMPLEX_TRUNCATED_NORMAL_STD**2
        assert abs(v_true / v - 1.0187) < 1e-4
    else:
        v_true = v
    bound = {"normal": None, "truncated_normal": 2 * math.sqrt(v) / fj.COMPLEX_TRUNCATED_NORMAL_STD,
             "uniform": math.sqrt(2 * v)}[distribution]
    complex_moduli_check(ours, theirs, v_true, bound, f"variance_scaling {distribution} {mode}")
    out = np.empty(shape, np.complex64)
    if distribution == "normal":
        fastinit.normal(out, 0.0, math.sqrt(v), seed=SEED)
    elif distribution == "uniform":
        fastinit.uniform_disk(out, math.sqrt(2 * v), seed=SEED)
    else:
        fastinit.truncated_normal_disk(out, math.sqrt(v) / fj.COMPLEX_TRUNCATED_NORMAL_STD, 2.0, seed=SEED)
    np.testing.assert_array_equal(np.asarray(ours), out)


@pytest.mark.parametrize("name", ["glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
                                  "lecun_normal"])
def test_complex_presets(name):
    shape = (3, 3, 32, 48)
    ours, theirs = getattr(fj, name)()(KEY, shape, jnp.complex64), getattr(J, name)()(KEY, shape, jnp.complex64)
    fan_in, fan_out = 9 * 32, 9 * 48
    v = {"glorot": 2 / (fan_in + fan_out), "he": 2 / fan_in, "lecun": 1 / fan_in}[name.split("_")[0]]
    if name.endswith("normal"):  # truncated: JAX's constant gives 1.0187 v (see test_complex_variance_scaling)
        v *= (1 - 4 * math.exp(-4) / (1 - math.exp(-4))) / fj.COMPLEX_TRUNCATED_NORMAL_STD**2
    complex_moduli_check(ours, theirs, v, None, name)
    np.testing.assert_array_equal(np.asarray(ours), np.asarray(getattr(fj, name)()(KEY, shape, jnp.complex64)))


def test_complex_normal_and_complex128():
    ours, theirs = fj.normal(0.3)(KEY, (200, 100), jnp.complex64), J.normal(0.3)(KEY, (200, 100), jnp.complex64)
    complex_moduli_check(ours, theirs, 0.09, None, "normal")
    x = np.asarray(ours)
    for part in (x.real, x.imag):  # each part N(0, stddev^2 / 2)
        assert abs(part.std() - 0.3 / math.sqrt(2)) < 5 * 0.3 / math.sqrt(2) * math.sqrt(2 / (4 * part.size))
    np.testing.assert_array_equal(x, fastinit.normal(np.empty((200, 100), np.complex64), 0.0, 0.3, seed=SEED))
    with jax.enable_x64(True):
        z = fj.glorot_normal()(KEY, (64, 64), jnp.complex128)
        assert z.dtype == jnp.complex128
        assert fj.normal()(KEY, (4,), jnp.complex128).dtype == jnp.complex128
    with pytest.warns(UserWarning, match="complex128.*truncated to dtype complex64"):
        assert fj.normal()(KEY, (4,), jnp.complex128).dtype == jnp.complex64
    z = jax.jit(lambda k: fj.he_uniform()(k, (16, 16), jnp.complex64))(KEY)
    np.testing.assert_array_equal(np.asarray(z), np.asarray(fj.he_uniform()(KEY, (16, 16), jnp.complex64)))
    for refused in (fj.uniform(), fj.truncated_normal()):  # real only, as JAX's samplers
        with pytest.raises(TypeError, match="complex"):
            refused(KEY, (4, 4), jnp.complex64)


@pytest.mark.parametrize("shape,column_axis", [((48, 40), -1), ((30, 60), -1), ((6, 12, 8), 1)])
def test_complex_orthogonal_and_delta_orthogonal(shape, column_axis):
    """Haar unitary as JAX's: Q^H Q = I (rows when fewer), E|Q_ij|^2 = 1/max(rows, cols), phases
    uniform, |Q_ij| and phases distributed as JAX's; delta_orthogonal's centre is that matrix."""
    raw = np.asarray(fj.orthogonal(1.5, column_axis)(KEY, shape, jnp.complex64))
    np.testing.assert_array_equal(raw, fastinit.orthogonal(shape, 1.5, column_axis=column_axis, seed=SEED,
                                                           dtype=np.complex64))
    ours, theirs = raw / 1.5, np.asarray(J.orthogonal(1.5, column_axis)(KEY, shape, jnp.complex64)) / 1.5
    rows_cols = [np.moveaxis(w, column_axis, -1).reshape(-1, shape[column_axis]) for w in (ours, theirs)]
    for m in rows_cols:
        m = m.astype(np.complex128)
        g = m.conj().T @ m if m.shape[0] >= m.shape[1] else m @ m.conj().T
        np.testing.assert_allclose(g, np.eye(len(g)), atol=1e-5)
    complex_moduli_check(ours, theirs, 1 / max(rows_cols[0].shape), 1.0, f"orthogonal {shape}")
    kernel = (3, 3) + tuple(sorted(shape[-2:]))
    d = np.asarray(fj.delta_orthogonal(1.0, column_axis)(KEY, kernel, jnp.complex64))
    np.testing.assert_array_equal(d[1, 1], fastinit.orthogonal(kernel[-2:], column_axis=column_axis, seed=SEED,
                                                               dtype=np.complex64))
    assert J.delta_orthogonal()(KEY, kernel, jnp.complex64).dtype == d.dtype == np.complex64
    with jax.enable_x64(True):
        assert fj.orthogonal()(KEY, (5, 4), jnp.complex128).dtype == jnp.complex128
