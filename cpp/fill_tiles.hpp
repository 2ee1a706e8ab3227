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
// 32 MiB and more, whatever stores.hpp chooses for the element-order path, each column's 64-byte
// lines written whole, one after another, where the columns start on lines alike). Uniform float32,
// float16 and bfloat16 values and random bits need no buffer (fill_tiles_direct.cpp).
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

// Stream words w0 + r * step .. w0 + r * step + n - 1 for each row r < count, row r at
// out + r * pitch. Rows are made from whole Philox blocks: up to 3 words before and after each
// row are overwritten too (other words of the stream), so pitch >= n + 6 and 3 words before out
// and after the last row must be writable. A row's blocks go through kernels.stream_words in runs
// of whole vector batches; the blocks after its last run (a row that starts or ends inside a
// block has one more block than its 4-word multiples) are listed and made for all the rows
// together by kernels.block_words, so no block is computed alone (fill_tiles.cpp).
void row_words(const KernelTable& kernels, const StreamKey& key, uint64_t w0, uint64_t step, std::size_t count,
               std::size_t n, uint32_t* out, std::size_t pitch);

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

  // Capacity, in words, of the buffer `rows` needs (and operator() uses its first 2 * kTile).
  static constexpr std::size_t kRowWords = 2 * kTile + 16;

  // Elements between the rows that `rows` writes for rows of `cols` elements starting at elements
  // e + r * step: cols when every row's words start and end on a Philox block; otherwise each row
  // has 4 words (2 elements of float64) more on either side, so that its words can be made from
  // whole blocks (row_words).
  std::size_t row_pitch(uint64_t e, uint64_t step, std::size_t cols) const {
    const unsigned wpe = words_per_element(fmt);
    const bool whole = (e * wpe) % 4 == 0 && (step * wpe) % 4 == 0 && (cols * wpe) % 4 == 0;
    return whole ? cols : cols + 8 / wpe;
  }

  // `count` rows of `cols` (<= kTile) consecutive elements, row r starting at element
  // e + r * step: row r's values at dst + r * row_pitch(e, step, cols) * is. Random bits are
  // made in place, so 16 bytes before dst and after the last row must be writable; gaps between
  // rows hold junk. Other values: the words of as many rows as fit in kTile elements' words (in
  // `words`, kRowWords, initialized) are made in one row_words call and transformed, gaps
  // included, in one call (values depend only on their words, not on their neighbours).
  void rows(uint64_t e, uint64_t step, std::size_t count, std::size_t cols, unsigned char* dst, uint32_t* words) const {
    const std::size_t is = itemsize(fmt);
    const unsigned wpe = words_per_element(fmt);
    const std::size_t vp = row_pitch(e, step, cols), wp = vp * wpe;
    if (dist.kind == Kind::Bits) {
      row_words(kernels, key, e, step, count, cols, reinterpret_cast<uint32_t*>(dst), vp);
      return;
    }
    const std::size_t batch = std::max<std::size_t>(1, kTile * wpe / wp);
    for (std::size_t r0 = 0; r0 < count; r0 += batch) {
      const std::size_t k = std::min(batch, count - r0);
      row_words(kernels, key, (e + r0 * step) * wpe, step * wpe, k, cols * wpe, words + 4, wp);
      kernels.transform(dist, fmt, words + 4, (k - 1) * vp + cols, dst + r0 * vp * is);
    }
  }
};

// Fills the planned tiles through a value buffer, written column by column (fill_tiles.cpp).
bool fill_tiles(const Target& t, const TilePlan& p, const Generator& gen, int threads, const KeepGoing& keep_going);

// True when fill_tiles_direct applies: uniform float32, float16 or bfloat16 values or random bits
// (uint32), m contiguous
// and every stride a multiple of the itemsize.
bool direct_columns(const Target& t, const Distribution& dist, const TilePlan& p);

// Fills the tiles of a plan that direct_columns accepts without a value buffer, re-sizing the
// tiles for it (fill_tiles_direct.cpp).
bool fill_tiles_direct(const Target& t, TilePlan& p, const Generator& gen, int threads, const KeepGoing& keep_going);

}  // namespace detail
}  // namespace fastinit
