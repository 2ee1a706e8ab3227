// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11),
// with Random123's round function and constants. Known answers: tests/data/philox4x32_10.txt.
#pragma once
#include <cstdint>

namespace fastinit {

inline constexpr uint32_t kPhiloxM0 = 0xD2511F53u;
inline constexpr uint32_t kPhiloxM1 = 0xCD9E8D57u;
inline constexpr uint32_t kPhiloxW0 = 0x9E3779B9u;  // golden ratio
inline constexpr uint32_t kPhiloxW1 = 0xBB67AE85u;  // sqrt(3) - 1
inline constexpr int kPhiloxRounds = 10;

// Everything a fill needs to name its words: key = seed, counter words 2-3 = stream.
struct StreamKey {
  uint32_t k0, k1;  // seed & 0xffffffff, seed >> 32
  uint32_t s0, s1;  // stream & 0xffffffff, stream >> 32

  static StreamKey make(uint64_t seed, uint64_t stream) {
    return {static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
            static_cast<uint32_t>(stream), static_cast<uint32_t>(stream >> 32)};
  }
};

namespace {  // internal linkage: this header is compiled under several instruction sets

inline void philox4x32_10(const uint32_t ctr[4], uint32_t k0, uint32_t k1, uint32_t out[4]) {
  uint32_t x0 = ctr[0], x1 = ctr[1], x2 = ctr[2], x3 = ctr[3];
  for (int r = 0; r < kPhiloxRounds; ++r) {
    const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * x0;
    const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * x2;
    const uint32_t y0 = static_cast<uint32_t>(p1 >> 32) ^ x1 ^ k0;
    const uint32_t y1 = static_cast<uint32_t>(p1);
    const uint32_t y2 = static_cast<uint32_t>(p0 >> 32) ^ x3 ^ k1;
    const uint32_t y3 = static_cast<uint32_t>(p0);
    x0 = y0; x1 = y1; x2 = y2; x3 = y3;
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  out[0] = x0; out[1] = x1; out[2] = x2; out[3] = x3;
}

// The four words of block b of a stream: words 4b .. 4b+3.
inline void philox_block(const StreamKey& key, uint64_t b, uint32_t out[4]) {
  const uint32_t ctr[4] = {static_cast<uint32_t>(b), static_cast<uint32_t>(b >> 32), key.s0, key.s1};
  philox4x32_10(ctr, key.k0, key.k1, out);
}

}  // namespace
}  // namespace fastinit
