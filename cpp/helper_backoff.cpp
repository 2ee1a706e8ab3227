// The helper back-off of memory-bound fills (see helper_backoff.hpp).
#include "helper_backoff.hpp"

#include <algorithm>
#include <atomic>
#include <utility>

namespace fastinit {
namespace detail {
namespace {

// Both fields in one word, changed by compare-and-swap, so that fills on several Python threads at
// once each see a consistent state; no lock (a child forked while a fill held one would hang).
std::atomic<uint64_t> g_state{0};
static_assert(std::atomic<uint64_t>::is_always_lock_free, "the back-off state must need no lock");

uint64_t pack(Backoff b) { return (uint64_t{b.solo_left} << 32) | b.span; }
Backoff unpack(uint64_t w) { return {static_cast<uint32_t>(w >> 32), static_cast<uint32_t>(w)}; }

// Replaces the state by step(state) and returns what step returned with it.
template <class Step>
auto update(Step&& step) {
  uint64_t seen = g_state.load(std::memory_order_relaxed);
  for (;;) {
    const auto r = step(unpack(seen));
    if (g_state.compare_exchange_weak(seen, pack(r.second), std::memory_order_relaxed)) return r;
  }
}

}  // namespace

Turn take_turn(Backoff b, int threads) {
  if (threads <= 1 || b.solo_left == 0) return {threads, b};
  --b.solo_left;
  return {1, b};
}

Backoff after_fill(Backoff b, const CallerTimes& t) {
  const bool lost_core = t.on_cpu * 4 < t.working * 3;
  if (!lost_core && t.tail <= kLateTail) return {b.solo_left, b.span / 2};
  const uint32_t span = std::max<uint32_t>(1, 2 * std::min(b.span, kMaxSolo / 2));
  return {span, span};
}

int memory_bound_threads(int threads) noexcept {
  if (threads <= 1) return threads;
  return update([&](Backoff b) {
           const Turn t = take_turn(b, threads);
           return std::make_pair(t.threads, t.after);
         })
      .first;
}

void report_memory_bound_fill(const CallerTimes& t) noexcept {
  update([&](Backoff b) { return std::make_pair(0, after_fill(b, t)); });
}

Backoff memory_bound_backoff() noexcept { return unpack(g_state.load(std::memory_order_relaxed)); }

void set_memory_bound_backoff(Backoff b) noexcept { g_state.store(pack(b), std::memory_order_relaxed); }

}  // namespace detail
}  // namespace fastinit
