// AVX-512 (F, BW, DQ, VL) vectors with the operations of simd_scalar.hpp. Included only by
// kernels_avx512.cpp, which is compiled with those instruction sets.
#pragma once
#include <immintrin.h>
#include <cstddef>
#include <cstdint>
#include <cstring>

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

  static uint32_t mask_bits(M m) { return static_cast<uint32_t>(m); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static unsigned compress(M m, F v, float* out) {
    _mm512_storeu_ps(out, _mm512_maskz_compress_ps(m, v));
    return static_cast<unsigned>(__builtin_popcount(m));
  }
  static F iota() { return _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15); }
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

  static uint32_t mask_bits(M m) { return static_cast<uint32_t>(m); }
  static F load(const double* p) { return _mm512_loadu_pd(p); }
  static unsigned compress(M m, F v, double* out) {
    _mm512_storeu_pd(out, _mm512_maskz_compress_pd(m, v));
    return static_cast<unsigned>(__builtin_popcount(m));
  }
  static F iota() { return _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7); }
  static U load_words(const uint32_t* p) { return _mm512_loadu_si512(p); }
  static void store(double* p, F v) { _mm512_storeu_pd(p, v); }
};

// Sixteen Philox blocks at once, in two sets of eight with one block per 64-bit lane: each
// counter word sits in the low half of its lane, where vpmuludq reads it, so a round is two
// multiplies, two shifts and two three-way XORs per set (the high halves carry junk that no
// multiply ever reads). Words are stored in stream order.
struct Avx512Philox {
  static constexpr int kBlocks = 16;

  struct Set {
    __m512i x0, x1, x2, x3;
  };

  static inline void round(Set& s, __m512i m0, __m512i m1, __m512i k0, __m512i k1) {
    const __m512i p0 = _mm512_mul_epu32(s.x0, m0);
    const __m512i p1 = _mm512_mul_epu32(s.x2, m1);
    s.x0 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), s.x1, k0, 0x96);  // a ^ b ^ c
    s.x1 = p1;
    s.x2 = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), s.x3, k1, 0x96);
    s.x3 = p0;
  }

  // Blocks 2L and 2L+1 of the set (L = 128-bit lane) -> stream order, 32 words at out.
  static inline void store(const Set& s, uint32_t* out) {
    const __m512i lo32 = _mm512_set1_epi64(0xffffffffll);
    const __m512i p01 = _mm512_ternarylogic_epi64(s.x0, lo32, _mm512_slli_epi64(s.x1, 32), 0xEA);  // (a & b) | c
    const __m512i p23 = _mm512_ternarylogic_epi64(s.x2, lo32, _mm512_slli_epi64(s.x3, 32), 0xEA);
    const __m512i even = _mm512_unpacklo_epi64(p01, p23);  // blocks 0 2 4 6
    const __m512i odd = _mm512_unpackhi_epi64(p01, p23);   // blocks 1 3 5 7
    _mm512_storeu_si512(out, _mm512_permutex2var_epi64(even, _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0), odd));
    _mm512_storeu_si512(out + 16, _mm512_permutex2var_epi64(even, _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4), odd));
  }

  static void blocks(const StreamKey& key, uint64_t b, uint32_t* out) {
    const __m512i iota = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    const __m512i ba = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(b)), iota);
    const __m512i bb = _mm512_add_epi64(ba, _mm512_set1_epi64(8));
    const __m512i s0 = _mm512_set1_epi64(key.s0), s1 = _mm512_set1_epi64(key.s1);
    Set a{ba, _mm512_srli_epi64(ba, 32), s0, s1};
    Set c{bb, _mm512_srli_epi64(bb, 32), s0, s1};
    const __m512i m0 = _mm512_set1_epi64(kPhiloxM0), m1 = _mm512_set1_epi64(kPhiloxM1);
    uint32_t k0 = key.k0, k1 = key.k1;
    for (int r = 0; r < kPhiloxRounds; ++r) {
      const __m512i vk0 = _mm512_set1_epi64(k0), vk1 = _mm512_set1_epi64(k1);
      round(a, m0, m1, vk0, vk1);
      round(c, m0, m1, vk0, vk1);
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    store(a, out);
    store(c, out + 32);
  }
};

// Copies bytes to dst with non-temporal stores for its aligned middle, so a fill larger than the
// caches writes memory without first reading every line (read-for-ownership).
struct Avx512Stream {
  static void copy(void* dst, const void* src, std::size_t bytes) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    std::size_t head = ((64 - reinterpret_cast<uintptr_t>(d) % 64) % 64);
    if (head > bytes) head = bytes;
    std::memcpy(d, s, head);
    std::size_t i = head;
    for (; i + 64 <= bytes; i += 64) _mm512_stream_si512(reinterpret_cast<__m512i*>(d + i), _mm512_loadu_si512(s + i));
    std::memcpy(d + i, s + i, bytes - i);
  }
  static void fence() { _mm_sfence(); }
};

}  // namespace
}  // namespace fastinit
