#include "stores.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <new>
#include <string>

namespace fastinit {
namespace {

constexpr std::size_t kPiece = 8192;  // bytes per copy: a fill's tile of values

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Writes buf[0 .. bytes) from the 8 KiB `piece`, with plain or non-temporal stores; seconds taken.
double write_once(const KernelTable& k, unsigned char* buf, std::size_t bytes, const unsigned char* piece,
                  bool nontemporal) {
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t off = 0; off < bytes; off += kPiece) {
    const std::size_t n = std::min(kPiece, bytes - off);
    if (nontemporal) k.stream_copy(buf + off, piece, n);
    else std::memcpy(buf + off, piece, n);
  }
  if (nontemporal) k.fence();
  return seconds_since(t0);
}

// The largest cache CPU 0 has, from Linux's /sys/devices/system/cpu/cpu0/cache/index*/size ("16384K"):
// the cache of one core complex, where glibc's sysconf(_SC_LEVEL3_CACHE_SIZE) may report the whole
// package's (256 MiB on a 2-core AMD EPYC VM whose cores share 16 MiB). 0 where unknown.
std::size_t last_level_cache_bytes() {
  std::size_t best = 0;
  for (int i = 0; i < 8; ++i) {
    std::ifstream f("/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/size");
    std::size_t n = 0;
    char unit = 0;
    if (!(f >> n)) continue;
    f >> unit;
    const std::size_t scale = unit == 'K' ? 1024 : unit == 'M' ? 1024 * 1024 : unit == 'G' ? 1024 * 1024 * 1024 : 1;
    best = std::max(best, n * scale);
  }
  return best;
}

std::atomic<StoreKind> g_forced{StoreKind::Auto};
std::atomic<StoreKind> g_measured{StoreKind::Auto};  // Auto: not measured yet

StoreKind measure_kind() noexcept {
  const KernelTable& k = best_kernels();
  // Paths whose stream_copy is memcpy: nothing to choose between.
  if (std::strcmp(k.name, "scalar") == 0 || std::strcmp(k.name, "neon") == 0) return StoreKind::Plain;
  const StoreTimes t = measure_stores(k, calibration_bytes(), 2);
  if (!t.measured) return StoreKind::NonTemporal;
  return t.nontemporal_seconds < t.plain_seconds ? StoreKind::NonTemporal : StoreKind::Plain;
}

// No lock (a lock held across a fork would hang the child): threads that find it unmeasured at
// once each measure, and the first result stays.
StoreKind measured_kind() noexcept {
  StoreKind kind = g_measured.load(std::memory_order_relaxed);
  if (kind != StoreKind::Auto) return kind;
  StoreKind expected = StoreKind::Auto;
  kind = measure_kind();
  return g_measured.compare_exchange_strong(expected, kind, std::memory_order_relaxed) ? kind : expected;
}

}  // namespace

StoreTimes measure_stores(const KernelTable& kernels, std::size_t bytes, int rounds) noexcept {
  StoreTimes t;
  if (bytes == 0 || bytes > SIZE_MAX - 64 || rounds < 1) return t;
  std::unique_ptr<unsigned char[]> owner(new (std::nothrow) unsigned char[bytes + 64]);
  if (!owner) return t;
  unsigned char* buf = owner.get() + (64 - reinterpret_cast<uintptr_t>(owner.get()) % 64) % 64;
  alignas(64) unsigned char piece[kPiece];
  for (std::size_t i = 0; i < kPiece; ++i) piece[i] = static_cast<unsigned char>(i * 37 + 11);
  std::memset(buf, 0, bytes);  // the pages exist before anything is timed
  t.plain_seconds = t.nontemporal_seconds = 1e300;
  for (int r = 0; r < rounds; ++r) {
    t.plain_seconds = std::min(t.plain_seconds, write_once(kernels, buf, bytes, piece, false));
    t.nontemporal_seconds = std::min(t.nontemporal_seconds, write_once(kernels, buf, bytes, piece, true));
  }
  t.measured = true;
  return t;
}

std::size_t calibration_bytes() noexcept {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  return std::clamp(4 * last_level_cache_bytes(), 64 * kMiB, 256 * kMiB);
}

StoreKind large_store_kind() noexcept {
  const StoreKind forced = g_forced.load(std::memory_order_relaxed);
  return forced != StoreKind::Auto ? forced : measured_kind();
}

void set_store_kind(StoreKind kind) noexcept { g_forced.store(kind, std::memory_order_relaxed); }

}  // namespace fastinit
