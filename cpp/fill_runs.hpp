// Internal to the fill translation units: collapsing a target's axes into runs of consecutive
// element indices, and cutting a flat index space into chunks run in parallel.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "fill.hpp"
#include "stores.hpp"
#include "thread_pool.hpp"

namespace fastinit {
namespace detail {

inline constexpr std::size_t kTile = 1024;  // elements per step; its word and value buffers are 8 KiB each
inline constexpr uint64_t kMinElementsPerThread = 1u << 15;  // a fill uses one thread per this many elements at most
inline constexpr uint64_t kSplitAlign = 64;                  // chunks start at multiples of 64 elements
inline constexpr uint64_t kSlab = uint64_t{1} << 23;         // elements between interruption checks

// A child forked after the parent filled in parallel has none of the parent's pool threads (and
// may have copied the pool's lock held), so a forked child fills on its own thread. Set by a
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
// chunks start at multiples of align, and keep_going is asked about every slab items.
struct Split {
  uint64_t min_per_thread, align, slab;
};
inline constexpr Split kElementSplit{kMinElementsPerThread, kSplitAlign, kSlab};

// Chunks of a parallel fill: about kChunksPerThread per thread, and at most slab /
// kChunksPerSlab items (2**17 elements), so that a thread that loses its core holds back little.
inline constexpr uint64_t kChunksPerThread = 16;
inline constexpr uint64_t kChunksPerSlab = 64;

inline uint64_t chunk_items(uint64_t total, uint64_t threads, const Split& split) {
  uint64_t chunk = std::min(total / (threads * kChunksPerThread), split.slab / kChunksPerSlab);
  chunk = std::max<uint64_t>({chunk, split.min_per_thread / 2, 1});
  return std::max(split.align, chunk - chunk % split.align);
}

// The threads by_slabs runs `total` items on when it may use `threads`.
inline uint64_t split_threads(uint64_t total, int threads, const Split& split) {
  if (g_forked_child.load(std::memory_order_relaxed)) return 1;
  return std::max<uint64_t>(1, std::min<uint64_t>(static_cast<uint64_t>(threads), total / split.min_per_thread));
}

// Runs body(lo, hi) on disjoint ranges covering [0, total), asking keep_going (on the calling
// thread) about every split.slab items, so that a long fill can be interrupted within a fraction
// of a second; false from keep_going stops the fill and is returned. One thread: slab by slab on
// the calling thread. More: the calling thread and pool threads claim chunks from one counter,
// with no barrier between them (thread_pool.hpp); then times (unless null) gets how the calling
// thread fared (run_shared), else it is left as it was.
template <class Body>
bool by_slabs(uint64_t total, int threads, const KeepGoing& keep_going, Body&& body, const Split& split = kElementSplit,
              CallerTimes* times = nullptr) {
  const uint64_t nt = split_threads(total, threads, split);
  if (nt == 1) {
    for (uint64_t lo = 0; lo < total; lo += split.slab) {
      body(lo, std::min(total, lo + split.slab));
      if (lo + split.slab < total && keep_going && !keep_going()) return false;
    }
    return true;
  }
  using B = std::remove_reference_t<Body>;
  const SharedWork work{[](void* ctx, uint64_t lo, uint64_t hi) { (*static_cast<B*>(ctx))(lo, hi); },
                        const_cast<void*>(static_cast<const void*>(&body)), total, chunk_items(total, nt, split)};
  return run_shared(work, static_cast<int>(nt - 1), split.slab, keep_going, times);
}

}  // namespace detail
}  // namespace fastinit
