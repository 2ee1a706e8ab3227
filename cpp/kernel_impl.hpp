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

struct ScalarPhilox {
  static constexpr int kBlocks = 1;
  static void blocks(const StreamKey& key, uint64_t b, uint32_t* out) { philox_block(key, b, out); }
};

template <class P>
void stream_words(const StreamKey& key, uint64_t j0, std::size_t n, uint32_t* out) {
  uint64_t b = j0 >> 2;
  const unsigned skip = static_cast<unsigned>(j0 & 3u);
  uint32_t block[4];
  if (skip != 0 && n != 0) {
    philox_block(key, b++, block);
    const std::size_t m = n < 4u - skip ? n : 4u - skip;
    std::memcpy(out, block + skip, m * sizeof(uint32_t));
    out += m;
    n -= m;
  }
  for (; n >= 4u * P::kBlocks; n -= 4u * P::kBlocks, out += 4u * P::kBlocks, b += P::kBlocks)
    P::blocks(key, b, out);
  for (; n >= 4u; n -= 4u, out += 4u, ++b) philox_block(key, b, out);
  if (n != 0) {
    philox_block(key, b, block);
    std::memcpy(out, block, n * sizeof(uint32_t));
  }
}

// Values of one kind into one output format. The last n % N elements go through the one-lane
// type, which performs the same operations (simd_scalar.hpp) and so gives the same bits.
template <class A, class S, Kind K, Format Fmt, class T>
void transform_loop(const SamplerParams<T>& P, const uint32_t* w, std::size_t n, void* dst) {
  constexpr unsigned wpe = A::kF64 ? 2u : 1u;
  std::size_t i = 0;
  auto put = [dst](auto arch, std::size_t at, auto v) {
    using Arch = decltype(arch);
    if constexpr (Fmt == Format::Float32) Arch::store(static_cast<float*>(dst) + at, v);
    else if constexpr (Fmt == Format::Float64) Arch::store(static_cast<double*>(dst) + at, v);
    else if constexpr (Fmt == Format::Float16) Arch::store_f16(static_cast<uint16_t*>(dst) + at, v);
    else Arch::store_bf16(static_cast<uint16_t*>(dst) + at, v);
  };
  for (; i + A::N <= n; i += A::N) put(A{}, i, sample<A, K>(P, A::load_words(w + wpe * i)));
  for (; i < n; ++i) put(S{}, i, sample<S, K>(P, S::load_words(w + wpe * i)));
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
    case Format::Float32: return transform_loop<A32, ScalarF32, K, Format::Float32>(dist.f, w, n, dst);
    case Format::Float16: return transform_loop<A32, ScalarF32, K, Format::Float16>(dist.f, w, n, dst);
    case Format::BFloat16: return transform_loop<A32, ScalarF32, K, Format::BFloat16>(dist.f, w, n, dst);
    case Format::Float64: return transform_loop<A64, ScalarF64, K, Format::Float64>(dist.d, w, n, dst);
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

template <class A32, class A64, class P>
KernelTable make_kernel_table(const char* name) {
  return KernelTable{name, &stream_words<P>, &transform<A32, A64>};
}

}  // namespace
}  // namespace fastinit
