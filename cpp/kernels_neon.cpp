// AArch64 Advanced SIMD (NEON): baseline on every AArch64 CPU, so built without -m flags and
// chosen without run-time detection (dispatch.cpp). CMakeLists.txt adds this file on aarch64/arm64
// only. Copies are plain memcpy (no portable non-temporal store intrinsic on AArch64).
#if defined(__aarch64__) && defined(__ARM_NEON)
#include "kernel_impl.hpp"
#include "simd_neon.hpp"

namespace fastinit {

const KernelTable& neon_kernels() {
  static const KernelTable table = make_kernel_table<NeonF32, NeonF64, NeonPhilox, ScalarStream>("neon");
  return table;
}

}  // namespace fastinit
#else
#error "kernels_neon.cpp is for AArch64 (NEON) builds only"
#endif
