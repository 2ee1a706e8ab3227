// Filling tiled layouts without a value buffer (see fill_tiles.hpp).
#include "fill_tiles.hpp"

#include <algorithm>
#include <vector>

namespace fastinit {
namespace detail {
namespace {

// Uniform values in float32, float16 and bfloat16, and random bits, need no value buffer:
// kernels.columns transforms the words of a strip of tile rows (random bits: keeps them) and
// writes them transposed, in registers, straight to memory (columns along m). Tiles are
// kDirectCols wide (long rows for the vectorized stream) and kDirectRows high (long runs down
// each column); a strip's words (16 KiB) stay in L1.
constexpr uint64_t kDirectCols = 128;
constexpr uint64_t kDirectRows = 512;
constexpr std::size_t kStripRows = 32;
// Carried (kernels.hpp ColumnStores), a column's run in a tile starts and ends with a partial
// vector (plain stores: the line is read first); taller tiles make them rarer. 11585^2 uint32
// random bits, one thread: 512 rows 0.110 s, 2048 0.102 s, 4096 0.102 s (C order 0.080 s).
constexpr uint64_t kCarriedRows = 2048;
// Staged (below), tiles are kStageCols wide and fill kStageBytes (L2); tall tiles make each
// column's run long (4 KiB and more). 11585^2 float32, one thread: 256 columns 0.119 s, 512
// 0.124 s (C order 0.084 s).
constexpr uint64_t kStageCols = 256;
constexpr std::size_t kStageBytes = 1 << 20;

}  // namespace

bool direct_columns(const Target& t, const Distribution& dist, const TilePlan& p) {
  const std::size_t is = itemsize(t.fmt);
  const bool uniform = dist.kind == Kind::Uniform &&
                       (t.fmt == Format::Float32 || t.fmt == Format::Float16 || t.fmt == Format::BFloat16);
  if (!uniform && !(dist.kind == Kind::Bits && t.fmt == Format::UInt32)) return false;
  if (p.m.stride != static_cast<int64_t>(is) || reinterpret_cast<uintptr_t>(t.data) % is != 0) return false;
  for (std::size_t k = 0; k < t.shape.size(); ++k)
    if (t.shape[k] != 1 && t.byte_strides[k] % static_cast<int64_t>(is) != 0) return false;
  return true;
}

namespace {

// How fill_tiles_direct writes: into memory (non-temporal stores when `stream`). Large outputs
// whose columns do not start on 64-byte boundaries alike: 4-byte values are `carried` (their
// vectors realigned in registers, kernels.hpp ColumnStores); 2-byte values are `staged`, through
// a tile-sized buffer in cache whose columns are then copied by kernels.stream_copy (which aligns
// each column's stores itself: whole lines non-temporal, the partial ones at either end
// ordinary).
struct DirectMode {
  bool stream, staged, carried;
};

DirectMode direct_mode(const Target& t, const TilePlan& p) {
  const std::size_t is = itemsize(t.fmt);
  const bool big = p.tiles * p.rows * p.cols * is >= kLargeOutputBytes;  // as fill_tiles.cpp
  bool aligned = true;
  for (std::size_t k = 0; k < t.shape.size(); ++k)
    if (t.shape[k] != 1 && t.byte_strides[k] != static_cast<int64_t>(is) && t.byte_strides[k] % 64 != 0) aligned = false;
  const bool wide = is == 4;
  return {big && (aligned || wide), big && !aligned && !wide, big && !aligned && wide};
}

// Fills the planned tiles, writing as `mode` says.
bool write_direct(const Target& t, const TilePlan& p, const Generator& gen, DirectMode mode, int threads,
                  const KeepGoing& keep_going) {
  const std::size_t is = itemsize(t.fmt);
  const uint64_t per_tile = p.rows * p.cols;
  const Split split{std::max<uint64_t>(1, kMinElementsPerThread / per_tile), 1,
                    std::max<uint64_t>(1, kSlab / per_tile)};
  // Between the buffer's columns: a whole number of lines plus one (no two columns share a set
  // of L1 lines in turn), plus the output's column stride mod 64, so that every buffer column
  // starts at the same offset in its line as its output column.
  const auto l_mod = static_cast<int64_t>(((p.l.stride % 64) + 64) % 64);
  const auto col_pitch = static_cast<int64_t>((p.rows * is + 63) / 64 * 64 + 64) + l_mod;
  const std::size_t stage_bytes = mode.staged ? static_cast<std::size_t>(p.cols) * static_cast<std::size_t>(col_pitch) + 128 : 0;
  return by_slabs(
      p.tiles, threads, keep_going,
      [&](uint64_t lo, uint64_t hi) {
        // Row r's words at words + 4 + r * pitch (a 64-byte aligned buffer), with the 4 words on
        // either side that row_words may fill from the row's first and last Philox blocks.
        const std::size_t pitch = static_cast<std::size_t>(p.cols) + 8;
        std::vector<uint32_t> words_buf(kStripRows * pitch + 16);
        uint32_t* words = words_buf.data() + (16 - reinterpret_cast<uintptr_t>(words_buf.data()) % 64 / 4) % 16;
        std::vector<unsigned char> stage_buf(stage_bytes);
        std::vector<uint32_t> carry_buf(mode.carried ? static_cast<std::size_t>(p.cols) * 16 + 16 : 0);
        uint32_t* carry = carry_buf.data() + (16 - reinterpret_cast<uintptr_t>(carry_buf.data()) % 64 / 4) % 16;
        unsigned char* stage_line = stage_buf.data() + (64 - reinterpret_cast<uintptr_t>(stage_buf.data()) % 64) % 64;
        for (uint64_t k = lo; k < hi; ++k) {
          const Tile tile = tile_at(t, p, k);
          const auto rows = static_cast<std::size_t>(tile.rows), cols = static_cast<std::size_t>(tile.cols);
          unsigned char* stage = stage_line + reinterpret_cast<uintptr_t>(tile.ptr) % 64;
          for (std::size_t i = 0; i < rows; i += kStripRows) {
            const std::size_t h = std::min(kStripRows, rows - i);
            row_words(gen.kernels, gen.key, tile.e + i * p.m.lstride, p.m.lstride, h, cols, words + 4, pitch);
            if (mode.staged) {
              gen.kernels.columns(gen.dist, t.fmt, words + 4, pitch, h, cols, stage + i * is, col_pitch, ColumnStores{});
            } else if (mode.carried) {
              const ColumnStores how{true, carry, i == 0, i + h == rows};
              gen.kernels.columns(gen.dist, t.fmt, words + 4, pitch, h, cols, tile.ptr + static_cast<int64_t>(i * is), p.l.stride, how);
            } else {
              // Every tile but the first along m starts on a 64-byte boundary (fill_random), and
              // strips start kStripRows * is (>= 64) bytes apart.
              char* dst = tile.ptr + static_cast<int64_t>(i * is);
              const ColumnStores how{mode.stream && reinterpret_cast<uintptr_t>(dst) % 64 == 0};
              gen.kernels.columns(gen.dist, t.fmt, words + 4, pitch, h, cols, dst, p.l.stride, how);
            }
          }
          if (mode.staged)
            for (std::size_t j = 0; j < cols; ++j)
              gen.kernels.stream_copy(tile.ptr + static_cast<int64_t>(j) * p.l.stride, stage + static_cast<int64_t>(j) * col_pitch, rows * is);
        }
        if (mode.stream || mode.staged) gen.kernels.fence();
      },
      split);
}

}  // namespace

bool fill_tiles_direct(const Target& t, TilePlan& p, const Generator& gen, int threads, const KeepGoing& keep_going) {
  const std::size_t is = itemsize(t.fmt);
  // Tiles of kDirectRows, or as many as the buffer holds; unbuffered, the first tile along m
  // ends where memory reaches a multiple of 64 bytes.
  size_tiles(p, kDirectCols, kDirectRows, (64 - reinterpret_cast<uintptr_t>(t.data) % 64) % 64 / is);
  const DirectMode mode = direct_mode(t, p);
  if (mode.staged) size_tiles(p, kStageCols, kStageBytes / (kStageCols * is));
  if (mode.carried) size_tiles(p, kDirectCols, kCarriedRows);
  return write_direct(t, p, gen, mode, threads, keep_going);
}

}  // namespace detail
}  // namespace fastinit
