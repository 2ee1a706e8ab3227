#include "stores.hpp"

#include <fcntl.h>
#include <unistd.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>

namespace fastinit {
namespace {

constexpr std::size_t kPiece = 8192;  // bytes per copy: a fill's tile of values

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Plain vector stores, as the fills' transforms write (not memcpy: glibc's `rep movsb` may skip
// reading each line first on some CPUs, which the fills' stores do not). n a multiple of 16.
void plain_copy(unsigned char* dst, const unsigned char* src, std::size_t n) {
#if defined(__SSE2__)
  for (std::size_t i = 0; i < n; i += 16)
    _mm_store_si128(reinterpret_cast<__m128i*>(dst + i), _mm_load_si128(reinterpret_cast<const __m128i*>(src + i)));
#else
  std::memcpy(dst, src, n);
#endif
}

// Writes buf[0 .. bytes) (64-byte aligned, bytes a multiple of kPiece) from the 8 KiB `piece`,
// with plain or non-temporal stores; seconds taken.
double write_once(const KernelTable& k, unsigned char* buf, std::size_t bytes, const unsigned char* piece,
                  bool nontemporal) {
  const auto t0 = std::chrono::steady_clock::now();
  for (std::size_t off = 0; off < bytes; off += kPiece) {
    if (nontemporal) k.stream_copy(buf + off, piece, kPiece);
    else plain_copy(buf + off, piece, kPiece);
  }
  if (nontemporal) k.fence();
  return seconds_since(t0);
}

// The 8 KiB that write_once copies: bytes that are not all alike.
void make_piece(unsigned char* piece) {
  for (std::size_t i = 0; i < kPiece; ++i) piece[i] = static_cast<unsigned char>(i * 37 + 11);
}

// A fresh 64-byte aligned buffer of `bytes` bytes whose pages exist (written once), or null.
struct TouchedBuffer {
  std::unique_ptr<unsigned char[]> owner;
  unsigned char* data = nullptr;

  explicit TouchedBuffer(std::size_t bytes) noexcept : owner(new (std::nothrow) unsigned char[bytes + 64]) {
    if (!owner) return;
    data = owner.get() + (64 - reinterpret_cast<uintptr_t>(owner.get()) % 64) % 64;
    std::memset(data, 0, bytes);
  }
};

double median(double* v, std::size_t n) {
  std::nth_element(v, v + n / 2, v + n);
  return v[n / 2];
}

// The largest cache CPU 0 has, from Linux's /sys/devices/system/cpu/cpu0/cache/index*/size ("16384K"):
// the cache of one core complex, where glibc's sysconf(_SC_LEVEL3_CACHE_SIZE) may report the whole
// package's (256 MiB on a 2-core AMD EPYC VM whose cores share 16 MiB). 0 where unknown.
// Allocates nothing (it runs inside noexcept fills).
std::size_t last_level_cache_bytes() noexcept {
  std::size_t best = 0;
  for (int i = 0; i < 8; ++i) {
    char path[64], text[32] = {};
    std::snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) continue;
    const ssize_t got = ::read(fd, text, sizeof text - 1);
    ::close(fd);
    if (got <= 0) continue;
    char* unit = nullptr;
    const unsigned long long n = std::strtoull(text, &unit, 10);
    const std::size_t scale = *unit == 'K' ? 1 << 10 : *unit == 'M' ? 1 << 20 : *unit == 'G' ? 1 << 30 : 1;
    best = std::max(best, static_cast<std::size_t>(n) * scale);
  }
  return best;
}

std::atomic<StoreKind> g_forced{StoreKind::Auto};
std::atomic<StoreKind> g_measured{StoreKind::Auto};  // Auto: not measured yet

StoreKind measure_kind() noexcept {
  const KernelTable& k = best_kernels();
  // Paths whose stream_copy is memcpy: nothing to choose between.
  if (std::strcmp(k.name, "scalar") == 0 || std::strcmp(k.name, "neon") == 0) return StoreKind::Plain;
  // The kind two comparisons agree on (a third when they differ), so that one disturbed
  // comparison does not decide alone.
  int nontemporal = 0, plain = 0;
  while (nontemporal < 2 && plain < 2) {
    const StoreTimes t = compare_stores(k, calibration_bytes(), 2);
    if (!t.measured) return StoreKind::NonTemporal;
    ++(t.nontemporal_seconds < t.plain_seconds ? nontemporal : plain);
  }
  return nontemporal == 2 ? StoreKind::NonTemporal : StoreKind::Plain;
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
  bytes = bytes / kPiece * kPiece;
  if (bytes == 0 || bytes > SIZE_MAX - 64 || rounds < 1) return t;
  const TouchedBuffer buf(bytes);  // the pages exist before anything is timed
  if (!buf.data) return t;
  alignas(64) unsigned char piece[kPiece];
  make_piece(piece);
  t.plain_seconds = t.nontemporal_seconds = 1e300;
  for (int r = 0; r < rounds; ++r) {
    t.plain_seconds = std::min(t.plain_seconds, write_once(kernels, buf.data, bytes, piece, false));
    t.nontemporal_seconds = std::min(t.nontemporal_seconds, write_once(kernels, buf.data, bytes, piece, true));
  }
  t.measured = true;
  return t;
}

StoreTimes compare_stores(const KernelTable& kernels, std::size_t bytes, int passes) noexcept {
  StoreTimes t;
  const std::size_t slices = std::min(bytes / kStoreSlice, kMaxStoreSlices);
  if (slices < 2 || passes < 1 || passes > 16) return t;
  const TouchedBuffer buf(slices * kStoreSlice);
  if (!buf.data) return t;
  alignas(64) unsigned char piece[kPiece];
  make_piece(piece);
  double times[2][8 * kMaxStoreSlices];  // [non-temporal?][slice written so]
  std::size_t counts[2] = {0, 0};
  for (int pass = 0; pass < passes; ++pass) {
    for (std::size_t i = 0; i < slices; ++i) {
      const bool nontemporal = (i + static_cast<std::size_t>(pass)) % 2 == 1;
      times[nontemporal][counts[nontemporal]++] =
          write_once(kernels, buf.data + i * kStoreSlice, kStoreSlice, piece, nontemporal);
    }
  }
  t.plain_seconds = median(times[0], counts[0]);
  t.nontemporal_seconds = median(times[1], counts[1]);
  t.measured = true;
  return t;
}

std::size_t calibration_bytes() noexcept {
  constexpr std::size_t kMiB = std::size_t{1} << 20;
  return std::clamp(4 * last_level_cache_bytes(), 64 * kMiB, 128 * kMiB);
}

StoreKind large_store_kind() noexcept {
  const StoreKind forced = g_forced.load(std::memory_order_relaxed);
  return forced != StoreKind::Auto ? forced : measured_kind();
}

void set_store_kind(StoreKind kind) noexcept { g_forced.store(kind, std::memory_order_relaxed); }

}  // namespace fastinit
