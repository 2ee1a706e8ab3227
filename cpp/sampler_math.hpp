// The samplers, written once over a vector type A (simd_*.hpp), so that every instruction set
// executes the same IEEE operations in the same order and gives the same bits (docs/stream-v1.md).
// log is our own (FreeBSD msun e_logf.c / e_log.c, as in musl); the inverse normal CDF is
// Wichura's AS 241 (PPND16 for float64, PPND7 for float32), evaluated with explicit fused
// multiply-adds. Bit identity across paths relies on fma and sqrt being correctly rounded: the
// SIMD paths use vfmadd and vsqrt; the scalar path uses sqrtss/sqrtsd and, built for baseline
// x86-64, calls libm's fma and fmaf (glibc's are correctly rounded).
#pragma once
#include <cstdint>
#include <type_traits>

#include "distribution.hpp"

namespace fastinit {
namespace {

// ---- stream words -> uniforms (docs/stream-v1.md §4, "u01" in [0, 1) and "uopen" in (0, 1)) ----

// float32 [0, 1): (w >> 8) * 2**-24
template <class A>
inline typename A::F uniform01_f32(typename A::U w) {
  return A::mul(A::cvt_i32(A::template srl<8>(w)), A::set1(0x1p-24f));
}

// float32 (0, 1): (2 * (w >> 9) + 1) * 2**-24
template <class A>
inline typename A::F open01_f32(typename A::U w) {
  const auto odd = A::oru(A::template sll<1>(A::template srl<9>(w)), A::set1u(1u));
  return A::mul(A::cvt_i32(odd), A::set1(0x1p-24f));
}

// k * 2**-52 for k = x >> 12, exactly: 1 + k * 2**-52 is the double with mantissa k.
template <class A>
inline typename A::F mantissa_fraction_f64(typename A::U x) {
  const auto one_k = A::oru(A::template srl<12>(x), A::set1u(0x3FF0000000000000ull));
  return A::sub(A::from_bits(one_k), A::set1(1.0));
}

// float64 [0, 1): (x >> 11) * 2**-53 = (x >> 12) * 2**-52 + bit 11 of x * 2**-53 (exact sum)
template <class A>
inline typename A::F uniform01_f64(typename A::U x) {
  const auto bit = A::andu(A::template srl<11>(x), A::set1u(1u));
  const auto half_ulp = A::andu(A::subu(A::set1u(0u), bit), A::set1u(0x3CA0000000000000ull));
  return A::add(mantissa_fraction_f64<A>(x), A::from_bits(half_ulp));
}

// float64 (0, 1): (2 * (x >> 12) + 1) * 2**-53 (exact sum)
template <class A>
inline typename A::F open01_f64(typename A::U x) {
  return A::add(mantissa_fraction_f64<A>(x), A::set1(0x1p-53));
}

// ---- natural logarithm of a positive normal number ----

template <class A>
inline typename A::F log_f32(typename A::F x) {
  using F = typename A::F;
  auto ix = A::addu(A::bits(x), A::set1u(0x3f800000u - 0x3f3504f3u));
  const F dk = A::cvt_i32(A::subu(A::template srl<23>(ix), A::set1u(0x7fu)));
  ix = A::addu(A::andu(ix, A::set1u(0x007fffffu)), A::set1u(0x3f3504f3u));  // [sqrt(2)/2, sqrt(2))
  const F f = A::sub(A::from_bits(ix), A::set1(1.0f));
  const F s = A::div(f, A::add(A::set1(2.0f), f));
  const F z = A::mul(s, s);
  const F w = A::mul(z, z);
  const F t1 = A::mul(w, A::add(A::set1(0x1.999c26p-2f), A::mul(w, A::set1(0x1.f13c4cp-3f))));
  const F t2 = A::mul(z, A::add(A::set1(0x1.555554p-1f), A::mul(w, A::set1(0x1.23d3dcp-2f))));
  const F r = A::add(t2, t1);
  const F hfsq = A::mul(A::mul(A::set1(0.5f), f), f);
  F y = A::add(A::mul(s, A::add(hfsq, r)), A::mul(dk, A::set1(9.0580006145e-06f)));  // ln2_lo
  y = A::add(A::sub(y, hfsq), f);
  return A::add(y, A::mul(dk, A::set1(6.9313812256e-01f)));  // ln2_hi
}

template <class A>
inline typename A::F log_f64(typename A::F x) {
  using F = typename A::F;
  auto ix = A::addu(A::bits(x), A::set1u((0x3ff00000ull - 0x3fe6a09eull) << 32));
  // k = (ix >> 52) - 1023 as a double: 2**52 + n has mantissa n.
  const F dk = A::sub(A::from_bits(A::oru(A::template srl<52>(ix), A::set1u(0x4330000000000000ull))),
                      A::set1(4503599627370496.0 + 1023.0));
  ix = A::addu(A::andu(ix, A::set1u(0x000fffffffffffffull)), A::set1u(0x3fe6a09eull << 32));
  const F f = A::sub(A::from_bits(ix), A::set1(1.0));
  const F hfsq = A::mul(A::mul(A::set1(0.5), f), f);
  const F s = A::div(f, A::add(A::set1(2.0), f));
  const F z = A::mul(s, s);
  const F w = A::mul(z, z);
  const F t1 = A::mul(w, A::add(A::set1(3.999999999940941908e-01),
                                A::mul(w, A::add(A::set1(2.222219843214978396e-01),
                                                 A::mul(w, A::set1(1.531383769920937332e-01))))));
  const F t2 = A::mul(z, A::add(A::set1(6.666666666666735130e-01),
                                A::mul(w, A::add(A::set1(2.857142874366239149e-01),
                                                 A::mul(w, A::add(A::set1(1.818357216161805012e-01),
                                                                  A::mul(w, A::set1(1.479819860511658591e-01))))))));
  const F r = A::add(t2, t1);
  F y = A::add(A::mul(s, A::add(hfsq, r)), A::mul(dk, A::set1(1.90821492927058770002e-10)));  // ln2_lo
  y = A::add(A::sub(y, hfsq), f);
  return A::add(y, A::mul(dk, A::set1(6.93147180369123816490e-01)));  // ln2_hi
}

template <class A>
inline typename A::F log_(typename A::F x) {
  if constexpr (A::kF64) return log_f64<A>(x);
  else return log_f32<A>(x);
}

// ---- inverse normal CDF: Wichura, Algorithm AS 241 (Applied Statistics 37, 1988) ----
// PPND16 (about 16 digits) for float64; PPND7 (about 7 digits) for float32, whose error with
// float32 arithmetic stays below 0.4e-6 * max(1, |z|) (3.7e-7 over every float32 level;
// tests/test_accuracy.py checks every level against 1e-6 * max(1, |z|)).
// Coefficients lowest degree first; the denominators' constant terms are 1.

struct Ppnd16 {
  static constexpr int kCentral = 7, kTailNum = 7, kTailDen = 7;
  static constexpr double a[8] = {3.3871328727963666080e0, 1.3314166789178437745e+2,
                                  1.9715909503065514427e+3, 1.3731693765509461125e+4,
                                  4.5921953931549871457e+4, 6.7265770927008700853e+4,
                                  3.3430575583588128105e+4, 2.5090809287301226727e+3};
  static constexpr double b[8] = {1.0, 4.2313330701600911252e+1, 6.8718700749205790830e+2,
                                  5.3941960214247511077e+3, 2.1213794301586595867e+4,
                                  3.9307895800092710610e+4, 2.8729085735721942674e+4,
                                  5.2264952788528545610e+3};
  static constexpr double c[8] = {1.42343711074968357734e0, 4.63033784615654529590e0,
                                  5.76949722146069140550e0, 3.64784832476320460504e0,
                                  1.27045825245236838258e0, 2.41780725177450611770e-1,
                                  2.27238449892691845833e-2, 7.74545014278341407640e-4};
  static constexpr double d[8] = {1.0, 2.05319162663775882187e0, 1.67638483018380384940e0,
                                  6.89767334985100004550e-1, 1.48103976427480074590e-1,
                                  1.51986665636164571966e-2, 5.47593808499534494600e-4,
                                  1.05075007164441684324e-9};
  static constexpr double e[8] = {6.65790464350110377720e0, 5.46378491116411436990e0,
                                  1.78482653991729133580e0, 2.96560571828504891230e-1,
                                  2.65321895265761230930e-2, 1.24266094738807843860e-3,
                                  2.71155556874348757815e-5, 2.01033439929228813265e-7};
  static constexpr double f[8] = {1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1,
                                  1.48753612908506148525e-2, 7.86869131145613259100e-4,
                                  1.84631831751005468180e-5, 1.42151175831644588870e-7,
                                  2.04426310338993978564e-15};
};

struct Ppnd7 {
  static constexpr int kCentral = 3, kTailNum = 3, kTailDen = 2;
  static constexpr double a[4] = {3.3871327179e+00, 5.0434271938e+01, 1.5929113202e+02, 5.9109374720e+01};
  static constexpr double b[4] = {1.0, 1.7895169469e+01, 7.8757757664e+01, 6.7187563600e+01};
  static constexpr double c[4] = {1.4234372777e+00, 2.7568153900e+00, 1.3067284816e+00, 1.7023821103e-01};
  static constexpr double d[3] = {1.0, 7.3700164250e-01, 1.2021132975e-01};
  static constexpr double e[4] = {6.6579051150e+00, 3.0812263860e+00, 4.2868294337e-01, 1.7337203997e-02};
  static constexpr double f[3] = {1.0, 2.4197894225e-01, 1.2258202635e-02};
};

template <class A>
using Ppnd = std::conditional_t<A::kF64, Ppnd16, Ppnd7>;

template <class A>
inline typename A::F constant_(double c) {
  if constexpr (A::kF64) return A::set1(c);
  else return A::set1(static_cast<float>(c));
}

// c[deg] x**deg + ... + c[0], one fused multiply-add a step.
template <class A, int deg>
inline typename A::F horner(const double* c, typename A::F x) {
  auto acc = constant_<A>(c[deg]);
  for (int i = deg - 1; i >= 0; --i) acc = A::fma(acc, x, constant_<A>(c[i]));
  return acc;
}

// Per lane: coefficients `hi` where m, else `lo`.
template <class A, int deg>
inline typename A::F horner_select(typename A::M m, const double* hi, const double* lo, typename A::F x) {
  auto acc = A::select(m, constant_<A>(hi[deg]), constant_<A>(lo[deg]));
  for (int i = deg - 1; i >= 0; --i)
    acc = A::fma(acc, x, A::select(m, constant_<A>(hi[i]), constant_<A>(lo[i])));
  return acc;
}

// Phi^-1 in two parts. The central part (|p - 1/2| <= 0.425) is a rational function of p; the
// tail part needs log and sqrt and is about three times dearer, so the fill loops run it only on
// the lanes that need it (kernel_impl.hpp). Both parts take p and q = 1 - p, each computed to
// full relative precision: the smaller of the two drives the tail, so results near either end
// keep their precision.
template <class A>
struct NdtriCentral {
  typename A::F num, den;  // z = num / den where central
  typename A::F t, sign;   // tail input min(p, q), and -1 where p <= q else +1
  typename A::M central;
};

template <class A>
inline NdtriCentral<A> ndtri_central(typename A::F p, typename A::F q) {
  using F = typename A::F;
  const auto lower = A::le(p, q);
  const F x = A::select(lower, A::sub(p, constant_<A>(0.5)), A::sub(constant_<A>(0.5), q));
  const F r = A::fma(A::neg(x), x, constant_<A>(0.180625));
  NdtriCentral<A> c;
  c.central = A::le(A::abs(x), constant_<A>(0.425));
  using C = Ppnd<A>;
  c.num = A::mul(x, horner<A, C::kCentral>(C::a, r));
  c.den = horner<A, C::kCentral>(C::b, r);
  c.t = A::select(lower, p, q);
  c.sign = A::select(lower, constant_<A>(-1.0), constant_<A>(1.0));
  return c;
}

template <class A>
inline typename A::F ndtri_tail(typename A::F t, typename A::F sign) {
  using F = typename A::F;
  const F s = A::sqrt(A::neg(log_<A>(t)));
  const auto far = A::gt(s, constant_<A>(5.0));
  using C = Ppnd<A>;
  F num, den;
  if (A::any(far)) {
    const F v = A::select(far, A::sub(s, constant_<A>(5.0)), A::sub(s, constant_<A>(1.6)));
    num = horner_select<A, C::kTailNum>(far, C::e, C::c, v);
    den = horner_select<A, C::kTailDen>(far, C::f, C::d, v);
  } else {
    const F v = A::sub(s, constant_<A>(1.6));
    num = horner<A, C::kTailNum>(C::c, v);
    den = horner<A, C::kTailDen>(C::d, v);
  }
  return A::mul(A::div(num, den), sign);
}

template <class A>
inline typename A::F ndtri_pq(typename A::F p, typename A::F q) {
  const NdtriCentral<A> c = ndtri_central<A>(p, q);
  const auto z = A::div(c.num, c.den);
  if (!A::any(A::mnot(c.central))) return z;
  return A::select(c.central, z, ndtri_tail<A>(c.t, c.sign));
}

// ---- one element's value from its stream word(s) ----

template <class A>
inline typename A::F uniform01(typename A::U w) {
  if constexpr (A::kF64) return uniform01_f64<A>(w);
  else return uniform01_f32<A>(w);
}

template <class A>
inline typename A::F open01(typename A::U w) {
  if constexpr (A::kF64) return open01_f64<A>(w);
  else return open01_f32<A>(w);
}

// The (p, q) pair a normal or truncated normal element inverts.
template <class A, Kind K, class T>
inline void inverse_cdf_input(const SamplerParams<T>& P, typename A::U w, typename A::F& p, typename A::F& q) {
  const auto u = open01<A>(w);
  const auto one_minus_u = A::sub(A::set1(T(1)), u);
  if constexpr (K == Kind::Normal) {
    p = u;
    q = one_minus_u;
  } else {
    static_assert(K == Kind::TruncatedNormal, "kind");
    p = A::fma(u, A::set1(P.w), A::set1(P.pa));
    q = A::fma(one_minus_u, A::set1(P.w), A::set1(P.qb));
  }
}

// mean + std * z, and for the truncated normal the clamp to [lo, hi].
template <class A, Kind K, class T>
inline typename A::F scale_z(const SamplerParams<T>& P, typename A::F z) {
  const auto v = A::add(A::set1(P.mean), A::mul(A::set1(P.std), z));
  if constexpr (K == Kind::TruncatedNormal) return A::min(A::max(v, A::set1(P.lo)), A::set1(P.hi));
  else return v;
}

template <class A, Kind K, class T>
inline typename A::F sample(const SamplerParams<T>& P, typename A::U w) {
  if constexpr (K == Kind::Uniform) {
    const auto v = A::add(A::set1(P.low), A::mul(A::set1(P.span), uniform01<A>(w)));
    return A::min(v, A::set1(P.high));
  } else {
    typename A::F p, q;
    inverse_cdf_input<A, K>(P, w, p, q);
    return scale_z<A, K>(P, ndtri_pq<A>(p, q));
  }
}

}  // namespace
}  // namespace fastinit
