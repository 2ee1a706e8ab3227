#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels.hpp"

namespace fastinit {
namespace {

#if FASTINIT_X86
bool cpu_has_avx2() {
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("f16c");
}
bool cpu_has_avx512() {
  return cpu_has_avx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}
#endif

const KernelTable* table_named(const std::string& name) {
  if (name == "scalar") return &scalar_kernels();
#if FASTINIT_X86
  if (name == "avx2" && cpu_has_avx2()) return &avx2_kernels();
  if (name == "avx512" && cpu_has_avx512()) return &avx512_kernels();
#endif
  return nullptr;
}

const KernelTable* best_table() {
#if FASTINIT_X86
  if (cpu_has_avx512()) return &avx512_kernels();
  if (cpu_has_avx2()) return &avx2_kernels();
#endif
  return &scalar_kernels();
}

const KernelTable* g_active = nullptr;

}  // namespace

std::vector<std::string> available_simd_paths() {
  std::vector<std::string> names{"scalar"};
#if FASTINIT_X86
  if (cpu_has_avx2()) names.emplace_back("avx2");
  if (cpu_has_avx512()) names.emplace_back("avx512");
#endif
  return names;
}

void set_simd_path(const std::string& name) {
  if (name.empty() || name == "auto") {
    g_active = best_table();
    return;
  }
  const KernelTable* t = table_named(name);
  if (t == nullptr) {
    std::string have;
    for (const auto& n : available_simd_paths()) have += (have.empty() ? "" : ", ") + n;
    throw std::invalid_argument("SIMD path '" + name + "' is unknown or not supported by this CPU; "
                                "choose one of: auto, " + have);
  }
  g_active = t;
}

const KernelTable& active_kernels() {
  if (g_active == nullptr) g_active = best_table();
  return *g_active;
}

}  // namespace fastinit
