// AVX-512 (F, BW, DQ, VL) vectors with the operations of simd_scalar.hpp. Included only by
// kernels_avx512.cpp, which is compiled with those instruction sets.
#pragma once
#include <immintrin.h>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "philox_simd.hpp"

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
  // Words stored unchanged (random bits down columns, kernel_impl.hpp).
  static void store_u(uint32_t* p, U v) { _mm512_storeu_si512(p, v); }
  // Lanes N - o .. N - 1 of prev, then lanes 0 .. N - o - 1 of cur (o < N).
  static U shift_in(U prev, U cur, unsigned o) {
    const U idx = _mm512_add_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                   _mm512_set1_epi32(static_cast<int>(16 - o)));
    return _mm512_permutex2var_epi32(prev, idx, cur);  // indices 16.. pick cur
  }
  // Non-temporal stores of the same values (p aligned to the bytes stored: 64, 32, 32 and 64).
  static void stream(float* p, F v) { _mm512_stream_ps(p, v); }
  static void stream_f16(uint16_t* p, F v) {
    _mm256_stream_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  static void stream_bf16(uint16_t* p, F v) {
    const U x = bits(v);
    const U r = _mm512_srli_epi32(
        _mm512_add_epi32(x, _mm512_add_epi32(_mm512_set1_epi32(0x7fff), _mm512_and_si512(_mm512_srli_epi32(x, 16), _mm512_set1_epi32(1)))), 16);
    _mm256_stream_si256(reinterpret_cast<__m256i*>(p), _mm512_cvtepi32_epi16(r));
  }
  static void stream_u(uint32_t* p, U v) { _mm512_stream_si512(reinterpret_cast<__m512i*>(p), v); }
  // r[k] becomes column k of the 16 x 16 matrix whose rows were r[0..15].
  static void transpose(U r[16]) {
    U t[16];
    for (int k = 0; k < 8; ++k) {
      t[2 * k] = _mm512_unpacklo_epi32(r[2 * k], r[2 * k + 1]);
      t[2 * k + 1] = _mm512_unpackhi_epi32(r[2 * k], r[2 * k + 1]);
    }
    // Then r[4k + c], 128-bit lane L: rows 4k .. 4k + 3 of column 4L + c.
    for (int k = 0; k < 4; ++k) {
      r[4 * k] = _mm512_unpacklo_epi64(t[4 * k], t[4 * k + 2]);
      r[4 * k + 1] = _mm512_unpackhi_epi64(t[4 * k], t[4 * k + 2]);
      r[4 * k + 2] = _mm512_unpacklo_epi64(t[4 * k + 1], t[4 * k + 3]);
      r[4 * k + 3] = _mm512_unpackhi_epi64(t[4 * k + 1], t[4 * k + 3]);
    }
    for (int c = 0; c < 4; ++c) {  // 4 x 4 transpose of the 128-bit lanes of r[c], r[4 + c], ...
      const U x0 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0x44), x1 = _mm512_shuffle_i32x4(r[c], r[4 + c], 0xEE);
      const U x2 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0x44), x3 = _mm512_shuffle_i32x4(r[8 + c], r[12 + c], 0xEE);
      t[c] = _mm512_shuffle_i32x4(x0, x2, 0x88);
      t[4 + c] = _mm512_shuffle_i32x4(x0, x2, 0xDD);
      t[8 + c] = _mm512_shuffle_i32x4(x1, x3, 0x88);
      t[12 + c] = _mm512_shuffle_i32x4(x1, x3, 0xDD);
    }
    for (int k = 0; k < 16; ++k) r[k] = t[k];
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

  static F load(const double* p) { return _mm512_loadu_pd(p); }
  static unsigned compress(M m, F v, double* out) {
    _mm512_storeu_pd(out, _mm512_maskz_compress_pd(m, v));
    return static_cast<unsigned>(__builtin_popcount(m));
  }
  static F iota() { return _mm512_setr_pd(0, 1, 2, 3, 4, 5, 6, 7); }
  static U load_words(const uint32_t* p) { return _mm512_loadu_si512(p); }
  static void store(double* p, F v) { _mm512_storeu_pd(p, v); }
};

// 64-bit lanes for PhiloxLanes (philox_simd.hpp): eight blocks per set, sixteen per call.
struct Avx512Lanes64 {
  using I = __m512i;
  static constexpr int kLanes = 8;

  static I set1(uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); }
  static I iota() { return _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0); }
  static I load(const uint64_t* p) { return _mm512_loadu_si512(p); }
  static I add(I a, I b) { return _mm512_add_epi64(a, b); }
  static I mul32(I a, I b) { return _mm512_mul_epu32(a, b); }
  static I srl32(I a) { return _mm512_srli_epi64(a, 32); }
  static I xor3(I a, I b, I c) { return _mm512_ternarylogic_epi64(a, b, c, 0x96); }  // 0x96: a ^ b ^ c
  static I join(I lo, I hi) {  // 0xEA: (a & b) | c
    return _mm512_ternarylogic_epi64(lo, _mm512_set1_epi64(0xffffffffll), _mm512_slli_epi64(hi, 32), 0xEA);
  }
  static void store_blocks(I p01, I p23, uint32_t* out) {
    const I even = _mm512_unpacklo_epi64(p01, p23);  // blocks 0 2 4 6
    const I odd = _mm512_unpackhi_epi64(p01, p23);   // blocks 1 3 5 7
    _mm512_storeu_si512(out, _mm512_permutex2var_epi64(even, _mm512_set_epi64(11, 10, 3, 2, 9, 8, 1, 0), odd));
    _mm512_storeu_si512(out + 16, _mm512_permutex2var_epi64(even, _mm512_set_epi64(15, 14, 7, 6, 13, 12, 5, 4), odd));
  }
};

using Avx512Philox = PhiloxLanes<Avx512Lanes64>;

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
