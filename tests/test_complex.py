"""Complex outputs (docs/stream-v1.md, Section 13): the layout extension of stream version 1, the
elementwise fills on complex64/complex128, cos/sin of a turn, and the polar samplers.

References are independent of fastinit's code: words from tests/philox_reference.py, the
document's formulas written here in plain Python floats (IEEE binary64, no fma), the document's
log and exp as tests/test_stream_doc.py implements them, and exact rational arithmetic for the
coefficients.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from test_stream_doc import Fmt, exp_doc, log_doc, table

import fastinit
from fastinit.core.complex import cos_sin_turns, exp64, log64

from philox_reference import element_words64, stream_words, uniform01_f32, uniform01_f64

SEED = 0x0DDC0FFEE
STREAM = "complex"
STREAM_INT = fastinit.stream_from_name(STREAM)
PARTS = {np.complex64: np.float32, np.complex128: np.float64}
COMPLEX = list(PARTS)


def same_bits(got: np.ndarray, want: np.ndarray) -> None:
    got = np.ascontiguousarray(got)
    want = np.ascontiguousarray(np.asarray(want, dtype=got.dtype))
    assert got.shape == want.shape
    view = {8: np.uint64, 16: np.uint64, 4: np.uint32}[got.itemsize]
    bad = np.flatnonzero(got.view(view) != want.view(view))
    assert bad.size == 0, f"{bad.size} differ, first at flat {bad[0]}"


def parts(z: np.ndarray) -> np.ndarray:
    """A complex array's (..., 2) real view (a copy, C order)."""
    return np.ascontiguousarray(z).view(PARTS[z.dtype.type]).reshape(z.shape + (2,))


# ---------------------------------------------------------------- layout (13.1, 13.2)

@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("name,params,real_params", [
    ("uniform", (-0.5, 2.0), (-0.5, 2.0)),
    ("normal", (0.25, 3.0), (0.25, 3.0 / math.sqrt(2.0))),
    ("truncated_normal", (0.0, 2.0, -1.5, 2.5), (0.0, 2.0 / math.sqrt(2.0), -1.5, 2.5)),
])
def test_complex_fill_is_the_real_fill_of_its_parts(dtype, name, params, real_params):
    fn = getattr(fastinit, name)
    z = fn((5, 7), *params, seed=SEED, stream=STREAM, dtype=dtype)
    assert z.dtype == dtype and z.shape == (5, 7)
    same_bits(parts(z), fn((5, 7, 2), *real_params, seed=SEED, stream=STREAM, dtype=PARTS[dtype]))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_uniform_uses_the_documented_words(dtype):
    """Real part of element e: real element 2e; imaginary: 2e + 1 (near 2**40, high counter word)."""
    n, start, full = 500, 2**40 - 250, 2**40 + 500
    z = fastinit.uniform(n, -1.0, 3.0, seed=SEED, stream=STREAM, dtype=dtype, full_shape=(full,),
                         index=slice(start, start + n))
    real = np.arange(2 * start, 2 * (start + n), dtype=np.uint64)
    if dtype is np.complex64:
        u = uniform01_f32(stream_words(SEED, STREAM_INT, real))
        lo, hi = np.float32(-1.0), np.float32(3.0)
        want = np.minimum(lo + (hi - lo) * u, hi)
    else:
        u = uniform01_f64(element_words64(SEED, STREAM_INT, real))
        want = np.minimum(-1.0 + 4.0 * u, 3.0)
    same_bits(parts(z).reshape(-1), want)


def _whole_and_shards(fn, dtype, **kw):
    whole = fn((6, 9), seed=SEED, stream=STREAM, dtype=dtype, **kw)
    for index in [(slice(1, 4), slice(2, 9)), 4, (-1,), (slice(None), 3), (2, slice(0, 0)), (slice(5, 6),)]:
        want = whole[index]
        got = np.empty(np.shape(want), dtype=dtype)
        fn(got, seed=SEED, stream=STREAM, full_shape=(6, 9), index=index, **kw)
        same_bits(got, want)
    return whole


FILLS = [
    (fastinit.uniform, {"low": -2.0, "high": 1.0}),
    (fastinit.normal, {"mean": 1.0, "std": 0.5}),
    (fastinit.truncated_normal, {"std": 2.0, "a": -1.0, "b": 3.0}),
    (fastinit.uniform_disk, {"radius": 3.0}),
    (fastinit.truncated_normal_disk, {"std": 0.5, "bound": 2.0}),
]


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("fn,kw", FILLS, ids=[f.__name__ for f, _ in FILLS])
def test_shards_and_strides_equal_the_whole(dtype, fn, kw):
    whole = _whole_and_shards(fn, dtype, **kw)
    fortran = np.zeros((9, 6), dtype=dtype).T
    fn(fortran, seed=SEED, stream=STREAM, **kw)
    same_bits(fortran, whole)
    strided = np.zeros((6, 18), dtype=dtype)[:, ::2]
    fn(strided, seed=SEED, stream=STREAM, **kw)
    same_bits(strided, whole)
    scalar = np.zeros((), dtype=dtype)
    fn(scalar, seed=SEED, stream=STREAM, full_shape=(6, 9), index=(2, 3), **kw)
    assert scalar == whole[2, 3]


def test_complex_index_checks_name_the_complex_shape():
    with pytest.raises(ValueError, match=r"out has shape \(3,\) but full\[index\] has shape \(9,\)"):
        fastinit.normal(np.empty(3, np.complex64), full_shape=(6, 9), index=2)
    with pytest.raises(ValueError, match="index has 3 entries"):
        fastinit.uniform(np.empty(1, np.complex64), full_shape=(6, 9), index=(1, 2, 3))
    with pytest.raises(TypeError, match="does not match out.dtype=complex64"):
        fastinit.uniform(np.empty(2, np.complex64), dtype=np.complex128)
    with pytest.raises(ValueError, match="read-only"):
        a = np.empty(2, np.complex64)
        a.flags.writeable = False
        fastinit.normal(a)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_moments(dtype):
    z = fastinit.normal(200_000, 0.5, 3.0, seed=1, dtype=dtype)
    assert abs(np.mean(np.abs(z - (0.5 + 0.5j)) ** 2) / 9.0 - 1) < 0.02
    assert abs(z.real.std() / (3 / math.sqrt(2)) - 1) < 0.01 and abs(z.imag.std() / (3 / math.sqrt(2)) - 1) < 0.01
    assert abs(np.corrcoef(z.real, z.imag)[0, 1]) < 0.01
    u = fastinit.uniform(100_000, -1.0, 3.0, seed=1, dtype=dtype)
    for p in (u.real, u.imag):
        assert p.min() >= -1 and p.max() <= 3 and abs(p.mean() - 1) < 0.02
    t = fastinit.truncated_normal(100_000, 0.0, 2.0, -2.0, 2.0, seed=1, dtype=dtype)
    bound = 2.0 * 2.0 / math.sqrt(2.0)
    assert np.abs(t.real).max() <= bound * (1 + 1e-6) and np.abs(t.imag).max() <= bound * (1 + 1e-6)


@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_constant_zeros_ones(dtype):
    same_bits(fastinit.constant((3,), 1.5 - 2.25j, dtype=dtype), np.full(3, 1.5 - 2.25j, dtype))
    same_bits(fastinit.constant(np.zeros((2, 2), dtype), np.float32(0.1)), np.full((2, 2), np.float32(0.1), dtype))
    same_bits(fastinit.ones((2,), dtype=dtype), np.ones(2, dtype))
    same_bits(fastinit.zeros(np.full(4, 3j, dtype)), np.zeros(4, dtype))
    third = fastinit.constant((1,), 1 / 3 + 1j / 3, dtype=dtype)
    assert third.real[0] == PARTS[dtype](1 / 3) and third.imag[0] == PARTS[dtype](1 / 3)


def test_complex_constant_and_random_bits_refusals():
    with pytest.raises(ValueError, match="overflows float32"):
        fastinit.constant(np.zeros(2, np.complex64), 1j * 1e39)
    with pytest.raises(TypeError, match="value must be a real or complex number, got bool"):
        fastinit.constant(np.zeros(2, np.complex64), True)
    with pytest.raises(TypeError, match="value must be a real number"):
        fastinit.constant(np.zeros(2, np.float32), 1j)
    with pytest.raises(TypeError, match="complex64 is not supported here; use one of: uint32"):
        fastinit.random_bits((2,), dtype=np.complex64)
    with pytest.raises(TypeError, match="mean must be a real number"):
        fastinit.normal(np.zeros(2, np.complex64), mean=1j)


# ---------------------------------------------------------------- cos and sin of a turn (13.3)

PI_60 = Fraction("3.141592653589793238462643383279502884197169399375105820974944")


def test_turn_coefficients_are_the_rounded_taylor_coefficients():
    rows = table("T")
    assert [(r[0], int(r[1])) for r in rows] == [("S", k) for k in range(9)] + [("C", k) for k in range(1, 10)]
    for name, k, hexval in rows:
        degree = 2 * int(k) + (1 if name == "S" else 0)
        exact = (-1) ** int(k) * (2 * PI_60) ** degree / math.factorial(degree)
        assert float(exact) == float.fromhex(hexval), (name, k)  # Fraction -> float rounds to nearest


def _cos_sin_doc(u: float) -> tuple[float, float]:
    """Section 13.3 in Python floats, from Table T."""
    rows = table("T")
    s_c = [float.fromhex(h) for n, _, h in rows if n == "S"]
    c_c = [float.fromhex(h) for n, _, h in rows if n == "C"]
    n = round(4 * u)  # Python's round: ties to even
    r = u - n * 0.25
    r2 = r * r
    acc = s_c[-1]
    for c in reversed(s_c[:-1]):
        acc = acc * r2 + c
    s = r * acc
    acc = c_c[-1]
    for c in reversed(c_c[:-1]):
        acc = acc * r2 + c
    c = 1 + r2 * acc
    return [(c, s), (-s, c), (-c, -s), (s, -c)][n % 4]


GOLDEN_TURNS = [  # u, cos(2 pi u), sin(2 pi u): pinned bits (each also within 2**-52 of the exact values)
    ("0x0.0p+0", "0x1.0000000000000p+0", "0x0.0p+0"),
    ("0x1.0000000000000p-3", "0x1.6a09e667f3bcdp-1", "0x1.6a09e667f3bccp-1"),
    ("0x1.3333333333333p-2", "-0x1.3c6ef372fe94ep-2", "0x1.e6f0e13445500p-1"),
    ("0x1.6a09e667f3bcdp-1", "-0x1.10a53d89d00c5p-2", "-0x1.ed84a1fe3e5b2p-1"),
    ("0x1.fffffffffffffp-1", "0x1.0000000000000p+0", "-0x1.921fb54442d18p-51"),
    ("0x1.0000000000000p-1", "-0x1.0000000000000p+0", "-0x0.0p+0"),
    ("0x1.0000000000000p-30", "0x1.0000000000000p+0", "0x1.921fb54442d18p-28"),
    ("0x1.ccccccccccccdp-1", "0x1.9e3779b97f4a8p-1", "-0x1.2cf2304755a5cp-1"),
]


def test_cos_sin_turns_golden_values_and_document():
    u = np.array([float.fromhex(g[0]) for g in GOLDEN_TURNS])
    cos, sin = cos_sin_turns(u)
    same_bits(cos, [float.fromhex(g[1]) for g in GOLDEN_TURNS])
    same_bits(sin, [float.fromhex(g[2]) for g in GOLDEN_TURNS])
    rng = np.random.default_rng(7)
    sample = np.concatenate([rng.random(2000), np.arange(64) / 64, (np.arange(64) + 0.5) / 64])
    cos, sin = cos_sin_turns(sample)
    doc = np.array([_cos_sin_doc(float(x)) for x in sample])
    same_bits(cos, doc[:, 0])
    same_bits(sin, doc[:, 1])


def test_cos_sin_turns_accuracy():
    rng = np.random.default_rng(3)
    u = np.concatenate([rng.random(200_000), rng.random(1000) * 2.0**-20, 1 - rng.random(1000) * 2.0**-20])
    cos, sin = cos_sin_turns(u)
    # numpy's own error (2*pi*u is rounded first) is below 8e-16 here
    assert np.abs(cos - np.cos(2 * np.pi * u)).max() < 1.5e-15
    assert np.abs(sin - np.sin(2 * np.pi * u)).max() < 1.5e-15
    assert np.abs(cos * cos + sin * sin - 1).max() < 1e-15
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    worst = 0.0
    for x, c, s in zip(u[:1500], cos[:1500], sin[:1500]):
        angle = 2 * mpmath.pi * mpmath.mpf(float(x))
        worst = max(worst, abs(float(mpmath.cos(angle) - c)), abs(float(mpmath.sin(angle) - s)))
    assert worst <= 2.0**-52


def test_log64_and_exp64_are_the_documents():
    rng = np.random.default_rng(5)
    t = np.concatenate([rng.random(5000) + 2.0**-53, [1.0, 2.0**-53, math.exp(-4.0), 0.5]])
    same_bits(log64(t), log_doc(t, Fmt(False)))
    assert log64(np.array([1.0]))[0] == 0.0
    for x in (-4.0, -1e-30, -0.3, -1.0, -16.0, -700.0, -800.0, 0.5, 3.0, 710.0, -math.inf):
        assert exp64(x) == exp_doc(x), x
    assert abs(exp64(-4.0) / math.exp(-4.0) - 1) < 2.3e-16


# ---------------------------------------------------------------- polar samplers (13.4)

def _u1_u2(dtype, start: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    real = np.arange(2 * start, 2 * (start + n), dtype=np.uint64)
    if dtype is np.complex64:
        u = uniform01_f32(stream_words(SEED, STREAM_INT, real)).astype(np.float64)
    else:
        u = uniform01_f64(element_words64(SEED, STREAM_INT, real))
    return u[0::2], u[1::2]


def _polar_doc(rho: np.ndarray, u2: np.ndarray, dtype) -> np.ndarray:
    cs = np.array([_cos_sin_doc(float(x)) for x in u2])
    want = np.empty(len(rho), dtype)
    want.real = rho * cs[:, 0]
    want.imag = rho * cs[:, 1]
    return want


@pytest.mark.parametrize("dtype", COMPLEX)
def test_uniform_disk_from_the_document(dtype):
    n, start = 400, 2**41 - 1000
    got = fastinit.uniform_disk(n, 2.5, seed=SEED, stream=STREAM, dtype=dtype, full_shape=(2**41,),
                                index=slice(start, start + n))
    u1, u2 = _u1_u2(dtype, start, n)
    same_bits(got, _polar_doc(np.array([2.5 * math.sqrt(x) for x in u1]), u2, dtype))


@pytest.mark.parametrize("dtype", COMPLEX)
@pytest.mark.parametrize("bound", [2.0, 0.5, math.inf])
def test_truncated_normal_disk_from_the_document(dtype, bound):
    n, start = 400, 12345
    got = fastinit.truncated_normal_disk(n, 0.75, bound, seed=SEED, stream=STREAM, dtype=dtype, full_shape=(20000,),
                                         index=slice(start, start + n))
    u1, u2 = _u1_u2(dtype, start, n)
    c = 1.0 - exp_doc(-(bound * bound))
    s = 0.0 - log_doc(1.0 - c * u1, Fmt(False))
    same_bits(got, _polar_doc(np.array([0.75 * math.sqrt(x) for x in s]), u2, dtype))


@pytest.mark.parametrize("dtype", COMPLEX)
def test_disk_moments(dtype):
    z = fastinit.uniform_disk(200_000, 2.0, seed=2, dtype=dtype)
    assert np.abs(z).max() <= 2.0 * (1 + 1e-6)
    assert abs(np.mean(np.abs(z) ** 2) / 2.0 - 1) < 0.01  # radius**2 / 2
    assert abs(np.mean(np.abs(z) <= 1.0) - 0.25) < 0.005  # area fraction
    assert abs(np.mean(z)) < 0.01
    for b in (2.0, 1.0):
        t = fastinit.truncated_normal_disk(200_000, 1.5, b, seed=3, dtype=dtype)
        assert np.abs(t).max() <= 1.5 * b * (1 + 1e-6)
        expected = 1 - b * b * math.exp(-b * b) / (1 - math.exp(-b * b))  # E|z0|^2 given |z0| <= b
        assert abs(np.mean(np.abs(t) ** 2) / (2.25 * expected) - 1) < 0.01
        assert abs(np.mean(np.angle(t))) < 0.02
    free = fastinit.truncated_normal_disk(200_000, 1.5, math.inf, seed=4, dtype=dtype)
    assert abs(free.real.std() / (1.5 / math.sqrt(2)) - 1) < 0.01


def test_disk_defaults_and_refusals():
    assert fastinit.uniform_disk((2, 3), seed=1).dtype == np.complex64
    assert fastinit.truncated_normal_disk(4, seed=1).dtype == np.complex64
    with pytest.raises(TypeError, match="float32 is not supported here; use one of: complex64, complex128"):
        fastinit.uniform_disk(np.zeros(3, np.float32))
    with pytest.raises(ValueError, match="radius must be >= 0"):
        fastinit.uniform_disk(3, -1.0)
    with pytest.raises(ValueError, match="bound must be > 0"):
        fastinit.truncated_normal_disk(3, 1.0, 0.0)
    with pytest.raises(ValueError, match="bound must not be NaN"):
        fastinit.truncated_normal_disk(3, 1.0, math.nan)
    with pytest.raises(ValueError, match="std must be finite"):
        fastinit.truncated_normal_disk(3, math.inf)
    with pytest.raises(TypeError, match="radius must be a real number"):
        fastinit.uniform_disk(3, "1")


# ---------------------------------------------------------------- variance scaling (JAX's complex forms)

@pytest.mark.parametrize("dtype", COMPLEX)
def test_complex_variance_scaling_is_the_documented_sampler(dtype):
    shape, v = (30, 40), 2.0 / 30  # scale 2, fan_in 30 (Keras/JAX layout)
    kw = {"seed": SEED, "stream": STREAM}
    same_bits(fastinit.variance_scaling(shape, 2.0, "fan_in", "truncated_normal", dtype=dtype, **kw),
              fastinit.truncated_normal_disk(shape, math.sqrt(v) / 0.95311164380491208, 2.0, dtype=dtype, **kw))
    same_bits(fastinit.variance_scaling(shape, 2.0, "fan_in", "normal", dtype=dtype, **kw),  # Keras alias
              fastinit.truncated_normal_disk(shape, math.sqrt(v) / 0.95311164380491208, 2.0, dtype=dtype, **kw))
    same_bits(fastinit.variance_scaling(shape, 2.0, "fan_in", "untruncated_normal", dtype=dtype, **kw),
              fastinit.normal(shape, 0.0, math.sqrt(v), dtype=dtype, **kw))
    same_bits(fastinit.variance_scaling(np.zeros(shape, dtype), 2.0, "fan_in", "uniform", **kw),
              fastinit.uniform_disk(shape, math.sqrt(2 * v), dtype=dtype, **kw))
    part = np.empty((10, 40), dtype)  # a shard: fans of the whole tensor
    fastinit.variance_scaling(part, 2.0, "fan_in", "uniform", full_shape=shape, index=slice(5, 15), **kw)
    same_bits(part, fastinit.uniform_disk(shape, math.sqrt(2 * v), dtype=dtype, **kw)[5:15])


@pytest.mark.parametrize("distribution,jax_name", [("truncated_normal", "truncated_normal"),
                                                   ("untruncated_normal", "normal"), ("uniform", "uniform")])
def test_complex_variance_scaling_matches_jax(distribution, jax_name):
    jax = pytest.importorskip("jax")
    shape = (300, 400)
    ours = fastinit.variance_scaling(shape, 1.5, "fan_avg", distribution, seed=1, dtype=np.complex64)
    init = jax.nn.initializers.variance_scaling(1.5, "fan_avg", jax_name, dtype=jax.numpy.complex64)
    theirs = np.asarray(init(jax.random.key(0), shape))
    assert ours.dtype == theirs.dtype
    for stat in (lambda z: np.mean(np.abs(z) ** 2), lambda z: z.real.std(), lambda z: z.imag.std(),
                 lambda z: np.mean(np.abs(z))):
        assert abs(stat(ours) / stat(theirs) - 1) < 0.02
    if distribution != "untruncated_normal":
        assert abs(np.abs(ours).max() / np.abs(theirs).max() - 1) < 0.01
    assert abs(np.mean(np.angle(ours))) < 0.02
    assert abs(np.corrcoef(ours.real.ravel(), ours.imag.ravel())[0, 1]) < 0.01


@pytest.mark.parametrize("name,scale,mode,distribution", [
    ("glorot_uniform", 1.0, "fan_avg", "uniform"), ("glorot_normal", 1.0, "fan_avg", "truncated_normal"),
    ("he_uniform", 2.0, "fan_in", "uniform"), ("he_normal", 2.0, "fan_in", "truncated_normal"),
    ("lecun_uniform", 1.0, "fan_in", "uniform"), ("lecun_normal", 1.0, "fan_in", "truncated_normal"),
])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_named_presets_take_complex_as_variance_scaling(name, scale, mode, distribution, dtype):
    preset = getattr(fastinit, name)
    got = preset((40, 30), seed=4, stream="w", dtype=dtype)
    want = fastinit.variance_scaling((40, 30), scale, mode, distribution, seed=4, stream="w", dtype=dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, want)
    # a shard of a complex preset is the same slice of the whole, fans from the full shape
    part = preset(np.empty((10, 30), dtype), seed=4, stream="w", full_shape=(40, 30), index=(slice(20, 30),))
    np.testing.assert_array_equal(part, got[20:30])


# ---------------------------------------------------------------- constants by name and by row

@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_rows_and_get_take_complex_for_zeros_ones_and_constant(dtype):
    for init, value in ((fastinit.zeros, 0), ("zeros", 0), ("ones", 1), (fastinit.get("Ones"), 1)):
        got = fastinit.rows(init, [5, 0, 5], 4, seed=0, stream=0, dtype=dtype)
        assert got.dtype == dtype and got.shape == (3, 4) and (got == value).all()
    got = fastinit.rows("constant", [2, 1], 3, seed=0, stream=0, dtype=dtype, value=0.5)
    assert got.dtype == dtype and (got == 0.5 + 0j).all()
    assert (fastinit.get("zeros")((2, 3), dtype=dtype) == 0).all()
    out = np.full(2, 7 + 7j, dtype)
    assert fastinit.get("Constant")(out, value=1 - 2j, full_shape=(6,), index=slice(3, 5)) is out
    assert (out == 1 - 2j).all()
    with pytest.raises(ValueError, match="shape"):  # the shard is still checked
        fastinit.get("ones")(np.full(3, 7 + 7j, dtype), full_shape=(6,), index=slice(3, 5))


def test_stft_by_name_refuses_complex_with_a_dtype_error():
    with pytest.raises(TypeError, match="dtype complex64"):
        fastinit.get("stft")((8, 1, 5), dtype=np.complex64)
