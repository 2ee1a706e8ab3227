// AArch64 Advanced SIMD (NEON) vectors with the operations of simd_scalar.hpp. Included only by
// kernels_neon.cpp, built on AArch64 only, where NEON is part of the baseline (no run-time
// detection).
//
// Bit identity with the scalar path (and so with x86-64), operation by operation:
// - add/sub/mul/div/sqrt and fma (vfmaq: one rounding) are IEEE, correctly rounded, in FPCR's
//   rounding mode (round to nearest even by default; FZ off: subnormals kept), exactly as the
//   scalar AArch64 instructions that the one-lane path compiles to. No reciprocal or
//   square-root estimates are used. -ffp-contract=off keeps GCC from fusing vmulq + vaddq, which
//   its arm_neon.h writes as plain a * b + c.
// - min/max: NEON's fmin/fmax propagate NaNs and order -0 below +0; the scalar reference is
//   "a < b ? a : b" (minps semantics: the second operand unless the comparison holds), so they are
//   written as a compare and a bit select instead.
// - float32 -> binary16: vcvt_f16_f32 rounds to nearest even (FPCR.RMode), keeps subnormals and
//   overflows to infinity, IEEE half precision (FPCR.AHP is 0 by default): the scalar
//   f32_to_f16_bits for every non-NaN input, as F16C's vcvtps2ph on x86.
// - float32 -> bfloat16: the scalar path's integer rounding, lane by lane (vaddhn keeps the high
//   16 bits of the 32-bit sum, which wraps exactly like the scalar uint32_t addition).
// Little-endian only (64-bit lanes read two stream words low word first).
#pragma once
#include <arm_neon.h>

#include <cstddef>
#include <cstdint>

#include "philox_simd.hpp"

#if defined(__AARCH64EB__)
#error "fastinit's NEON path assumes little-endian AArch64"
#endif

namespace fastinit {
namespace {

struct NeonF32 {
  static constexpr int N = 4;
  static constexpr bool kF64 = false;
  using F = float32x4_t;
  using U = uint32x4_t;
  using M = uint32x4_t;

  static F set1(float x) { return vdupq_n_f32(x); }
  static F add(F a, F b) { return vaddq_f32(a, b); }
  static F sub(F a, F b) { return vsubq_f32(a, b); }
  static F mul(F a, F b) { return vmulq_f32(a, b); }
  static F div(F a, F b) { return vdivq_f32(a, b); }
  static F fma(F a, F b, F c) { return vfmaq_f32(c, a, b); }  // a * b + c, one rounding
  static F sqrt(F a) { return vsqrtq_f32(a); }
  static F min(F a, F b) { return vbslq_f32(vcltq_f32(a, b), a, b); }
  static F max(F a, F b) { return vbslq_f32(vcgtq_f32(a, b), a, b); }
  static F neg(F a) { return from_bits(veorq_u32(bits(a), vdupq_n_u32(0x80000000u))); }
  static F abs(F a) { return from_bits(vandq_u32(bits(a), vdupq_n_u32(0x7fffffffu))); }
  static M le(F a, F b) { return vcleq_f32(a, b); }  // ordered: false where either is NaN
  static M gt(F a, F b) { return vcgtq_f32(a, b); }
  static M mnot(M m) { return vmvnq_u32(m); }
  static F select(M m, F a, F b) { return vbslq_f32(m, a, b); }
  static bool any(M m) { return vmaxvq_u32(m) != 0; }

  static U bits(F a) { return vreinterpretq_u32_f32(a); }
  static F from_bits(U a) { return vreinterpretq_f32_u32(a); }
  static U set1u(uint32_t x) { return vdupq_n_u32(x); }
  static U addu(U a, U b) { return vaddq_u32(a, b); }
  static U subu(U a, U b) { return vsubq_u32(a, b); }
  static U andu(U a, U b) { return vandq_u32(a, b); }
  static U oru(U a, U b) { return vorrq_u32(a, b); }
  template <int n> static U srl(U a) { return vshrq_n_u32(a, n); }
  template <int n> static U sll(U a) { return vshlq_n_u32(a, n); }
  // Exact for |signed value| < 2**24, as the scalar path's.
  static F cvt_i32(U a) { return vcvtq_f32_s32(vreinterpretq_s32_u32(a)); }

  static F load(const float* p) { return vld1q_f32(p); }
  // No compressing store in NEON: the lanes go one by one (out has room for N, as on x86).
  static unsigned compress(M m, F v, float* out) {
    alignas(16) float lanes[4];
    alignas(16) uint32_t keep[4];
    vst1q_f32(lanes, v);
    vst1q_u32(keep, m);
    unsigned k = 0;
    for (int l = 0; l < 4; ++l) {
      out[k] = lanes[l];
      k += keep[l] & 1u;
    }
    return k;
  }
  static F iota() {
    alignas(16) static const float k[4] = {0.0f, 1.0f, 2.0f, 3.0f};
    return vld1q_f32(k);
  }
  static U load_words(const uint32_t* p) { return vld1q_u32(p); }
  static void store(float* p, F v) { vst1q_f32(p, v); }
  static void store_f16(uint16_t* p, F v) { vst1_u16(p, vreinterpret_u16_f16(vcvt_f16_f32(v))); }
  static void store_bf16(uint16_t* p, F v) {
    const U x = bits(v);
    const U bias = vaddq_u32(vdupq_n_u32(0x7fffu), vandq_u32(vshrq_n_u32(x, 16), vdupq_n_u32(1u)));
    vst1_u16(p, vaddhn_u32(x, bias));
  }
  // Words stored unchanged (random bits down columns, kernel_impl.hpp).
  static void store_u(uint32_t* p, U v) { vst1q_u32(p, v); }
  // Lanes N - o .. N - 1 of prev, then lanes 0 .. N - o - 1 of cur (o < N).
  static U shift_in(U prev, U cur, unsigned o) {
    switch (o) {
      case 1: return vextq_u32(prev, cur, 3);
      case 2: return vextq_u32(prev, cur, 2);
      case 3: return vextq_u32(prev, cur, 1);
      default: return cur;
    }
  }
  // The "non-temporal" stores of kernel_impl.hpp's columns: plain stores here (AArch64's
  // STNP has no portable intrinsic); the values are the same either way.
  static void stream(float* p, F v) { store(p, v); }
  static void stream_f16(uint16_t* p, F v) { store_f16(p, v); }
  static void stream_bf16(uint16_t* p, F v) { store_bf16(p, v); }
  static void stream_u(uint32_t* p, U v) { store_u(p, v); }
  // r[k] becomes column k of the 4 x 4 matrix whose rows were r[0..3].
  static void transpose(U r[4]) {
    const U t0 = vtrn1q_u32(r[0], r[1]), t1 = vtrn2q_u32(r[0], r[1]);  // rows 0-1: cols 0,2 / 1,3
    const U t2 = vtrn1q_u32(r[2], r[3]), t3 = vtrn2q_u32(r[2], r[3]);  // rows 2-3
    const uint64x2_t a0 = vreinterpretq_u64_u32(t0), a1 = vreinterpretq_u64_u32(t1);
    const uint64x2_t a2 = vreinterpretq_u64_u32(t2), a3 = vreinterpretq_u64_u32(t3);
    r[0] = vreinterpretq_u32_u64(vtrn1q_u64(a0, a2));
    r[1] = vreinterpretq_u32_u64(vtrn1q_u64(a1, a3));
    r[2] = vreinterpretq_u32_u64(vtrn2q_u64(a0, a2));
    r[3] = vreinterpretq_u32_u64(vtrn2q_u64(a1, a3));
  }
};

struct NeonF64 {
  static constexpr int N = 2;
  static constexpr bool kF64 = true;
  using F = float64x2_t;
  using U = uint64x2_t;
  using M = uint64x2_t;

  static F set1(double x) { return vdupq_n_f64(x); }
  static F add(F a, F b) { return vaddq_f64(a, b); }
  static F sub(F a, F b) { return vsubq_f64(a, b); }
  static F mul(F a, F b) { return vmulq_f64(a, b); }
  static F div(F a, F b) { return vdivq_f64(a, b); }
  static F fma(F a, F b, F c) { return vfmaq_f64(c, a, b); }
  static F sqrt(F a) { return vsqrtq_f64(a); }
  static F min(F a, F b) { return vbslq_f64(vcltq_f64(a, b), a, b); }
  static F max(F a, F b) { return vbslq_f64(vcgtq_f64(a, b), a, b); }
  static F neg(F a) { return from_bits(veorq_u64(bits(a), vdupq_n_u64(0x8000000000000000ull))); }
  static F abs(F a) { return from_bits(vandq_u64(bits(a), vdupq_n_u64(0x7fffffffffffffffull))); }
  static M le(F a, F b) { return vcleq_f64(a, b); }
  static M gt(F a, F b) { return vcgtq_f64(a, b); }
  static M mnot(M m) { return vreinterpretq_u64_u32(vmvnq_u32(vreinterpretq_u32_u64(m))); }
  static F select(M m, F a, F b) { return vbslq_f64(m, a, b); }
  static bool any(M m) { return vmaxvq_u32(vreinterpretq_u32_u64(m)) != 0; }

  static U bits(F a) { return vreinterpretq_u64_f64(a); }
  static F from_bits(U a) { return vreinterpretq_f64_u64(a); }
  static U set1u(uint64_t x) { return vdupq_n_u64(x); }
  static U addu(U a, U b) { return vaddq_u64(a, b); }
  static U subu(U a, U b) { return vsubq_u64(a, b); }
  static U andu(U a, U b) { return vandq_u64(a, b); }
  static U oru(U a, U b) { return vorrq_u64(a, b); }
  template <int n> static U srl(U a) { return vshrq_n_u64(a, n); }

  static F load(const double* p) { return vld1q_f64(p); }
  static unsigned compress(M m, F v, double* out) {
    alignas(16) double lanes[2];
    alignas(16) uint64_t keep[2];
    vst1q_f64(lanes, v);
    vst1q_u64(keep, m);
    unsigned k = 0;
    for (int l = 0; l < 2; ++l) {
      out[k] = lanes[l];
      k += static_cast<unsigned>(keep[l] & 1u);
    }
    return k;
  }
  static F iota() {
    alignas(16) static const double k[2] = {0.0, 1.0};
    return vld1q_f64(k);
  }
  // Two consecutive stream words per lane, word 2e low (little-endian).
  static U load_words(const uint32_t* p) { return vreinterpretq_u64_u32(vld1q_u32(p)); }
  static void store(double* p, F v) { vst1q_f64(p, v); }
};

// 64-bit lanes for PhiloxLanes (philox_simd.hpp): two blocks per set, four per call.
struct NeonLanes64 {
  using I = uint64x2_t;
  static constexpr int kLanes = 2;

  static I set1(uint64_t x) { return vdupq_n_u64(x); }
  static I iota() {
    alignas(16) static const uint64_t k[2] = {0, 1};
    return vld1q_u64(k);
  }
  static I load(const uint64_t* p) { return vld1q_u64(p); }
  static I add(I a, I b) { return vaddq_u64(a, b); }
  static I mul32(I a, I b) { return vmull_u32(vmovn_u64(a), vmovn_u64(b)); }  // umull: low halves
  static I srl32(I a) { return vshrq_n_u64(a, 32); }
  static I xor3(I a, I b, I c) { return veorq_u64(veorq_u64(a, b), c); }
  static I join(I lo, I hi) { return vsliq_n_u64(lo, hi, 32); }  // hi << 32, low 32 bits of lo kept
  static void store_blocks(I p01, I p23, uint32_t* out) {
    vst1q_u32(out, vreinterpretq_u32_u64(vzip1q_u64(p01, p23)));      // lane 0's block
    vst1q_u32(out + 4, vreinterpretq_u32_u64(vzip2q_u64(p01, p23)));  // lane 1's block
  }
};

using NeonPhilox = PhiloxLanes<NeonLanes64>;

}  // namespace
}  // namespace fastinit
