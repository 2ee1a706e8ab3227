"""Parity with the real JAX (jax.nn.initializers of the installed jax, CPU).

- fans: compute_fans equals JAX's _compute_fans (the function variance_scaling uses) for a table
  of shapes with the default and explicit in_axis/out_axis/batch_axis;
- variance_scaling in every mode (fan_geo_avg included) and distribution, glorot/he/lecun and
  JAX's xavier/kaiming aliases, normal/uniform/truncated_normal, orthogonal (with column_axis):
  parameters equal exactly, samples match JAX's own samples statistically (parity_stats.py);
  zeros/ones/constant equal bit for bit.

JAX's names that differ from fastinit's (Keras's) meaning are mapped here as docs/guide/presets-and-fans.md says:
JAX ``variance_scaling(..., "normal")`` is fastinit's ``"untruncated_normal"`` (fastinit's
"normal" is Keras's, truncated); JAX ``xavier_*``/``kaiming_*`` are its glorot/he (truncated
normals, Keras layout), i.e. fastinit's ``glorot_*``/``he_*``, not fastinit's PyTorch-style
``xavier_*``/``kaiming_*``; JAX ``uniform(scale)`` is ``random_uniform(0, scale)``.
"""

import math

import jax
import jax.nn.initializers as J
import numpy as np
import pytest
from jax._src.nn.initializers import _compute_fans as jax_compute_fans
from scipy import stats

import fastinit

from parity_stats import P_MIN, TRUNC_STD, affine_fit, as_f64, assert_params, assert_same_distribution

SEED = 1618
KEY = jax.random.key(SEED)


# ---------------------------------------------------------------- fans


@pytest.mark.parametrize("shape,axes", [
    ((20, 30), {}), ((5, 4, 6), {}), ((3, 3, 16, 32), {}), ((2, 3, 3, 16, 32), {}), ((1, 1), {}),
    ((3, 3, 16, 32), dict(in_axis=-2, out_axis=-1, batch_axis=0)),
    ((8, 64, 96), dict(batch_axis=0)),
    ((8, 64, 96), dict(in_axis=1, out_axis=2, batch_axis=(0,))),
    ((4, 5, 6, 7), dict(in_axis=(0, 1), out_axis=(2, 3))),
    ((4, 5, 6, 7), dict(in_axis=(1,), out_axis=3)),
    ((4, 5, 6, 7), dict(in_axis=0, out_axis=-1, batch_axis=(1, 2))),
    ((6, 7), dict(in_axis=-1, out_axis=-2)),
    ((3, 3, 5, 2), dict(in_axis=(), out_axis=-1, batch_axis=-2)),  # depthwise, JAX style
    ((5,), dict(in_axis=0, out_axis=())),
])
def test_fans_equal_jax(shape, axes):
    fi, fo = jax_compute_fans(shape, **axes)
    assert fastinit.compute_fans(shape, **axes) == (fi, fo)
    assert float(fi).is_integer() and float(fo).is_integer()


@pytest.mark.parametrize("shape", [(), (7,)])
def test_rank_below_2_jax_refuses_fastinit_follows_keras(shape):
    with pytest.raises(ValueError, match="Must be at least 2D"):
        jax_compute_fans(shape)
    n = shape[0] if shape else 1
    assert fastinit.compute_fans(shape) == (n, n)


# ---------------------------------------------------------------- samplers


def jax_unit(shape, kind, lower=-2.0, upper=2.0):
    if kind == "uniform":
        return jax.random.uniform(KEY, shape)
    if kind == "normal":
        return jax.random.normal(KEY, shape)
    return jax.random.truncated_normal(KEY, lower, upper, shape)


def fastinit_unit(shape, kind, stream, lower=-2.0, upper=2.0):
    if kind == "uniform":
        return fastinit.uniform(shape, 0.0, 1.0, seed=SEED, stream=stream)
    if kind == "normal":
        return fastinit.normal(shape, 0.0, 1.0, seed=SEED, stream=stream)
    return fastinit.truncated_normal(shape, 0.0, 1.0, lower, upper, seed=SEED, stream=stream)


def compare(ours, theirs, kind, stream, what, lower=-2.0, upper=2.0):
    shape = ours.shape
    op = affine_fit(ours, fastinit_unit(shape, kind, stream, lower, upper))
    assert_params(op, affine_fit(theirs, jax_unit(shape, kind, lower, upper)), what)
    if kind == "uniform":  # (low, high - low)
        assert_same_distribution(ours, theirs, op[1] / math.sqrt(12), "uniform", what, mean=op[0] + op[1] / 2,
                                 bound=op[1] / 2)
    elif kind == "normal":
        assert_same_distribution(ours, theirs, op[1], "normal", what)
    elif (lower, upper) == (-2.0, 2.0):
        assert_same_distribution(ours, theirs, op[1] * TRUNC_STD, "truncated_normal", what, bound=2 * op[1])
    else:  # other bounds: no moment table, the two-sample KS test alone
        assert stats.ks_2samp(as_f64(ours), as_f64(theirs)).pvalue > P_MIN, what


OURS_DIST = {"truncated_normal": "truncated_normal", "normal": "untruncated_normal", "uniform": "uniform"}
KIND = {"truncated_normal": "truncated", "normal": "normal", "uniform": "uniform"}
SHAPES = [((256, 512), {}), ((5, 5, 32, 64), {}), ((8, 96, 128), dict(batch_axis=0)),
          ((16, 64, 96), dict(in_axis=(0, 1), out_axis=2))]


@pytest.mark.parametrize("shape,axes", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "uniform"])
def test_variance_scaling_matches_jax(shape, axes, mode, distribution):
    theirs = J.variance_scaling(0.7, mode, distribution, **axes)(KEY, shape)
    stream = f"vs/{shape}/{mode}/{distribution}"
    ours = fastinit.variance_scaling(shape, 0.7, mode, OURS_DIST[distribution], seed=SEED, stream=stream, **axes)
    compare(ours, theirs, KIND[distribution], stream, f"variance_scaling({mode}, {distribution}) {shape} {axes}")


@pytest.mark.parametrize("shape,axes", SHAPES[:2])
@pytest.mark.parametrize("jax_name,ours_name,kind", [
    ("glorot_uniform", "glorot_uniform", "uniform"), ("glorot_normal", "glorot_normal", "truncated"),
    ("he_uniform", "he_uniform", "uniform"), ("he_normal", "he_normal", "truncated"),
    ("lecun_uniform", "lecun_uniform", "uniform"), ("lecun_normal", "lecun_normal", "truncated"),
    ("xavier_uniform", "glorot_uniform", "uniform"), ("xavier_normal", "glorot_normal", "truncated"),
    ("kaiming_uniform", "he_uniform", "uniform"), ("kaiming_normal", "he_normal", "truncated"),
])
def test_presets_match_jax(jax_name, ours_name, kind, shape, axes):
    theirs = getattr(J, jax_name)()(KEY, shape)
    stream = f"{jax_name}/{shape}"
    compare(getattr(fastinit, ours_name)(shape, seed=SEED, stream=stream), theirs, kind, stream,
            f"{jax_name} {shape}")


def test_jax_kaiming_normal_is_not_torchs():
    """JAX's kaiming_normal is he_normal (truncated): fastinit's torch-style kaiming_normal is not."""
    shape = (256, 512)
    theirs = J.kaiming_normal()(KEY, shape)
    ours = fastinit.kaiming_normal(shape, nonlinearity="relu", layout="jax", seed=SEED, stream="k")
    with pytest.raises(AssertionError):
        affine_fit(theirs, jax_unit(shape, "normal"))  # JAX's is not an untruncated normal draw
    affine_fit(theirs, jax_unit(shape, "truncated"))
    # same fans and gain, but untruncated with std sqrt(2/fan_in) vs truncated with that std *after* truncation
    std = affine_fit(ours, fastinit_unit(shape, "normal", "k"))[1]
    assert std == pytest.approx(math.sqrt(2 / 256), rel=1e-6)
    assert affine_fit(theirs, jax_unit(shape, "truncated"))[1] == pytest.approx(std / TRUNC_STD, rel=1e-5)


@pytest.mark.parametrize("stddev", [1e-2, 0.3])
def test_normal_matches_jax(stddev):
    shape = (300, 400)
    theirs = J.normal(stddev)(KEY, shape)
    compare(fastinit.random_normal(shape, stddev=stddev, seed=SEED, stream="n"), theirs, "normal", "n", "normal")


@pytest.mark.parametrize("scale", [1e-2, 2.0])
def test_uniform_matches_jax(scale):
    shape = (300, 400)
    theirs = J.uniform(scale)(KEY, shape)
    ours = fastinit.random_uniform(shape, 0.0, scale, seed=SEED, stream="u")
    compare(ours, theirs, "uniform", "u", f"uniform({scale})")


@pytest.mark.parametrize("stddev,lower,upper", [(1e-2, -2.0, 2.0), (0.5, -2.0, 2.0), (0.5, -1.0, 3.0)])
def test_truncated_normal_matches_jax(stddev, lower, upper):
    shape = (300, 400)
    theirs = J.truncated_normal(stddev, lower=lower, upper=upper)(KEY, shape)
    ours = fastinit.truncated_normal(shape, 0.0, stddev, lower, upper, seed=SEED, stream="t")
    compare(ours, theirs, "truncated", "t", f"truncated_normal({stddev}, {lower}, {upper})", lower, upper)
    assert as_f64(ours).min() >= lower * stddev and as_f64(ours).max() <= upper * stddev


def orthonormal_error(m):
    g = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    return np.abs(g - np.eye(g.shape[0])).max()


@pytest.mark.parametrize("shape,column_axis", [((256, 256), -1), ((400, 100), -1), ((100, 400), -1),
                                               ((3, 3, 16, 32), -1), ((3, 3, 64, 8), -1), ((6, 40, 30), 1)])
@pytest.mark.parametrize("scale", [1.0, 1.5])
def test_orthogonal_matches_jax(shape, column_axis, scale):
    theirs = np.asarray(J.orthogonal(scale, column_axis=column_axis)(KEY, shape), np.float64)
    ours = fastinit.orthogonal(shape, scale, column_axis=column_axis, seed=SEED, stream="q")
    assert ours.dtype == np.float32
    flat = lambda a: np.moveaxis(a, column_axis, -1).reshape(-1, shape[column_axis]).astype(np.float64)  # noqa: E731
    assert orthonormal_error(flat(ours) / scale) < 1e-5
    assert orthonormal_error(flat(theirs) / scale) < 1e-5
    sigma = scale / math.sqrt(max(flat(ours).shape))
    assert_same_distribution(flat(ours), flat(theirs), sigma, "normal", f"orthogonal {shape}")


def test_constants_equal_jax():
    shape = (3, 5)
    np.testing.assert_array_equal(fastinit.zeros(shape), J.zeros(KEY, shape))
    np.testing.assert_array_equal(fastinit.ones(shape), J.ones(KEY, shape))
    np.testing.assert_array_equal(fastinit.constant(shape, -7.25), J.constant(-7.25)(KEY, shape))
