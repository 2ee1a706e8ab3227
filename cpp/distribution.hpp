// What a fill writes: element format, distribution and its parameters, prepared once per call.
#pragma once
#include <cstdint>
#include <cstddef>
#include <string>

namespace fastinit {

enum class Format : int { Float32 = 0, Float64 = 1, Float16 = 2, BFloat16 = 3, UInt32 = 4 };

inline std::size_t itemsize(Format f) {
  switch (f) {
    case Format::Float64: return 8;
    case Format::Float16:
    case Format::BFloat16: return 2;
    default: return 4;
  }
}

// Stream words one element of this format consumes (docs/stream-v1.md §3: float64 uses words 2e and 2e+1).
inline unsigned words_per_element(Format f) { return f == Format::Float64 ? 2u : 1u; }

// "float32", "float64", "float16", "bfloat16" or "uint32" (the names the bindings parse).
inline const char* format_name(Format f) {
  switch (f) {
    case Format::Float32: return "float32";
    case Format::Float64: return "float64";
    case Format::Float16: return "float16";
    case Format::BFloat16: return "bfloat16";
    default: return "uint32";
  }
}

enum class Kind : int { Bits, Uniform, Normal, TruncatedNormal };

// Parameters in the precision the kernels compute in. float32, float16 and bfloat16 outputs are
// computed in float32 arithmetic (`f` fields); float64 in double (`d` fields). A truncated normal
// whose tail probabilities are too small for float32 is computed in double and rounded
// (`f32_via_f64`).
template <class T>
struct SamplerParams {
  // uniform: value = min(low + span * u, high)
  T low = 0, span = 1, high = 1;
  // normal / truncated normal: value = mean + std * z
  T mean = 0, std = 1;
  // truncated normal: p = pa + u * w, q = qb + (1 - u) * w, z = Phi^-1(p) = -Phi^-1(q);
  // the result is clamped to [lo, hi] = [mean + a*std, mean + b*std], rounded inward.
  T pa = 0, qb = 0, w = 1, lo = 0, hi = 0;
};

struct Distribution {
  Kind kind = Kind::Bits;
  SamplerParams<float> f;
  SamplerParams<double> d;
  bool f32_via_f64 = false;
};

// Builders validate their arguments and throw std::invalid_argument with a message naming the
// parameter; they never run inside a parallel region.
Distribution make_uniform(double low, double high, Format fmt);
Distribution make_normal(double mean, double std, Format fmt);
Distribution make_truncated_normal(double mean, double std, double a, double b, Format fmt);
Distribution make_bits();

}  // namespace fastinit
