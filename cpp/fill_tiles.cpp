// Filling tiled layouts through a value buffer: planning the tiles and writing each tile's values
// column by column, in memory order (see fill_tiles.hpp).
#include "fill_tiles.hpp"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <cstring>
#include <vector>

namespace fastinit {
namespace detail {
namespace {

// A tile's values fill 32 KiB (L1); its rows are 64 elements (32 for float64): long enough for the
// vectorized stream (64 words), short enough that few columns are written at once and each
// column's run is long (256+ bytes). Measured best among 16-256 KiB and 16-256 columns.
constexpr std::size_t kTileBytes = 32 << 10;
// Large outputs whose columns do not start on 64-byte lines alike are written with ordinary
// stores; their tiles are wide and tall instead, so each column's run is long. Measured at
// 11585^2 float16 normal, one thread: 64 x 256 (32 KiB) 0.39 s, 512 x 512 (512 KiB) 0.22 s
// (C order 0.16 s); aligned columns stay faster with the small tiles (8192^2: 0.12 s against
// 0.16 s). Since rows that start inside a Philox block cost no block computed alone (row_words),
// narrower, taller tiles are faster: 11585^2 float32 normal 256 columns 0.217 s, 512 0.240 s
// (C order 0.165 s); float64 uniform 0.289 s against 0.330 s (C order 0.19 s).
constexpr uint64_t kWideCols = 256;
constexpr std::size_t kWideTileBytes = 512 << 10;

uint64_t abs_stride(const Axis& a) { return static_cast<uint64_t>(a.stride < 0 ? -a.stride : a.stride); }

// row_words: each row's blocks go to stream_words in runs of kRunBlocks, a multiple of every
// path's batch (scalar 1, avx2 8, avx512 16), so none of its batches is computed into scratch.
constexpr std::size_t kRunBlocks = 16;

// Blocks waiting for block_words: block blocks[i]'s four words go to dst[i].
class BlockList {
 public:
  static constexpr std::size_t kCap = 256;

  BlockList(const KernelTable& kernels, const StreamKey& key) : kernels_(kernels), key_(key) {}

  // Room for the fewer than kRunBlocks blocks of a row that its runs leave.
  bool room_for_row() const { return n_ + kRunBlocks <= kCap; }

  void add(uint64_t block, uint32_t* dst) {
    blocks_[n_] = block;
    dst_[n_] = dst;
    ++n_;
  }

  void flush() {
    kernels_.block_words(key_, blocks_, n_, words_);
    for (std::size_t i = 0; i < n_; ++i) std::memcpy(dst_[i], words_ + 4 * i, 4 * sizeof(uint32_t));
    n_ = 0;
  }

 private:
  const KernelTable& kernels_;
  const StreamKey& key_;
  std::size_t n_ = 0;
  uint64_t blocks_[kCap];
  uint32_t* dst_[kCap];
  alignas(64) uint32_t words_[4 * kCap];
};

}  // namespace

void row_words(const KernelTable& kernels, const StreamKey& key, uint64_t w0, uint64_t step, std::size_t count,
               std::size_t n, uint32_t* out, std::size_t pitch) {
  BlockList list(kernels, key);
  for (std::size_t r = 0; r < count; ++r) {
    if (!list.room_for_row()) list.flush();
    const uint64_t j = w0 + r * step;
    const auto skip = static_cast<std::size_t>(j % 4);
    uint32_t* o = out + r * pitch - skip;  // where the first block's word 0 goes
    const std::size_t blocks = (skip + n + 3) / 4;
    const std::size_t run = blocks / kRunBlocks * kRunBlocks;
    if (run != 0) kernels.stream_words(key, j - skip, 4 * run, o);
    for (std::size_t q = run; q < blocks; ++q) list.add(j / 4 + q, o + 4 * q);
  }
  list.flush();
}

void size_tiles(TilePlan& p, uint64_t cols, uint64_t rows, uint64_t head) {
  const auto ln = static_cast<uint64_t>(p.l.n), mn = static_cast<uint64_t>(p.m.n);
  p.cols = std::min<uint64_t>(ln, cols);
  p.rows = std::min<uint64_t>(mn, rows);
  p.head = std::min<uint64_t>(mn, head == 0 || head > rows ? rows : head);
  p.block = p.cols == ln && p.m.lstride == ln && p.head == p.rows;
  p.m_tiles = 1 + (mn - p.head + p.rows - 1) / p.rows;
  p.l_tiles = (ln + p.cols - 1) / p.cols;
  p.tiles = p.m_tiles * p.l_tiles;
  for (const Axis& a : p.outer) p.tiles *= static_cast<uint64_t>(a.n);
}

bool plan_tiles(const std::vector<Axis>& axes, std::size_t is, TilePlan& p) {
  if (axes.size() < 2 || axes.back().n < 2) return false;
  std::size_t m = axes.size() - 1;
  for (std::size_t k = 0; k + 1 < axes.size(); ++k)
    if (abs_stride(axes[k]) < abs_stride(axes[m])) m = k;
  if (m == axes.size() - 1) return false;
  p.m = axes[m];
  p.l = axes.back();
  for (std::size_t k = 0; k + 1 < axes.size(); ++k)
    if (k != m) p.outer.push_back(axes[k]);
  const uint64_t cols = is == 8 ? 32 : 64;
  size_tiles(p, cols, std::max<uint64_t>(1, kTileBytes / (cols * is)));
  return true;
}

namespace {

// Writes rows i0.. and columns j0.. of the tile's values (row-major, rows `vp` elements apart)
// one element at a time: the edges the block transposes below leave.
template <class T>
void put_elements(const Tile& tile, const TilePlan& p, const T* v, std::size_t vp, std::size_t i0, std::size_t j0) {
  const auto rows = static_cast<std::size_t>(tile.rows), cols = static_cast<std::size_t>(tile.cols);
  for (std::size_t j = 0; j < cols; ++j) {
    char* col = tile.ptr + static_cast<int64_t>(j) * p.l.stride;
    for (std::size_t i = j < j0 ? i0 : 0; i < rows; ++i)
      std::memcpy(col + static_cast<int64_t>(i) * p.m.stride, v + i * vp + j, sizeof(T));
  }
}

#if defined(__SSE2__)
// Square blocks of B x B elements transposed in registers (SSE2, part of every x86-64) and
// stored as B-element runs along m, which must be contiguous (m.stride == sizeof(T)).
struct Sse2Transpose {
  template <class T>
  static constexpr std::size_t block() {
    return 16 / sizeof(T);
  }

  template <class T, bool Stream>
  static void store(char* dst, int64_t stride, __m128i r[]) {
    for (std::size_t k = 0; k < block<T>(); ++k) {
      auto* d = reinterpret_cast<__m128i*>(dst + static_cast<int64_t>(k) * stride);
      if constexpr (Stream) _mm_stream_si128(d, r[k]);
      else _mm_storeu_si128(d, r[k]);
    }
  }

  // The block whose rows are at src + k * pitch (bytes), transposed: r[k] is its column k.
  template <class T>
  static void load_transposed(const unsigned char* src, std::size_t pitch, __m128i r[]) {
    for (std::size_t k = 0; k < block<T>(); ++k) r[k] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + k * pitch));
    if constexpr (sizeof(T) == 8) {
      const __m128i a = _mm_unpacklo_epi64(r[0], r[1]), b = _mm_unpackhi_epi64(r[0], r[1]);
      r[0] = a;
      r[1] = b;
    } else if constexpr (sizeof(T) == 4) {
      const __m128i t0 = _mm_unpacklo_epi32(r[0], r[1]), t1 = _mm_unpacklo_epi32(r[2], r[3]);
      const __m128i t2 = _mm_unpackhi_epi32(r[0], r[1]), t3 = _mm_unpackhi_epi32(r[2], r[3]);
      r[0] = _mm_unpacklo_epi64(t0, t1);
      r[1] = _mm_unpackhi_epi64(t0, t1);
      r[2] = _mm_unpacklo_epi64(t2, t3);
      r[3] = _mm_unpackhi_epi64(t2, t3);
    } else {
      __m128i a[8], b[8];
      for (int k = 0; k < 4; ++k) {
        a[2 * k] = _mm_unpacklo_epi16(r[2 * k], r[2 * k + 1]);
        a[2 * k + 1] = _mm_unpackhi_epi16(r[2 * k], r[2 * k + 1]);
      }
      // a[0]: rows 0-1, cols 0-3; a[1]: rows 0-1, cols 4-7; a[2]: rows 2-3, cols 0-3; ...
      for (int h = 0; h < 2; ++h) {
        b[4 * h + 0] = _mm_unpacklo_epi32(a[h], a[2 + h]);      // rows 0-3, cols 4h, 4h+1
        b[4 * h + 1] = _mm_unpackhi_epi32(a[h], a[2 + h]);      // rows 0-3, cols 4h+2, 4h+3
        b[4 * h + 2] = _mm_unpacklo_epi32(a[4 + h], a[6 + h]);  // rows 4-7, cols 4h, 4h+1
        b[4 * h + 3] = _mm_unpackhi_epi32(a[4 + h], a[6 + h]);  // rows 4-7, cols 4h+2, 4h+3
      }
      for (int h = 0; h < 2; ++h) {
        r[4 * h + 0] = _mm_unpacklo_epi64(b[4 * h], b[4 * h + 2]);
        r[4 * h + 1] = _mm_unpackhi_epi64(b[4 * h], b[4 * h + 2]);
        r[4 * h + 2] = _mm_unpacklo_epi64(b[4 * h + 1], b[4 * h + 3]);
        r[4 * h + 3] = _mm_unpackhi_epi64(b[4 * h + 1], b[4 * h + 3]);
      }
    }
  }

  // Column k of the block at src goes to dst + k * stride. Stream: non-temporal stores (dst and
  // stride 16-byte aligned).
  template <class T, bool Stream>
  static void transpose(const unsigned char* src, std::size_t pitch, char* dst, int64_t stride) {
    __m128i r[8];
    load_transposed<T>(src, pitch, r);
    store<T, Stream>(dst, stride, r);
  }

  // Four blocks one under the other (4 * block<T>() rows, 64 bytes of each column), each column's
  // 64 bytes stored one after the other with non-temporal stores: dst and stride 64-byte aligned,
  // so that each column's line is written whole and at once.
  template <class T>
  static void transpose_lines(const unsigned char* src, std::size_t pitch, char* dst, int64_t stride) {
    __m128i r[4][8];
    for (std::size_t q = 0; q < 4; ++q) load_transposed<T>(src + q * block<T>() * pitch, pitch, r[q]);
    for (std::size_t k = 0; k < block<T>(); ++k) {
      auto* d = reinterpret_cast<__m128i*>(dst + static_cast<int64_t>(k) * stride);
      for (std::size_t q = 0; q < 4; ++q) _mm_stream_si128(d + q, r[q][k]);
    }
  }
};
#endif

#if defined(__SSE2__)
// Rows [0, i0) and columns [0, j0) in blocks. Stream, with columns that all start at one offset in
// their 64-byte lines: each column's whole lines are written one at a time (transpose_lines), the
// blocks before its first line boundary and after its last one by themselves, as kernels.columns
// writes (kernel_impl.hpp columns_fmt). Block by block, non-temporal stores would leave B lines
// partly written in turn (16 bytes each), for the CPU's write-combining buffers to join.
template <class T, bool Stream>
void put_blocks(const Tile& tile, const TilePlan& p, const unsigned char* vals, std::size_t vp, std::size_t i0,
                std::size_t j0) {
  constexpr std::size_t B = Sse2Transpose::block<T>(), line_rows = 4 * B;
  const std::size_t pitch = vp * sizeof(T);
  const bool lines = Stream && p.l.stride % 64 == 0;
  const std::size_t lead = lines ? std::min(i0, (64 - reinterpret_cast<uintptr_t>(tile.ptr) % 64) % 64 / sizeof(T)) : 0;
  const std::size_t whole = lines ? lead + (i0 - lead) / line_rows * line_rows : 0;
  for (std::size_t j = 0; j < j0; j += B) {
    char* col = tile.ptr + static_cast<int64_t>(j) * p.l.stride;
    const unsigned char* v = vals + j * sizeof(T);
    for (std::size_t i = 0; i < lead; i += B)
      Sse2Transpose::transpose<T, Stream>(v + i * pitch, pitch, col + i * sizeof(T), p.l.stride);
    for (std::size_t i = lead; i < whole; i += line_rows)
      Sse2Transpose::transpose_lines<T>(v + i * pitch, pitch, col + i * sizeof(T), p.l.stride);
    for (std::size_t i = std::max(lead, whole); i < i0; i += B)
      Sse2Transpose::transpose<T, Stream>(v + i * pitch, pitch, col + i * sizeof(T), p.l.stride);
  }
}
#endif

// Writes the tile's values (row-major, rows `vp` elements apart) column by column: runs along m.
// stream: the output is large; use non-temporal stores where the addresses allow.
template <class T>
void put_columns(const Tile& tile, const TilePlan& p, const unsigned char* vals, std::size_t vp, bool stream) {
  std::size_t i0 = 0, j0 = 0;
#if defined(__SSE2__)
  if (p.m.stride == static_cast<int64_t>(sizeof(T))) {
    constexpr std::size_t B = Sse2Transpose::block<T>();
    i0 = static_cast<std::size_t>(tile.rows - tile.rows % B);
    j0 = static_cast<std::size_t>(tile.cols - tile.cols % B);
    if (stream && reinterpret_cast<uintptr_t>(tile.ptr) % 16 == 0 && p.l.stride % 16 == 0)
      put_blocks<T, true>(tile, p, vals, vp, i0, j0);
    else
      put_blocks<T, false>(tile, p, vals, vp, i0, j0);
  }
#else
  (void)stream;
#endif
  put_elements<T>(tile, p, reinterpret_cast<const T*>(vals), vp, i0, j0);
}

void put_tile(const Tile& tile, const TilePlan& p, std::size_t is, const unsigned char* vals, std::size_t vp,
              bool stream) {
  switch (is) {
    case 2: return put_columns<uint16_t>(tile, p, vals, vp, stream);
    case 4: return put_columns<uint32_t>(tile, p, vals, vp, stream);
    default: return put_columns<uint64_t>(tile, p, vals, vp, stream);
  }
}

// True when every axis is contiguous or steps by whole 64-byte lines.
bool lines_aligned(const Target& t) {
  const auto is = static_cast<int64_t>(itemsize(t.fmt));
  for (std::size_t k = 0; k < t.shape.size(); ++k)
    if (t.shape[k] != 1 && t.byte_strides[k] != is && t.byte_strides[k] % 64 != 0) return false;
  return true;
}

}  // namespace

bool fill_tiles(const Target& t, const TilePlan& plan, const Generator& gen, int threads, const KeepGoing& keep_going) {
  const std::size_t is = itemsize(t.fmt);
  TilePlan p = plan;
  // Non-temporal from kLargeOutputBytes whatever stores.hpp's kind: the tile shapes were measured so.
  const bool stream = p.tiles * p.rows * p.cols * is >= kLargeOutputBytes;
  if (stream && !lines_aligned(t))
    size_tiles(p, kWideCols, kWideTileBytes / (kWideCols * is));
  else if (stream)  // the first tile along m ends on a line, so that no line is written by two tiles
    size_tiles(p, p.cols, p.rows, elements_to_line(t.data, is));
  const uint64_t per_tile = p.rows * p.cols;
  const Split split{std::max<uint64_t>(1, kMinElementsPerThread / per_tile), 1,
                    std::max<uint64_t>(1, kSlab / per_tile)};
  return by_slabs(
      p.tiles, threads, keep_going,
      [&](uint64_t lo, uint64_t hi) {
        alignas(64) uint32_t words[Generator::kRowWords];
        std::memset(words, 0, sizeof words);  // the gaps between rows are transformed too (and ignored)
        // Rows of values up to p.cols + 8 elements apart, with 16 bytes before the first
        // (Generator::rows).
        std::vector<unsigned char> vals_buf(static_cast<std::size_t>(p.rows * (p.cols + 8)) * is + 128);
        unsigned char* vals = vals_buf.data() + (64 - reinterpret_cast<uintptr_t>(vals_buf.data()) % 64) % 64 + 64;
        for (uint64_t k = lo; k < hi; ++k) {
          const Tile tile = tile_at(t, p, k);
          const auto rows = static_cast<std::size_t>(tile.rows), cols = static_cast<std::size_t>(tile.cols);
          if (p.block) {
            gen(tile.e, rows * cols, vals, words);
            put_tile(tile, p, is, vals, cols, stream);
          } else {
            gen.rows(tile.e, p.m.lstride, rows, cols, vals, words);
            put_tile(tile, p, is, vals, gen.row_pitch(tile.e, p.m.lstride, cols), stream);
          }
        }
#if defined(__SSE2__)
        if (stream) _mm_sfence();  // order the non-temporal stores before the fill returns
#endif
      },
      split);
}

}  // namespace detail
}  // namespace fastinit
