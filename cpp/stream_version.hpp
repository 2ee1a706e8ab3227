// The version of the value contract: which bits every fill produces for (seed, stream, element
// index, parameters, format). Exported as fastinit._core.STREAM_VERSION (= fastinit.STREAM_VERSION).
//
// ANY change to a produced bit (Philox rounds or key schedule, counter layout, word-to-value
// transforms in sampler_math.hpp, log / inverse-CDF constants, rounding to a format, rejection
// rules) requires incrementing this constant, a new golden file (tests/make_golden.py) and a new
// spec (docs/stream-v1.md describes version 1). tests/test_golden.py fails until that is done.
#pragma once

namespace fastinit {

inline constexpr int kStreamVersion = 1;

}  // namespace fastinit
