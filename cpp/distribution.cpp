#include "distribution.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "normal_cdf.hpp"
#include "simd_scalar.hpp"

namespace fastinit {
namespace {

double max_finite(Format f) {
  switch (f) {
    case Format::Float64: return std::numeric_limits<double>::max();
    case Format::Float16: return 65504.0;
    case Format::BFloat16: return 0x1.fep127;
    default: return static_cast<double>(std::numeric_limits<float>::max());
  }
}

// Largest |z| the format's open uniform can produce: Phi^-1(2**-24) and Phi^-1(2**-53), rounded up.
double max_abs_z(Format f) { return f == Format::Float64 ? 8.3 : 5.4; }

std::string num(double x) {
  std::ostringstream s;
  s.precision(17);
  s << x;
  return s.str();
}

[[noreturn]] void fail(const std::string& msg) { throw std::invalid_argument(msg); }

void require_finite(const char* fn, const char* name, double x) {
  if (!std::isfinite(x)) fail(std::string(fn) + ": " + name + " must be finite, got " + num(x));
}

// Every value lies in [vmin, vmax]; refuse what the output format would turn into infinity.
void require_representable(const char* fn, double vmin, double vmax, Format fmt) {
  const double m = max_finite(fmt);
  if (vmin < -m || vmax > m) {
    fail(std::string(fn) + ": values up to " + num(std::fabs(vmin) > std::fabs(vmax) ? vmin : vmax) +
         " overflow " + format_name(fmt) + " (largest finite " + num(m) +
         "); use a wider dtype or smaller parameters");
  }
}

float to_f32(const char* fn, const char* name, double x) {
  const float f = static_cast<float>(x);
  if (std::isfinite(x) && !std::isfinite(f))
    fail(std::string(fn) + ": " + name + "=" + num(x) + " overflows float32");
  return f;
}

// float32 rounding of x that is >= x (up) or <= x (down), for bounds that must hold.
float round_inward(double x, bool up) {
  float f = static_cast<float>(x);
  if (up && static_cast<double>(f) < x) f = std::nextafter(f, std::numeric_limits<float>::infinity());
  if (!up && static_cast<double>(f) > x) f = std::nextafter(f, -std::numeric_limits<float>::infinity());
  return f;
}

// The value of float16 / bfloat16 bits (exact in float32).
float half_value(uint16_t bits, Format fmt) {
  if (fmt == Format::BFloat16) return bit_cast_<float>(static_cast<uint32_t>(bits) << 16);
  const float sign = (bits & 0x8000u) ? -1.0f : 1.0f;
  const int exp = (bits >> 10) & 0x1f;
  const int frac = bits & 0x3ff;
  if (exp == 31) return sign * std::numeric_limits<float>::infinity();  // the kernels never make NaN
  if (exp == 0) return sign * std::ldexp(static_cast<float>(frac), -24);
  return sign * std::ldexp(static_cast<float>(1024 + frac), exp - 25);
}

// The next float16 / bfloat16 bits toward +inf (up) or -inf (sign-magnitude encoding).
uint16_t half_step(uint16_t bits, bool up) {
  const bool negative = (bits & 0x8000u) != 0;
  if ((bits & 0x7fffu) == 0) return up ? uint16_t{0x0001} : uint16_t{0x8001};  // from +-0
  return static_cast<uint16_t>(up != negative ? bits + 1 : bits - 1);
}

// A bound rounded inward in the output format: the smallest value of the format >= x (up) or
// the largest <= x, as a float32 (exact, since float16 and bfloat16 values are float32 values).
float round_inward(double x, bool up, Format fmt) {
  const float f = round_inward(x, up);
  if ((fmt != Format::Float16 && fmt != Format::BFloat16) || !std::isfinite(f)) return f;
  uint16_t bits = fmt == Format::Float16 ? f32_to_f16_bits(f) : f32_to_bf16_bits(f);
  const float v = half_value(bits, fmt);
  if (up && v < f) bits = half_step(bits, true);
  if (!up && v > f) bits = half_step(bits, false);
  return half_value(bits, fmt);
}

}  // namespace

Distribution make_bits() { return Distribution{}; }

Distribution make_uniform(double low, double high, Format fmt) {
  const char* fn = "uniform";
  require_finite(fn, "low", low);
  require_finite(fn, "high", high);
  if (!(low <= high)) fail("uniform: low must be <= high, got low=" + num(low) + ", high=" + num(high));
  require_representable(fn, low, high, fmt);
  Distribution d;
  d.kind = Kind::Uniform;
  d.d.low = low;
  d.d.high = high;
  d.d.span = high - low;
  if (!std::isfinite(d.d.span)) fail("uniform: high - low = inf overflows float64; narrow the interval");
  if (fmt != Format::Float64) {
    d.f.low = to_f32(fn, "low", low);
    d.f.high = to_f32(fn, "high", high);
    d.f.span = d.f.high - d.f.low;
    if (!std::isfinite(d.f.span)) fail("uniform: high - low overflows float32; narrow the interval");
  }
  return d;
}

Distribution make_normal(double mean, double std, Format fmt) {
  const char* fn = "normal";
  require_finite(fn, "mean", mean);
  require_finite(fn, "std", std);
  if (std < 0) fail("normal: std must be >= 0, got " + num(std));
  const double reach = std * max_abs_z(fmt);
  require_representable(fn, mean - reach, mean + reach, fmt);
  Distribution d;
  d.kind = Kind::Normal;
  d.d.mean = mean;
  d.d.std = std;
  if (fmt != Format::Float64) {
    d.f.mean = to_f32(fn, "mean", mean);
    d.f.std = to_f32(fn, "std", std);
  }
  return d;
}

Distribution make_truncated_normal(double mean, double std, double a, double b, Format fmt) {
  const char* fn = "truncated_normal";
  require_finite(fn, "mean", mean);
  require_finite(fn, "std", std);
  if (std < 0) fail("truncated_normal: std must be >= 0, got " + num(std));
  if (std::isnan(a) || std::isnan(b)) fail("truncated_normal: a and b must not be NaN");
  if (!(a < b)) fail("truncated_normal: need a < b (in standard deviations), got a=" + num(a) + ", b=" + num(b));

  const double pa = std_normal_cdf(a);   // P(Z <= a)
  const double qb = std_normal_cdf(-b);  // P(Z >= b)
  double w;                              // P(a <= Z <= b), without cancellation
  if (b <= 0) w = std_normal_cdf(b) - pa;
  else if (a >= 0) w = std_normal_cdf(-a) - qb;
  else w = (0.5 - pa) + (0.5 - qb);
  // p = pa + u*w with u >= 2**-53 stays a normal double (docs/stream-v1.md §9.3: no subnormal inputs to log).
  if (!(w > 0x1p-960)) {
    fail("truncated_normal: the interval [a, b] = [" + num(a) + ", " + num(b) +
         "] has probability " + num(w) + " under the standard normal, too small to sample "
         "(needs > 1e-289); move the interval toward the mean");
  }

  Distribution d;
  d.kind = Kind::TruncatedNormal;
  d.d.mean = mean;
  d.d.std = std;
  d.d.pa = pa;
  d.d.qb = qb;
  d.d.w = w;
  d.d.lo = std == 0 ? mean : mean + a * std;
  d.d.hi = std == 0 ? mean : mean + b * std;
  // |z| < 40 whenever the interval's probability exceeds 2**-960.
  const double vmin = std::fmax(d.d.lo, mean - std * 40.0);
  const double vmax = std::fmin(d.d.hi, mean + std * 40.0);
  require_representable(fn, vmin, vmax, fmt);

  if (fmt != Format::Float64) {
    d.f.mean = to_f32(fn, "mean", mean);
    d.f.std = to_f32(fn, "std", std);
    d.f.pa = static_cast<float>(pa);
    d.f.qb = static_cast<float>(qb);
    d.f.w = static_cast<float>(w);
    // Rounded inward in the output format, so that rounding a clamped float32 to float16 or
    // bfloat16 cannot leave the interval (docs/stream-v1.md §9.2); refused when no value of the
    // format lies in it.
    // With std == 0 the interval is the point mean (docs/stream-v1.md §9.2: the clamp yields HI,
    // the float32 below mean, then rounded to the output format).
    const Format bound_fmt = std > 0 ? fmt : Format::Float32;
    d.f.lo = round_inward(d.d.lo, true, bound_fmt);
    d.f.hi = round_inward(d.d.hi, false, bound_fmt);
    if (std > 0 && d.f.lo > d.f.hi) {
      fail("truncated_normal: no " + std::string(format_name(fmt)) + " value lies in [mean + a*std, mean + b*std] = [" +
           num(d.d.lo) + ", " + num(d.d.hi) + "] (mean=" + num(mean) + ", std=" + num(std) + ", a=" + num(a) +
           ", b=" + num(b) + "); widen the interval (larger std or a farther from b) or use a wider dtype");
    }
    // float32 arithmetic needs p, q >= 2**-124 (normal floats): pa and qb either 0 or well
    // inside float32's range, and w large enough that u*w with u >= 2**-24 stays normal.
    constexpr double tiny = 0x1p-100;
    const bool ok = w >= tiny && (pa == 0 || pa >= tiny) && (qb == 0 || qb >= tiny);
    d.f32_via_f64 = !ok;
  }
  return d;
}

}  // namespace fastinit
