// Internal to the fill translation units: when a fill as fast as writing memory (constant,
// zeros, ones) stops asking for helper threads.
//
// Such a fill gains from a helper only the bandwidth one more writer adds, and only while the
// helper has a core. When other processes keep the cores busy (P ranks on P cores, each on the
// default thread count), more writer threads than cores share the memory system less well than
// one per core, and a helper that loses its core holds up the fill's end for a scheduler slice
// (measured in docs/guide/performance.md, "Busy machines"). So after a fill with helpers the calling
// thread checks how it fared (run_shared's CallerTimes): when it was off its CPU for more than a
// quarter of its working time, or waited more than kLateTail for the helpers at the end, the next
// 1, 2, 4, ... up to kMaxSolo such fills run on the calling thread alone (the span doubling while
// this goes on, halving after each fill that fared well), and then ask for helpers again.
// Compute-bound fills keep their helpers: on busy cores their threads' share of the CPU outweighs
// both costs. What each value is and where it goes never depend on it.
#pragma once
#include <cstdint>

#include "thread_pool.hpp"

namespace fastinit {
namespace detail {

// Longer than a helper that kept up makes the caller wait (its last chunk, at most 1 MiB, and a
// wake-up: some 0.2 ms), shorter than a scheduler slice.
inline constexpr std::chrono::microseconds kLateTail{1000};
inline constexpr uint32_t kMaxSolo = 64;

struct Backoff {
  uint32_t solo_left = 0;  // fills still to run on the calling thread alone
  uint32_t span = 0;       // twice this (at least 1, at most kMaxSolo) is the next back-off
};

// The threads the next memory-bound fill uses when it may use `threads`, and the state after it
// is taken: 1 while solo fills are left (one is used up), else `threads`.
struct Turn {
  int threads;
  Backoff after;
};
Turn take_turn(Backoff b, int threads);

// The state after a fill with helpers whose calling thread fared as `t` says.
Backoff after_fill(Backoff b, const CallerTimes& t);

// The process's state, used by memory-bound fills (fill.cpp): the threads to use now, and how a
// fill that asked for helpers fared.
int memory_bound_threads(int threads) noexcept;
void report_memory_bound_fill(const CallerTimes& t) noexcept;

// The process's state now, and (test hook) setting it.
Backoff memory_bound_backoff() noexcept;
void set_memory_bound_backoff(Backoff b) noexcept;

}  // namespace detail
}  // namespace fastinit
