// Internal to the fill translation units: layouts whose memory order is not their element order
// (Fortran order, transposes).
//
// Values follow the element index, memory follows the byte strides. When the axis with the
// smallest byte stride (m) is not the axis of consecutive element indices (l, the last one after
// collapse), the plane of m and l is cut into tiles of `rows` (along m) by `cols` (along l). A
// tile's values are computed row by row, each row a range of consecutive element indices (so the
// vectorized stream and transform run at full width), into a buffer that stays in cache; the
// buffer is then written column by column, each column a run along m, i.e. in memory order
// (fill_tiles.cpp: square blocks transposed in SSE2 registers; non-temporal stores for outputs of
// 32 MiB and more, as the element-order path does). Uniform float32, float16 and bfloat16 values
// need no buffer (fill_tiles_direct.cpp).
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "distribution.hpp"
#include "fill.hpp"
#include "fill_runs.hpp"
#include "kernels.hpp"
#include "philox.hpp"

namespace fastinit {
namespace detail {

struct TilePlan {
  std::vector<Axis> outer;  // the other axes, in order
  Axis m{}, l{};
  uint64_t rows = 0, cols = 0;        // tile size
  uint64_t head = 0;                  // rows of the first tile along m (<= rows)
  uint64_t m_tiles = 0, l_tiles = 0;  // tiles along m and l
  uint64_t tiles = 0;                 // in all
  bool block = false;                 // a full-width tile is one range of consecutive indices
};

// Tiles of at most `rows` x `cols` elements; the first along m has `head` rows (0: `rows`), so
// that the others can start where m meets an alignment.
void size_tiles(TilePlan& p, uint64_t cols, uint64_t rows, uint64_t head = 0);

// True (and the plan) when the tiled walk applies: l has more than one element and some other
// axis has a smaller byte stride.
bool plan_tiles(const std::vector<Axis>& axes, std::size_t is, TilePlan& p);

// One tile: where its first element lives, its element index, and its size.
struct Tile {
  char* ptr;
  uint64_t e;
  uint64_t rows, cols;
};

inline Tile tile_at(const Target& t, const TilePlan& p, uint64_t index) {
  const uint64_t mt = index % p.m_tiles;
  index /= p.m_tiles;
  const uint64_t lt = index % p.l_tiles;
  index /= p.l_tiles;
  const uint64_t i_m = mt == 0 ? 0 : p.head + (mt - 1) * p.rows, i_l = lt * p.cols;
  Tile tile{t.data + static_cast<int64_t>(i_m) * p.m.stride + static_cast<int64_t>(i_l) * p.l.stride,
            t.origin + i_m * p.m.lstride + i_l,
            std::min(mt == 0 ? p.head : p.rows, static_cast<uint64_t>(p.m.n) - i_m),
            std::min(p.cols, static_cast<uint64_t>(p.l.n) - i_l)};
  for (std::size_t k = p.outer.size(); k-- > 0;) {
    const auto n = static_cast<uint64_t>(p.outer[k].n);
    const uint64_t i = index % n;
    index /= n;
    tile.ptr += static_cast<int64_t>(i) * p.outer[k].stride;
    tile.e += i * p.outer[k].lstride;
  }
  return tile;
}

// Elements e .. e + n - 1 of the stream as values of the target's format, contiguous at dst.
struct Generator {
  const KernelTable& kernels;
  const StreamKey& key;
  const Distribution& dist;
  Format fmt;

  void operator()(uint64_t e, std::size_t n, unsigned char* dst, uint32_t* words) const {
    const std::size_t is = itemsize(fmt);
    const unsigned wpe = words_per_element(fmt);
    while (n != 0) {
      const std::size_t m = std::min(n, kTile);
      if (dist.kind == Kind::Bits) {
        kernels.stream_words(key, e, m, reinterpret_cast<uint32_t*>(dst));
      } else {
        kernels.stream_words(key, e * wpe, m * wpe, words);
        kernels.transform(dist, fmt, words, m, dst);
      }
      dst += m * is;
      e += m;
      n -= m;
    }
  }

  // `count` rows of `cols` (<= kTile) consecutive elements, row r starting at element
  // e + r * step, one row after another at dst. The words of as many rows as fit in the buffer
  // are transformed in one call (values depend only on their words, not on their neighbours).
  void rows(uint64_t e, uint64_t step, std::size_t count, std::size_t cols, unsigned char* dst, uint32_t* words) const {
    const std::size_t is = itemsize(fmt);
    const unsigned wpe = words_per_element(fmt);
    const std::size_t batch = kTile / cols;
    for (std::size_t r0 = 0; r0 < count; r0 += batch) {
      const std::size_t k = std::min(batch, count - r0);
      for (std::size_t r = 0; r < k; ++r) {
        const uint64_t er = e + (r0 + r) * step;
        if (dist.kind == Kind::Bits) kernels.stream_words(key, er, cols, reinterpret_cast<uint32_t*>(dst + (r0 + r) * cols * is));
        else kernels.stream_words(key, er * wpe, cols * wpe, words + r * cols * wpe);
      }
      if (dist.kind != Kind::Bits) kernels.transform(dist, fmt, words, k * cols, dst + r0 * cols * is);
    }
  }
};

// Fills the planned tiles through a value buffer, written column by column (fill_tiles.cpp).
bool fill_tiles(const Target& t, const TilePlan& p, const Generator& gen, int threads, const KeepGoing& keep_going);

// True when fill_tiles_direct applies: uniform float32, float16 or bfloat16 values, m contiguous
// and every stride a multiple of the itemsize.
bool direct_columns(const Target& t, const Distribution& dist, const TilePlan& p);

// Fills the tiles of a plan that direct_columns accepts without a value buffer, re-sizing the
// tiles for it (fill_tiles_direct.cpp).
bool fill_tiles_direct(const Target& t, TilePlan& p, const Generator& gen, int threads, const KeepGoing& keep_going);

}  // namespace detail
}  // namespace fastinit
