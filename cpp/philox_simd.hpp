// Philox4x32-10 on many blocks at once, written once over a type V of 64-bit integer lanes
// (Avx2Lanes64 in simd_avx2.hpp, Avx512Lanes64 in simd_avx512.hpp). One block per lane: each of
// its four words sits in the low half of a lane, where V::mul32 (vpmuludq) reads it; the high
// halves carry junk that no multiply reads and that V::join drops. A call computes two sets of
// V::kLanes blocks whose rounds do not depend on each other: consecutive blocks (blocks), or
// any 2 * kLanes block numbers listed in an array (blocks_at, for the odd blocks that rows
// starting or ending inside a block need; kernels.block_words).
//
// V provides (all on 64-bit lanes unless said):
//   type I; kLanes (lanes per I)
//   set1(uint64_t)           every lane x
//   iota()                   lane k holds k
//   load(const uint64_t* p)  lane k holds p[k] (p need not be aligned)
//   add(a, b)                a + b
//   mul32(a, b)              low 32 bits of a times low 32 bits of b, 64-bit product
//   srl32(a)                 a >> 32
//   xor3(a, b, c)            a ^ b ^ c
//   join(lo, hi)             (lo & 0xffffffff) | hi << 32
//   store_blocks(p01, p23, out)  writes the 4 * kLanes words of the set's blocks, given as
//                            words 0-1 (p01) and 2-3 (p23) of each lane's block, to out with
//                            lane 0's four words first, then lane 1's, ...
#pragma once
#include <cstdint>

#include "philox.hpp"

namespace fastinit {
namespace {  // internal linkage: this header is compiled under several instruction sets

template <class V>
struct PhiloxLanes {
  static constexpr int kBlocks = 2 * V::kLanes;
  using I = typename V::I;

  struct Set {
    I x0, x1, x2, x3;
  };

  static inline void round(Set& s, I m0, I m1, I k0, I k1) {
    const I p0 = V::mul32(s.x0, m0);
    const I p1 = V::mul32(s.x2, m1);
    s.x0 = V::xor3(V::srl32(p1), s.x1, k0);
    s.x1 = p1;
    s.x2 = V::xor3(V::srl32(p0), s.x3, k1);
    s.x3 = p0;
  }

  // Blocks b .. b + kBlocks - 1 of the stream, 4 * kBlocks words at out.
  static void blocks(const StreamKey& key, uint64_t b, uint32_t* out) {
    const I ba = V::add(V::set1(b), V::iota());
    run(key, ba, V::add(ba, V::set1(V::kLanes)), out);
  }

  // Blocks b[0] .. b[kBlocks - 1] of the stream (any block numbers), 4 words each at out, in
  // list order.
  static void blocks_at(const StreamKey& key, const uint64_t* b, uint32_t* out) {
    run(key, V::load(b), V::load(b + V::kLanes), out);
  }

  // The blocks whose numbers are in the lanes of ba, then those of bb.
  static void run(const StreamKey& key, I ba, I bb, uint32_t* out) {
    const I s0 = V::set1(key.s0), s1 = V::set1(key.s1);
    Set a{ba, V::srl32(ba), s0, s1};
    Set c{bb, V::srl32(bb), s0, s1};
    const I m0 = V::set1(kPhiloxM0), m1 = V::set1(kPhiloxM1);
    uint32_t k0 = key.k0, k1 = key.k1;
    for (int r = 0; r < kPhiloxRounds; ++r) {
      const I vk0 = V::set1(k0), vk1 = V::set1(k1);
      round(a, m0, m1, vk0, vk1);
      round(c, m0, m1, vk0, vk1);
      k0 += kPhiloxW0;
      k1 += kPhiloxW1;
    }
    V::store_blocks(V::join(a.x0, a.x1), V::join(a.x2, a.x3), out);
    V::store_blocks(V::join(c.x0, c.x1), V::join(c.x2, c.x3), out + 4 * V::kLanes);
  }
};

}  // namespace
}  // namespace fastinit
