// Standard normal CDF Phi(x) in double precision, header-only, C++17.
//
// Only IEEE-754 basic operations (+ - * /) and bit manipulation are used (no
// libm transcendental functions, no FMA), so on any platform with IEEE-754
// binary64 arithmetic evaluated in double precision (e.g. SSE2, AArch64) and
// -ffp-contract=off the result is bit-for-bit identical.
#ifndef FASTINIT_NORMAL_CDF_HPP
#define FASTINIT_NORMAL_CDF_HPP

#include <cstdint>
#include <cstring>
#include <limits>

namespace fastinit {
namespace detail {

// 2^k as a double for -1022 <= k <= 1023 (built from its bit pattern).
inline double pow2i(int k) noexcept {
    const std::uint64_t bits = static_cast<std::uint64_t>(k + 1023) << 52;
    double d;
    std::memcpy(&d, &bits, sizeof d);
    return d;
}

// exp(x), port of fdlibm e_exp.c (Sun Microsystems, 1993): x = k*ln2 + r with
// ln2 split into ln2_hi (32 significant bits, so k*ln2_hi is exact) + ln2_lo,
// |r| <= 0.5*ln2, then a degree-5 minimax polynomial for R(r^2) in
// exp(r) = 1 + 2r/(2 - R). fdlibm's stated error bound is < 1 ulp.
inline double exp(double x) noexcept {
    constexpr double o_threshold = 7.09782712893383973096e+02;
    constexpr double u_threshold = -7.45133219101941108420e+02;
    constexpr double ln2_hi = 6.93147180369123816490e-01;  // 0x3fe62e42 fee00000
    constexpr double ln2_lo = 1.90821492927058770002e-10;  // 0x3dea39ef 35793c76
    constexpr double invln2 = 1.44269504088896338700e+00;
    constexpr double P1 = 1.66666666666666019037e-01;
    constexpr double P2 = -2.77777777770155933842e-03;
    constexpr double P3 = 6.61375632143793436117e-05;
    constexpr double P4 = -1.65339022054652515390e-06;
    constexpr double P5 = 4.13813679705723846039e-08;

    if (x != x) return x;  // NaN
    if (x > o_threshold) return std::numeric_limits<double>::infinity();
    if (x < u_threshold) return 0.0;

    const double ax = x < 0.0 ? -x : x;
    double hi = 0.0, lo = 0.0;
    int k = 0;
    if (ax > 3.46573590279972654709e-01) {          // |x| > 0.5*ln2
        if (ax < 1.03972077083991796413e+00) {      // |x| < 1.5*ln2
            k = x < 0.0 ? -1 : 1;
        } else {
            k = static_cast<int>(invln2 * x + (x < 0.0 ? -0.5 : 0.5));
        }
        const double t = k;
        hi = x - t * ln2_hi;  // exact
        lo = t * ln2_lo;
        x = hi - lo;
    } else if (ax < 0x1p-28) {
        return 1.0 + x;
    }
    const double t = x * x;
    const double c = x - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
    if (k == 0) return 1.0 - ((x * c) / (c - 2.0) - x);
    const double y = 1.0 - ((lo - (x * c) / (2.0 - c)) - hi);
    if (k > 1023) return (y * 2.0) * pow2i(k - 1);
    if (k >= -1021) return y * pow2i(k);
    return (y * pow2i(k + 1000)) * pow2i(-1000);  // subnormal result: one rounding
}

// exp(-x*x/2) for x >= 0 without amplifying the rounding error of x*x:
// x = xc + d with xc = x truncated to a multiple of 1/16, so xc*xc/2 is exact
// and exp(-x^2/2) = exp(-xc^2/2) * exp(-(x - xc)(x + xc)/2)
// (the split used by Cody's ANORM / R's pnorm).
inline double exp_mhalf_sq(double x) noexcept {
    const double xc = static_cast<double>(static_cast<std::int64_t>(x * 16.0)) / 16.0;
    const double del = (x - xc) * (x + xc);
    return detail::exp(-xc * xc * 0.5) * detail::exp(-del * 0.5);
}

}  // namespace detail

// Phi(x) = P(Z <= x) for a standard normal Z, in double precision.
//
// W. J. Cody's rational Chebyshev approximations (ANORM, "Algorithm 715:
// SPECFUN", ACM TOMS 19 (1993) 22-32), coefficients a, b, c, d, p, q copied
// from R's src/nmath/pnorm.c (pnorm_both), which implements that algorithm.
// Three ranges of |x|: [0, 0.67448975], (0.67448975, sqrt(32)], > sqrt(32).
// The smaller tail Phi(-|x|) is computed directly (no cancellation) and
// Phi(|x|) = 1 - Phi(-|x|).
inline double std_normal_cdf(double x) noexcept {
    static constexpr double a[5] = {
        2.2352520354606839287, 161.02823106855587881, 1067.6894854603709582,
        18154.981253343561249, 0.065682337918207449113};
    static constexpr double b[4] = {
        47.20258190468824187, 976.09855173777669322, 10260.932208618978205,
        45507.789335026729956};
    static constexpr double c[9] = {
        0.39894151208813466764, 8.8831497943883759412, 93.506656132177855979,
        597.27027639480026226,  2494.5375852903726711, 6848.1904505362823326,
        11602.651437647350124,  9842.7148383839780218, 1.0765576773720192317e-8};
    static constexpr double d[8] = {
        22.266688044328115691, 235.38790178262499861, 1519.377599407554805,
        6485.558298266760755,  18615.571640885098091, 34900.952721145977266,
        38912.003286093271411, 19685.429676859990727};
    static constexpr double p[6] = {
        0.21589853405795699,     0.1274011611602473639, 0.022235277870649807,
        0.001421619193227893466, 2.9112874951168792e-5, 0.02307344176494017303};
    static constexpr double q[5] = {
        1.28426009614491121,    0.468238212480865118, 0.0659881378689285515,
        0.00378239633202758244, 7.29751555083966205e-5};
    constexpr double sqrt32 = 5.656854249492380195206754896838;        // sqrt(32)
    constexpr double one_over_sqrt_2pi = 0.398942280401432677939946059934;

    if (x != x) return x;  // NaN
    const double y = x < 0.0 ? -x : x;

    if (y <= 0.67448975) {  // ~ Phi^{-1}(3/4)
        const double xsq = x * x;
        double xnum = a[4] * xsq, xden = xsq;
        for (int i = 0; i < 3; ++i) {
            xnum = (xnum + a[i]) * xsq;
            xden = (xden + b[i]) * xsq;
        }
        return 0.5 + x * (xnum + a[3]) / (xden + b[3]);
    }

    // Beyond these bounds Phi rounds to 1, resp. is below the smallest
    // subnormal (Phi(-38.5) ~ 4e-325); this also covers x = +-inf.
    if (x >= 8.2924) return 1.0;
    if (x <= -38.5) return 0.0;

    double r;  // Phi(-y) = exp(-y^2/2) * r
    if (y <= sqrt32) {
        double xnum = c[8] * y, xden = y;
        for (int i = 0; i < 7; ++i) {
            xnum = (xnum + c[i]) * y;
            xden = (xden + d[i]) * y;
        }
        r = (xnum + c[7]) / (xden + d[7]);
    } else {
        const double xsq = 1.0 / (x * x);
        double xnum = p[5] * xsq, xden = xsq;
        for (int i = 0; i < 4; ++i) {
            xnum = (xnum + p[i]) * xsq;
            xden = (xden + q[i]) * xsq;
        }
        r = (one_over_sqrt_2pi - xsq * (xnum + p[4]) / (xden + q[4])) / y;
    }
    const double lower = detail::exp_mhalf_sq(y) * r;
    return x < 0.0 ? lower : 1.0 - lower;
}

}  // namespace fastinit

#endif  // FASTINIT_NORMAL_CDF_HPP
