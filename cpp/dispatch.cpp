#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels.hpp"
#if FASTINIT_X86
#include "cpu_features.hpp"
#endif

namespace fastinit {
namespace {

#if FASTINIT_X86
bool cpu_has_avx2() { return cpu_features().avx2; }
bool cpu_has_avx512() { return cpu_features().avx512; }
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
