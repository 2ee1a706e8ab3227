// Filling a strided buffer in element order (fill_tiles*.cpp take the layouts whose memory order
// is not their element order), checking its layout, and the fill thread count.
#include "fill.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>

#include "cpu_budget.hpp"
#include "fill_gather.hpp"
#include "fill_runs.hpp"
#include "fill_tiles.hpp"
#include "helper_backoff.hpp"

namespace fastinit {
namespace detail {

std::atomic<bool> g_forked_child{false};

}  // namespace detail

using namespace detail;  // this file's internals

namespace {

void mark_forked_child() { g_forked_child.store(true, std::memory_order_relaxed); }
const int g_atfork_registered = pthread_atfork(nullptr, nullptr, &mark_forked_child);

void scatter(char* dst, int64_t stride, const unsigned char* src, std::size_t is, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) std::memcpy(dst + static_cast<int64_t>(i) * stride, src + i * is, is);
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
  if (!t.offsets.empty() && t.offsets.size() != nd)
    throw std::invalid_argument("axis_offsets must have one entry per dimension of out (" + std::to_string(nd) +
                                "), got " + std::to_string(t.offsets.size()));
  for (std::size_t k = 0; k < nd; ++k) {
    if (t.shape[k] < 0) throw std::invalid_argument("layout: negative dimension");
    if (!t.offsets.empty() && t.offsets[k].data != nullptr && t.offsets[k].size != static_cast<uint64_t>(t.shape[k]))
      throw std::invalid_argument("axis_offsets[" + std::to_string(k) + "] has " + std::to_string(t.offsets[k].size) +
                                  " entries; out.shape[" + std::to_string(k) + "] is " + std::to_string(t.shape[k]));
  }
  constexpr uint64_t kLimit = uint64_t{1} << 63;
  uint64_t last = t.origin;
  if (last >= kLimit) throw std::invalid_argument("layout: element index reaches 2**63");
  for (std::size_t k = 0; k < nd; ++k) {
    if (t.shape[k] == 0) return;
    uint64_t reach;  // the axis's largest contribution
    if (!t.offsets.empty() && t.offsets[k].data != nullptr) {
      reach = *std::max_element(t.offsets[k].data, t.offsets[k].data + t.offsets[k].size);
      if (reach >= kLimit)
        throw std::invalid_argument("axis_offsets[" + std::to_string(k) + "]: element index reaches 2**63");
    } else {
      const uint64_t span = static_cast<uint64_t>(t.shape[k] - 1);
      if (span != 0 && t.logical_strides[k] > kLimit / span)
        throw std::invalid_argument("layout: element index reaches 2**63");
      reach = span * t.logical_strides[k];
    }
    last += reach;  // last < 2**63 and reach <= 2**63: no wrap
    if (last >= kLimit) throw std::invalid_argument("layout: element index reaches 2**63");
  }
  check_no_overlap(t);
}

bool fill_random(const Target& t, const KernelTable& kernels, const StreamKey& key, const Distribution& dist,
                 int threads, const KeepGoing& keep_going) noexcept {
  for (int64_t n : t.shape)
    if (n == 0) return true;
  if (t.gathered()) return fill_gather(t, kernels, key, dist, threads, keep_going);
  const std::vector<Axis> axes = collapse(t);
  const std::size_t is = itemsize(t.fmt);
  const unsigned wpe = words_per_element(t.fmt);
  const bool bits = dist.kind == Kind::Bits;
  TilePlan plan;
  if (plan_tiles(axes, is, plan)) {
    const Generator gen{kernels, key, dist, t.fmt};
    if (!direct_columns(t, dist, plan)) return fill_tiles(t, plan, gen, threads, keep_going);
    return fill_tiles_direct(t, plan, gen, threads, keep_going);
  }
  const uint64_t total = element_count(axes);
  const bool streaming = stream_stores(total * is);
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

bool fill_pattern(const Target& target, const KernelTable& kernels, const unsigned char* pattern, int threads,
                  const KeepGoing& keep_going) noexcept {
  for (int64_t n : target.shape)
    if (n == 0) return true;
  // Every element gets the same bytes, so walk the memory in its own order.
  const Target t = in_memory_order(target);
  const std::vector<Axis> axes = collapse(t);
  const std::size_t is = itemsize(t.fmt);
  const uint64_t total = element_count(axes);
  const bool streaming = stream_stores(total * is);
  // As fast as writing memory: helpers that come late are not asked for a while (helper_backoff.hpp).
  if (split_threads(total, threads, kElementSplit) > 1) threads = memory_bound_threads(threads);
  const bool shared = split_threads(total, threads, kElementSplit) > 1;
  CallerTimes times;
  const bool complete = by_slabs(total, threads, keep_going, [&](uint64_t lo, uint64_t hi) {
    alignas(64) unsigned char tile[8 * kTile];
    for (std::size_t i = 0; i < kTile; ++i) std::memcpy(tile + i * is, pattern, is);
    for_each_run(t, axes, lo, hi, [&](char* ptr, int64_t stride, uint64_t, uint64_t count) {
      std::size_t first = streaming ? elements_to_line(ptr, is) : 0;  // then pieces start on lines
      while (count != 0) {
        const std::size_t m = static_cast<std::size_t>(std::min<uint64_t>(count, first != 0 ? first : kTile));
        first = 0;
        if (stride != static_cast<int64_t>(is)) scatter(ptr, stride, tile, is, m);
        else if (streaming) kernels.stream_copy(ptr, tile, m * is);
        else std::memcpy(ptr, tile, m * is);
        ptr += static_cast<int64_t>(m) * stride;
        count -= m;
      }
    });
    if (streaming) kernels.fence();
  }, kElementSplit, &times);
  if (shared && complete) report_memory_bound_fill(times);
  return complete;
}

namespace {

// The first entry of OMP_NUM_THREADS ("8" or "8,2"), the convention of OpenMP programs, when it
// is a positive number; else 0.
int omp_num_threads() {
  const char* env = std::getenv("OMP_NUM_THREADS");
  if (env == nullptr) return 0;
  const std::string s(env);
  const auto b = s.find_first_not_of(" \t"), e = s.find_first_of(" \t,", b);
  const std::string first = b == std::string::npos ? std::string() : s.substr(b, e - b);
  if (first.empty() || first.size() > 9 || first.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::atoi(first.c_str());
}

}  // namespace

int default_num_threads() {
  const int n = omp_num_threads();
  return n > 0 ? n : cpu_budget();
}

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
