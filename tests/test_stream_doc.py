"""docs/stream-v1.md is precise enough to reimplement stream version 1 bit for bit.

The constants come from the document's tables (parsed here, not copied); the formulas are the
document's, written in plain Python/NumPy with every operation in the format the document names
(np.float32 for float32, float64 otherwise) and every fma computed exactly and rounded once. The
words come from tests/philox_reference.py. The results must equal fastinit's output bit for bit.
"""

from __future__ import annotations

import pathlib
import re
from fractions import Fraction

import ml_dtypes
import numpy as np
import pytest

import fastinit

from conftest import DATA
from philox_reference import element_words64, stream_words

DOC = pathlib.Path(__file__).resolve().parent.parent / "docs" / "stream-v1.md"
TEXT = DOC.read_text(encoding="utf-8")

F32, F64 = np.float32, np.float64


# ---- reading the document ----

def table(table_id: str) -> list[list[str]]:
    """Rows (cells stripped, header and rule dropped) of the table under '#### Table <id>:'."""
    lines = TEXT.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"#### Table {table_id}:"))
    rows = []
    for line in lines[start + 1:]:
        if line.startswith("|"):
            rows.append([c.strip() for c in line.strip().strip("|").split("|")])
        elif rows:
            break
    assert len(rows) > 2, f"table {table_id} not found or empty"
    return rows[2:]


def coefficient_table(table_id: str) -> dict[str, list[float]]:
    """{array: [c0, c1, ...]} from the hex column, checked against the decimal column."""
    single = table_id == "N7"
    out: dict[str, list[float]] = {}
    for name, i, dec, hexval in table(table_id):
        v = float.fromhex(hexval)
        as_written = float(F32(float(dec))) if single else float(dec)
        assert as_written == v, f"table {table_id}: {name}[{i}] decimal {dec} does not round to {hexval}"
        arr = out.setdefault(name, [])
        assert int(i) == len(arr), f"table {table_id}: {name} indices out of order"
        arr.append(v)
    return out


def named_table(table_id: str, fmt: str | None = None) -> dict[str, float]:
    rows = table(table_id)
    if fmt is not None:
        rows = [r[1:] for r in rows if r[0] == fmt]
    return {name: float.fromhex(hexval) for name, _dec, hexval in rows}


PPND16 = coefficient_table("N16")
PPND7 = coefficient_table("N7")
PHI = coefficient_table("C")
EXP = named_table("E")
LOG32 = named_table("L", "float32")
LOG64 = named_table("L", "float64")
PHILOX = {name: int(v, 0) for name, v in table("P")}


def test_document_tables_have_the_stated_shapes():
    assert {k: len(v) for k, v in PPND16.items()} == dict.fromkeys("abcdef", 8)
    assert {k: len(v) for k, v in PPND7.items()} == {"a": 4, "b": 4, "c": 4, "d": 3, "e": 4, "f": 3}
    for coeffs in (PPND16, PPND7):
        assert coeffs["b"][0] == coeffs["d"][0] == coeffs["f"][0] == 1.0
    assert {k: len(v) for k, v in PHI.items()} == {"a": 5, "b": 4, "c": 9, "d": 8, "p": 6, "q": 5}
    assert set(LOG32) == {"L1", "L2", "L3", "L4", "LN2_HI", "LN2_LO"}
    assert set(LOG64) == {"L1", "L2", "L3", "L4", "L5", "L6", "L7", "LN2_HI", "LN2_LO"}
    assert all(float(F32(v)) == v for v in LOG32.values())
    assert PHILOX["rounds"] == 10


# ---- Section 2: Philox from the document's constants, against Random123's known answers ----

def philox_doc(ctr, key):
    x0, x1, x2, x3 = ctr
    m = 0xFFFFFFFF
    for r in range(PHILOX["rounds"]):
        k0 = (key[0] + r * PHILOX["W0"]) & m
        k1 = (key[1] + r * PHILOX["W1"]) & m
        p0 = PHILOX["M0"] * x0
        p1 = PHILOX["M1"] * x2
        x0, x1, x2, x3 = (p1 >> 32) ^ x1 ^ k0, p1 & m, (p0 >> 32) ^ x3 ^ k1, p0 & m
    return [x0, x1, x2, x3]


def test_philox_constants_of_the_document_give_the_known_answers():
    vectors = [line.split() for line in (DATA / "philox4x32_10.txt").read_text().splitlines() if line.strip()]
    assert len(vectors) == 3
    for parts in vectors:
        words = [int(p, 16) for p in parts[2:]]
        assert philox_doc(words[0:4], words[4:6]) == words[6:10]


def test_named_stream_is_the_documented_blake2b():
    import hashlib
    name = "layers.0.weight"
    expect = int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "little")
    a = fastinit.random_bits(8, seed=5, stream=name)
    b = fastinit.random_bits(8, seed=5, stream=expect)
    assert np.array_equal(a, b)
    assert np.array_equal(a, stream_words(5, expect, np.arange(8)))


# ---- exact fused multiply-add in each format ----

def _fma64_scalar(a: float, b: float, c: float) -> float:
    exact = Fraction(a) * Fraction(b) + Fraction(c)
    return float(exact)  # int / int: correctly rounded


_fma64_vec = np.frompyfunc(_fma64_scalar, 3, 1)


def fma64(a, b, c) -> np.ndarray:
    a, b, c = np.broadcast_arrays(np.asarray(a, F64), np.asarray(b, F64), np.asarray(c, F64))
    return _fma64_vec(a, b, c).astype(F64)


def fma32(a, b, c) -> np.ndarray:
    """float32 fma: a*b is exact in float64; the sum is rounded to odd in float64 (TwoSum gives
    the exact error), and rounding that to float32 is then the correctly rounded result."""
    a, b, c = np.broadcast_arrays(np.asarray(a, F32), np.asarray(b, F32), np.asarray(c, F32))
    p = a.astype(F64) * b.astype(F64)
    c64 = c.astype(F64)
    s = p + c64
    bb = s - p
    err = (p - (s - bb)) + (c64 - bb)
    even = (s.view(np.uint64) & np.uint64(1)) == 0
    s = np.where((err != 0) & even, np.nextafter(s, np.where(err > 0, np.inf, -np.inf)), s)
    return s.astype(F32)


class Fmt:
    def __init__(self, single: bool):
        self.single = single
        self.F = F32 if single else F64
        self.fma = fma32 if single else fma64
        self.ppnd = {k: [self.F(x) for x in v] for k, v in (PPND7 if single else PPND16).items()}

    def c(self, x: float):
        return self.F(x)  # a decimal constant rounded to the working format


# ---- Section 4: uniforms ----

def u01(words, single):
    if single:
        return ((words >> np.uint32(8)).astype(F64) * 2.0**-24).astype(F32)
    return (words >> np.uint64(11)).astype(F64) * 2.0**-53


def uopen(words, single):
    if single:
        return ((2 * (words >> np.uint32(9)).astype(F64) + 1) * 2.0**-24).astype(F32)
    k = (words >> np.uint64(12)).astype(F64)  # < 2**52: exact
    return k * 2.0**-52 + 2.0**-53  # exact: 2k + 1 < 2**53


# ---- Section 8.2: log ----

def log_doc(t, f: Fmt):
    F = f.F
    if f.single:
        ix = t.astype(F32).view(np.uint32) + np.uint32(0x3F800000 - 0x3F3504F3)
        dk = ((ix >> np.uint32(23)) - np.uint32(0x7F)).view(np.int32).astype(F32)
        ix = (ix & np.uint32(0x007FFFFF)) + np.uint32(0x3F3504F3)
        L = LOG32
    else:
        ix = t.astype(F64).view(np.uint64) + np.uint64((0x3FF00000 - 0x3FE6A09E) << 32)
        dk = ((ix >> np.uint64(52)) | np.uint64(0x4330000000000000)).view(F64) - F64(2.0**52 + 1023)
        ix = (ix & np.uint64(0x000FFFFFFFFFFFFF)) + np.uint64(0x3FE6A09E << 32)
        L = LOG64
    c = {k: F(v) for k, v in L.items()}
    x = ix.view(F) - F(1)
    hfsq = (F(0.5) * x) * x
    s = x / (F(2) + x)
    z = s * s
    w = z * z
    if f.single:
        t1 = w * (c["L2"] + w * c["L4"])
        t2 = z * (c["L1"] + w * c["L3"])
    else:
        t1 = w * (c["L2"] + w * (c["L4"] + w * c["L6"]))
        t2 = z * (c["L1"] + w * (c["L3"] + w * (c["L5"] + w * c["L7"])))
    R = t2 + t1
    y = s * (hfsq + R) + dk * c["LN2_LO"]
    y = (y - hfsq) + x
    return y + dk * c["LN2_HI"]


# ---- Section 8.1: ndtri ----

def horner(f: Fmt, coeffs, v):
    acc = np.full_like(v, coeffs[-1])
    for ci in reversed(coeffs[:-1]):
        acc = f.fma(acc, v, ci)
    return acc


def ndtri_doc(p, q, f: Fmt):
    C = f.ppnd
    lower = p <= q
    x = np.where(lower, p - f.c(0.5), f.c(0.5) - q)
    r = f.fma(-x, x, f.c(0.180625))
    central = np.abs(x) <= f.c(0.425)
    z = np.empty_like(p)
    z[central] = (x[central] * horner(f, C["a"], r[central])) / horner(f, C["b"], r[central])
    tail = ~central
    t = np.where(lower, p, q)[tail]
    sign = np.where(lower, f.c(-1), f.c(1))[tail]
    s = np.sqrt(-log_doc(t, f))
    far = s > f.c(5.0)
    zt = np.empty_like(s)
    v = s[far] - f.c(5.0)
    zt[far] = (horner(f, C["e"], v) / horner(f, C["f"], v)) * sign[far]
    v = s[~far] - f.c(1.6)
    zt[~far] = (horner(f, C["c"], v) / horner(f, C["d"], v)) * sign[~far]
    z[tail] = zt
    return z


# ---- Sections 9.4, 9.5: Phi and exp in float64 (Python floats are binary64, no fma) ----

def pow2(k: int) -> float:
    return np.array([(k + 1023) << 52], dtype=np.uint64).view(F64)[0].item()


def exp_doc(x: float) -> float:
    E = EXP
    if x != x:
        return x
    if x > E["o_threshold"]:
        return float("inf")
    if x < E["u_threshold"]:
        return 0.0
    ax = abs(x)
    k, hi, lo = 0, 0.0, 0.0
    if ax > 3.46573590279972654709e-01:
        if ax < 1.03972077083991796413e00:
            k = -1 if x < 0 else 1
        else:
            k = int(E["invln2"] * x + (-0.5 if x < 0 else 0.5))
        hi = x - k * E["ln2_hi"]
        lo = k * E["ln2_lo"]
        x = hi - lo
    elif ax < 2.0**-28:
        return 1.0 + x
    t = x * x
    c = x - t * (E["P1"] + t * (E["P2"] + t * (E["P3"] + t * (E["P4"] + t * E["P5"]))))
    if k == 0:
        return 1.0 - ((x * c) / (c - 2.0) - x)
    y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi)
    if k > 1023:
        return (y * 2.0) * pow2(k - 1)
    if k >= -1021:
        return y * pow2(k)
    return (y * pow2(k + 1000)) * pow2(-1000)


def phi_doc(x: float) -> float:
    a, b, c, d, p, q = (PHI[k] for k in "abcdpq")
    if x != x:
        return x
    y = abs(x)
    if y <= 0.67448975:
        xsq = x * x
        num, den = a[4] * xsq, xsq
        for i in range(3):
            num = (num + a[i]) * xsq
            den = (den + b[i]) * xsq
        return 0.5 + (x * (num + a[3])) / (den + b[3])
    if x >= 8.2924:
        return 1.0
    if x <= -38.5:
        return 0.0
    if y <= 5.656854249492380195206754896838:
        num, den = c[8] * y, y
        for i in range(7):
            num = (num + c[i]) * y
            den = (den + d[i]) * y
        R = (num + c[7]) / (den + d[7])
    else:
        xsq = 1.0 / (x * x)
        num, den = p[5] * xsq, xsq
        for i in range(4):
            num = (num + p[i]) * xsq
            den = (den + q[i]) * xsq
        R = (0.398942280401432677939946059934 - (xsq * (num + p[4])) / (den + q[4])) / y
    yc = float(int(y * 16.0)) / 16.0
    dl = (y - yc) * (y + yc)
    lower = exp_doc(((-yc) * yc) * 0.5) * exp_doc((-dl) * 0.5) * R
    return lower if x < 0 else 1.0 - lower


def test_phi_doc_is_close_to_scipy():
    special = pytest.importorskip("scipy.special")
    xs = [-30.0, -12.0, -7.3, -5.7, -3.0, -0.6, -0.1, 0.0, 0.3, 0.67, 0.7, 2.0, 6.0, 9.0]
    for x in xs:
        ref = float(special.ndtr(x))
        assert abs(phi_doc(x) - ref) <= 1e-13 * ref + 1e-320, x


# ---- fastinit against the document ----

SEED = 0x1234_5678_9ABC_DEF0
STREAM = 987654321
FULL = 2**40
START = 2**40 - 3000  # element indices near 2**40: high counter word in use


def words_for(n: int, single: bool, start: int = START):
    e = np.arange(start, start + n, dtype=np.uint64)
    return stream_words(SEED, STREAM, e) if single else element_words64(SEED, STREAM, e)


def fill(fn, n: int, dtype, start: int = START, **params):
    return fn(n, dtype=dtype, seed=SEED, stream=STREAM, full_shape=(FULL,), index=slice(start, start + n), **params)


def same_bits(got: np.ndarray, want: np.ndarray, what: str):
    got, want = np.asarray(got), np.asarray(want, dtype=got.dtype)
    u = {2: np.uint16, 4: np.uint32, 8: np.uint64}[got.itemsize]
    bad = np.flatnonzero(got.view(u) != want.view(u))
    assert bad.size == 0, (f"{what}: {bad.size} elements differ, first at {bad[0]}: "
                           f"got {got[bad[0]]!r}, doc {want[bad[0]]!r}")


def half_formats(v32: np.ndarray, fn, n: int, what: str, **params):
    same_bits(fill(fn, n, np.float16, **params), v32.astype(np.float16), what + " float16")
    same_bits(fill(fn, n, ml_dtypes.bfloat16, **params), v32.astype(ml_dtypes.bfloat16), what + " bfloat16")


@pytest.fixture(params=fastinit.simd_paths())
def simd(request):
    """Each SIMD path this CPU runs (scalar first): the document must match every one."""
    before = fastinit.simd_path()
    fastinit.set_simd_path(request.param)
    yield request.param
    fastinit.set_simd_path(before)


@pytest.mark.parametrize("low,high", [(-0.1, 0.1), (-1.0 / 3, 2.5), (0.0, 1.0), (5.0, 5.0)])
def test_uniform_from_the_document(simd, low, high):
    n = 3000
    w = words_for(n, True)
    lo32, hi32 = F32(low), F32(high)
    v32 = np.minimum(lo32 + (hi32 - lo32) * u01(w, True), hi32)
    same_bits(fill(fastinit.uniform, n, np.float32, low=low, high=high), v32, "uniform float32")
    half_formats(v32, fastinit.uniform, n, "uniform", low=low, high=high)
    x = words_for(n, False)
    v64 = np.minimum(low + (high - low) * u01(x, False), high)
    same_bits(fill(fastinit.uniform, n, np.float64, low=low, high=high), v64, "uniform float64")


@pytest.mark.parametrize("single", [True, False], ids=["float32", "float64"])
def test_normal_from_the_document(simd, single):
    n = 3000
    f = Fmt(single)
    mean, std = 0.1, 0.02
    u = uopen(words_for(n, single), single)
    z = ndtri_doc(u, f.F(1) - u, f)
    assert 0.1 < np.mean(np.abs(u - 0.5) > 0.425) < 0.2  # both regions exercised
    v = f.F(mean) + f.F(std) * z
    dtype = np.float32 if single else np.float64
    same_bits(fill(fastinit.normal, n, dtype, mean=mean, std=std), v, f"normal {dtype.__name__}")
    if single:
        half_formats(v, fastinit.normal, n, "normal", mean=mean, std=std)


def _step(x: np.ndarray, fmt, up: bool) -> np.ndarray:
    """The neighbour of ``x`` (a value of ``fmt``) above (``up``) or below it, from its bits."""
    if np.dtype(fmt).itemsize == 4:
        return np.nextafter(x, F32(np.inf if up else -np.inf))
    bits = int(np.asarray(x, fmt).view(np.uint16))
    away_from_zero = up != bool(bits & 0x8000)
    return np.asarray(bits + 1 if away_from_zero else bits - 1, np.uint16).view(fmt)


def inward_bounds(lo: float, hi: float, fmt) -> tuple[np.ndarray, np.ndarray]:
    """Section 9.2: LO the smallest value of the output format ``fmt`` >= lo, HI the largest <= hi,
    both as float32."""
    LO, HI = np.asarray(lo).astype(fmt), np.asarray(hi).astype(fmt)
    if float(LO) < lo:
        LO = _step(LO, fmt, up=True)
    if float(HI) > hi:
        HI = _step(HI, fmt, up=False)
    return F32(LO), F32(HI)


def truncated_doc(n: int, single: bool, mean: float, std: float, a: float, b: float, start: int = START,
                  fmt=np.float32):
    pa, qb = phi_doc(a), phi_doc(-b)
    if b <= 0:
        w = phi_doc(b) - pa
    elif a >= 0:
        w = phi_doc(-a) - qb
    else:
        w = (0.5 - pa) + (0.5 - qb)
    assert w > 2.0**-960
    lo = mean if std == 0 else mean + a * std
    hi = mean if std == 0 else mean + b * std
    f64 = Fmt(False)

    def run64(u):
        p = fma64(u, w, pa)
        q = fma64(F64(1) - u, w, qb)
        return np.minimum(np.maximum(F64(mean) + F64(std) * ndtri_doc(p, q, f64), lo), hi)

    if not single:
        return run64(uopen(words_for(n, False, start), False)), "float64"
    LO, HI = inward_bounds(lo, hi, fmt if std > 0 else np.float32)
    u = uopen(words_for(n, True, start), True)
    ok = w >= 2.0**-100 and (pa == 0 or pa >= 2.0**-100) and (qb == 0 or qb >= 2.0**-100)
    if not ok:
        return np.minimum(np.maximum(run64(u.astype(F64)).astype(F32), LO), HI), "float32 via float64"
    f = Fmt(True)
    p = fma32(u, F32(w), F32(pa))
    q = fma32(F32(1) - u, F32(w), F32(qb))
    return np.minimum(np.maximum(F32(mean) + F32(std) * ndtri_doc(p, q, f), LO), HI), "float32"


@pytest.mark.parametrize("mean,std,a,b", [
    (0.0, 1.0, -2.0, 2.0),
    (0.25, 0.02, -2.0, 2.0),
    (0.0, 1.0, 3.0, np.inf),      # one-sided tail: q is the small side
    (1.0, 0.5, -np.inf, -4.0),    # one-sided lower tail
    (0.0, 1.0, 7.0, np.inf),      # float64: s > 5, the far-tail coefficients
    (0.0, 1.0, 12.0, np.inf),     # float32 outputs: the float64 path
    (0.1, 0.0, -2.0, 2.0),        # std 0
])
@pytest.mark.parametrize("single", [True, False], ids=["float32", "float64"])
def test_truncated_normal_from_the_document(simd, single, mean, std, a, b):
    n = 1000
    params = dict(mean=mean, std=std, a=a, b=b)
    want, path = truncated_doc(n, single, **params)
    dtype = np.float32 if single else np.float64
    same_bits(fill(fastinit.truncated_normal, n, dtype, **params), want, f"truncated_normal {path} {params}")
    if single:  # 16-bit outputs: the bounds rounded inward in that format, then the value rounded to it
        for half in (np.float16, ml_dtypes.bfloat16):
            v, _ = truncated_doc(n, True, **params, fmt=half)
            same_bits(fill(fastinit.truncated_normal, n, half, **params), v.astype(half),
                      f"truncated_normal {path} {half.__name__} {params}")


def test_16_bit_truncated_normal_bounds_are_rounded_inward():
    # The issue-17 case: bfloat16, std 0.02, +-2 std. Rounding the float32 values alone would put
    # some at +-0.0400390625, outside [-0.04, 0.04]; Section 9.2's inward bounds keep them inside.
    n, params = 20000, dict(mean=0.0, std=0.02, a=-2.0, b=2.0)
    v32, _ = truncated_doc(n, True, **params, start=0)
    v16, _ = truncated_doc(n, True, **params, start=0, fmt=ml_dtypes.bfloat16)
    got = fill(fastinit.truncated_normal, n, ml_dtypes.bfloat16, start=0, **params)
    same_bits(got, v16.astype(ml_dtypes.bfloat16), "truncated_normal bfloat16 inward bounds")
    assert (np.abs(v32.astype(ml_dtypes.bfloat16).astype(np.float64)) > 0.04).sum() > 0  # the rule matters here
    assert (np.abs(got.astype(np.float64)) <= 0.04).all()


def test_far_tail_branch_is_exercised():
    # The (7, inf) case above must reach the s > 5 coefficients for float64.
    pa, qb, w = phi_doc(7.0), phi_doc(-np.inf), phi_doc(-7.0)
    assert qb == 0.0
    assert pa > 0 and w < 2e-12
    s = np.sqrt(-np.log(w))
    assert s > 5.0


def test_random_bits_and_constant_from_the_document():
    n = 1000
    got = fastinit.random_bits(n, seed=SEED, stream=STREAM, full_shape=(FULL,), index=slice(START, START + n))
    same_bits(got, words_for(n, True), "random_bits")
    value = 1 + 2.0**-8 + 2.0**-30  # rounding it via float32 first would give 1.0 in bfloat16
    for dtype in (np.float32, np.float64, np.float16, ml_dtypes.bfloat16):
        same_bits(fastinit.constant(4, value, dtype=dtype), np.full(4, value).astype(dtype), f"constant {dtype}")
    assert float(fastinit.constant(1, value, dtype=ml_dtypes.bfloat16)[0]) == 1 + 2.0**-7


def test_document_names_the_current_stream_version():
    assert fastinit.STREAM_VERSION == 1
    assert re.search(r"`fastinit\.STREAM_VERSION` is `1`", TEXT)
