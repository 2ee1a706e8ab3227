// Compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl (and AVX2/FMA/F16C); run only where
// the CPU has them (dispatch.cpp).
#include "kernel_impl.hpp"
#include "simd_avx512.hpp"

namespace fastinit {

const KernelTable& avx512_kernels() {
  static const KernelTable table = make_kernel_table<Avx512F32, Avx512F64, Avx512Philox, Avx512Stream>("avx512");
  return table;
}

}  // namespace fastinit
