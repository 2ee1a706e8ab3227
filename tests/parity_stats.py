"""Shared checks of the parity tests (test_parity_torch/keras/jax.py).

Two kinds of comparison, both against what a framework actually produces:

1. **Parameters, exactly.** A framework's initializer output with seed s is an affine function of
   the framework's own unit sample with the same seed (``uniform(0, 1)``, ``normal(0, 1)`` or the
   unit normal truncated to [-2, 2]): out = alpha + beta * unit. A least-squares fit recovers
   (alpha, beta) -- the framework's (low, high - low), (mean, std) or (mean, pre-truncation std) --
   to float32 rounding (~1e-7 relative), without copying the framework's formula. fastinit's
   preset is fitted the same way against fastinit's own unit fill, and the two parameter pairs must
   agree to ``RTOL`` = 1e-5.

2. **Samples, statistically.** fastinit's sample and the framework's own sample (independent
   generators) must look like the same distribution: a two-sample Kolmogorov-Smirnov test with
   p > 1e-4, and each sample standard deviation within 5 standard errors of the formula's standard
   deviation sigma, the standard error of a sample std over n values being
   sigma * sqrt((kurtosis_excess + 2) / (4 n)) (uniform: -1.2; normal: 0; truncated normal at
   +-2 sigma: from scipy). At n >= 5e4 this catches any std error above ~2%, and the KS test any
   CDF error above ~1.5%.

Every seed is fixed and every generator involved is deterministic, so each statistic is the same
number on every run: a test either always passes or always fails (as in test_statistics.py).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

RTOL = 1e-5
P_MIN = 1e-4
N_SIGMA = 5.0

_TRUNC = stats.truncnorm(-2.0, 2.0)
#: std of a unit normal truncated to [-2, 2] (Keras's and JAX's 0.87962566103423978), from scipy
TRUNC_STD = float(_TRUNC.std())
KURTOSIS = {"uniform": -1.2, "normal": 0.0, "truncated_normal": float(_TRUNC.stats(moments="k"))}


def as_f64(x) -> np.ndarray:
    """A framework tensor (torch, JAX, NumPy) as a flat float64 NumPy array."""
    if hasattr(x, "detach"):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64).ravel()


def affine_fit(out, unit) -> tuple[float, float]:
    """(alpha, beta) with out ~= alpha + beta * unit, by least squares in float64."""
    y, x = as_f64(out), as_f64(unit)
    assert y.shape == x.shape and y.size > 10
    xm, ym = x.mean(), y.mean()
    beta = float(((x - xm) * (y - ym)).sum() / ((x - xm) ** 2).sum())
    alpha = float(ym - beta * xm)
    resid = np.abs(y - (alpha + beta * x)).max()
    assert resid <= 1e-5 * (abs(alpha) + abs(beta) * np.abs(x).max()), (
        f"not an affine function of the unit sample (max residual {resid:.3g}): different draws?")
    return alpha, beta


def assert_params(ours: tuple[float, float], theirs: tuple[float, float], what: str) -> None:
    """Fitted (alpha, beta) pairs agree: beta to RTOL, alpha to RTOL * |beta|."""
    (a1, b1), (a2, b2) = ours, theirs
    scale = max(abs(b1), abs(b2), 1e-300)
    assert abs(b1 - b2) <= RTOL * scale and abs(a1 - a2) <= RTOL * scale, (
        f"{what}: fastinit (alpha, beta) = ({a1:.9g}, {b1:.9g}), framework ({a2:.9g}, {b2:.9g})")


def assert_same_distribution(ours, theirs, sigma: float, kind: str, what: str, mean: float = 0.0,
                             bound: float | None = None) -> None:
    """fastinit's and the framework's samples both match N(mean, sigma)-like moments and each other."""
    x, y = as_f64(ours), as_f64(theirs)
    assert np.isfinite(x).all() and np.isfinite(y).all()
    kurt = KURTOSIS[kind]
    for name, s in (("fastinit", x), ("framework", y)):
        se = sigma * math.sqrt((kurt + 2.0) / (4.0 * s.size))
        assert abs(s.std() - sigma) <= N_SIGMA * se, (
            f"{what}: {name} sample std {s.std():.6g} vs formula {sigma:.6g} (n = {s.size}, 5 SE = {N_SIGMA * se:.3g})")
        se_mean = sigma / math.sqrt(s.size)
        assert abs(s.mean() - mean) <= N_SIGMA * se_mean, f"{what}: {name} sample mean {s.mean():.6g} vs {mean}"
    res = stats.ks_2samp(x, y)
    assert res.pvalue > P_MIN, (f"{what}: two-sample KS D = {res.statistic:.3g}, p = {res.pvalue:.3g} "
                                f"(n = {x.size}, {y.size})")
    if bound is not None:
        assert np.abs(x - mean).max() <= bound * (1 + 1e-6), f"{what}: fastinit value beyond {bound}"


def half_of_truncated(f32: np.ndarray, lo: float, hi: float, dtype) -> np.ndarray:
    """What a float16/bfloat16 truncated-normal fill gives, from the float32 fill of the same seed:
    each float32 value rounded to ``dtype`` (nearest, ties to even), except that a value which
    rounds past a bound of ``[lo, hi]`` is that bound rounded inward in ``dtype`` (the rounded value's
    neighbour on the inside; docs/stream-v1.md section 9.2). Computed from the bits, independently
    of fastinit."""
    rounded = np.asarray(f32, np.float32).astype(dtype)
    bits = rounded.view(np.uint16).astype(np.int32)
    value = rounded.astype(np.float64)
    negative = (bits & 0x8000) != 0
    up = np.where(negative, bits - 1, bits + 1)      # the next value of the format above
    down = np.where(negative, bits + 1, bits - 1)    # ... and below
    bits = np.where(value < lo, up, np.where(value > hi, down, bits))
    out = bits.astype(np.uint16).view(dtype).reshape(rounded.shape)
    assert ((out.astype(np.float64) >= lo) & (out.astype(np.float64) <= hi)).all()
    return out
