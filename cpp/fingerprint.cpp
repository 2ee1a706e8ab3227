// Fingerprints (docs/fingerprint.md): the sum modulo 2**64 of one 64-bit hash per element of
// (element index, value bits): a bijection of (key + e * gamma) ^ bits. A sum does not depend on the order of its terms, so the array is
// walked in memory order (smallest byte stride innermost, whatever the logical order), in parallel,
// each range summed on its own and the sums added: the result is the same for any thread count.
#include "fingerprint.hpp"

#include <algorithm>
#include <atomic>
#include <stdexcept>

#if FASTINIT_X86
#include <immintrin.h>
#endif

#include "fill_runs.hpp"

namespace fastinit {
namespace {

#define FASTINIT_FP_INLINE inline __attribute__((always_inline))

const FingerprintFormat kFormats[] = {
    {"float32", 1, 4},  {"float64", 2, 8},        {"float16", 3, 2},      {"bfloat16", 4, 2}, {"uint32", 5, 4},
    {"complex64", 6, 4}, {"complex128", 7, 8},    {"int8", 8, 1},         {"int16", 9, 2},    {"int32", 10, 4},
    {"int64", 11, 8},   {"uint8", 12, 1},         {"uint16", 13, 2},      {"uint64", 14, 8},  {"bool", 15, 1},
    {"float8_e4m3fn", 16, 1}, {"float8_e5m2", 17, 1},
};

template <class T>
FASTINIT_FP_INLINE uint64_t load(const char* p) {
  T v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

// Terms of n elements at p, p + stride, ... whose mixed indices key + e * gamma are x0, x0 + dx, ...
template <class T>
FASTINIT_FP_INLINE uint64_t run_progression(const char* p, int64_t stride, uint64_t n, uint64_t x0, uint64_t dx) {
  uint64_t acc = 0;
  if (stride == static_cast<int64_t>(sizeof(T))) {
    for (uint64_t i = 0; i < n; ++i) acc += fingerprint_bijection((x0 + i * dx) ^ load<T>(p + i * sizeof(T)));
  } else {
    for (uint64_t i = 0; i < n; ++i)
      acc += fingerprint_bijection((x0 + i * dx) ^ load<T>(p + static_cast<int64_t>(i) * stride));
  }
  return acc;
}

// Terms of n elements at p, p + stride, ... whose element indices are e0 + off[0], e0 + off[1], ...
template <class T>
FASTINIT_FP_INLINE uint64_t run_table(const char* p, int64_t stride, uint64_t n, uint64_t key, uint64_t e0,
                                      const uint64_t* off) {
  uint64_t acc = 0;
  for (uint64_t i = 0; i < n; ++i)
    acc += fingerprint_term(key, e0 + off[i], load<T>(p + static_cast<int64_t>(i) * stride));
  return acc;
}

// Contiguous runs prefetch this many bytes ahead: the hash costs enough per cache line that the
// out-of-order window alone keeps too few lines in flight (measured: float32 reads at a third of
// float64's speed without it, on a Sapphire Rapids Xeon; 4 KiB ahead beat 1 KiB).
#ifndef FASTINIT_FP_PREFETCH
#define FASTINIT_FP_PREFETCH 4096
#endif
template <class T>
FASTINIT_FP_INLINE void prefetch_step(const char* q) {
  for (std::size_t k = 0; k < std::max<std::size_t>(64, 16 * sizeof(T)); k += 64)
    __builtin_prefetch(q + FASTINIT_FP_PREFETCH + k);
}

using ProgressionFn = uint64_t (*)(const char*, int64_t, uint64_t, uint64_t, uint64_t);
using TableFn = uint64_t (*)(const char*, int64_t, uint64_t, uint64_t, uint64_t, const uint64_t*);

// One instantiation per value width (1, 2, 4, 8 bytes) and instruction set. Contiguous runs on the
// SIMD paths go through explicit vectors of 64-bit lanes (one 32x32->64-bit vpmuludq per round),
// two vectors per step with their own accumulators; the rest is the loops above. Every path
// computes the same integers.
struct RunKernels {
  ProgressionFn progression[4];
  TableFn table[4];
};

#define FASTINIT_FP_KERNELS(NAME, ATTR, CONTIGUOUS)                                                         \
  template <class T>                                                                                         \
  ATTR uint64_t NAME##_progression(const char* p, int64_t s, uint64_t n, uint64_t x0, uint64_t dx) {         \
    if (s == static_cast<int64_t>(sizeof(T))) return CONTIGUOUS<T>(p, n, x0, dx);                           \
    return run_progression<T>(p, s, n, x0, dx);                                                              \
  }                                                                                                          \
  template <class T>                                                                                         \
  ATTR uint64_t NAME##_table(const char* p, int64_t s, uint64_t n, uint64_t k, uint64_t e0, const uint64_t* o) { \
    return run_table<T>(p, s, n, k, e0, o);                                                                  \
  }                                                                                                          \
  const RunKernels NAME##_kernels = {                                                                        \
      {&NAME##_progression<uint8_t>, &NAME##_progression<uint16_t>, &NAME##_progression<uint32_t>,          \
       &NAME##_progression<uint64_t>},                                                                       \
      {&NAME##_table<uint8_t>, &NAME##_table<uint16_t>, &NAME##_table<uint32_t>, &NAME##_table<uint64_t>}};

template <class T>
FASTINIT_FP_INLINE uint64_t scalar_contiguous(const char* p, uint64_t n, uint64_t x0, uint64_t dx) {
  return run_progression<T>(p, sizeof(T), n, x0, dx);
}

#if FASTINIT_X86
// GCC 12 warns inside its own AVX-512 headers (the _mm512_undefined_* placeholders of the
// zero-extending loads) when they are inlined into target-attribute functions; a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#define FASTINIT_FP_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl")))
#define FASTINIT_FP_AVX2 __attribute__((target("avx2")))

FASTINIT_FP_AVX512 FASTINIT_FP_INLINE __m512i bijection_avx512(__m512i x) {
  x = _mm512_add_epi64(x, _mm512_mul_epu32(x, _mm512_set1_epi64(kFingerprintRound[0])));
  x = _mm512_ror_epi64(x, 32);
  x = _mm512_xor_si512(x, _mm512_mul_epu32(x, _mm512_set1_epi64(kFingerprintRound[1])));
  x = _mm512_ror_epi64(x, 32);
  x = _mm512_add_epi64(x, _mm512_mul_epu32(x, _mm512_set1_epi64(kFingerprintRound[2])));
  x = _mm512_ror_epi64(x, 32);
  return _mm512_xor_si512(x, _mm512_mul_epu32(x, _mm512_set1_epi64(kFingerprintRound[3])));
}

// 8 values from p, zero-extended to 64-bit lanes.
template <class T>
FASTINIT_FP_AVX512 FASTINIT_FP_INLINE __m512i load_avx512(const char* p) {
  if constexpr (sizeof(T) == 1) return _mm512_cvtepu8_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  else if constexpr (sizeof(T) == 2) return _mm512_cvtepu16_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  else if constexpr (sizeof(T) == 4) return _mm512_cvtepu32_epi64(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  else return _mm512_loadu_si512(p);
}

template <class T>
FASTINIT_FP_AVX512 FASTINIT_FP_INLINE uint64_t avx512_contiguous(const char* p, uint64_t n, uint64_t x0, uint64_t dx) {
  const uint64_t n16 = n - n % 16;
  __m512i x = _mm512_add_epi64(_mm512_set1_epi64(static_cast<long long>(x0)),
                               _mm512_mullo_epi64(_mm512_set1_epi64(static_cast<long long>(dx)),
                                                  _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 6, 7)));
  __m512i y = _mm512_add_epi64(x, _mm512_set1_epi64(static_cast<long long>(8 * dx)));
  const __m512i step = _mm512_set1_epi64(static_cast<long long>(16 * dx));
  __m512i acc = _mm512_setzero_si512(), acc2 = acc;
  for (uint64_t i = 0; i < n16; i += 16) {
    const char* q = p + i * sizeof(T);
    prefetch_step<T>(q);
    acc = _mm512_add_epi64(acc, bijection_avx512(_mm512_xor_si512(x, load_avx512<T>(q))));
    acc2 = _mm512_add_epi64(acc2, bijection_avx512(_mm512_xor_si512(y, load_avx512<T>(q + 8 * sizeof(T)))));
    x = _mm512_add_epi64(x, step);
    y = _mm512_add_epi64(y, step);
  }
  // Summed as uint64_t (wrapping): GCC's _mm512_reduce_add_epi64 adds signed lanes, which
  // overflows (undefined behaviour, flagged by UBSan) for these sums.
  alignas(64) uint64_t lanes[8];
  _mm512_store_si512(lanes, _mm512_add_epi64(acc, acc2));
  uint64_t sum = 0;
  for (uint64_t v : lanes) sum += v;
  return sum + run_progression<T>(p + n16 * sizeof(T), sizeof(T), n - n16, x0 + n16 * dx, dx);
}

FASTINIT_FP_AVX2 FASTINIT_FP_INLINE __m256i bijection_avx2(__m256i x) {
  constexpr int kSwap = 0xb1;  // 32-bit lanes (1, 0, 3, 2): the halves of each 64-bit lane swapped
  x = _mm256_add_epi64(x, _mm256_mul_epu32(x, _mm256_set1_epi64x(kFingerprintRound[0])));
  x = _mm256_shuffle_epi32(x, kSwap);
  x = _mm256_xor_si256(x, _mm256_mul_epu32(x, _mm256_set1_epi64x(kFingerprintRound[1])));
  x = _mm256_shuffle_epi32(x, kSwap);
  x = _mm256_add_epi64(x, _mm256_mul_epu32(x, _mm256_set1_epi64x(kFingerprintRound[2])));
  x = _mm256_shuffle_epi32(x, kSwap);
  return _mm256_xor_si256(x, _mm256_mul_epu32(x, _mm256_set1_epi64x(kFingerprintRound[3])));
}

// 4 values from p, zero-extended to 64-bit lanes.
template <class T>
FASTINIT_FP_AVX2 FASTINIT_FP_INLINE __m256i load_avx2(const char* p) {
  if constexpr (sizeof(T) == 1) {
    uint32_t w;
    __builtin_memcpy(&w, p, 4);
    return _mm256_cvtepu8_epi64(_mm_cvtsi32_si128(static_cast<int>(w)));
  } else if constexpr (sizeof(T) == 2) {
    return _mm256_cvtepu16_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
  } else if constexpr (sizeof(T) == 4) {
    return _mm256_cvtepu32_epi64(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
  } else {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  }
}

template <class T>
FASTINIT_FP_AVX2 FASTINIT_FP_INLINE uint64_t avx2_contiguous(const char* p, uint64_t n, uint64_t x0, uint64_t dx) {
  const uint64_t n8 = n - n % 8;
  __m256i x = _mm256_setr_epi64x(static_cast<long long>(x0), static_cast<long long>(x0 + dx),
                                 static_cast<long long>(x0 + 2 * dx), static_cast<long long>(x0 + 3 * dx));
  __m256i y = _mm256_add_epi64(x, _mm256_set1_epi64x(static_cast<long long>(4 * dx)));
  const __m256i step = _mm256_set1_epi64x(static_cast<long long>(8 * dx));
  __m256i acc = _mm256_setzero_si256(), acc2 = acc;
  for (uint64_t i = 0; i < n8; i += 8) {
    const char* q = p + i * sizeof(T);
    prefetch_step<T>(q);
    acc = _mm256_add_epi64(acc, bijection_avx2(_mm256_xor_si256(x, load_avx2<T>(q))));
    acc2 = _mm256_add_epi64(acc2, bijection_avx2(_mm256_xor_si256(y, load_avx2<T>(q + 4 * sizeof(T)))));
    x = _mm256_add_epi64(x, step);
    y = _mm256_add_epi64(y, step);
  }
  alignas(32) uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes), _mm256_add_epi64(acc, acc2));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] +
         run_progression<T>(p + n8 * sizeof(T), sizeof(T), n - n8, x0 + n8 * dx, dx);
}
#endif

FASTINIT_FP_KERNELS(scalar, , scalar_contiguous)
#if FASTINIT_X86
FASTINIT_FP_KERNELS(avx2, FASTINIT_FP_AVX2, avx2_contiguous)
FASTINIT_FP_KERNELS(avx512, FASTINIT_FP_AVX512, avx512_contiguous)
#pragma GCC diagnostic pop
#endif

const RunKernels& kernels_named(const std::string& simd) {
#if FASTINIT_X86
  if (simd == "avx512") return avx512_kernels;
  if (simd == "avx2") return avx2_kernels;
#endif
  (void)simd;
  return scalar_kernels;
}

std::size_t width_slot(std::size_t itemsize) { return itemsize == 1 ? 0 : itemsize == 2 ? 1 : itemsize == 4 ? 2 : 3; }

struct Dim {
  int64_t n;
  int64_t stride;  // bytes
  uint64_t lstride;
  const uint64_t* table;  // element offsets (times the full tensor's stride), or null
};

// The source's axes in memory order (largest |byte stride| first), length-1 axes folded into the
// origin, negative strides of axes without a table flipped (so contiguous runs read forwards), and
// axes contiguous both in memory and in the full tensor merged; never empty.
std::vector<Dim> memory_order(const FingerprintSource& s, const char** data, uint64_t* origin) {
  std::vector<Dim> dims;
  for (std::size_t k = 0; k < s.shape.size(); ++k) {
    const uint64_t* table = s.offsets.empty() ? nullptr : s.offsets[k];
    Dim d{s.shape[k], s.byte_strides[k], s.logical_strides[k], table};
    if (d.n == 1) {
      *origin += table ? table[0] : 0;
      continue;
    }
    if (d.stride < 0 && !table) {
      *data += (d.n - 1) * d.stride;
      *origin += static_cast<uint64_t>(d.n - 1) * d.lstride;  // wraps: flipped axes count down
      d.stride = -d.stride;
      d.lstride = uint64_t{0} - d.lstride;
    }
    dims.push_back(d);
  }
  auto mag = [](int64_t st) { return st < 0 ? -st : st; };
  std::stable_sort(dims.begin(), dims.end(), [&](const Dim& a, const Dim& b) { return mag(a.stride) > mag(b.stride); });
  std::vector<Dim> out;
  for (auto it = dims.rbegin(); it != dims.rend(); ++it) {
    if (!out.empty()) {
      Dim& in = out.back();
      if (!it->table && !in.table && it->stride == in.stride * in.n &&
          it->lstride == in.lstride * static_cast<uint64_t>(in.n)) {
        in.n *= it->n;
        continue;
      }
    }
    out.push_back(*it);
  }
  std::reverse(out.begin(), out.end());
  if (out.empty()) out.push_back({1, static_cast<int64_t>(s.format.itemsize), 0, nullptr});
  return out;
}

// Sum of the terms of flat positions [lo, hi) of dims (row-major over dims).
uint64_t sum_range(const std::vector<Dim>& dims, const char* data, uint64_t origin, uint64_t key,
                   const RunKernels& rk, std::size_t slot, uint64_t lo, uint64_t hi) {
  const std::size_t nd = dims.size();
  std::vector<int64_t> idx(nd, 0);
  uint64_t rem = lo;
  for (std::size_t k = nd; k-- > 0;) {
    idx[k] = static_cast<int64_t>(rem % static_cast<uint64_t>(dims[k].n));
    rem /= static_cast<uint64_t>(dims[k].n);
  }
  const Dim& last = dims.back();
  uint64_t acc = 0;
  for (uint64_t pos = lo; pos < hi;) {
    const char* p = data;
    uint64_t e = origin;
    for (std::size_t k = 0; k < nd; ++k) {
      p += idx[k] * dims[k].stride;
      if (k + 1 < nd) e += dims[k].table ? dims[k].table[idx[k]] : static_cast<uint64_t>(idx[k]) * dims[k].lstride;
    }
    const uint64_t start = static_cast<uint64_t>(idx[nd - 1]);
    const uint64_t count = std::min<uint64_t>(static_cast<uint64_t>(last.n) - start, hi - pos);
    if (last.table)
      acc += rk.table[slot](p, last.stride, count, key, e, last.table + start);
    else
      acc += rk.progression[slot](p, last.stride, count, key + (e + start * last.lstride) * kFingerprintGamma,
                                  last.lstride * kFingerprintGamma);
    pos += count;
    idx[nd - 1] += static_cast<int64_t>(count);
    for (std::size_t k = nd - 1; k > 0 && idx[k] == dims[k].n; --k) {
      idx[k] = 0;
      ++idx[k - 1];
    }
  }
  return acc;
}

constexpr uint64_t kLimit = uint64_t{1} << 63;

}  // namespace

const FingerprintFormat& fingerprint_format(const std::string& name) {
  for (const FingerprintFormat& f : kFormats)
    if (name == f.name) return f;
  std::string names;
  for (const FingerprintFormat& f : kFormats) names += (names.empty() ? "" : ", ") + std::string(f.name);
  throw std::invalid_argument("format must be one of " + names + "; got '" + name + "'");
}

void check_fingerprint_source(const FingerprintSource& s) {
  const std::size_t nd = s.shape.size();
  if (s.byte_strides.size() != nd || s.logical_strides.size() != nd || (!s.offsets.empty() && s.offsets.size() != nd))
    throw std::invalid_argument("fingerprint: shape, byte strides, logical strides and offsets must have one entry "
                                "per dimension (" + std::to_string(nd) + ")");
  bool empty = false;
  for (int64_t n : s.shape) {
    if (n < 0) throw std::invalid_argument("fingerprint: negative dimension");
    empty = empty || n == 0;
  }
  if (empty) return;  // no element: no index to check
  // Largest element index: origin + each axis's largest contribution, all below 2**63.
  uint64_t top = s.origin;
  for (std::size_t k = 0; k < nd; ++k) {
    const uint64_t n = static_cast<uint64_t>(s.shape[k]);
    uint64_t most = 0;
    if (!s.offsets.empty() && s.offsets[k]) {
      for (uint64_t i = 0; i < n; ++i) most = std::max(most, s.offsets[k][i]);
    } else if (n > 1) {
      if (s.logical_strides[k] >= kLimit / (n - 1) + 1) most = kLimit;
      else most = (n - 1) * s.logical_strides[k];
    }
    if (top >= kLimit || most >= kLimit - top)
      throw std::invalid_argument("fingerprint: an element index reaches 2**63 (origin, logical strides or offsets "
                                  "too large)");
    top += most;
  }
}

bool fingerprint(const FingerprintSource& s, const std::string& simd, int threads, const KeepGoing& keep_going,
                 uint64_t* digest) noexcept {
  *digest = 0;
  for (int64_t n : s.shape)
    if (n == 0) return true;
  const char* data = s.data;
  uint64_t origin = s.origin;
  const std::vector<Dim> dims = memory_order(s, &data, &origin);
  const RunKernels& rk = kernels_named(simd);
  const std::size_t slot = width_slot(s.format.itemsize);
  const uint64_t key = fingerprint_mix(s.format.code);
  uint64_t total = 1;
  for (const Dim& d : dims) total *= static_cast<uint64_t>(d.n);
  std::atomic<uint64_t> sum{0};  // wrap-around addition: exact and order-free
  const bool complete = detail::by_slabs(total, threads, keep_going, [&](uint64_t lo, uint64_t hi) {
    sum.fetch_add(sum_range(dims, data, origin, key, rk, slot, lo, hi), std::memory_order_relaxed);
  });
  *digest = sum.load();
  return complete;
}

}  // namespace fastinit
