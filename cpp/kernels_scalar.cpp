// The portable reference path: one lane, baseline instruction set.
#include "kernel_impl.hpp"

namespace fastinit {

const KernelTable& scalar_kernels() {
  static const KernelTable table = make_kernel_table<ScalarF32, ScalarF64, ScalarPhilox, ScalarStream>("scalar");
  return table;
}

}  // namespace fastinit
