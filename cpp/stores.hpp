// Which stores write large outputs: non-temporal stores (which skip the caches: no read of each
// line before it is written, none of the caller's data evicted) or plain ones. Which writes memory
// faster depends on the CPU (non-temporal on an AMD Zen 2, plain on a Zen 4: the numbers are in
// docs/guide/performance.md). So outputs of
// kLargeOutputBytes and more are written with the kind measured once per process (at the first
// such output), unless FASTINIT_STORES or set_store_kind chose one; smaller outputs always use
// plain stores. The values never depend on it.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels.hpp"

namespace fastinit {

enum class StoreKind { Auto, Plain, NonTemporal };

inline constexpr uint64_t kLargeOutputBytes = uint64_t{32} << 20;

struct StoreTimes {
  double plain_seconds = 0, nontemporal_seconds = 0;
  bool measured = false;  // false: the buffer could not be allocated
};

// One thread writes a fresh buffer of `bytes` bytes (rounded down to a multiple of 8 KiB)
// `rounds` times each way, in turns, in 8 KiB pieces (as the fills write): plain vector stores and
// kernels.stream_copy. The best time of each; measured false (nothing timed) for bytes == 0, rounds < 1 or a buffer that cannot be
// allocated. Never throws.
StoreTimes measure_stores(const KernelTable& kernels, std::size_t bytes, int rounds) noexcept;

// The per-process choice's measurement: a fresh buffer of `bytes` bytes (rounded down to a
// multiple of kStoreSlice, at most kMaxStoreSlices of them) written `passes` (1-16) times by one thread in
// slices of kStoreSlice bytes, plain and non-temporal stores in turn, the order swapped every pass
// (so each slice is written both ways). The times are the median slice's of each kind. Both kinds
// thus share whatever else the machine does meanwhile: ranks started together measure at once,
// and best-of rounds of each kind written whole (measure_stores) chose plain stores in 1 of 30
// such pairs on a Zen 2 where they are 1.3-1.5x slower. A pause (another process, the VM's host)
// moves a slice or two, not the median. measured false for fewer than 2 slices, passes outside
// 1-16 or a buffer that cannot be allocated; never throws.
inline constexpr std::size_t kStoreSlice = std::size_t{2} << 20;
inline constexpr std::size_t kMaxStoreSlices = 64;
StoreTimes compare_stores(const KernelTable& kernels, std::size_t bytes, int passes) noexcept;

// The size compare_stores uses for the per-process choice: four times the largest cache of CPU 0
// (Linux's sysfs), at least 64 MiB and at most 128 MiB, so that plain stores are timed mostly
// writing back what they evict rather than filling the cache.
std::size_t calibration_bytes() noexcept;

// The kind large outputs use now: the one set_store_kind forced, else the measured one
// (measured at the first call: the faster in two compare_stores(best path, calibration_bytes(), 2)
// that agree, a third deciding when they do not;
// non-temporal if the buffer cannot be allocated; plain, unmeasured, on the paths without
// non-temporal stores: scalar, NEON). Plain or NonTemporal, never Auto.
StoreKind large_store_kind() noexcept;

// Force a kind for every later fill; Auto returns to the measured one.
void set_store_kind(StoreKind kind) noexcept;

// Whether an output of `bytes` bytes is written with non-temporal stores: contiguous runs
// (fill_random, fill_gather, fill_pattern). Tiled outputs (Fortran order, transposes) keep
// non-temporal stores from kLargeOutputBytes whatever the kind: their tile shapes were measured
// with them (fill_tiles.cpp).
inline bool stream_stores(uint64_t bytes) noexcept {
  return bytes >= kLargeOutputBytes && large_store_kind() == StoreKind::NonTemporal;
}

// Elements of `itemsize` bytes from ptr to the next 64-byte line; 0 when ptr starts one or its
// elements straddle lines. A run of non-temporal stores cut into pieces (kernels.stream_copy)
// whose first piece is this long starts every later piece on a line, so only the run's first and
// last lines are written in part: a line written in part by each of two pieces (pieces of a NumPy
// array 16 bytes past a line) cost 2-byte constant fills a third of their speed.
inline std::size_t elements_to_line(const void* ptr, std::size_t itemsize) noexcept {
  const std::size_t gap = (64 - reinterpret_cast<uintptr_t>(ptr) % 64) % 64;
  return gap % itemsize == 0 ? gap / itemsize : 0;
}

}  // namespace fastinit
