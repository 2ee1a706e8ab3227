// AVX2 + FMA + F16C vectors with the operations of simd_scalar.hpp. Included only by
// kernels_avx2.cpp and kernels_avx512.cpp, which are compiled with those instruction sets.
#pragma once
#include <immintrin.h>
#include <cstdint>

#include "philox.hpp"

namespace fastinit {
namespace {

struct Avx2F32 {
  static constexpr int N = 8;
  static constexpr bool kF64 = false;
  using F = __m256;
  using U = __m256i;
  using M = __m256;

  static F set1(float x) { return _mm256_set1_ps(x); }
  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F sqrt(F a) { return _mm256_sqrt_ps(a); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F neg(F a) { return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f)); }
  static F abs(F a) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a); }
  static M lt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static M le(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LE_OQ); }
  static M gt(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_GT_OQ); }
  static M mnot(M m) { return _mm256_xor_ps(m, _mm256_castsi256_ps(_mm256_set1_epi32(-1))); }
  static F select(M m, F a, F b) { return _mm256_blendv_ps(b, a, m); }
  static bool any(M m) { return _mm256_movemask_ps(m) != 0; }

  static U bits(F a) { return _mm256_castps_si256(a); }
  static F from_bits(U a) { return _mm256_castsi256_ps(a); }
  static U set1u(uint32_t x) { return _mm256_set1_epi32(static_cast<int>(x)); }
  static U addu(U a, U b) { return _mm256_add_epi32(a, b); }
  static U subu(U a, U b) { return _mm256_sub_epi32(a, b); }
  static U andu(U a, U b) { return _mm256_and_si256(a, b); }
  static U oru(U a, U b) { return _mm256_or_si256(a, b); }
  template <int n> static U srl(U a) { return _mm256_srli_epi32(a, n); }
  template <int n> static U sll(U a) { return _mm256_slli_epi32(a, n); }
  static F cvt_i32(U a) { return _mm256_cvtepi32_ps(a); }

  static U load_words(const uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static void store_f16(uint16_t* p, F v) {
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  static void store_bf16(uint16_t* p, F v) {
    const U x = bits(v);
    const U r = _mm256_srli_epi32(
        _mm256_add_epi32(x, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1)))), 16);
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);  // qwords 0, 2
    _mm_storeu_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
  }
};

struct Avx2F64 {
  static constexpr int N = 4;
  static constexpr bool kF64 = true;
  using F = __m256d;
  using U = __m256i;
  using M = __m256d;

  static F set1(double x) { return _mm256_set1_pd(x); }
  static F add(F a, F b) { return _mm256_add_pd(a, b); }
  static F sub(F a, F b) { return _mm256_sub_pd(a, b); }
  static F mul(F a, F b) { return _mm256_mul_pd(a, b); }
  static F div(F a, F b) { return _mm256_div_pd(a, b); }
  static F fma(F a, F b, F c) { return _mm256_fmadd_pd(a, b, c); }
  static F sqrt(F a) { return _mm256_sqrt_pd(a); }
  static F min(F a, F b) { return _mm256_min_pd(a, b); }
  static F max(F a, F b) { return _mm256_max_pd(a, b); }
  static F neg(F a) { return _mm256_xor_pd(a, _mm256_set1_pd(-0.0)); }
  static F abs(F a) { return _mm256_andnot_pd(_mm256_set1_pd(-0.0), a); }
  static M lt(F a, F b) { return _mm256_cmp_pd(a, b, _CMP_LT_OQ); }
  static M le(F a, F b) { return _mm256_cmp_pd(a, b, _CMP_LE_OQ); }
  static M gt(F a, F b) { return _mm256_cmp_pd(a, b, _CMP_GT_OQ); }
  static M mnot(M m) { return _mm256_xor_pd(m, _mm256_castsi256_pd(_mm256_set1_epi32(-1))); }
  static F select(M m, F a, F b) { return _mm256_blendv_pd(b, a, m); }
  static bool any(M m) { return _mm256_movemask_pd(m) != 0; }

  static U bits(F a) { return _mm256_castpd_si256(a); }
  static F from_bits(U a) { return _mm256_castsi256_pd(a); }
  static U set1u(uint64_t x) { return _mm256_set1_epi64x(static_cast<long long>(x)); }
  static U addu(U a, U b) { return _mm256_add_epi64(a, b); }
  static U subu(U a, U b) { return _mm256_sub_epi64(a, b); }
  static U andu(U a, U b) { return _mm256_and_si256(a, b); }
  static U oru(U a, U b) { return _mm256_or_si256(a, b); }
  template <int n> static U srl(U a) { return _mm256_srli_epi64(a, n); }
  template <int n> static U sll(U a) { return _mm256_slli_epi64(a, n); }

  static U load_words(const uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(double* p, F v) { _mm256_storeu_pd(p, v); }
};

// Eight Philox blocks at once, one block per 32-bit lane; words stored in stream order.
struct Avx2Philox {
  static constexpr int kBlocks = 8;

  static inline void mulhilo(__m256i m, __m256i x, __m256i& hi, __m256i& lo) {
    const __m256i even = _mm256_mul_epu32(x, m);
    const __m256i odd = _mm256_mul_epu32(_mm256_srli_epi64(x, 32), m);
    lo = _mm256_blend_epi32(even, _mm256_slli_epi64(odd, 32), 0xAA);
    hi = _mm256_blend_epi32(_mm256_srli_epi64(even, 32), odd, 0xAA);
  }

  static void blocks(const StreamKey& key, uint64_t b, uint32_t* out) {
    alignas(32) uint32_t lo[8], hi[8];
    for (int i = 0; i < 8; ++i) {
      lo[i] = static_cast<uint32_t>(b + i);
      hi[i] = static_cast<uint32_t>((b + i) >> 32);
    }
    __m256i x0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(lo));
    __m256i x1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(hi));
    __m256i x2 = _mm256_set1_epi32(static_cast<int>(key.s0));
    __m256i x3 = _mm256_set1_epi32(static_cast<int>(key.s1));
    const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kPhiloxM0));
    const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kPhiloxM1));
    uint32_t k0 = key.k0, k1 = key.k1;
    for (int r = 0; r < kPhiloxRounds; ++r) {
      __m256i hi0, lo0, hi1, lo1;
      mulhilo(m0, x0, hi0, lo0);
      mulhilo(m1, x2, hi1, lo1);
      x0 = _mm256_xor_si256(_mm256_xor_si256(hi1, x1), _mm256_set1_epi32(static_cast<int>(k0)));
      x1 = lo1;
      x2 = _mm256_xor_si256(_mm256_xor_si256(hi0, x3), _mm256_set1_epi32(static_cast<int>(k1)));
      x3 = lo0;
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    // Transpose 4 words x 8 blocks into stream order: block i's words land at out[4i .. 4i+3].
    const __m256i t0 = _mm256_unpacklo_epi32(x0, x1), t1 = _mm256_unpackhi_epi32(x0, x1);
    const __m256i t2 = _mm256_unpacklo_epi32(x2, x3), t3 = _mm256_unpackhi_epi32(x2, x3);
    const __m256i u0 = _mm256_unpacklo_epi64(t0, t2), u1 = _mm256_unpackhi_epi64(t0, t2);
    const __m256i u2 = _mm256_unpacklo_epi64(t1, t3), u3 = _mm256_unpackhi_epi64(t1, t3);
    __m256i* o = reinterpret_cast<__m256i*>(out);
    _mm256_storeu_si256(o + 0, _mm256_permute2x128_si256(u0, u1, 0x20));
    _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(u2, u3, 0x20));
    _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(u0, u1, 0x31));
    _mm256_storeu_si256(o + 3, _mm256_permute2x128_si256(u2, u3, 0x31));
  }
};

}  // namespace
}  // namespace fastinit
