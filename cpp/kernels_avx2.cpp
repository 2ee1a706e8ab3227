// Compiled with -mavx2 -mfma -mf16c; run only where the CPU has them (dispatch.cpp).
#include "kernel_impl.hpp"
#include "simd_avx2.hpp"

namespace fastinit {

const KernelTable& avx2_kernels() {
  static const KernelTable table = make_kernel_table<Avx2F32, Avx2F64, Avx2Philox, Avx2Stream>("avx2");
  return table;
}

}  // namespace fastinit
