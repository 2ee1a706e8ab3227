#include "fill.hpp"

#include <omp.h>
#include <pthread.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>

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
bool g_forked_child = false;
void mark_forked_child() { g_forked_child = true; }
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

// Runs body(lo, hi) on disjoint flat ranges covering [begin, end). Ranges are handed out
// dynamically, several per thread, so a thread that the OS preempts (a busy machine) delays
// the fill by one range, not by its whole share; each range starts at a multiple of kSplitAlign.
template <class Body>
void parallel_ranges(uint64_t begin, uint64_t end, int threads, Body&& body) {
  const uint64_t total = end - begin;
  if (g_forked_child) threads = 1;
  const uint64_t nt = std::max<uint64_t>(1, std::min<uint64_t>(static_cast<uint64_t>(threads),
                                                                total / kMinElementsPerThread));
  if (nt == 1) {
    body(begin, end);
    return;
  }
  uint64_t chunk = std::max<uint64_t>(kMinElementsPerThread / 2, total / (nt * kRangesPerThread));
  chunk -= chunk % kSplitAlign;
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
bool by_slabs(uint64_t total, int threads, const KeepGoing& keep_going, Body&& body) {
  for (uint64_t lo = 0; lo < total; lo += kSlab) {
    parallel_ranges(lo, std::min(total, lo + kSlab), threads, body);
    if (lo + kSlab < total && keep_going && !keep_going()) return false;
  }
  return true;
}

void scatter(char* dst, int64_t stride, const unsigned char* src, std::size_t is, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + static_cast<int64_t>(i) * stride, src + i * is, is);
}

int g_threads = 0;


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
}

bool fill_random(const Target& t, const KernelTable& kernels, const StreamKey& key, const Distribution& dist,
                 int threads, const KeepGoing& keep_going) noexcept {
  for (int64_t n : t.shape)
    if (n == 0) return true;
  const std::vector<Axis> axes = collapse(t);
  const std::size_t is = itemsize(t.fmt);
  const unsigned wpe = words_per_element(t.fmt);
  const bool bits = dist.kind == Kind::Bits;
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

bool fill_pattern(const Target& t, const unsigned char* pattern, int threads, const KeepGoing& keep_going) noexcept {
  for (int64_t n : t.shape)
    if (n == 0) return true;
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
  if (g_threads <= 0) g_threads = default_num_threads();
  return g_threads;
}

void set_num_threads(int n) {
  if (n < 1) throw std::invalid_argument("set_num_threads: n must be >= 1, got " + std::to_string(n));
  g_threads = n;
}

}  // namespace fastinit
