#include "fill.hpp"

#include <omp.h>
#include <pthread.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>

namespace fastinit {
namespace {

constexpr std::size_t kTile = 1024;  // elements per step; its word and value buffers are 8 KiB each
constexpr uint64_t kMinElementsPerThread = 1u << 15;  // a fill uses one thread per this many elements at most
constexpr uint64_t kSplitAlign = 64;                  // ranges start at multiples of 64 elements
constexpr uint64_t kRangesPerThread = 16;             // about this many ranges per thread
constexpr uint64_t kSlab = uint64_t{1} << 23;         // elements between interruption checks
// Outputs of at least this many bytes write their contiguous runs through stream_copy
// (non-temporal stores on the SIMD paths, which bypass the caches).
constexpr uint64_t kStreamingBytes = uint64_t{32} << 20;

// GNU OpenMP cannot start a parallel region in a child forked after the parent used one (it
// waits forever for the parent's pool), so a forked child fills on its own thread.
std::atomic<bool> g_forked_child{false};
void mark_forked_child() { g_forked_child.store(true, std::memory_order_relaxed); }
const int g_atfork_registered = pthread_atfork(nullptr, nullptr, &mark_forked_child);

struct Axis {
  int64_t n;
  int64_t stride;  // bytes
  uint64_t lstride;
};

// Drop length-1 axes, merge axes that are contiguous both in memory and in the full tensor, and
// make the last axis one of consecutive element indices (a "run"), adding a length-1 one if needed.
std::vector<Axis> collapse(const Target& t) {
  std::vector<Axis> axes;
  for (std::size_t k = 0; k < t.shape.size(); ++k)
    if (t.shape[k] != 1) axes.push_back({t.shape[k], t.byte_strides[k], t.logical_strides[k]});
  std::vector<Axis> out;
  for (auto it = axes.rbegin(); it != axes.rend(); ++it) {
    if (!out.empty()) {
      Axis& in = out.back();
      if (it->stride == in.stride * in.n && it->lstride == in.lstride * static_cast<uint64_t>(in.n)) {
        in.n *= it->n;
        continue;
      }
    }
    out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  if (out.empty() || out.back().lstride != 1)
    out.push_back({1, static_cast<int64_t>(itemsize(t.fmt)), 1});
  return out;
}

uint64_t element_count(const std::vector<Axis>& axes) {
  uint64_t n = 1;
  for (const Axis& a : axes) n *= static_cast<uint64_t>(a.n);
  return n;
}

// Calls run(ptr, byte_stride, first_element_index, count) for the runs of flat positions [lo, hi).
template <class Run>
void for_each_run(const Target& t, const std::vector<Axis>& axes, uint64_t lo, uint64_t hi, Run&& run) {
  const std::size_t nd = axes.size();
  std::vector<int64_t> idx(nd, 0);
  uint64_t rem = lo;
  for (std::size_t k = nd; k-- > 0;) {
    idx[k] = static_cast<int64_t>(rem % static_cast<uint64_t>(axes[k].n));
    rem /= static_cast<uint64_t>(axes[k].n);
  }
  const Axis& last = axes.back();
  uint64_t pos = lo;
  while (pos < hi) {
    char* ptr = t.data;
    uint64_t e = t.origin;
    for (std::size_t k = 0; k < nd; ++k) {
      ptr += idx[k] * axes[k].stride;
      e += static_cast<uint64_t>(idx[k]) * axes[k].lstride;
    }
    const uint64_t count = std::min<uint64_t>(static_cast<uint64_t>(last.n - idx[nd - 1]), hi - pos);
    run(ptr, last.stride, e, count);
    pos += count;
    idx[nd - 1] += static_cast<int64_t>(count);
    for (std::size_t k = nd - 1; k > 0 && idx[k] == axes[k].n; --k) {
      idx[k] = 0;
      ++idx[k - 1];
    }
  }
}

// How a flat index space of work items is cut up: at most one thread per min_per_thread items,
// ranges start at multiples of align, and keep_going is asked every slab items.
struct Split {
  uint64_t min_per_thread, align, slab;
};
constexpr Split kElementSplit{kMinElementsPerThread, kSplitAlign, kSlab};

// Runs body(lo, hi) on disjoint flat ranges covering [begin, end). Ranges are handed out
// dynamically, several per thread, so a thread that the OS preempts (a busy machine) delays
// the fill by one range, not by its whole share.
template <class Body>
void parallel_ranges(uint64_t begin, uint64_t end, int threads, const Split& split, Body&& body) {
  const uint64_t total = end - begin;
  if (g_forked_child.load(std::memory_order_relaxed)) threads = 1;
  const uint64_t nt = std::max<uint64_t>(1, std::min<uint64_t>(static_cast<uint64_t>(threads),
                                                                total / split.min_per_thread));
  if (nt == 1) {
    body(begin, end);
    return;
  }
  uint64_t chunk = std::max<uint64_t>(split.min_per_thread / 2, total / (nt * kRangesPerThread));
  chunk = std::max<uint64_t>(split.align, chunk - chunk % split.align);
  const int64_t nchunks = static_cast<int64_t>((total + chunk - 1) / chunk);
#pragma omp parallel for schedule(dynamic, 1) num_threads(static_cast<int>(nt))
  for (int64_t c = 0; c < nchunks; ++c) {
    const uint64_t lo = begin + static_cast<uint64_t>(c) * chunk;
    body(lo, std::min(end, lo + chunk));
  }
}

// Runs the fill slab by slab, asking keep_going between slabs (on the calling thread), so that
// a long fill can be interrupted within a fraction of a second.
template <class Body>
bool by_slabs(uint64_t total, int threads, const KeepGoing& keep_going, Body&& body, const Split& split = kElementSplit) {
  for (uint64_t lo = 0; lo < total; lo += split.slab) {
    parallel_ranges(lo, std::min(total, lo + split.slab), threads, split, body);
    if (lo + split.slab < total && keep_going && !keep_going()) return false;
  }
  return true;
}

void scatter(char* dst, int64_t stride, const unsigned char* src, std::size_t is, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + static_cast<int64_t>(i) * stride, src + i * is, is);
}

// ---- Layouts whose memory order is not their element order (Fortran order, transposes) ----
//
// Values follow the element index, memory follows the byte strides. When the axis with the
// smallest byte stride (m) is not the axis of consecutive element indices (l, the last one after
// collapse), the plane of m and l is cut into tiles of `rows` (along m) by `cols` (along l). A
// tile's values are computed row by row, each row a range of consecutive element indices (so the
// vectorized stream and transform run at full width), into a buffer that stays in cache; the
// buffer is then written column by column, each column a run along m, i.e. in memory order
// (square blocks transposed in SSE2 registers; non-temporal stores for outputs of 32 MiB and more,
// as the element-order path does).

// A tile's values fill 32 KiB (L1); its rows are 64 elements (32 for float64): long enough for the
// vectorized stream (64 words), short enough that few columns are written at once and each
// column's run is long (256+ bytes). Measured best among 16-256 KiB and 16-256 columns.
constexpr std::size_t kTileBytes = 32 << 10;

struct TilePlan {
  std::vector<Axis> outer;  // the other axes, in order
  Axis m{}, l{};
  uint64_t rows = 0, cols = 0;        // tile size
  uint64_t head = 0;                  // rows of the first tile along m (<= rows)
  uint64_t m_tiles = 0, l_tiles = 0;  // tiles along m and l
  uint64_t tiles = 0;                 // in all
  bool block = false;                 // a full-width tile is one range of consecutive indices
};

uint64_t abs_stride(const Axis& a) { return static_cast<uint64_t>(a.stride < 0 ? -a.stride : a.stride); }

// Tiles of at most `rows` x `cols` elements; the first along m has `head` rows (0: `rows`), so
// that the others can start where m meets an alignment.
void size_tiles(TilePlan& p, uint64_t cols, uint64_t rows, uint64_t head = 0) {
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

// True (and the plan) when the tiled walk applies: l has more than one element and some other
// axis has a smaller byte stride.
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

// One tile: where its first element lives, its element index, and its size.
struct Tile {
  char* ptr;
  uint64_t e;
  uint64_t rows, cols;
};

Tile tile_at(const Target& t, const TilePlan& p, uint64_t index) {
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

// Writes rows i0.. and columns j0.. of the tile's values (row-major, `cols` per row) one
// element at a time: the edges the block transposes below leave.
template <class T>
void put_elements(const Tile& tile, const TilePlan& p, const T* v, std::size_t i0, std::size_t j0) {
  const auto rows = static_cast<std::size_t>(tile.rows), cols = static_cast<std::size_t>(tile.cols);
  for (std::size_t j = 0; j < cols; ++j) {
    char* col = tile.ptr + static_cast<int64_t>(j) * p.l.stride;
    for (std::size_t i = j < j0 ? i0 : 0; i < rows; ++i)
      std::memcpy(col + static_cast<int64_t>(i) * p.m.stride, v + i * cols + j, sizeof(T));
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

  // rows at src + k * pitch (bytes); column k of the block goes to dst + k * stride. Stream:
  // non-temporal stores (dst and stride 16-byte aligned).
  template <class T, bool Stream>
  static void transpose(const unsigned char* src, std::size_t pitch, char* dst, int64_t stride) {
    __m128i r[8];
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
    store<T, Stream>(dst, stride, r);
  }
};
#endif

#if defined(__SSE2__)
template <class T, bool Stream>
void put_blocks(const Tile& tile, const TilePlan& p, const unsigned char* vals, std::size_t i0, std::size_t j0) {
  constexpr std::size_t B = Sse2Transpose::block<T>();
  const std::size_t pitch = static_cast<std::size_t>(tile.cols) * sizeof(T);
  for (std::size_t j = 0; j < j0; j += B) {
    char* col = tile.ptr + static_cast<int64_t>(j) * p.l.stride;
    for (std::size_t i = 0; i < i0; i += B)
      Sse2Transpose::transpose<T, Stream>(vals + i * pitch + j * sizeof(T), pitch, col + i * sizeof(T), p.l.stride);
  }
}
#endif

// Writes the tile's values (row-major, `cols` per row) column by column: runs along m.
// stream: the output is large; use non-temporal stores where the addresses allow.
template <class T>
void put_columns(const Tile& tile, const TilePlan& p, const unsigned char* vals, bool stream) {
  std::size_t i0 = 0, j0 = 0;
#if defined(__SSE2__)
  if (p.m.stride == static_cast<int64_t>(sizeof(T))) {
    constexpr std::size_t B = Sse2Transpose::block<T>();
    i0 = static_cast<std::size_t>(tile.rows - tile.rows % B);
    j0 = static_cast<std::size_t>(tile.cols - tile.cols % B);
    if (stream && reinterpret_cast<uintptr_t>(tile.ptr) % 16 == 0 && p.l.stride % 16 == 0)
      put_blocks<T, true>(tile, p, vals, i0, j0);
    else
      put_blocks<T, false>(tile, p, vals, i0, j0);
  }
#else
  (void)stream;
#endif
  put_elements<T>(tile, p, reinterpret_cast<const T*>(vals), i0, j0);
}

void put_tile(const Tile& tile, const TilePlan& p, std::size_t is, const unsigned char* vals, bool stream) {
  switch (is) {
    case 2: return put_columns<uint16_t>(tile, p, vals, stream);
    case 4: return put_columns<uint32_t>(tile, p, vals, stream);
    default: return put_columns<uint64_t>(tile, p, vals, stream);
  }
}

// The target's axes in memory order (largest byte stride first, negative strides flipped), with
// C-order element indices over that order: for fills whose values do not depend on position.
Target in_memory_order(const Target& t) {
  struct Dim {
    int64_t n, stride;
  };
  Target m;
  m.data = t.data;
  m.fmt = t.fmt;
  std::vector<Dim> dims;
  for (std::size_t k = 0; k < t.shape.size(); ++k) {
    if (t.shape[k] == 1) continue;
    int64_t st = t.byte_strides[k];
    if (st < 0) {
      m.data += (t.shape[k] - 1) * st;
      st = -st;
    }
    dims.push_back({t.shape[k], st});
  }
  std::stable_sort(dims.begin(), dims.end(), [](const Dim& a, const Dim& b) { return a.stride > b.stride; });
  uint64_t step = 1;
  m.shape.resize(dims.size());
  m.byte_strides.resize(dims.size());
  m.logical_strides.resize(dims.size());
  for (std::size_t k = dims.size(); k-- > 0;) {
    m.shape[k] = dims[k].n;
    m.byte_strides[k] = dims[k].stride;
    m.logical_strides[k] = step;
    step *= static_cast<uint64_t>(dims[k].n);
  }
  return m;
}

// 0 until first asked; a plain value (no other memory is published through it), so relaxed.
std::atomic<int> g_threads{0};


}  // namespace

namespace {

std::string dims_text(const std::vector<int64_t>& v) {
  std::string s = "(";
  for (std::size_t k = 0; k < v.size(); ++k) s += (k ? ", " : "") + std::to_string(v[k]);
  return s + (v.size() == 1 ? ",)" : ")");
}

// Elements that share bytes would be written by several threads in an order that depends on
// timing. Proof of no overlap: with the axes sorted by |byte stride|, each stride is at least the
// span of the elements the smaller axes reach. A layout that fails it (a zero stride, or strides
// that interleave) is refused: exact overlap detection is a hard problem in general.
void check_no_overlap(const Target& t) {
  struct Dim {
    uint64_t n, stride;
  };
  std::vector<Dim> dims;
  for (std::size_t k = 0; k < t.shape.size(); ++k) {
    if (t.shape[k] < 2) continue;
    const int64_t st = t.byte_strides[k];
    dims.push_back({static_cast<uint64_t>(t.shape[k]), static_cast<uint64_t>(st < 0 ? -st : st)});
  }
  std::sort(dims.begin(), dims.end(), [](const Dim& a, const Dim& b) { return a.stride < b.stride; });
  uint64_t reach = itemsize(t.fmt);  // bytes from an element's start to the end of the last one reached
  for (const Dim& d : dims) {
    if (d.stride < reach) {
      throw std::invalid_argument(
          "out: elements of this array overlap in memory, or may (shape " + dims_text(t.shape) + ", byte strides " +
          dims_text(t.byte_strides) + "): a zero stride (np.broadcast_to, as_strided, torch expand) or strides "
          "that overlap or interleave; values written there would depend on thread timing; fill an array "
          "that owns one slot per element (np.empty(shape) / tensor.clone()) and copy or broadcast from it");
    }
    const uint64_t span = (d.n - 1) * d.stride;
    reach = span / (d.n - 1) == d.stride && reach + span >= reach ? reach + span : UINT64_MAX;
  }
}

}  // namespace

void check_target(const Target& t) {
  const std::size_t nd = t.shape.size();
  if (t.byte_strides.size() != nd || t.logical_strides.size() != nd)
    throw std::invalid_argument("layout: shape, strides and logical strides must have the same length");
  uint64_t last = t.origin;
  for (std::size_t k = 0; k < nd; ++k) {
    if (t.shape[k] < 0) throw std::invalid_argument("layout: negative dimension");
    if (t.shape[k] == 0) return;
    const uint64_t span = static_cast<uint64_t>(t.shape[k] - 1);
    if (span != 0 && t.logical_strides[k] > (uint64_t{1} << 63) / span)
      throw std::invalid_argument("layout: element index reaches 2**63");
    last += span * t.logical_strides[k];
    if (last >= (uint64_t{1} << 63)) throw std::invalid_argument("layout: element index reaches 2**63");
  }
  check_no_overlap(t);
}

namespace {

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

bool fill_tiles(const Target& t, const TilePlan& p, const Generator& gen, int threads, const KeepGoing& keep_going) {
  const std::size_t is = itemsize(t.fmt);
  const uint64_t per_tile = p.rows * p.cols;
  const bool stream = p.tiles * per_tile * is >= kStreamingBytes;
  const Split split{std::max<uint64_t>(1, kMinElementsPerThread / per_tile), 1,
                    std::max<uint64_t>(1, kSlab / per_tile)};
  return by_slabs(
      p.tiles, threads, keep_going,
      [&](uint64_t lo, uint64_t hi) {
        alignas(64) uint32_t words[2 * kTile];
        alignas(64) unsigned char vals[kTileBytes];
        for (uint64_t k = lo; k < hi; ++k) {
          const Tile tile = tile_at(t, p, k);
          const auto rows = static_cast<std::size_t>(tile.rows), cols = static_cast<std::size_t>(tile.cols);
          if (p.block) gen(tile.e, rows * cols, vals, words);
          else gen.rows(tile.e, p.m.lstride, rows, cols, vals, words);
          put_tile(tile, p, is, vals, stream);
        }
#if defined(__SSE2__)
        if (stream) _mm_sfence();  // order the non-temporal stores before the fill returns
#endif
      },
      split);
}

// Uniform values in float32, float16 and bfloat16 need no value buffer: kernels.uniform_columns
// transforms the words of a strip of tile rows and writes them transposed, in registers, straight
// to memory (columns along m). Tiles are kDirectCols wide (long rows for the vectorized stream)
// and kDirectRows high (long runs down each column); a strip's words (16 KiB) stay in L1.
constexpr uint64_t kDirectCols = 128;
constexpr uint64_t kDirectRows = 512;
constexpr std::size_t kStripRows = 32;
constexpr std::size_t kStageBytes = 64 << 10;

bool direct_columns(const Target& t, const Distribution& dist, const TilePlan& p) {
  const std::size_t is = itemsize(t.fmt);
  if (dist.kind != Kind::Uniform || (t.fmt != Format::Float32 && t.fmt != Format::Float16 && t.fmt != Format::BFloat16))
    return false;
  if (p.m.stride != static_cast<int64_t>(is) || reinterpret_cast<uintptr_t>(t.data) % is != 0) return false;
  for (std::size_t k = 0; k < t.shape.size(); ++k)
    if (t.shape[k] != 1 && t.byte_strides[k] % static_cast<int64_t>(is) != 0) return false;
  return true;
}

// Copies bytes to dst: its whole 64-byte lines with non-temporal stores (on SSE2), the partial
// lines at either end (shared with the neighbouring tiles) with ordinary ones.
void copy_lines(char* dst, const unsigned char* src, std::size_t bytes) {
  std::size_t i = 0;
#if defined(__SSE2__)
  i = std::min<std::size_t>(bytes, (64 - reinterpret_cast<uintptr_t>(dst) % 64) % 64);
  std::memcpy(dst, src, i);
  for (; i + 64 <= bytes; i += 64)
    for (std::size_t q = 0; q < 64; q += 16)
      _mm_stream_si128(reinterpret_cast<__m128i*>(dst + i + q), _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + q)));
#endif
  std::memcpy(dst + i, src + i, bytes - i);
}

// How fill_tiles_direct writes: into memory (non-temporal stores when `stream`), or, for large
// outputs whose columns do not start on 64-byte boundaries alike, through a tile-sized buffer in
// cache whose columns are then copied by copy_lines (which aligns each column's stores itself).
struct DirectMode {
  bool stream, staged;
};

DirectMode direct_mode(const Target& t, const TilePlan& p) {
  const std::size_t is = itemsize(t.fmt);
  const bool big = p.tiles * p.rows * p.cols * is >= kStreamingBytes;
  bool aligned = true;
  for (std::size_t k = 0; k < t.shape.size(); ++k)
    if (t.shape[k] != 1 && t.byte_strides[k] != static_cast<int64_t>(is) && t.byte_strides[k] % 64 != 0) aligned = false;
  return {big && aligned, big && !aligned};
}

bool fill_tiles_direct(const Target& t, const TilePlan& p, const Generator& gen, DirectMode mode, int threads,
                       const KeepGoing& keep_going) {
  const std::size_t is = itemsize(t.fmt);
  const uint64_t per_tile = p.rows * p.cols;
  const Split split{std::max<uint64_t>(1, kMinElementsPerThread / per_tile), 1,
                    std::max<uint64_t>(1, kSlab / per_tile)};
  const auto col_pitch = static_cast<int64_t>(p.rows * is);  // between the buffer's columns
  return by_slabs(
      p.tiles, threads, keep_going,
      [&](uint64_t lo, uint64_t hi) {
        // Row r's words at words + 4 + r * pitch; it is made from the block holding its first
        // word on (up to 3 words before, 3 after), so every stream_words call starts on a block.
        constexpr std::size_t pitch = kDirectCols + 8;
        alignas(64) uint32_t words[kStripRows * pitch];
        alignas(64) unsigned char stage[kStageBytes];
        for (uint64_t k = lo; k < hi; ++k) {
          const Tile tile = tile_at(t, p, k);
          const auto rows = static_cast<std::size_t>(tile.rows), cols = static_cast<std::size_t>(tile.cols);
          for (std::size_t i = 0; i < rows; i += kStripRows) {
            const std::size_t h = std::min(kStripRows, rows - i);
            for (std::size_t r = 0; r < h; ++r) {
              const uint64_t e = tile.e + (i + r) * p.m.lstride;
              const std::size_t skip = static_cast<std::size_t>(e % 4);
              gen.kernels.stream_words(gen.key, e - skip, (skip + cols + 3) / 4 * 4, words + 4 - skip + r * pitch);
            }
            if (mode.staged) {
              gen.kernels.uniform_columns(gen.dist, t.fmt, words + 4, pitch, h, cols, stage + i * is, col_pitch, false);
            } else {
              // Every tile but the first along m starts on a 64-byte boundary (fill_random), and
              // strips start kStripRows * is (>= 64) bytes apart.
              char* dst = tile.ptr + static_cast<int64_t>(i * is);
              gen.kernels.uniform_columns(gen.dist, t.fmt, words + 4, pitch, h, cols, dst, p.l.stride,
                                          mode.stream && reinterpret_cast<uintptr_t>(dst) % 64 == 0);
            }
          }
          if (mode.staged)
            for (std::size_t j = 0; j < cols; ++j)
              copy_lines(tile.ptr + static_cast<int64_t>(j) * p.l.stride, stage + static_cast<int64_t>(j) * col_pitch, rows * is);
        }
        if (mode.stream) gen.kernels.fence();
#if defined(__SSE2__)
        if (mode.staged) _mm_sfence();  // order copy_lines's non-temporal stores before the fill returns
#endif
      },
      split);
}

}  // namespace

bool fill_random(const Target& t, const KernelTable& kernels, const StreamKey& key, const Distribution& dist,
                 int threads, const KeepGoing& keep_going) noexcept {
  for (int64_t n : t.shape)
    if (n == 0) return true;
  const std::vector<Axis> axes = collapse(t);
  const std::size_t is = itemsize(t.fmt);
  const unsigned wpe = words_per_element(t.fmt);
  const bool bits = dist.kind == Kind::Bits;
  TilePlan plan;
  if (plan_tiles(axes, is, plan)) {
    const Generator gen{kernels, key, dist, t.fmt};
    if (!direct_columns(t, dist, plan)) return fill_tiles(t, plan, gen, threads, keep_going);
    // Tiles of kDirectRows, or as many as the buffer holds; unbuffered, the first tile along m
    // ends where memory reaches a multiple of 64 bytes.
    size_tiles(plan, kDirectCols, kDirectRows, (64 - reinterpret_cast<uintptr_t>(t.data) % 64) % 64 / is);
    const DirectMode mode = direct_mode(t, plan);
    if (mode.staged) size_tiles(plan, kDirectCols, kStageBytes / (kDirectCols * is));
    return fill_tiles_direct(t, plan, gen, mode, threads, keep_going);
  }
  const uint64_t total = element_count(axes);
  const bool streaming = total * is >= kStreamingBytes;
  return by_slabs(total, threads, keep_going, [&](uint64_t lo, uint64_t hi) {
    alignas(64) uint32_t words[2 * kTile];
    alignas(64) unsigned char values[8 * kTile];
    for_each_run(t, axes, lo, hi, [&](char* ptr, int64_t stride, uint64_t e, uint64_t count) {
      const bool contiguous = stride == static_cast<int64_t>(is);
      const bool direct = contiguous && !streaming && reinterpret_cast<uintptr_t>(ptr) % is == 0;
      while (count != 0) {
        const std::size_t m = static_cast<std::size_t>(std::min<uint64_t>(count, kTile));
        if (bits && direct) {
          kernels.stream_words(key, e, m, reinterpret_cast<uint32_t*>(ptr));
        } else if (!bits && direct) {
          kernels.stream_words(key, e * wpe, m * wpe, words);
          kernels.transform(dist, t.fmt, words, m, ptr);
        } else {
          kernels.stream_words(key, e * wpe, m * wpe, words);
          const unsigned char* src = reinterpret_cast<const unsigned char*>(words);
          if (!bits) {
            kernels.transform(dist, t.fmt, words, m, values);
            src = values;
          }
          if (contiguous && streaming) kernels.stream_copy(ptr, src, m * is);
          else scatter(ptr, stride, src, is, m);
        }
        ptr += static_cast<int64_t>(m) * stride;
        e += m;
        count -= m;
      }
    });
    if (streaming) kernels.fence();
  });
}

bool fill_pattern(const Target& target, const unsigned char* pattern, int threads, const KeepGoing& keep_going) noexcept {
  for (int64_t n : target.shape)
    if (n == 0) return true;
  // Every element gets the same bytes, so walk the memory in its own order.
  const Target t = in_memory_order(target);
  const std::vector<Axis> axes = collapse(t);
  const std::size_t is = itemsize(t.fmt);
  return by_slabs(element_count(axes), threads, keep_going, [&](uint64_t lo, uint64_t hi) {
    alignas(64) unsigned char tile[8 * kTile];
    for (std::size_t i = 0; i < kTile; ++i) std::memcpy(tile + i * is, pattern, is);
    for_each_run(t, axes, lo, hi, [&](char* ptr, int64_t stride, uint64_t, uint64_t count) {
      while (count != 0) {
        const std::size_t m = static_cast<std::size_t>(std::min<uint64_t>(count, kTile));
        if (stride == static_cast<int64_t>(is)) std::memcpy(ptr, tile, m * is);
        else scatter(ptr, stride, tile, is, m);
        ptr += static_cast<int64_t>(m) * stride;
        count -= m;
      }
    });
  });
}

int default_num_threads() { return std::max(1, omp_get_max_threads()); }

int num_threads() {
  int n = g_threads.load(std::memory_order_relaxed);
  if (n > 0) return n;
  int expected = 0;
  const int d = default_num_threads();
  // First use: publish the default unless set_num_threads got there first.
  return g_threads.compare_exchange_strong(expected, d, std::memory_order_relaxed) ? d : expected;
}

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads: n must be >= 1, got " + std::to_string(n));
  g_threads.store(n, std::memory_order_relaxed);
}

}  // namespace fastinit
