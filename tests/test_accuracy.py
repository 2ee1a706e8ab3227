"""Accuracy of the samplers against independent float64 references (docs/stream-v1.md, sections 4-9, 12).

The design bounds the error of ``z = Phi^-1(u)`` against the exact inverse CDF of the *same* open
uniform ``u``:

    float32: |z - z_exact| <= 1e-6  * max(1, |z_exact|)
    float64: |z - z_exact| <= 1e-12 * max(1, |z_exact|)

``z_exact`` here is ``scipy.special.ndtri`` in float64, mirrored to the side where the tail
probability is small (for u > 1/2 it is ``-ndtri(1 - u)``; ``1 - u`` is exact for the open-uniform
levels). For the truncated normal, ``p = Phi(a) + u * (Phi(b) - Phi(a))`` is built from
``scipy.special.ndtr`` with the same mirroring (``q = Phi(-b) + (1 - u) * P(a <= Z <= b)``, and
``z = -ndtri(q)`` when ``q < p``), so that no probability near 1 is ever rounded. This reference
was checked against mpmath (50 digits) at the extreme and central levels of every interval below:
its relative error is below 5e-16, far inside both bounds.

Where the uniforms come from:

- chosen uniform levels (every float32 level, the extreme float64 levels) go through
  ``fastinit._core.transform_words``, which computes exactly what a fill computes from given words;
- random samples come from the real fills, and the uniform behind each element is rebuilt from
  ``fastinit.random_bits`` with the same seed and stream: float32 element e uses word e and
  ``u = (2*(w >> 9) + 1) * 2**-24``; float64 element e uses ``x = w[2e] | w[2e+1] << 32`` and
  ``u = (2*(x >> 12) + 1) * 2**-53``.

Also here: float16/bfloat16 fills are the float32 fills rounded to nearest even, and uniform fills
are exactly the design's formula.
"""

from __future__ import annotations

import os

import ml_dtypes
import numpy as np
import pytest
from scipy import special

import fastinit
from fastinit import _core

F32_BOUND = 1e-6
F64_BOUND = 1e-12

LEVELS32 = 1 << 23  # float32 open-uniform levels k = w >> 9
LEVELS64 = 1 << 52  # float64 open-uniform levels k = x >> 12

INF = float("inf")

# (a, b) in standard deviations, as scipy.stats.truncnorm.
INTERVALS = [
    pytest.param(-2.0, 2.0, id="pm2"),
    pytest.param(0.0, INF, id="0_inf"),
    pytest.param(-INF, -3.0, id="-inf_-3"),
    pytest.param(3.0, 4.0, id="3_4"),
    pytest.param(5.0, 6.0, id="5_6_far_tail"),
    pytest.param(-8.0, -7.0, id="-8_-7_far_tail"),
    pytest.param(-1.0, 10.0, id="-1_10"),
    pytest.param(0.1, 0.1001, id="narrow"),
    # Tail probabilities below float32's normal range (Phi(-12) ~ 1.8e-33).
    pytest.param(12.0, 13.0, id="12_13_beyond_float32"),
    # Phi(-29) ~ 1e-184: only float64 arithmetic can hold these probabilities.
    pytest.param(-30.0, -29.0, id="-30_-29"),
]


# ---------------------------------------------------------------- uniforms and words


def open_u32(k: np.ndarray) -> np.ndarray:
    """float32 open uniform of level k, exactly, as float64."""
    return (2.0 * np.asarray(k, dtype=np.float64) + 1.0) * 2.0**-24


def open_u64(k: np.ndarray) -> np.ndarray:
    """float64 open uniform of level k (< 2**52), exactly: 2k + 1 < 2**53 is exact in float64."""
    return (2.0 * np.asarray(k, dtype=np.float64) + 1.0) * 2.0**-53


def words_for_levels32(k: np.ndarray) -> np.ndarray:
    """One word per element with w >> 9 == k. The 9 discarded low bits are set to a pattern that
    varies with k: they must not change the value."""
    k = np.asarray(k, dtype=np.uint32)
    return (k << np.uint32(9)) | (k & np.uint32(0x1FF))


def words_for_levels64(k: np.ndarray) -> np.ndarray:
    """Two words per element, low half first, with x >> 12 == k (the 12 low bits vary with k)."""
    k = np.asarray(k, dtype=np.uint64)
    x = (k << np.uint64(12)) | (k & np.uint64(0xFFF))
    w = np.empty(2 * k.size, dtype=np.uint32)
    w[0::2] = (x & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    w[1::2] = (x >> np.uint64(32)).astype(np.uint32)
    return w


def levels32_from_words(w: np.ndarray) -> np.ndarray:
    return (w >> np.uint32(9)).astype(np.uint64)


def words_to_x64(w: np.ndarray) -> np.ndarray:
    """Element e's 64-bit integer x = w[2e] | w[2e+1] << 32."""
    return w[0::2].astype(np.uint64) | (w[1::2].astype(np.uint64) << np.uint64(32))


def levels64_from_words(w: np.ndarray) -> np.ndarray:
    return words_to_x64(w) >> np.uint64(12)


def extreme_levels64() -> np.ndarray:
    """float64 levels: both ends densely, every power of two from each end (u from 2**-53 up to
    1/2, the whole lower and upper tail on a log scale), and dense bands around u = 1/2 and
    around the probabilities where inverse-CDF approximations usually switch formulas
    (|u - 1/2| = 0.425, and -log(u) = 25)."""
    k_edge = 1 << 15
    edge = np.arange(k_edge, dtype=np.uint64)
    pow2 = np.uint64(1) << np.arange(52, dtype=np.uint64)
    parts = [edge, np.uint64(LEVELS64 - k_edge) + edge, pow2, np.uint64(LEVELS64 - 1) - pow2]
    band = np.arange(-512, 512, dtype=np.int64)
    for u in (np.exp(-25.0), 0.075, 0.5, 0.925, -np.expm1(-25.0)):
        c = int(u * LEVELS64)
        parts.append((c + band).astype(np.uint64))
    return np.unique(np.concatenate(parts))


def extreme_levels32() -> np.ndarray:
    """float32 levels at both ends (for checks where every level would be too slow)."""
    k_edge = 1 << 15
    edge = np.arange(k_edge, dtype=np.uint64)
    return np.concatenate([edge, np.uint64(LEVELS32 - k_edge) + edge])


# ---------------------------------------------------------------- references


def ndtri_ref(u: np.ndarray) -> np.ndarray:
    """Phi^-1(u) in float64, mirrored: -Phi^-1(1 - u) for u > 1/2 (1 - u is exact here)."""
    z = np.empty_like(u)
    lower = u <= 0.5
    z[lower] = special.ndtri(u[lower])
    z[~lower] = -special.ndtri(1.0 - u[~lower])
    return z


def truncnorm_z_ref(u: np.ndarray, a: float, b: float) -> np.ndarray:
    """Phi^-1(Phi(a) + u * (Phi(b) - Phi(a))) in float64, without rounding any probability near 1:
    p = Phi(a) + u*w and q = Phi(-b) + (1-u)*w = 1 - p, w = P(a <= Z <= b) computed from the
    small tail probabilities; the smaller of p, q is inverted."""
    pa = float(special.ndtr(a))  # P(Z <= a)
    qb = float(special.ndtr(-b))  # P(Z >= b)
    if b <= 0:
        w = float(special.ndtr(b)) - pa
    elif a >= 0:
        w = float(special.ndtr(-a)) - qb
    else:
        w = (0.5 - pa) + (0.5 - qb)
    p = pa + u * w
    q = qb + (1.0 - u) * w
    z = np.empty_like(u)
    lower = p <= q
    z[lower] = special.ndtri(p[lower])
    z[~lower] = -special.ndtri(q[~lower])
    assert np.all(np.isfinite(z)), "reference broke down; the test's intervals are wrong"
    return z


# ---------------------------------------------------------------- checks


def assert_within_bound(got, exact, bound, levels, what):
    """|got - exact| <= bound * max(1, |exact|) everywhere; NaN fails. Reports the worst level."""
    got64 = np.asarray(got, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        err = np.abs(got64 - exact) / np.maximum(1.0, np.abs(exact))
    bad = ~(err <= bound)
    if bad.any():
        i = int(np.argmax(np.where(np.isnan(err), np.inf, err)))
        pytest.fail(
            f"{what}: {int(bad.sum())} of {err.size} values exceed {bound:g} * max(1, |z_exact|); "
            f"worst at uniform level k={int(levels[i])}: got {got64[i]!r}, exact {exact[i]!r}, "
            f"relative error {err[i]:.3g}"
        )


def assert_inside(got, lo, hi, levels, what):
    got64 = np.asarray(got, dtype=np.float64)
    bad = ~((got64 >= lo) & (got64 <= hi))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        pytest.fail(
            f"{what}: {int(bad.sum())} of {got64.size} values outside [{lo!r}, {hi!r}]; "
            f"first at uniform level k={int(levels[i])}: {got64[i]!r}"
        )


def transform(words, n, fmt, dist, params):
    out = np.empty(n, dtype=np.float64 if fmt == "float64" else np.float32)
    _core.transform_words(np.ascontiguousarray(words, dtype=np.uint32), out, fmt, dist, [float(p) for p in params])
    return out


@pytest.fixture(params=fastinit.simd_paths())
def simd_path(request):
    """Run on one forced SIMD path; afterwards restore what import chose (env var, else auto)."""
    restore = os.environ.get(fastinit.SIMD_ENV_VAR, "").strip().lower() or "auto"
    fastinit.set_simd_path(request.param)
    try:
        yield request.param
    finally:
        fastinit.set_simd_path(restore)


@pytest.fixture(scope="module")
def all_levels32():
    """Every float32 open-uniform level, its words, and the exact normal quantile."""
    k = np.arange(LEVELS32, dtype=np.uint64)
    return k, words_for_levels32(k), ndtri_ref(open_u32(k))


# ---------------------------------------------------------------- normal


def test_reference_levels_are_what_the_design_says():
    # The helpers above encode docs/stream-v1.md's formulas; pin them on hand-checked values so a
    # mistake in the reference cannot silently agree with a mistake in the code.
    assert open_u32(np.array([0, LEVELS32 - 1])).tolist() == [2.0**-24, 1.0 - 2.0**-24]
    assert open_u64(np.array([0, LEVELS64 - 1], dtype=np.uint64)).tolist() == [2.0**-53, 1.0 - 2.0**-53]
    w = np.array([0x12345678, 0x9ABCDEF0], dtype=np.uint32)
    assert int(words_to_x64(w)[0]) == 0x9ABCDEF012345678
    assert levels32_from_words(words_for_levels32(np.array([0, 5, LEVELS32 - 1]))).tolist() == [0, 5, LEVELS32 - 1]
    k = np.array([0, 12345, LEVELS64 - 1], dtype=np.uint64)
    assert levels64_from_words(words_for_levels64(k)).tolist() == k.tolist()
    # Phi^-1 at the extreme levels (values from the defining equation, mpmath-checked).
    z = ndtri_ref(np.array([2.0**-24, 0.5, 2.0**-53]))
    assert z[0] == pytest.approx(-5.294704084854598, rel=1e-15)
    assert z[1] == 0.0
    assert z[2] == pytest.approx(-8.209536151601387, rel=1e-15)


def test_normal_float32_every_level(simd_path, all_levels32):
    k, words, z_exact = all_levels32
    z = transform(words, k.size, "float32", "normal", [0.0, 1.0])
    assert_within_bound(z, z_exact, F32_BOUND, k, f"normal float32, all 2**23 levels, {simd_path}")


def test_normal_float64_extreme_levels(simd_path):
    k = extreme_levels64()
    z = transform(words_for_levels64(k), k.size, "float64", "normal", [0.0, 1.0])
    assert_within_bound(z, ndtri_ref(open_u64(k)), F64_BOUND, k, f"normal float64, extreme levels, {simd_path}")
    # The extreme levels reach the far tails the bound is about.
    assert z.min() < -8.2 and z.max() > 8.2


def test_normal_float32_fill_random_sample():
    n, seed, stream = 1 << 22, 0x5EED_0001, "accuracy/normal/float32"
    k = levels32_from_words(fastinit.random_bits((n,), seed=seed, stream=stream))
    z = fastinit.normal((n,), seed=seed, stream=stream, dtype=np.float32)
    assert_within_bound(z, ndtri_ref(open_u32(k)), F32_BOUND, k, "normal float32 fill")


def test_normal_float64_fill_random_sample():
    n, seed, stream = 1 << 22, 0x5EED_0002, "accuracy/normal/float64"
    k = levels64_from_words(fastinit.random_bits((2 * n,), seed=seed, stream=stream))
    z = fastinit.normal((n,), seed=seed, stream=stream, dtype=np.float64)
    assert_within_bound(z, ndtri_ref(open_u64(k)), F64_BOUND, k, "normal float64 fill")


# ---------------------------------------------------------------- truncated normal


@pytest.mark.parametrize("a,b", INTERVALS)
def test_truncated_normal_float32_every_level(a, b, all_levels32):
    k, words, _ = all_levels32
    z = transform(words, k.size, "float32", "truncated_normal", [0.0, 1.0, a, b])
    what = f"truncated_normal float32 [{a}, {b}], all 2**23 levels"
    assert_inside(z, a, b, k, what)
    assert_within_bound(z, truncnorm_z_ref(open_u32(k), a, b), F32_BOUND, k, what)


@pytest.mark.parametrize("a,b", INTERVALS)
def test_truncated_normal_float64_extreme_levels(a, b):
    k = extreme_levels64()
    z = transform(words_for_levels64(k), k.size, "float64", "truncated_normal", [0.0, 1.0, a, b])
    what = f"truncated_normal float64 [{a}, {b}], extreme levels"
    assert_inside(z, a, b, k, what)
    assert_within_bound(z, truncnorm_z_ref(open_u64(k), a, b), F64_BOUND, k, what)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["float32", "float64"])
@pytest.mark.parametrize("a,b", INTERVALS)
def test_truncated_normal_fill_random_sample(a, b, dtype):
    n, seed, stream = 1 << 20, 0x5EED_0003, f"accuracy/truncated_normal/{a}/{b}"
    if dtype == np.float32:
        k = levels32_from_words(fastinit.random_bits((n,), seed=seed, stream=stream))
        u, bound = open_u32(k), F32_BOUND
    else:
        k = levels64_from_words(fastinit.random_bits((2 * n,), seed=seed, stream=stream))
        u, bound = open_u64(k), F64_BOUND
    z = fastinit.truncated_normal((n,), 0.0, 1.0, a, b, seed=seed, stream=stream, dtype=dtype)
    what = f"truncated_normal {np.dtype(dtype)} fill [{a}, {b}]"
    assert_inside(z, a, b, k, what)
    assert_within_bound(z, truncnorm_z_ref(u, a, b), bound, k, what)


@pytest.mark.parametrize("fmt", ["float32", "float64"])
@pytest.mark.parametrize(
    "mean,std,a,b",
    [
        (0.1, 0.3, -2.0, 2.0),
        (-1.5, 0.02, 3.0, 4.0),
        (1e3, 7.0, -INF, -3.0),
        (0.0, 1e-3, 0.1, 0.1001),
        (2.0, 0.5, 5.0, 6.0),
        (-0.7, 1.3, 12.0, 13.0),
    ],
)
def test_truncated_normal_with_mean_std_stays_inside(fmt, mean, std, a, b):
    # docs/stream-v1.md §9.2: results lie in [mean + a*std, mean + b*std], also after mean + std*z rounds.
    # The extreme levels put z next to a and b, where that rounding can step outside.
    lo, hi = mean + a * std, mean + b * std
    if fmt == "float32":
        k = np.arange(LEVELS32, dtype=np.uint64)  # no reference needed: every level is cheap
        words = words_for_levels32(k)
    else:
        k = extreme_levels64()
        words = words_for_levels64(k)
    v = transform(words, k.size, fmt, "truncated_normal", [mean, std, a, b])
    assert_inside(v, lo, hi, k, f"truncated_normal {fmt} mean={mean} std={std} [{a}, {b}]")


# ---------------------------------------------------------------- float16 / bfloat16

HALF_DTYPES = [
    pytest.param(np.float16, "float16", id="float16"),
    pytest.param(ml_dtypes.bfloat16, "bfloat16", id="bfloat16"),
]

FILLS = [
    pytest.param("uniform", (0.0, 1.0), id="uniform_0_1"),
    pytest.param("uniform", (-3.0, 5.0), id="uniform_-3_5"),
    pytest.param("normal", (0.0, 1.0), id="normal_0_1"),
    pytest.param("normal", (2.0, 0.25), id="normal_2_0.25"),
    pytest.param("normal", (0.0, 1e-5), id="normal_tiny_std"),  # float16 subnormals
    pytest.param("truncated_normal", (0.0, 1.0, -2.0, 2.0), id="truncnorm_pm2"),
    pytest.param("truncated_normal", (1.0, 0.5, 5.0, 6.0), id="truncnorm_5_6"),
    pytest.param("truncated_normal", (0.0, 1.0, 12.0, 13.0), id="truncnorm_12_13"),
]


@pytest.mark.parametrize("dist,params", FILLS)
@pytest.mark.parametrize("dtype,name", HALF_DTYPES)
def test_half_formats_are_float32_rounded_to_nearest_even(dtype, name, dist, params):
    n, seed, stream = 1 << 20, 0x5EED_0004, f"accuracy/half/{dist}/{params}"
    fill = getattr(fastinit, dist)
    half = fill((n,), *params, seed=seed, stream=stream, dtype=name)
    f32 = fill((n,), *params, seed=seed, stream=stream, dtype=np.float32)
    assert half.dtype == np.dtype(dtype)
    expected = f32.astype(dtype)
    bad = half.view(np.uint16) != expected.view(np.uint16)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        pytest.fail(
            f"{name} {dist}{params}: {int(bad.sum())} of {n} elements differ from the rounded "
            f"float32 fill; first at element {i}: float32 {f32[i]!r}, got {half[i]!r} "
            f"(bits {half.view(np.uint16)[i]:#06x}), expected {expected[i]!r} "
            f"(bits {expected.view(np.uint16)[i]:#06x})"
        )


@pytest.mark.parametrize("dtype,name", HALF_DTYPES)
def test_half_formats_round_ties_to_even(dtype, name):
    # Independent of NumPy's and ml_dtypes' conversions: take the float32 values that lie exactly
    # halfway between two neighbours of the narrow format and check the fill chose the neighbour
    # with the even last mantissa bit. uniform(0, 1) in float32 has 24 random mantissa bits in
    # [1/2, 1), so ties occur there at a rate of 2**-13 (float16) or 2**-16 (bfloat16).
    n, seed, stream = 1 << 20, 0x5EED_0005, "accuracy/half/ties"
    f32 = fastinit.uniform((n,), 0.0, 1.0, seed=seed, stream=stream, dtype=np.float32)
    half = fastinit.uniform((n,), 0.0, 1.0, seed=seed, stream=stream, dtype=name)
    dropped = 13 if name == "float16" else 16  # float32 mantissa bits the narrow format lacks
    bits = f32.view(np.uint32)
    low_mask = np.uint32((1 << dropped) - 1)
    # float16's normal range starts at 2**-14; below it the rounding position moves.
    tie = (f32 >= np.float32(2.0**-14)) & ((bits & low_mask) == np.uint32(1 << (dropped - 1)))
    n_ties = int(tie.sum())
    assert n_ties > (n / 2) * 2.0**-dropped / 4, f"only {n_ties} ties in the sample; the test lost its point"
    down = bits[tie] & ~low_mask  # both neighbours, as float32 bit patterns (values are positive)
    up = down + np.uint32(1 << dropped)
    even = np.where(((down >> np.uint32(dropped)) & np.uint32(1)) == 0, down, up)
    got = half[tie].astype(np.float32).view(np.uint32)  # widening is exact
    bad = got != even
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        pytest.fail(
            f"{name}: tie {f32[tie][i]!r} rounded to {half[tie][i]!r}, expected "
            f"{even[i:i + 1].view(np.float32)[0]!r} ({int(bad.sum())} of {n_ties} ties wrong)"
        )


# ---------------------------------------------------------------- uniform: the design's formula

UNIFORM_BOUNDS = [
    pytest.param(0.0, 1.0, id="0_1"),
    pytest.param(-0.1, 0.3, id="-0.1_0.3"),
    pytest.param(-3.0, 5.0, id="-3_5"),
    pytest.param(1e-3, 1e-3 + 1e-9, id="narrow"),
    pytest.param(-1e30, 1e30, id="huge"),
]

# Words for the extreme uniforms: u = 0, the smallest step, and the largest u below 1.
EXTREME_WORDS32 = np.array([0, 0xFF, 0x100, 0x1FF, 0xFFFFFEFF, 0xFFFFFF00, 0xFFFFFFFF], dtype=np.uint32)
EXTREME_WORDS64 = np.array(
    [0, 0, 0x7FF, 0, 0x800, 0, 0xFFFFF7FF, 0xFFFFFFFF, 0xFFFFF800, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF],
    dtype=np.uint32,
)


def uniform_formula_f32(words, low, high):
    """docs/stream-v1.md §7 in float32: u = (w >> 8) * 2**-24 (exact); low + (high - low) * u with low and
    high in float32, one rounded multiply and one rounded add; then min(., high)."""
    u = (words >> np.uint32(8)).astype(np.float32) * np.float32(2.0**-24)
    lo32, hi32 = np.float32(low), np.float32(high)
    return np.minimum(lo32 + (hi32 - lo32) * u, hi32)


def uniform_formula_f64(words, low, high):
    """docs/stream-v1.md §7 in float64: u = (x >> 11) * 2**-53 (exact); low + (high - low) * u; min(., high)."""
    u = (words_to_x64(words) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    return np.minimum(low + (high - low) * u, high)


def assert_same_bits(got, expected, words_per, words, what):
    uint = np.uint32 if got.dtype == np.float32 else np.uint64
    bad = got.view(uint) != expected.view(uint)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        w = words[words_per * i: words_per * (i + 1)]
        pytest.fail(
            f"{what}: {int(bad.sum())} of {got.size} values differ from the design's formula; first at "
            f"element {i} (words {[hex(int(x)) for x in w]}): got {got[i]!r}, expected {expected[i]!r}"
        )


@pytest.mark.parametrize("low,high", UNIFORM_BOUNDS)
def test_uniform_float32_is_the_design_formula(low, high):
    n, seed, stream = 1 << 20, 0x5EED_0006, f"accuracy/uniform32/{low}/{high}"
    words = fastinit.random_bits((n,), seed=seed, stream=stream)
    got = fastinit.uniform((n,), low, high, seed=seed, stream=stream, dtype=np.float32)
    assert_same_bits(got, uniform_formula_f32(words, low, high), 1, words, f"uniform float32 ({low}, {high}) fill")

    ext = transform(EXTREME_WORDS32, EXTREME_WORDS32.size, "float32", "uniform", [low, high])
    assert_same_bits(ext, uniform_formula_f32(EXTREME_WORDS32, low, high), 1, EXTREME_WORDS32,
                     f"uniform float32 ({low}, {high}) extreme words")
    # Results lie in [low, high] as float32 numbers (the bounds themselves rounded to float32).
    lo32, hi32 = np.float32(low), np.float32(high)
    allv = np.concatenate([got, ext])
    assert allv.min() >= lo32 and allv.max() <= hi32
    assert ext[0] == lo32  # u = 0 gives low exactly


@pytest.mark.parametrize("low,high", UNIFORM_BOUNDS)
def test_uniform_float64_is_the_design_formula(low, high):
    n, seed, stream = 1 << 20, 0x5EED_0007, f"accuracy/uniform64/{low}/{high}"
    words = fastinit.random_bits((2 * n,), seed=seed, stream=stream)
    got = fastinit.uniform((n,), low, high, seed=seed, stream=stream, dtype=np.float64)
    assert_same_bits(got, uniform_formula_f64(words, low, high), 2, words, f"uniform float64 ({low}, {high}) fill")

    m = EXTREME_WORDS64.size // 2
    ext = transform(EXTREME_WORDS64, m, "float64", "uniform", [low, high])
    assert_same_bits(ext, uniform_formula_f64(EXTREME_WORDS64, low, high), 2, EXTREME_WORDS64,
                     f"uniform float64 ({low}, {high}) extreme words")
    allv = np.concatenate([got, ext])
    assert allv.min() >= low and allv.max() <= high
    assert ext[0] == low
