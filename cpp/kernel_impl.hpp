// Builds a KernelTable from a vector type family. Included once per instruction-set
// translation unit; everything here has internal linkage so the TUs never share code.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "kernels.hpp"
#include "philox.hpp"
#include "sampler_math.hpp"
#include "simd_scalar.hpp"

namespace fastinit {
namespace {

struct ScalarStream {
  static void copy(void* dst, const void* src, std::size_t bytes) { std::memcpy(dst, src, bytes); }
  static void fence() {}
};

// The one-lane Philox: the interface of PhiloxLanes (philox_simd.hpp) with kBlocks = 1.
struct ScalarPhilox {
  static constexpr int kBlocks = 1;
  static void blocks(const StreamKey& key, uint64_t b, uint32_t* out) { philox_block(key, b, out); }
  static void blocks_at(const StreamKey& key, const uint64_t* b, uint32_t* out) { philox_block(key, *b, out); }
};

// Words j0 .. j0 + n - 1. Whole vector batches go straight to out; a range that starts inside a
// block, or a short remainder, is cut from a batch computed into a scratch buffer (one batch
// costs about as much as a few scalar blocks), so short and unaligned ranges, e.g. the rows of
// the tiled walk in fill.cpp, stay vectorized. The last one or two blocks are computed alone.
template <class P>
void stream_words(const StreamKey& key, uint64_t j0, std::size_t n, uint32_t* out) {
  constexpr std::size_t kWords = 4u * P::kBlocks;
  uint64_t b = j0 >> 2;
  std::size_t skip = static_cast<std::size_t>(j0 & 3u);
  alignas(64) uint32_t scratch[kWords];
  while (n != 0) {
    if (skip == 0 && n >= kWords) {
      P::blocks(key, b, out);
      b += P::kBlocks;
      out += kWords;
      n -= kWords;
      continue;
    }
    const std::size_t blocks_left = (skip + n + 3) / 4;
    std::size_t got;
    if (blocks_left <= 2) {
      philox_block(key, b, scratch);
      got = 4;
      b += 1;
    } else {
      P::blocks(key, b, scratch);
      got = kWords;
      b += P::kBlocks;
    }
    const std::size_t m = n < got - skip ? n : got - skip;
    std::memcpy(out, scratch + skip, m * sizeof(uint32_t));
    out += m;
    n -= m;
    skip = 0;
  }
}

// Blocks b[0] .. b[n - 1] (any block numbers), 4 words each at out, in list order: kBlocks at a
// time across the vector lanes; a remainder of one or two blocks is computed alone, a longer one
// as a batch padded with block 0.
template <class P>
void block_words(const StreamKey& key, const uint64_t* b, std::size_t n, uint32_t* out) {
  constexpr std::size_t kBlocks = P::kBlocks;
  std::size_t i = 0;
  for (; i + kBlocks <= n; i += kBlocks) P::blocks_at(key, b + i, out + 4 * i);
  const std::size_t rest = n - i;
  if (rest == 0) return;
  if (rest <= 2) {
    for (; i < n; ++i) philox_block(key, b[i], out + 4 * i);
    return;
  }
  uint64_t padded[kBlocks] = {};
  alignas(64) uint32_t scratch[4 * kBlocks];
  std::memcpy(padded, b + i, rest * sizeof(uint64_t));
  P::blocks_at(key, padded, scratch);
  std::memcpy(out + 4 * i, scratch, 4 * rest * sizeof(uint32_t));
}

template <class Arch, Format Fmt, class F>
inline void put(void* dst, std::size_t at, F v) {
  if constexpr (Fmt == Format::Float32) Arch::store(static_cast<float*>(dst) + at, v);
  else if constexpr (Fmt == Format::Float64) Arch::store(static_cast<double*>(dst) + at, v);
  else if constexpr (Fmt == Format::Float16) Arch::store_f16(static_cast<uint16_t*>(dst) + at, v);
  else if constexpr (Fmt == Format::BFloat16) Arch::store_bf16(static_cast<uint16_t*>(dst) + at, v);
  else Arch::store_u(static_cast<uint32_t*>(dst) + at, v);  // UInt32: the words (columns)
}

// Values of one kind into one output format. The last n % N elements go through the one-lane
// type, which performs the same operations (simd_scalar.hpp) and so gives the same bits.
template <class A, class S, Kind K, Format Fmt, class T>
void transform_loop(const SamplerParams<T>& P, const uint32_t* w, std::size_t n, void* dst) {
  constexpr unsigned wpe = A::kF64 ? 2u : 1u;
  std::size_t i = 0;
  for (; i + A::N <= n; i += A::N) put<A, Fmt>(dst, i, sample<A, K>(P, A::load_words(w + wpe * i)));
  for (; i < n; ++i) put<S, Fmt>(dst, i, sample<S, K>(P, S::load_words(w + wpe * i)));
}

// Normal and truncated normal: every element gets the central formula in full vectors; the
// elements outside it (15% of a normal's) are gathered (tail input, sign, position) with compressing
// stores and then computed densely by the tail formula, instead of computing the tail for every
// lane. Each element goes through exactly the operations of ndtri_pq, so the bits are the same
// as one lane at a time.
template <class A, class S, Kind K, Format Fmt, class T>
void transform_inverse_cdf(const SamplerParams<T>& P, const uint32_t* w, std::size_t n, void* dst) {
  constexpr unsigned wpe = A::kF64 ? 2u : 1u;
  constexpr std::size_t kChunk = 1024;
  constexpr std::size_t is = Fmt == Format::Float64 ? 8 : Fmt == Format::Float32 ? 4 : 2;
  alignas(64) T tail_t[kChunk + A::N];
  alignas(64) T tail_sign[kChunk + A::N];
  alignas(64) T tail_at[kChunk + A::N];  // positions, exact in T (< 2**24)
  alignas(64) unsigned char values[A::N * is];
  unsigned char* out = static_cast<unsigned char*>(dst);
  for (std::size_t base = 0; base < n; base += kChunk) {
    const std::size_t m = n - base < kChunk ? n - base : kChunk;
    std::size_t nt = 0;
    std::size_t i = 0;
    for (; i + A::N <= m; i += A::N) {
      typename A::F p, q;
      inverse_cdf_input<A, K>(P, A::load_words(w + wpe * (base + i)), p, q);
      const NdtriCentral<A> c = ndtri_central<A>(p, q);
      put<A, Fmt>(out, base + i, scale_z<A, K>(P, A::div(c.num, c.den)));
      const auto tail = A::mnot(c.central);
      A::compress(tail, c.t, tail_t + nt);
      A::compress(tail, c.sign, tail_sign + nt);
      nt += A::compress(tail, A::add(A::iota(), A::set1(static_cast<T>(i))), tail_at + nt);
    }
    for (; i < m; ++i) put<S, Fmt>(out, base + i, sample<S, K>(P, S::load_words(w + wpe * (base + i))));
    for (std::size_t j = nt; j < nt + A::N; ++j) {  // pad the last vector with a harmless input
      tail_t[j] = T(0.25);
      tail_sign[j] = T(1);
    }
    for (std::size_t j = 0; j < nt; j += A::N) {
      put<A, Fmt>(values, 0, scale_z<A, K>(P, ndtri_tail<A>(A::load(tail_t + j), A::load(tail_sign + j))));
      const std::size_t lanes = nt - j < A::N ? nt - j : A::N;
      for (std::size_t l = 0; l < lanes; ++l)
        std::memcpy(out + (base + static_cast<std::size_t>(tail_at[j + l])) * is, values + l * is, is);
    }
  }
}

template <class A, class S, Kind K, Format Fmt, class T>
void transform_values(const SamplerParams<T>& P, const uint32_t* w, std::size_t n, void* dst) {
  if constexpr (K == Kind::Uniform || A::N == 1) transform_loop<A, S, K, Fmt>(P, w, n, dst);
  else transform_inverse_cdf<A, S, K, Fmt>(P, w, n, dst);
}

// A truncated normal whose tail probabilities underflow float32: float32's uniform, double
// arithmetic, rounded to the output format. Always the one-lane path: rare, and identical
// everywhere by construction.
template <Format Fmt>
void truncated_normal_f32_via_f64(const Distribution& dist, const uint32_t* w, std::size_t n, void* dst) {
  const SamplerParams<double>& P = dist.d;
  for (std::size_t i = 0; i < n; ++i) {
    const double u = static_cast<double>(open01_f32<ScalarF32>(w[i]));
    const double p = ScalarF64::fma(u, P.w, P.pa);
    const double q = ScalarF64::fma(1.0 - u, P.w, P.qb);
    const double z = ndtri_pq<ScalarF64>(p, q);
    double v = P.mean + P.std * z;
    v = ScalarF64::min(ScalarF64::max(v, P.lo), P.hi);
    const float f = ScalarF32::min(ScalarF32::max(static_cast<float>(v), dist.f.lo), dist.f.hi);
    if constexpr (Fmt == Format::Float32) static_cast<float*>(dst)[i] = f;
    else if constexpr (Fmt == Format::Float16) static_cast<uint16_t*>(dst)[i] = f32_to_f16_bits(f);
    else static_cast<uint16_t*>(dst)[i] = f32_to_bf16_bits(f);
  }
}

template <class A32, class A64, Kind K>
void transform_kind(const Distribution& dist, Format fmt, const uint32_t* w, std::size_t n, void* dst) {
  if constexpr (K == Kind::TruncatedNormal) {
    if (dist.f32_via_f64 && fmt != Format::Float64) {
      switch (fmt) {
        case Format::Float32: return truncated_normal_f32_via_f64<Format::Float32>(dist, w, n, dst);
        case Format::Float16: return truncated_normal_f32_via_f64<Format::Float16>(dist, w, n, dst);
        default: return truncated_normal_f32_via_f64<Format::BFloat16>(dist, w, n, dst);
      }
    }
  }
  switch (fmt) {
    case Format::Float32: return transform_values<A32, ScalarF32, K, Format::Float32>(dist.f, w, n, dst);
    case Format::Float16: return transform_values<A32, ScalarF32, K, Format::Float16>(dist.f, w, n, dst);
    case Format::BFloat16: return transform_values<A32, ScalarF32, K, Format::BFloat16>(dist.f, w, n, dst);
    case Format::Float64: return transform_values<A64, ScalarF64, K, Format::Float64>(dist.d, w, n, dst);
    default: return;  // UInt32 is Kind::Bits, which never reaches a transform
  }
}

template <class A32, class A64>
void transform(const Distribution& dist, Format fmt, const uint32_t* w, std::size_t n, void* dst) {
  switch (dist.kind) {
    case Kind::Uniform: return transform_kind<A32, A64, Kind::Uniform>(dist, fmt, w, n, dst);
    case Kind::Normal: return transform_kind<A32, A64, Kind::Normal>(dist, fmt, w, n, dst);
    case Kind::TruncatedNormal: return transform_kind<A32, A64, Kind::TruncatedNormal>(dist, fmt, w, n, dst);
    default: return;
  }
}

template <class Arch, Format Fmt, bool Stream, class F>
inline void put_column(void* dst, std::size_t at, F v) {
  if constexpr (!Stream) put<Arch, Fmt>(dst, at, v);
  else if constexpr (Fmt == Format::Float32) Arch::stream(static_cast<float*>(dst) + at, v);
  else if constexpr (Fmt == Format::Float16) Arch::stream_f16(static_cast<uint16_t*>(dst) + at, v);
  else if constexpr (Fmt == Format::BFloat16) Arch::stream_bf16(static_cast<uint16_t*>(dst) + at, v);
  else Arch::stream_u(static_cast<uint32_t*>(dst) + at, v);
}

// What columns writes for an element with word(s) u: its uniform value, or (UInt32, random bits)
// the word itself.
template <class A, Format Fmt>
inline auto column_value(const SamplerParams<float>& P, typename A::U u) {
  if constexpr (Fmt == Format::UInt32) return u;
  else return sample<A, Kind::Uniform>(P, u);
}

// Uniform values or random bits of `rows` x `cols` elements from their words (row-major, `pitch`
// apart), written transposed: column j's `rows` values go to dst + j * col_stride, one after
// another. Square blocks of words are transposed in registers and then go through exactly the
// operations of transform (sample is element-wise), so the bits are the same; the edges go one
// element at a time. G blocks down a column make 64 bytes, stored one after another: whole cache
// lines, which Stream writes with non-temporal stores (dst and col_stride then multiples of 64).
template <class A, class S, Format Fmt, bool Stream>
void columns_fmt(const SamplerParams<float>& P, const uint32_t* w, std::size_t pitch, std::size_t rows,
                 std::size_t cols, unsigned char* dst, int64_t col_stride) {
  constexpr std::size_t N = A::N;
  constexpr std::size_t is = Fmt == Format::Float16 || Fmt == Format::BFloat16 ? 2 : 4;
  constexpr std::size_t G = N * is >= 64 ? 1 : 64 / (N * is);
  const std::size_t r0 = rows - rows % (G * N), c0 = cols - cols % N;
  for (std::size_t j = 0; j < c0; j += N) {
    unsigned char* col = dst + static_cast<int64_t>(j) * col_stride;
    for (std::size_t i = 0; i < r0; i += G * N) {
      typename A::U r[G][N];
      for (std::size_t g = 0; g < G; ++g) {
        for (std::size_t k = 0; k < N; ++k) r[g][k] = A::load_words(w + (i + g * N + k) * pitch + j);
        if constexpr (N > 1) A::transpose(r[g]);
      }
      for (std::size_t k = 0; k < N; ++k)
        for (std::size_t g = 0; g < G; ++g)
          put_column<A, Fmt, Stream>(col + static_cast<int64_t>(k) * col_stride, i + g * N, column_value<A, Fmt>(P, r[g][k]));
    }
  }
  for (std::size_t j = 0; j < cols; ++j) {
    unsigned char* col = dst + static_cast<int64_t>(j) * col_stride;
    for (std::size_t i = j < c0 ? r0 : 0; i < rows; ++i)
      put<S, Fmt>(col, i, column_value<S, Fmt>(P, S::load_words(w + i * pitch + j)));
  }
}

// The 32-bit words columns stores for an element (float32 or uint32) with word u.
template <class A, Format Fmt>
inline typename A::U column_word(const SamplerParams<float>& P, typename A::U u) {
  if constexpr (Fmt == Format::UInt32) return u;
  else return A::bits(sample<A, Kind::Uniform>(P, u));
}

// Lanes lo .. hi - 1 of v to p + lo .. p + hi - 1, plain stores.
template <class A>
inline void store_lanes(uint32_t* p, typename A::U v, unsigned lo, unsigned hi) {
  alignas(64) uint32_t lanes[A::N];
  A::store_u(lanes, v);
  std::memcpy(p + lo, lanes + lo, (hi - lo) * sizeof(uint32_t));
}

// columns_fmt for float32 or uint32 with a carry (kernels.hpp, ColumnStores): column c's vector
// of rows i .. i + N - 1 goes, joined with the last o_c words of the vector before it, to the
// vector-aligned address o_c words before row i (o_c: its column's start mod N words). The same
// words as columns_fmt, at the same places.
template <class A, class S, Format Fmt>
void columns_carried(const SamplerParams<float>& P, const uint32_t* w, std::size_t pitch, std::size_t rows,
                     std::size_t cols, unsigned char* dst, int64_t col_stride, const ColumnStores& how) {
  constexpr std::size_t N = A::N;
  constexpr std::size_t G = N * 4 >= 64 ? 1 : 64 / (N * 4);
  const std::size_t r0 = rows - rows % (G * N), c0 = cols - cols % N;
  for (std::size_t j = 0; j < c0; j += N) {
    unsigned char* col = dst + static_cast<int64_t>(j) * col_stride;
    for (std::size_t i = 0; i < r0; i += G * N) {
      typename A::U r[G][N];
      for (std::size_t g = 0; g < G; ++g) {
        for (std::size_t k = 0; k < N; ++k) r[g][k] = A::load_words(w + (i + g * N + k) * pitch + j);
        A::transpose(r[g]);
      }
      for (std::size_t k = 0; k < N; ++k) {
        auto* c = reinterpret_cast<uint32_t*>(col + static_cast<int64_t>(k) * col_stride);
        const auto o = static_cast<unsigned>(reinterpret_cast<uintptr_t>(c) / 4 % N);
        uint32_t* at = c - o + i;  // vector-aligned
        uint32_t* carry = how.carry + (j + k) * 16;
        typename A::U prev = A::load_words(carry);
        for (std::size_t g = 0; g < G; ++g, at += N) {
          const typename A::U v = column_word<A, Fmt>(P, r[g][k]);
          const typename A::U joined = A::shift_in(prev, v, o);
          if (how.first && i == 0 && g == 0 && o != 0) store_lanes<A>(at, joined, o, N);  // rows from 0
          else A::stream_u(at, joined);
          prev = v;
        }
        A::store_u(carry, prev);
      }
    }
  }
  if (how.last && (r0 != 0 || !how.first)) {  // the rows before r0 that the carry still holds
    for (std::size_t j = 0; j < c0; ++j) {
      auto* c = reinterpret_cast<uint32_t*>(dst + static_cast<int64_t>(j) * col_stride);
      const auto o = static_cast<unsigned>(reinterpret_cast<uintptr_t>(c) / 4 % N);
      const typename A::U prev = A::load_words(how.carry + j * 16);
      if (o != 0) store_lanes<A>(c - o + r0, A::shift_in(prev, prev, o), 0, o);
    }
  }
  for (std::size_t j = 0; j < cols; ++j) {
    unsigned char* col = dst + static_cast<int64_t>(j) * col_stride;
    for (std::size_t i = j < c0 ? r0 : 0; i < rows; ++i)
      put<S, Fmt>(col, i, column_value<S, Fmt>(P, S::load_words(w + i * pitch + j)));
  }
}

template <class A, Format Fmt>
void columns_as(const SamplerParams<float>& P, const uint32_t* w, std::size_t pitch, std::size_t rows, std::size_t cols,
                unsigned char* dst, int64_t col_stride, const ColumnStores& how) {
  if constexpr (A::N > 1) {
    if constexpr (Fmt == Format::Float32 || Fmt == Format::UInt32) {
      if (how.stream && how.carry != nullptr)
        return columns_carried<A, ScalarF32, Fmt>(P, w, pitch, rows, cols, dst, col_stride, how);
    }
    if (how.stream && how.carry == nullptr)
      return columns_fmt<A, ScalarF32, Fmt, true>(P, w, pitch, rows, cols, dst, col_stride);
  }
  columns_fmt<A, ScalarF32, Fmt, false>(P, w, pitch, rows, cols, dst, col_stride);
}

template <class A32>
void columns(const Distribution& dist, Format fmt, const uint32_t* w, std::size_t pitch, std::size_t rows,
             std::size_t cols, void* dst, int64_t col_stride, const ColumnStores& how) {
  auto* d = static_cast<unsigned char*>(dst);
  if (dist.kind == Kind::Bits) return columns_as<A32, Format::UInt32>(dist.f, w, pitch, rows, cols, d, col_stride, how);
  switch (fmt) {
    case Format::Float32: return columns_as<A32, Format::Float32>(dist.f, w, pitch, rows, cols, d, col_stride, how);
    case Format::Float16: return columns_as<A32, Format::Float16>(dist.f, w, pitch, rows, cols, d, col_stride, how);
    case Format::BFloat16: return columns_as<A32, Format::BFloat16>(dist.f, w, pitch, rows, cols, d, col_stride, how);
    default: return;  // float64 never comes here (fill_tiles_direct.cpp)
  }
}

template <class A32, class A64, class P, class St>
KernelTable make_kernel_table(const char* name) {
  return KernelTable{name, &stream_words<P>, &block_words<P>, &transform<A32, A64>, &columns<A32>, &St::copy, &St::fence};
}

}  // namespace
}  // namespace fastinit
