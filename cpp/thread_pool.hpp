// Internal to the fill translation units: fastinit's own worker threads, which run the chunks of
// a fill next to the thread that called it.
//
// A fill is one piece of shared work: chunks of consecutive work items, claimed in order from one
// atomic counter by the calling thread and by the pool threads that join it. There is no barrier
// between chunks: a thread the OS takes off its core (a busy machine) delays the fill by the one
// chunk it holds, while the others claim the rest. Idle pool threads sleep on a condition
// variable after watching 50 us for the next fill, and the caller, once no chunk is left, waits
// for the chunks still being written 20 us spinning and then asleep, so a fill neither burns the
// cores of other processes nor waits spinning on a thread that lost its core. The pool is fastinit's own: no
// setting of the process's OpenMP runtime (shared with torch and others) is read or changed.
#pragma once
#include <chrono>
#include <cstdint>

#include "fill.hpp"

namespace fastinit {
namespace detail {

// Items [0, items) in chunks of `chunk` (the last one shorter); run(ctx, lo, hi) does items
// [lo, hi) and may run on any of the threads, several chunks at once.
struct SharedWork {
  void (*run)(void* ctx, uint64_t lo, uint64_t hi);
  void* ctx;
  uint64_t items, chunk;
};

// How the calling thread of a fill shared with pool threads fared: while it claimed and ran chunks
// (`working`, of which `on_cpu` on a CPU: less when other threads took its core), and then how
// long it waited for the chunks still under way on pool threads (`tail`: a chunk's time when they
// kept up, a scheduler slice, milliseconds, when one lost its core).
struct CallerTimes {
  std::chrono::nanoseconds working{0}, on_cpu{0}, tail{0};
};

// Runs every chunk of w on the calling thread and on up to `helpers` pool threads (created on
// first need; fewer if the system refuses more threads). keep_going is asked on the calling
// thread after its chunks, about once per `check_every` items claimed in all, while chunks
// remain; false stops the claiming (the chunks under way finish) and run_shared returns false.
// Returns after every claimed chunk has finished; their writes are then visible to the caller.
// times (unless null) gets how the calling thread fared. Never throws.
bool run_shared(const SharedWork& w, int helpers, uint64_t check_every, const KeepGoing& keep_going,
                CallerTimes* times = nullptr) noexcept;

}  // namespace detail
}  // namespace fastinit
