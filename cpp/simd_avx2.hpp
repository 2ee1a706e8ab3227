// AVX2 + FMA + F16C vectors with the operations of simd_scalar.hpp. Included only by
// kernels_avx2.cpp, which is compiled with those instruction sets.
#pragma once
#include <immintrin.h>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "philox_simd.hpp"

namespace fastinit {
namespace {

// vpermps indices that move the lanes selected by a mask to the front, in order: 8 lanes of 32
// bits, and 4 lanes of 64 bits (as pairs of 32-bit indices).
template <int Lanes, int Width>
struct CompressTable {
  alignas(32) uint32_t idx[1 << Lanes][8];
  constexpr CompressTable() : idx{} {
    for (int m = 0; m < (1 << Lanes); ++m) {
      int k = 0;
      for (int lane = 0; lane < Lanes; ++lane)
        if ((m >> lane) & 1)
          for (int h = 0; h < Width; ++h) idx[m][k++] = static_cast<uint32_t>(lane * Width + h);
      while (k < 8) idx[m][k++] = 0;
    }
  }
};
constexpr CompressTable<8, 1> kCompress8{};
constexpr CompressTable<4, 2> kCompress4x2{};

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

  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static unsigned compress(M m, F v, float* out) {
    const unsigned bits = static_cast<unsigned>(_mm256_movemask_ps(m));
    const __m256i idx = _mm256_load_si256(reinterpret_cast<const __m256i*>(kCompress8.idx[bits]));
    _mm256_storeu_ps(out, _mm256_permutevar8x32_ps(v, idx));
    return static_cast<unsigned>(__builtin_popcount(bits));
  }
  static F iota() { return _mm256_setr_ps(0, 1, 2, 3, 4, 5, 6, 7); }
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
  // Words stored unchanged (random bits down columns, kernel_impl.hpp).
  static void store_u(uint32_t* p, U v) { _mm256_storeu_si256(reinterpret_cast<__m256i*>(p), v); }
  // Lanes N - o .. N - 1 of prev, then lanes 0 .. N - o - 1 of cur (o < N).
  static U shift_in(U prev, U cur, unsigned o) {
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), s = _mm256_set1_epi32(static_cast<int>(o));
    const __m256i idx = _mm256_and_si256(_mm256_sub_epi32(lane, s), _mm256_set1_epi32(7));  // lane l: (l - o) mod 8
    const __m256i from_prev = _mm256_cmpgt_epi32(s, lane);                                  // l < o
    return _mm256_blendv_epi8(_mm256_permutevar8x32_epi32(cur, idx), _mm256_permutevar8x32_epi32(prev, idx), from_prev);
  }
  // Non-temporal stores of the same values (p aligned to the bytes stored: 32, 16, 16 and 32).
  static void stream(float* p, F v) { _mm256_stream_ps(p, v); }
  static void stream_f16(uint16_t* p, F v) {
    _mm_stream_si128(reinterpret_cast<__m128i*>(p), _mm256_cvtps_ph(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
  }
  static void stream_bf16(uint16_t* p, F v) {
    const U x = bits(v);
    const U r = _mm256_srli_epi32(
        _mm256_add_epi32(x, _mm256_add_epi32(_mm256_set1_epi32(0x7fff), _mm256_and_si256(_mm256_srli_epi32(x, 16), _mm256_set1_epi32(1)))), 16);
    const __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi32(r, r), 0x08);  // qwords 0, 2
    _mm_stream_si128(reinterpret_cast<__m128i*>(p), _mm256_castsi256_si128(packed));
  }
  static void stream_u(uint32_t* p, U v) { _mm256_stream_si256(reinterpret_cast<__m256i*>(p), v); }
  // r[k] becomes column k of the 8 x 8 matrix whose rows were r[0..7].
  static void transpose(U r[8]) {
    __m256 t[8], s[8];
    for (int k = 0; k < 4; ++k) {
      t[2 * k] = _mm256_unpacklo_ps(from_bits(r[2 * k]), from_bits(r[2 * k + 1]));
      t[2 * k + 1] = _mm256_unpackhi_ps(from_bits(r[2 * k]), from_bits(r[2 * k + 1]));
    }
    // Then s[4h + c], 128-bit half H: rows 4h .. 4h + 3 of column 4H + c.
    for (int h = 0; h < 2; ++h) {
      s[4 * h] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0x44);
      s[4 * h + 1] = _mm256_shuffle_ps(t[4 * h], t[4 * h + 2], 0xEE);
      s[4 * h + 2] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0x44);
      s[4 * h + 3] = _mm256_shuffle_ps(t[4 * h + 1], t[4 * h + 3], 0xEE);
    }
    for (int c = 0; c < 4; ++c) {
      r[c] = bits(_mm256_permute2f128_ps(s[c], s[4 + c], 0x20));
      r[4 + c] = bits(_mm256_permute2f128_ps(s[c], s[4 + c], 0x31));
    }
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

  static F load(const double* p) { return _mm256_loadu_pd(p); }
  static unsigned compress(M m, F v, double* out) {
    const unsigned bits = static_cast<unsigned>(_mm256_movemask_pd(m));
    const __m256i idx = _mm256_load_si256(reinterpret_cast<const __m256i*>(kCompress4x2.idx[bits]));
    _mm256_storeu_pd(out, _mm256_castps_pd(_mm256_permutevar8x32_ps(_mm256_castpd_ps(v), idx)));
    return static_cast<unsigned>(__builtin_popcount(bits));
  }
  static F iota() { return _mm256_setr_pd(0, 1, 2, 3); }
  static U load_words(const uint32_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static void store(double* p, F v) { _mm256_storeu_pd(p, v); }
};

// 64-bit lanes for PhiloxLanes (philox_simd.hpp): four blocks per set, eight per call.
struct Avx2Lanes64 {
  using I = __m256i;
  static constexpr int kLanes = 4;

  static I set1(uint64_t x) { return _mm256_set1_epi64x(static_cast<long long>(x)); }
  static I iota() { return _mm256_set_epi64x(3, 2, 1, 0); }
  static I load(const uint64_t* p) { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
  static I add(I a, I b) { return _mm256_add_epi64(a, b); }
  static I mul32(I a, I b) { return _mm256_mul_epu32(a, b); }
  static I srl32(I a) { return _mm256_srli_epi64(a, 32); }
  static I xor3(I a, I b, I c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
  static I join(I lo, I hi) {
    return _mm256_or_si256(_mm256_and_si256(lo, _mm256_set1_epi64x(0xffffffffll)), _mm256_slli_epi64(hi, 32));
  }
  static void store_blocks(I p01, I p23, uint32_t* out) {
    const I even = _mm256_unpacklo_epi64(p01, p23);  // blocks 0 2
    const I odd = _mm256_unpackhi_epi64(p01, p23);   // blocks 1 3
    I* o = reinterpret_cast<I*>(out);
    _mm256_storeu_si256(o, _mm256_permute2x128_si256(even, odd, 0x20));
    _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(even, odd, 0x31));
  }
};

using Avx2Philox = PhiloxLanes<Avx2Lanes64>;

// Copies bytes to dst with non-temporal stores for its aligned middle, so a fill larger than the
// caches writes memory without first reading every line (read-for-ownership).
struct Avx2Stream {
  static void copy(void* dst, const void* src, std::size_t bytes) {
    auto* d = static_cast<unsigned char*>(dst);
    const auto* s = static_cast<const unsigned char*>(src);
    std::size_t head = ((32 - reinterpret_cast<uintptr_t>(d) % 32) % 32);
    if (head > bytes) head = bytes;
    std::memcpy(d, s, head);
    std::size_t i = head;
    for (; i + 32 <= bytes; i += 32) _mm256_stream_si256(reinterpret_cast<__m256i*>(d + i), _mm256_loadu_si256(reinterpret_cast<const __m256i*>(s + i)));
    std::memcpy(d + i, s + i, bytes - i);
  }
  static void fence() { _mm_sfence(); }
};

}  // namespace
}  // namespace fastinit
