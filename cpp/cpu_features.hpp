// Which of our x86 instruction sets this CPU *and* operating system can run, read straight from
// CPUID and XCR0. (Compiler builtins such as __builtin_cpu_supports are not used: their feature
// names differ between compilers, e.g. Debian's clang 14 rejects "f16c".)
//
// Only x86-64 builds (FASTINIT_X86, set by CMakeLists.txt) include this; it needs GCC >= 9 or
// Clang >= 14 (any compiler with <cpuid.h> and GNU inline assembly), and no -m flag.
//
// References: Intel SDM vol. 2A "CPUID" (leaf 1 ECX, leaf 7 sub-leaf 0 EBX) and vol. 1 13.3
// "Enabling the XSAVE feature set" (XCR0 bits); Intel's "Detecting Intel AVX-512" guidance.
#pragma once

#include <cpuid.h>

#include <cstdint>

namespace fastinit {

struct CpuFeatures {
  bool avx2 = false;    // AVX2 + FMA + F16C, with YMM state saved by the OS: kernels_avx2.cpp
  bool avx512 = false;  // avx2 + AVX-512 F/BW/DQ/VL, with opmask/ZMM state saved: kernels_avx512.cpp
};

// XCR0 (the OS-enabled state components). Call only when CPUID.1:ECX.OSXSAVE is set, else
// xgetbv faults. Inline assembly, so that no -mxsave is needed (GCC's _xgetbv requires it).
inline uint64_t read_xcr0() {
  uint32_t lo = 0, hi = 0;
  __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0u));
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

// Probed once (function-local static: thread-safe initialisation), then read for free.
inline const CpuFeatures& cpu_features() {
  static const CpuFeatures features = [] {
    CpuFeatures f;
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    // __get_cpuid_count returns 0 when the leaf is above the CPU's highest supported leaf.
    if (!__get_cpuid_count(1, 0, &eax, &ebx, &ecx, &edx)) return f;
    const bool fma = ecx & (1u << 12);
    const bool osxsave = ecx & (1u << 27);  // OS uses XSAVE and allows xgetbv
    const bool avx = ecx & (1u << 28);
    const bool f16c = ecx & (1u << 29);
    if (!(fma && osxsave && avx && f16c)) return f;

    // XCR0: bit 1 SSE (XMM), bit 2 AVX (upper YMM); bit 5 opmask k0-k7, bit 6 upper ZMM0-15,
    // bit 7 ZMM16-31. The CPU may have a feature the OS does not save across context switches.
    const uint64_t xcr0 = read_xcr0();
    const uint64_t ymm_state = (1u << 1) | (1u << 2);
    const uint64_t zmm_state = ymm_state | (1u << 5) | (1u << 6) | (1u << 7);
    if ((xcr0 & ymm_state) != ymm_state) return f;

    if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return f;
    const bool avx2 = ebx & (1u << 5);
    const bool avx512f = ebx & (1u << 16);
    const bool avx512dq = ebx & (1u << 17);
    const bool avx512bw = ebx & (1u << 30);
    const bool avx512vl = ebx & (1u << 31);
    f.avx2 = avx2;
    f.avx512 = f.avx2 && avx512f && avx512dq && avx512bw && avx512vl && (xcr0 & zmm_state) == zmm_state;
    return f;
  }();
  return features;
}

}  // namespace fastinit
