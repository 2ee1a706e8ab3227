// The scalar "vector" of one lane: the reference every SIMD path must equal bit for bit.
// Each SIMD header defines the same operations with the same IEEE semantics (min/max return
// the second operand when the first comparison is false, as minps/maxps do).
#pragma once
#include <cstdint>
#include <cstring>

namespace fastinit {
namespace {

template <class To, class From>
inline To bit_cast_(From x) {
  static_assert(sizeof(To) == sizeof(From), "bit_cast size");
  To y;
  std::memcpy(&y, &x, sizeof(To));
  return y;
}

// Round-to-nearest-even float32 -> binary16, subnormals and overflow to infinity included.
inline uint16_t f32_to_f16_bits(float f) {
  const uint32_t x = bit_cast_<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) return static_cast<uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
  if (ax >= 0x47800000u) return static_cast<uint16_t>(sign | 0x7c00u);  // >= 2**16
  if (ax < 0x38800000u) {  // below 2**-14: a multiple of 2**-24 after rounding
    // |f| * 2**24 is exact; adding and removing 2**23 rounds it to an integer, ties to even.
    const float scaled = bit_cast_<float>(ax) * 16777216.0f;
    const float rounded = (scaled + 8388608.0f) - 8388608.0f;
    return static_cast<uint16_t>(sign | static_cast<uint16_t>(rounded));
  }
  uint32_t y = ax - (112u << 23);  // rebias the exponent from 127 to 15
  y += 0x0fffu + ((y >> 13) & 1u);
  return static_cast<uint16_t>(sign | (y >> 13));  // a carry into exponent 31 is infinity
}

// Round-to-nearest-even float32 -> bfloat16 for finite values (the kernels make no NaN).
inline uint16_t f32_to_bf16_bits(float f) {
  uint32_t x = bit_cast_<uint32_t>(f);
  x += 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(x >> 16);
}

struct ScalarF32 {
  static constexpr int N = 1;
  static constexpr bool kF64 = false;
  using F = float;
  using U = uint32_t;
  using M = bool;

  static F set1(float x) { return x; }
  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  static F fma(F a, F b, F c) { return __builtin_fmaf(a, b, c); }
  static F sqrt(F a) { return __builtin_sqrtf(a); }
  static F min(F a, F b) { return a < b ? a : b; }
  static F max(F a, F b) { return a > b ? a : b; }
  static F neg(F a) { return bit_cast_<float>(bit_cast_<uint32_t>(a) ^ 0x80000000u); }
  static F abs(F a) { return bit_cast_<float>(bit_cast_<uint32_t>(a) & 0x7fffffffu); }
  static M le(F a, F b) { return a <= b; }
  static M gt(F a, F b) { return a > b; }
  static M mnot(M m) { return !m; }
  static F select(M m, F a, F b) { return m ? a : b; }
  static bool any(M m) { return m; }

  static U bits(F a) { return bit_cast_<uint32_t>(a); }
  static F from_bits(U a) { return bit_cast_<float>(a); }
  static U set1u(uint32_t x) { return x; }
  static U addu(U a, U b) { return a + b; }
  static U subu(U a, U b) { return a - b; }
  static U andu(U a, U b) { return a & b; }
  static U oru(U a, U b) { return a | b; }
  template <int n> static U srl(U a) { return a >> n; }
  template <int n> static U sll(U a) { return a << n; }
  // Exact for |signed value| < 2**24.
  static F cvt_i32(U a) { return static_cast<float>(static_cast<int32_t>(a)); }

  static F load(const float* p) { return *p; }
  // Stores the lanes of v where m is set, first to last, at out; returns how many.
  static unsigned compress(M m, F v, float* out) { *out = v; return m ? 1u : 0u; }
  static F iota() { return 0.0f; }
  static U load_words(const uint32_t* p) { return *p; }
  static void store(float* p, F v) { *p = v; }
  static void store_f16(uint16_t* p, F v) { *p = f32_to_f16_bits(v); }
  static void store_bf16(uint16_t* p, F v) { *p = f32_to_bf16_bits(v); }
  // Words stored unchanged (random bits down columns, kernel_impl.hpp).
  static void store_u(uint32_t* p, U v) { *p = v; }
  // Lanes N - o .. N - 1 of prev, then lanes 0 .. N - o - 1 of cur (o < N: here always cur).
  static U shift_in(U prev, U cur, unsigned o) { return o == 0 ? cur : prev; }
};

struct ScalarF64 {
  static constexpr int N = 1;
  static constexpr bool kF64 = true;
  using F = double;
  using U = uint64_t;
  using M = bool;

  static F set1(double x) { return x; }
  static F add(F a, F b) { return a + b; }
  static F sub(F a, F b) { return a - b; }
  static F mul(F a, F b) { return a * b; }
  static F div(F a, F b) { return a / b; }
  static F fma(F a, F b, F c) { return __builtin_fma(a, b, c); }
  static F sqrt(F a) { return __builtin_sqrt(a); }
  static F min(F a, F b) { return a < b ? a : b; }
  static F max(F a, F b) { return a > b ? a : b; }
  static F neg(F a) { return bit_cast_<double>(bit_cast_<uint64_t>(a) ^ 0x8000000000000000ull); }
  static F abs(F a) { return bit_cast_<double>(bit_cast_<uint64_t>(a) & 0x7fffffffffffffffull); }
  static M le(F a, F b) { return a <= b; }
  static M gt(F a, F b) { return a > b; }
  static M mnot(M m) { return !m; }
  static F select(M m, F a, F b) { return m ? a : b; }
  static bool any(M m) { return m; }

  static U bits(F a) { return bit_cast_<uint64_t>(a); }
  static F from_bits(U a) { return bit_cast_<double>(a); }
  static U set1u(uint64_t x) { return x; }
  static U addu(U a, U b) { return a + b; }
  static U subu(U a, U b) { return a - b; }
  static U andu(U a, U b) { return a & b; }
  static U oru(U a, U b) { return a | b; }
  template <int n> static U srl(U a) { return a >> n; }

  static F load(const double* p) { return *p; }
  static unsigned compress(M m, F v, double* out) { *out = v; return m ? 1u : 0u; }
  static F iota() { return 0.0; }
  // Two consecutive stream words as one little-endian 64-bit integer (word 2e low, 2e+1 high).
  static U load_words(const uint32_t* p) {
    return static_cast<uint64_t>(p[0]) | (static_cast<uint64_t>(p[1]) << 32);
  }
  static void store(double* p, F v) { *p = v; }
};

}  // namespace
}  // namespace fastinit
