// Internal to the fill translation units: collapsing a target's axes into runs of consecutive
// element indices, and cutting a flat index space into ranges run in parallel, slab by slab.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "fill.hpp"

namespace fastinit {
namespace detail {

inline constexpr std::size_t kTile = 1024;  // elements per step; its word and value buffers are 8 KiB each
inline constexpr uint64_t kMinElementsPerThread = 1u << 15;  // a fill uses one thread per this many elements at most
inline constexpr uint64_t kSplitAlign = 64;                  // ranges start at multiples of 64 elements
inline constexpr uint64_t kRangesPerThread = 16;             // about this many ranges per thread
inline constexpr uint64_t kSlab = uint64_t{1} << 23;         // elements between interruption checks
// Outputs of at least this many bytes write their contiguous runs through stream_copy
// (non-temporal stores on the SIMD paths, which bypass the caches).
inline constexpr uint64_t kStreamingBytes = uint64_t{32} << 20;

// GNU OpenMP cannot start a parallel region in a child forked after the parent used one (it
// waits forever for the parent's pool), so a forked child fills on its own thread. Set by a
// pthread_atfork child handler (fill.cpp).
extern std::atomic<bool> g_forked_child;

struct Axis {
  int64_t n;
  int64_t stride;  // bytes
  uint64_t lstride;
};

// Drop length-1 axes, merge axes that are contiguous both in memory and in the full tensor, and
// make the last axis one of consecutive element indices (a "run"), adding a length-1 one if needed.
inline std::vector<Axis> collapse(const Target& t) {
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

inline uint64_t element_count(const std::vector<Axis>& axes) {
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
inline constexpr Split kElementSplit{kMinElementsPerThread, kSplitAlign, kSlab};

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

}  // namespace detail
}  // namespace fastinit
