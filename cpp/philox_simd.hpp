// Philox4x32-10 on many blocks at once, written once over a type V of 64-bit integer lanes
// (Avx2Lanes64 in simd_avx2.hpp, Avx512Lanes64 in simd_avx512.hpp). One block per lane: each of
// its four words sits in the low half of a lane, where V::mul32 (vpmuludq) reads it; the high
// halves carry junk that no multiply reads and that V::join drops. A call computes two sets of
// V::kLanes consecutive blocks whose rounds do not depend on each other.
//
// V provides: type I, kLanes, set1(uint64_t), iota() (lane k holds k), add (64-bit lanes),
// mul32 (low 32 bits times low 32 bits, 64-bit product), srl32 (64-bit lanes shifted right by
// 32), xor3 (a ^ b ^ c), join(lo, hi) ((lo & 0xffffffff) | hi << 32), and
// store_blocks(p01, p23, out), which writes the 4 * kLanes words of the set's blocks, given as
// words 0-1 (p01) and 2-3 (p23) of each lane's block, to out in stream order.
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
    const I bb = V::add(ba, V::set1(V::kLanes));
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
