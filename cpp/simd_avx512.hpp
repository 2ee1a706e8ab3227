// AVX-512 (F, BW, DQ, VL) vectors with the operations of simd_scalar.hpp. Included only by
// kernels_avx512.cpp, which is compiled with those instruction sets.
#pragma once
#include <immintrin.h>
#include <cstdint>

#include "philox.hpp"

namespace fastinit {
namespace {

struct Avx512F32 {
  static constexpr int N = 16;
  static constexpr bool kF64 = false;
  using F = __m512;
  using U = __m512i;
  using M = __mmask16;

  static F set1(float x) { return _mm512_set1_ps(x); }
  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F sqrt(F a) { return _mm512_sqrt_ps(a); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F neg(F a) { return _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(a), _mm512_set1_epi32(INT32_MIN))); }
  static F abs(F a) { return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(a), _mm512_set1_epi32(INT32_MAX))); }
  static M lt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static M le(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LE_OQ); }
  static M gt(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ); }
  static M mnot(M m) { return static_cast<M>(~m); }
  static F select(M m, F a, F b) { return _mm512_mask_blend_ps(m, b, a); }
  static bool any(M m) { return m != 0; }

  static U bits(F a) { return _mm512_castps_si512(a); }
  static F from_bits(U a) { return _mm512_castsi512_ps(a); }
  static U set1u(uint32_t x) { return _mm512_set1_epi32(static_cast<int>(x)); }
  static U addu(U a, U b) { return _mm512_add_epi32(a, b); }
  static U subu(U a, U b) { return _mm512_sub_epi32(a, b); }
  static U andu(U a, U b) { return _mm512_and_si512(a, b); }
  static U oru(U a, U b) { return _mm512_or_si512(a, b); }
  template <int n> static U srl(U a) { return _mm512_srli_epi32(a, n); }
  template <int n> static U sll(U a) { return _mm512_slli_epi32(a, n); }
  static F cvt_i32(U a) { return _mm512_cvtepi32_ps(a); }

  static U load_words(const uint32_t* p) { return _mm512_loadu_si512(p); }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static void store_f16(uint16_t* p, F v) {
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  static void store_bf16(uint16_t* p, F v) {
    const U x = bits(v);
    const U r = _mm512_srli_epi32(
        _mm512_add_epi32(x, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1)))), 16);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(r));
  }
};

struct Avx512F64 {
  static constexpr int N = 8;
  static constexpr bool kF64 = true;
  using F = __m512d;
  using U = __m512i;
  using M = __mmask8;

  static F set1(double x) { return _mm512_set1_pd(x); }
  static F add(F a, F b) { return _mm512_add_pd(a, b); }
  static F sub(F a, F b) { return _mm512_sub_pd(a, b); }
  static F mul(F a, F b) { return _mm512_mul_pd(a, b); }
  static F div(F a, F b) { return _mm512_div_pd(a, b); }
  static F fma(F a, F b, F c) { return _mm512_fmadd_pd(a, b, c); }
  static F sqrt(F a) { return _mm512_sqrt_pd(a); }
  static F min(F a, F b) { return _mm512_min_pd(a, b); }
  static F max(F a, F b) { return _mm512_max_pd(a, b); }
  static F neg(F a) { return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(a), _mm512_set1_epi64(INT64_MIN))); }
  static F abs(F a) { return _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(a), _mm512_set1_epi64(INT64_MAX))); }
  static M lt(F a, F b) { return _mm512_cmp_pd_mask(a, b, _CMP_LT_OQ); }
  static M le(F a, F b) { return _mm512_cmp_pd_mask(a, b, _CMP_LE_OQ); }
  static M gt(F a, F b) { return _mm512_cmp_pd_mask(a, b, _CMP_GT_OQ); }
  static M mnot(M m) { return static_cast<M>(~m); }
  static F select(M m, F a, F b) { return _mm512_mask_blend_pd(m, b, a); }
  static bool any(M m) { return m != 0; }

  static U bits(F a) { return _mm512_castpd_si512(a); }
  static F from_bits(U a) { return _mm512_castsi512_pd(a); }
  static U set1u(uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); }
  static U addu(U a, U b) { return _mm512_add_epi64(a, b); }
  static U subu(U a, U b) { return _mm512_sub_epi64(a, b); }
  static U andu(U a, U b) { return _mm512_and_si512(a, b); }
  static U oru(U a, U b) { return _mm512_or_si512(a, b); }
  template <int n> static U srl(U a) { return _mm512_srli_epi64(a, n); }
  template <int n> static U sll(U a) { return _mm512_slli_epi64(a, n); }

  static U load_words(const uint32_t* p) { return _mm512_loadu_si512(p); }
  static void store(double* p, F v) { _mm512_storeu_pd(p, v); }
};

// Sixteen Philox blocks at once, one block per 32-bit lane; words stored in stream order.
struct Avx512Philox {
  static constexpr int kBlocks = 16;

  static inline void mulhilo(__m512i m, __m512i x, __m512i& hi, __m512i& lo) {
    const __m512i even = _mm512_mul_epu32(x, m);
    const __m512i odd = _mm512_mul_epu32(_mm512_srli_epi64(x, 32), m);
    lo = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    hi = _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64(even, 32), odd);
  }

  static void blocks(const StreamKey& key, uint64_t b, uint32_t* out) {
    alignas(64) uint32_t lo[16], hi[16];
    for (int i = 0; i < 16; ++i) {
      lo[i] = static_cast<uint32_t>(b + i);
      hi[i] = static_cast<uint32_t>((b + i) >> 32);
    }
    __m512i x0 = _mm512_load_si512(lo);
    __m512i x1 = _mm512_load_si512(hi);
    __m512i x2 = _mm512_set1_epi32(static_cast<int>(key.s0));
    __m512i x3 = _mm512_set1_epi32(static_cast<int>(key.s1));
    const __m512i m0 = _mm512_set1_epi32(static_cast<int>(kPhiloxM0));
    const __m512i m1 = _mm512_set1_epi32(static_cast<int>(kPhiloxM1));
    uint32_t k0 = key.k0, k1 = key.k1;
    for (int r = 0; r < kPhiloxRounds; ++r) {
      __m512i hi0, lo0, hi1, lo1;
      mulhilo(m0, x0, hi0, lo0);
      mulhilo(m1, x2, hi1, lo1);
      x0 = _mm512_ternarylogic_epi32(hi1, x1, _mm512_set1_epi32(static_cast<int>(k0)), 0x96);  // a^b^c
      x1 = lo1;
      x2 = _mm512_ternarylogic_epi32(hi0, x3, _mm512_set1_epi32(static_cast<int>(k1)), 0x96);
      x3 = lo0;
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    // Within each 128-bit lane L, u_j holds block 4L + j; then a 4x4 transpose of 128-bit lanes.
    const __m512i t0 = _mm512_unpacklo_epi32(x0, x1), t1 = _mm512_unpackhi_epi32(x0, x1);
    const __m512i t2 = _mm512_unpacklo_epi32(x2, x3), t3 = _mm512_unpackhi_epi32(x2, x3);
    const __m512i u0 = _mm512_unpacklo_epi64(t0, t2), u1 = _mm512_unpackhi_epi64(t0, t2);
    const __m512i u2 = _mm512_unpacklo_epi64(t1, t3), u3 = _mm512_unpackhi_epi64(t1, t3);
    const __m512i v0 = _mm512_shuffle_i32x4(u0, u1, 0x44);  // b0 b4 b1 b5
    const __m512i v1 = _mm512_shuffle_i32x4(u2, u3, 0x44);  // b2 b6 b3 b7
    const __m512i v2 = _mm512_shuffle_i32x4(u0, u1, 0xEE);  // b8 b12 b9 b13
    const __m512i v3 = _mm512_shuffle_i32x4(u2, u3, 0xEE);  // b10 b14 b11 b15
    _mm512_storeu_si512(out + 0, _mm512_shuffle_i32x4(v0, v1, 0x88));
    _mm512_storeu_si512(out + 16, _mm512_shuffle_i32x4(v0, v1, 0xDD));
    _mm512_storeu_si512(out + 32, _mm512_shuffle_i32x4(v2, v3, 0x88));
    _mm512_storeu_si512(out + 48, _mm512_shuffle_i32x4(v2, v3, 0xDD));
  }
};

}  // namespace
}  // namespace fastinit
