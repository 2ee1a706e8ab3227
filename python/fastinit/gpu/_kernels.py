# mypy: ignore-errors
# (Triton reads the parameters of jit functions itself: they carry no Python type annotations.)
"""Triton kernels of stream version 1 (docs/stream-v1.md), one element per lane.

Loaded by :func:`fastinit.gpu.kernels`, once for the device and once for Triton's interpreter (the
``triton.jit`` decorator picks its mode when this file runs). Every floating-point operation is the
one the document names: ``tl.fma`` only where it writes ``fma``, ``tl.math.div_rn`` and
``tl.math.sqrt_rn`` for float32 division and square root (float64 ``/`` and ``tl.sqrt`` lower to
the correctly rounded ``div.rn.f64`` / ``sqrt.rn.f64``), the document's own ``log``, min and max
as comparisons and selects, and the conversions to float16 and bfloat16 in integer operations. The
launcher compiles with ``enable_fp_fusion=False`` so that no multiply and add are contracted.

The kernel reads everything but the output from one int64 buffer ``meta``: ``k0 k1 s0 s1 origin
numel``, then ``ND`` sizes, ``ND`` memory strides (elements) and ``ND`` logical strides of the
output's axes, then the parameters (float64 bit patterns, float32 bit patterns in the low half);
and the logical offsets of index-array axes (gathers) from a second int64 buffer ``offs``.
"""

import triton
import triton.language as tl

fromhex = float.fromhex

# Distributions (the KIND constexpr) and output formats (FMT).
BITS = tl.constexpr(0)
UNIFORM = tl.constexpr(1)
NORMAL = tl.constexpr(2)
TRUNCATED = tl.constexpr(3)
CONSTANT = tl.constexpr(4)
F32 = tl.constexpr(0)
F64 = tl.constexpr(1)
F16 = tl.constexpr(2)
BF16 = tl.constexpr(3)
U32 = tl.constexpr(4)
HEADER = tl.constexpr(6)

# Table N16 (PPND16, float64) and Table N7 (PPND7, float32 values), lowest degree first.
A16 = tl.constexpr((3.3871328727963666080e0, 1.3314166789178437745e+2, 1.9715909503065514427e+3,
                    1.3731693765509461125e+4, 4.5921953931549871457e+4, 6.7265770927008700853e+4,
                    3.3430575583588128105e+4, 2.5090809287301226727e+3))
B16 = tl.constexpr((1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2, 5.3941960214247511077e+3,
                    2.1213794301586595867e+4, 3.9307895800092710610e+4, 2.8729085735721942674e+4,
                    5.2264952788528545610e+3))
C16 = tl.constexpr((1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
                    3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
                    2.27238449892691845833e-2, 7.74545014278341407640e-4))
D16 = tl.constexpr((1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
                    1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
                    1.05075007164441684324e-9))
E16 = tl.constexpr((6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0,
                    2.96560571828504891230e-1, 2.65321895265761230930e-2, 1.24266094738807843860e-3,
                    2.71155556874348757815e-5, 2.01033439929228813265e-7))
F16C = tl.constexpr((1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
                     7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7,
                     2.04426310338993978564e-15))
A7 = tl.constexpr((fromhex("0x1.b18d9p+1"), fromhex("0x1.937964p+5"),
                   fromhex("0x1.3e9510p+7"), fromhex("0x1.d8e000p+5")))
B7 = tl.constexpr((1.0, fromhex("0x1.1e529ep+4"), fromhex("0x1.3b07f2p+6"), fromhex("0x1.0cc010p+6")))
C7 = tl.constexpr((fromhex("0x1.6c6662p+0"), fromhex("0x1.60df54p+1"),
                   fromhex("0x1.4e85c2p+0"), fromhex("0x1.5ca5dap-3")))
D7 = tl.constexpr((1.0, fromhex("0x1.795848p-1"), fromhex("0x1.ec62b8p-4")))
E7 = tl.constexpr((fromhex("0x1.aa1b1ep+2"), fromhex("0x1.8a65a0p+1"),
                   fromhex("0x1.b6f8aap-2"), fromhex("0x1.1c0d82p-6")))
# Constants of Sections 4 and 8.2, exactly (the hex values of Table L).
LOG32_L2 = tl.constexpr(fromhex("0x1.999c26p-2"))
LOG32_L4 = tl.constexpr(fromhex("0x1.f13c4cp-3"))
LOG32_L1 = tl.constexpr(fromhex("0x1.555554p-1"))
LOG32_L3 = tl.constexpr(fromhex("0x1.23d3dcp-2"))
LOG32_LN2_LO = tl.constexpr(fromhex("0x1.2fefa2p-17"))
LOG32_LN2_HI = tl.constexpr(fromhex("0x1.62e3p-1"))
LOG64_L2 = tl.constexpr(fromhex("0x1.999999997fa04p-2"))
LOG64_L4 = tl.constexpr(fromhex("0x1.c71c51d8e78afp-3"))
LOG64_L6 = tl.constexpr(fromhex("0x1.39a09d078c69fp-3"))
LOG64_L1 = tl.constexpr(fromhex("0x1.5555555555593p-1"))
LOG64_L3 = tl.constexpr(fromhex("0x1.2492494229359p-2"))
LOG64_L5 = tl.constexpr(fromhex("0x1.7466496cb03dep-3"))
LOG64_L7 = tl.constexpr(fromhex("0x1.2f112df3e5244p-3"))
LOG64_LN2_LO = tl.constexpr(fromhex("0x1.a39ef35793c76p-33"))
LOG64_LN2_HI = tl.constexpr(fromhex("0x1.62e42fee00000p-1"))
TWO_M24 = tl.constexpr(fromhex("0x1p-24"))
TWO_M53 = tl.constexpr(fromhex("0x1p-53"))
F7 = tl.constexpr((1.0, fromhex("0x1.ef92a8p-3"), fromhex("0x1.91ad42p-7")))


@triton.jit
def _u32(x):
    """A uint32 constant (Python ints above 2**31 would otherwise widen the arithmetic)."""
    return tl.full((), x, tl.int64).to(tl.uint32)


@triton.jit
def philox(b, k0, k1, s0, s1):
    """Philox4x32-10 (Section 2.1) of the counter (lo32(b), hi32(b), s0, s1) under (k0, k1)."""
    x0 = (b & 0xFFFFFFFF).to(tl.uint32)
    x1 = (b >> 32).to(tl.uint32)
    x2 = x0 * 0 + s0  # integer arithmetic: tl.zeros_like is a jit function the interpreter cannot call here
    x3 = x0 * 0 + s1
    m0 = _u32(0xD2511F53)
    m1 = _u32(0xCD9E8D57)
    for _ in tl.static_range(10):
        hi0 = tl.umulhi(x0, m0)
        lo0 = x0 * m0
        hi1 = tl.umulhi(x2, m1)
        lo1 = x2 * m1
        x0, x1, x2, x3 = hi1 ^ x1 ^ k0, lo1, hi0 ^ x3 ^ k1, lo0
        k0 = k0 + _u32(0x9E3779B9)
        k1 = k1 + _u32(0xBB67AE85)
    return x0, x1, x2, x3


@triton.jit
def _horner(v, c: tl.constexpr, n: tl.constexpr):
    """``c[n] v**n + ... + c[0]``, one fma a step, highest degree first (Section 8.1)."""
    acc = tl.fma(v, c[n], c[n - 1])
    for i in tl.static_range(n - 2, -1, -1):
        acc = tl.fma(acc, v, c[i])
    return acc


@triton.jit
def log32(t):
    """Section 8.2, float32."""
    ix = t.to(tl.uint32, bitcast=True) + (0x3F800000 - 0x3F3504F3)
    dk = ((ix >> 23) - 0x7F).to(tl.int32, bitcast=True).to(tl.float32)
    ix = (ix & 0x007FFFFF) + 0x3F3504F3
    f = ix.to(tl.float32, bitcast=True) - 1.0
    s = tl.math.div_rn(f, 2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (LOG32_L2 + w * LOG32_L4)
    t2 = z * (LOG32_L1 + w * LOG32_L3)
    r = t2 + t1
    hfsq = (0.5 * f) * f
    y = s * (hfsq + r) + dk * LOG32_LN2_LO
    y = (y - hfsq) + f
    return y + dk * LOG32_LN2_HI


@triton.jit
def log64(t):
    """Section 8.2, float64."""
    ix = t.to(tl.uint64, bitcast=True) + ((0x3FF00000 - 0x3FE6A09E) << 32)
    dk = ((ix >> 52) | 0x4330000000000000).to(tl.float64, bitcast=True) - 4503599627370496.0 - 1023.0
    ix = (ix & 0x000FFFFFFFFFFFFF) + (0x3FE6A09E << 32)
    f = ix.to(tl.float64, bitcast=True) - 1.0
    hfsq = (0.5 * f) * f
    s = f / (2.0 + f)
    z = s * s
    w = z * z
    t1 = w * (LOG64_L2 + w * (LOG64_L4 + w * LOG64_L6))
    t2 = z * (LOG64_L1 + w * (LOG64_L3 + w * (LOG64_L5 + w * LOG64_L7)))
    r = t2 + t1
    y = s * (hfsq + r) + dk * LOG64_LN2_LO
    y = (y - hfsq) + f
    return y + dk * LOG64_LN2_HI


@triton.jit
def ndtri(p, q, WIDE: tl.constexpr):
    """Section 8.1: PPND16 in float64 (WIDE) or PPND7 in float32, central and tail both computed
    and one selected per lane."""
    lower = p <= q
    x = tl.where(lower, p - 0.5, 0.5 - q)
    r = tl.fma(-x, x, 0.180625)
    t = tl.where(lower, p, q)
    sign = tl.where(lower, -1.0, 1.0).to(p.dtype)
    if WIDE:
        central = (x * _horner(r, A16, 7)) / _horner(r, B16, 7)
        s = tl.sqrt(-log64(t))
        far = s > 5.0
        v = tl.where(far, s - 5.0, s - 1.6)
        num = tl.where(far, _horner(v, E16, 7), _horner(v, C16, 7))
        den = tl.where(far, _horner(v, F16C, 7), _horner(v, D16, 7))
        tail = (num / den) * sign
    else:
        central = tl.math.div_rn(x * _horner(r, A7, 3), _horner(r, B7, 3))
        s = tl.math.sqrt_rn(-log32(t))
        far = s > 5.0
        v = tl.where(far, s - 5.0, s - 1.6)
        num = tl.where(far, _horner(v, E7, 3), _horner(v, C7, 3))
        den = tl.where(far, _horner(v, F7, 2), _horner(v, D7, 2))
        tail = tl.math.div_rn(num, den) * sign
    return tl.where(tl.abs(x) <= 0.425, central, tail)


@triton.jit
def _min(a, b):
    return tl.where(a < b, a, b)


@triton.jit
def _max(a, b):
    return tl.where(a > b, a, b)


@triton.jit
def f16_bits(v):
    """float32 -> binary16 bits, nearest even, subnormals and overflow included (Section 5)."""
    x = v.to(tl.uint32, bitcast=True)
    sign = (x >> 16) & 0x8000
    ax = x & 0x7FFFFFFF
    y = ax - (112 << 23)
    normal = (y + 0x0FFF + ((y >> 13) & 1)) >> 13
    shift = tl.maximum(tl.minimum(126 - (ax >> 23), 31), 14)  # below 2**-14: round |v| * 2**24 to an integer
    mant = (ax & 0x007FFFFF) | 0x00800000
    q = mant >> shift
    rem = mant & ((_u32(1) << shift) - 1)
    half = _u32(1) << (shift - 1)
    sub = q + ((rem > half) | ((rem == half) & ((q & 1) == 1))).to(tl.uint32)
    h = tl.where(ax < 0x38800000, sub, tl.where(ax >= 0x47800000, 0x7C00, normal))
    return sign | h


@triton.jit
def bf16_bits(v):
    """float32 -> bfloat16 bits, nearest even (Section 5)."""
    b = v.to(tl.uint32, bitcast=True)
    return (b + 0x7FFF + ((b >> 16) & 1)) >> 16


@triton.jit
def _p32(meta, i):
    return tl.load(meta + i).to(tl.uint32).to(tl.float32, bitcast=True)


@triton.jit
def _p64(meta, i):
    return tl.load(meta + i).to(tl.float64, bitcast=True)


@triton.jit
def _positions(meta, offs, n, mask, ND: tl.constexpr, GATHER: tl.constexpr):
    """(memory offset, logical element index) of flat C-order position ``n`` of the output. Axis k
    with bit k of GATHER set takes its logical offsets from ``offs`` (an index array), starting at
    the entry its logical-stride slot holds."""
    mem = n * 0
    log = n * 0 + tl.load(meta + 4)
    rem = n
    for k in tl.static_range(ND - 1, -1, -1):
        if k > 0:  # 64-bit division only between axes (a contiguous fill has one axis: none)
            size = tl.load(meta + HEADER + k)
            i = rem % size
            rem = rem // size
        else:
            i = rem
        mem += i * tl.load(meta + HEADER + ND + k)
        if (GATHER >> k) & 1:
            log += tl.load(offs + tl.load(meta + HEADER + 2 * ND + k) + i, mask=mask, other=0)
        else:
            log += i * tl.load(meta + HEADER + 2 * ND + k)
    return mem, log


@triton.jit
def _value32(w, meta, P: tl.constexpr, KIND: tl.constexpr, VIA64: tl.constexpr):
    """Sections 7-9 in float32 from word ``w`` (or the float64 path of 9.2 rounded to float32)."""
    if KIND == UNIFORM:
        u = (w >> 8).to(tl.float32) * TWO_M24
        v = _min(_p32(meta, P) + _p32(meta, P + 1) * u, _p32(meta, P + 2))
    else:
        u = ((w >> 9) * 2 + 1).to(tl.float32) * TWO_M24
        if KIND == NORMAL:
            v = _p32(meta, P) + _p32(meta, P + 1) * ndtri(u, 1.0 - u, False)
        elif VIA64:
            u64 = u.to(tl.float64)
            p = tl.fma(u64, _p64(meta, P), _p64(meta, P + 1))
            q = tl.fma(1.0 - u64, _p64(meta, P), _p64(meta, P + 2))
            v64 = _p64(meta, P + 3) + _p64(meta, P + 4) * ndtri(p, q, True)
            v64 = _min(_max(v64, _p64(meta, P + 5)), _p64(meta, P + 6))
            v = _min(_max(v64.to(tl.float32), _p32(meta, P + 7)), _p32(meta, P + 8))
        else:
            p = tl.fma(u, _p32(meta, P), _p32(meta, P + 1))
            q = tl.fma(1.0 - u, _p32(meta, P), _p32(meta, P + 2))
            v = _p32(meta, P + 3) + _p32(meta, P + 4) * ndtri(p, q, False)
            v = _min(_max(v, _p32(meta, P + 5)), _p32(meta, P + 6))
    return v


@triton.jit
def _value64(x, meta, P: tl.constexpr, KIND: tl.constexpr):
    """Sections 7-9 in float64 from the 64-bit ``x`` of two words."""
    if KIND == UNIFORM:
        u = (x >> 11).to(tl.float64) * TWO_M53
        v = _min(_p64(meta, P) + _p64(meta, P + 1) * u, _p64(meta, P + 2))
    else:
        u = ((x >> 12) * 2 + 1).to(tl.float64) * TWO_M53
        if KIND == NORMAL:
            v = _p64(meta, P) + _p64(meta, P + 1) * ndtri(u, 1.0 - u, True)
        else:
            p = tl.fma(u, _p64(meta, P), _p64(meta, P + 1))
            q = tl.fma(1.0 - u, _p64(meta, P), _p64(meta, P + 2))
            v = _p64(meta, P + 3) + _p64(meta, P + 4) * ndtri(p, q, True)
            v = _min(_max(v, _p64(meta, P + 5)), _p64(meta, P + 6))
    return v


@triton.jit
def _lane(o0, o1, o2, o3, lane):
    return tl.where(lane == 0, o0, tl.where(lane == 1, o1, tl.where(lane == 2, o2, o3)))


@triton.jit
def _store32(out, mem, w, mask, meta, P: tl.constexpr, KIND: tl.constexpr, FMT: tl.constexpr,
             VIA64: tl.constexpr):
    """Element values from their words ``w`` (one each), stored as the output format's bits."""
    if KIND == BITS:
        bits = w
    else:
        v = _value32(w, meta, P, KIND, VIA64)
        if FMT == F16:
            bits = f16_bits(v)
        elif FMT == BF16:
            bits = bf16_bits(v)
        else:
            bits = v.to(tl.uint32, bitcast=True)
    if FMT == F16 or FMT == BF16:
        tl.store(out + mem, bits.to(tl.uint16).to(tl.int16, bitcast=True), mask=mask)
    else:
        tl.store(out + mem, bits.to(tl.int32, bitcast=True), mask=mask)


@triton.jit
def _store64(out, mem, lo, hi, mask, meta, P: tl.constexpr, KIND: tl.constexpr):
    """float64 element values from their word pairs, stored as bits."""
    v = _value64(lo.to(tl.uint64) | (hi.to(tl.uint64) << 32), meta, P, KIND)
    tl.store(out + mem, v.to(tl.int64, bitcast=True), mask=mask)


@triton.jit
def _key(meta):
    return (tl.load(meta).to(tl.uint32), tl.load(meta + 1).to(tl.uint32), tl.load(meta + 2).to(tl.uint32),
            tl.load(meta + 3).to(tl.uint32))


@triton.jit
def _fill_any(out, meta, offs, KIND: tl.constexpr, FMT: tl.constexpr, ND: tl.constexpr, GATHER: tl.constexpr,
              VIA64: tl.constexpr, BLOCK: tl.constexpr):
    """Any layout: one element per lane, its own Philox block."""
    P: tl.constexpr = HEADER + 3 * ND
    n = tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    mask = n < tl.load(meta + 5)
    mem, e = _positions(meta, offs, n, mask, ND, GATHER)
    if KIND == CONSTANT:
        bits = n * 0 + tl.load(meta + P)
        if FMT == F64:
            tl.store(out + mem, bits, mask=mask)
        elif FMT == F16 or FMT == BF16:
            tl.store(out + mem, bits.to(tl.int16), mask=mask)
        else:
            tl.store(out + mem, bits.to(tl.int32), mask=mask)
    else:
        k0, k1, s0, s1 = _key(meta)
        j = e.to(tl.uint64, bitcast=True) * (2 if FMT == F64 else 1)
        o0, o1, o2, o3 = philox(j >> 2, k0, k1, s0, s1)
        lane = (j & 3).to(tl.uint32)
        if FMT == F64:
            _store64(out, mem, tl.where(lane == 0, o0, o2), tl.where(lane == 0, o1, o3), mask, meta, P, KIND)
        else:
            _store32(out, mem, _lane(o0, o1, o2, o3, lane), mask, meta, P, KIND, FMT, VIA64)


@triton.jit
def _fill_run(out, meta, KIND: tl.constexpr, FMT: tl.constexpr, VIA64: tl.constexpr, UNIT: tl.constexpr,
              BLOCK: tl.constexpr):
    """One axis with logical stride 1 (consecutive elements use consecutive words): one Philox block
    per lane gives 4 elements (float64: 2); lanes cover the blocks from the first element's on."""
    P: tl.constexpr = HEADER + 3
    PER: tl.constexpr = 2 if FMT == F64 else 4  # elements per block
    origin = tl.load(meta + 4)
    b = origin // PER + tl.program_id(0).to(tl.int64) * BLOCK + tl.arange(0, BLOCK).to(tl.int64)
    k0, k1, s0, s1 = _key(meta)
    o0, o1, o2, o3 = philox(b.to(tl.uint64, bitcast=True), k0, k1, s0, s1)
    first = (origin // PER + tl.program_id(0).to(tl.int64) * BLOCK) * PER
    n = first + tl.arange(0, PER * BLOCK).to(tl.int64) - origin  # the lanes' elements, in order
    mask = (n >= 0) & (n < tl.load(meta + 5))
    mem = n if UNIT else n * tl.load(meta + HEADER + 1)  # UNIT: memory stride 1, known to the compiler
    if FMT == F64:  # block b: element 2b from words (o0, o1), element 2b + 1 from (o2, o3)
        lo = tl.reshape(tl.join(o0, o2), [PER * BLOCK])
        hi = tl.reshape(tl.join(o1, o3), [PER * BLOCK])
        _store64(out, mem, lo, hi, mask, meta, P, KIND)
    else:  # block b: elements 4b .. 4b + 3 from o0 .. o3
        w = tl.reshape(tl.join(tl.join(o0, o2), tl.join(o1, o3)), [PER * BLOCK])
        _store32(out, mem, w, mask, meta, P, KIND, FMT, VIA64)


@triton.jit
def fill_kernel(out, meta, offs, KIND: tl.constexpr, FMT: tl.constexpr, ND: tl.constexpr, GATHER: tl.constexpr,
                VIA64: tl.constexpr, RUN: tl.constexpr, BLOCK: tl.constexpr):
    """Write element values of the output ``out`` (an int16/int32/int64 view of its memory). RUN 0:
    any layout, ``BLOCK`` elements a program; 1: one axis of logical stride 1, ``BLOCK`` Philox
    blocks a program; 2: the same with memory stride 1. ``offs``: the index arrays' logical offsets
    (int64) of the axes GATHER marks."""
    if RUN > 0:
        _fill_run(out, meta, KIND, FMT, VIA64, RUN == 2, BLOCK)
    else:
        _fill_any(out, meta, offs, KIND, FMT, ND, GATHER, VIA64, BLOCK)
