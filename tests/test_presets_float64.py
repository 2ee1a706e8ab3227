"""The variance-scaling presets in float64, bit for bit, against their documented formulas
computed here independently (fans by hand, the truncated normal's std from SciPy): a typo in a
constant that float32 rounding would hide changes float64 values."""

import math

import numpy as np
import pytest
from scipy import stats

import fastinit
from fastinit.presets.variance_scaling import TRUNCATED_NORMAL_STD

#: std of a standard normal truncated to [-2, 2], from SciPy (not from fastinit).
SCIPY_TRUNC_STD = float(stats.truncnorm(-2.0, 2.0).std())

# Keras layout: a 2-d kernel is (fan_in, fan_out); a conv kernel (*kernel, in, out) has
# fan_in = prod(kernel) * in and fan_out = prod(kernel) * out.
SHAPES = {"dense": ((37, 53), 37, 53), "conv": ((3, 5, 7, 11), 3 * 5 * 7, 3 * 5 * 11)}

# name -> (scale, n from (fan_in, fan_out), distribution)
PRESETS = {
    "glorot_normal": (1.0, lambda fi, fo: (fi + fo) / 2, "truncated_normal"),
    "glorot_uniform": (1.0, lambda fi, fo: (fi + fo) / 2, "uniform"),
    "he_normal": (2.0, lambda fi, fo: fi, "truncated_normal"),
    "he_uniform": (2.0, lambda fi, fo: fi, "uniform"),
    "lecun_normal": (1.0, lambda fi, fo: fi, "truncated_normal"),
    "lecun_uniform": (1.0, lambda fi, fo: fi, "uniform"),
}


def test_truncated_normal_std_constant_is_scipys():
    assert TRUNCATED_NORMAL_STD == SCIPY_TRUNC_STD
    # and it is what it claims: the std of N(0, 1) restricted to [-2, 2], from the closed form
    phi2 = math.exp(-2.0) / math.sqrt(2 * math.pi)  # density at 2
    mass = math.erf(2 / math.sqrt(2))
    assert math.isclose(TRUNCATED_NORMAL_STD, math.sqrt(1 - 2 * 2 * phi2 / mass), rel_tol=1e-15)


@pytest.mark.parametrize("shape_name", list(SHAPES))
@pytest.mark.parametrize("name", list(PRESETS))
def test_float64_presets_bit_for_bit(name, shape_name):
    shape, fan_in, fan_out = SHAPES[shape_name]
    scale, n_of, distribution = PRESETS[name]
    s = scale / max(1.0, n_of(fan_in, fan_out))  # scale / n first, then the rest (as documented)
    got = getattr(fastinit, name)(np.empty(shape, np.float64), seed=17, stream="w")
    if distribution == "truncated_normal":
        std = math.sqrt(s) / SCIPY_TRUNC_STD
        want = fastinit.truncated_normal(shape, 0.0, std, -2.0, 2.0, seed=17, stream="w", dtype="float64")
    else:
        limit = math.sqrt(3.0 * s)
        want = fastinit.uniform(shape, -limit, limit, seed=17, stream="w", dtype="float64")
    np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))


@pytest.mark.parametrize("mode,n_of", [("fan_in", lambda fi, fo: fi), ("fan_out", lambda fi, fo: fo),
                                       ("fan_avg", lambda fi, fo: (fi + fo) / 2),
                                       ("fan_geo_avg", lambda fi, fo: math.sqrt(fi * fo))])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_float64_variance_scaling_bit_for_bit(mode, n_of, distribution):
    shape, fan_in, fan_out = SHAPES["conv"]
    scale = 0.7
    s = scale / max(1.0, n_of(fan_in, fan_out))
    got = fastinit.variance_scaling(np.empty(shape, np.float64), scale, mode, distribution, seed=4)
    if distribution == "truncated_normal":
        want = fastinit.truncated_normal(shape, 0.0, math.sqrt(s) / SCIPY_TRUNC_STD, -2.0, 2.0, seed=4, dtype="float64")
    elif distribution == "untruncated_normal":
        want = fastinit.normal(shape, 0.0, math.sqrt(s), seed=4, dtype="float64")
    else:
        want = fastinit.uniform(shape, -math.sqrt(3.0 * s), math.sqrt(3.0 * s), seed=4, dtype="float64")
    np.testing.assert_array_equal(got.view(np.uint64), want.view(np.uint64))
