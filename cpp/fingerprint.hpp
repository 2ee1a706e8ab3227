// A 64-bit digest of (element index in the full tensor, value bits) pairs of a strided slice of a
// logical tensor, additive over disjoint slices. Definition: docs/fingerprint.md.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fill.hpp"

namespace fastinit {

// splitmix64's increment (the golden ratio as a 64-bit odd integer) and its finaliser (which makes
// the per-dtype key, once per digest).
inline constexpr uint64_t kFingerprintGamma = 0x9e3779b97f4a7c15ull;
inline constexpr uint64_t fingerprint_mix(uint64_t z) {
  z ^= z >> 30;
  z *= 0xbf58476d1ce4e5b9ull;
  z ^= z >> 27;
  z *= 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// The per-element bijection B of 64-bit values: four rounds x = x (+ or ^) lo32(x) * C_i (a full
// 32x32->64-bit product; each C_i even, so every round is invertible), with the 32-bit halves
// swapped between rounds. 32-bit multiplies with short chains: one vpmuludq per round and lane.
inline constexpr uint32_t kFingerprintRound[4] = {0x85ebca6au, 0xc2b2ae34u, 0x27d4eb2eu, 0x165667b0u};
inline constexpr uint64_t fingerprint_swap(uint64_t x) { return x >> 32 | x << 32; }
inline constexpr uint64_t fingerprint_bijection(uint64_t x) {
  x += (x & 0xffffffffu) * kFingerprintRound[0];
  x = fingerprint_swap(x);
  x ^= (x & 0xffffffffu) * kFingerprintRound[1];
  x = fingerprint_swap(x);
  x += (x & 0xffffffffu) * kFingerprintRound[2];
  x = fingerprint_swap(x);
  return x ^ (x & 0xffffffffu) * kFingerprintRound[3];
}

// One element's term: B((key + e * gamma) ^ bits), key = mix(dtype code).
inline constexpr uint64_t fingerprint_term(uint64_t key, uint64_t e, uint64_t bits) {
  return fingerprint_bijection((key + e * kFingerprintGamma) ^ bits);
}

// The element types a fingerprint reads: their code (which enters the digest) and the bytes of
// one value (a complex element is read as its two parts, each a value of the part's itemsize).
struct FingerprintFormat {
  const char* name;
  uint64_t code;
  std::size_t itemsize;
};
// Throws std::invalid_argument for an unknown name, listing the known ones.
const FingerprintFormat& fingerprint_format(const std::string& name);

// An array to read: element (i_0, ..., i_{n-1}) lives at data + sum i_k * byte_strides[k] (any
// sign, zero included: reading overlapping elements is fine) and is element
// origin + sum_k c_k(i_k) of the full tensor, c_k(i) = offsets[k][i] where offsets[k] is not null
// (an index array on that axis) and i * logical_strides[k] otherwise.
struct FingerprintSource {
  const char* data = nullptr;
  FingerprintFormat format{};
  std::vector<int64_t> shape;
  std::vector<int64_t> byte_strides;
  std::vector<uint64_t> logical_strides;
  uint64_t origin = 0;
  std::vector<const uint64_t*> offsets;  // empty, or one per axis (null: no table)
};

// Throws std::invalid_argument if the layout is inconsistent or an element index reaches 2**63.
void check_fingerprint_source(const FingerprintSource& s);

// The digest: sum over the elements of fingerprint_term, modulo 2**64, computed on up to
// `threads` threads with the SIMD path `simd` ("scalar", "avx2", "avx512"); the result does not
// depend on either. Call without the GIL; never throws. Returns false if keep_going stopped it.
bool fingerprint(const FingerprintSource& s, const std::string& simd, int threads, const KeepGoing& keep_going,
                 uint64_t* digest) noexcept;

}  // namespace fastinit
