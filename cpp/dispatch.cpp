#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

#include "kernels.hpp"
#if FASTINIT_X86
#include "cpu_features.hpp"
#endif

// Paths by architecture (CMakeLists.txt sets the macros): x86-64 picks avx512, avx2 or scalar from
// CPUID at run time; AArch64 always has NEON (part of the baseline: nothing to detect); any other
// architecture builds the scalar path alone.

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
#if FASTINIT_NEON
  if (name == "neon") return &neon_kernels();
#endif
  return nullptr;
}

const KernelTable* best_table() {
#if FASTINIT_X86
  if (cpu_has_avx512()) return &avx512_kernels();
  if (cpu_has_avx2()) return &avx2_kernels();
#endif
#if FASTINIT_NEON
  return &neon_kernels();
#else
  return &scalar_kernels();
#endif
}

// The path fills use. The tables are immutable statics; release/acquire orders their
// construction before any thread that reads the pointer uses them.
std::atomic<const KernelTable*> g_active{nullptr};

}  // namespace

std::vector<std::string> available_simd_paths() {
  std::vector<std::string> names{"scalar"};
#if FASTINIT_X86
  if (cpu_has_avx2()) names.emplace_back("avx2");
  if (cpu_has_avx512()) names.emplace_back("avx512");
#endif
#if FASTINIT_NEON
  names.emplace_back("neon");
#endif
  return names;
}

void set_simd_path(const std::string& name) {
  if (name.empty() || name == "auto") {
    g_active.store(best_table(), std::memory_order_release);
    return;
  }
  const KernelTable* t = table_named(name);
  if (t == nullptr) {
    std::string have;
    for (const auto& n : available_simd_paths()) have += (have.empty() ? "" : ", ") + n;
    throw std::invalid_argument("SIMD path '" + name + "' is unknown or not supported by this CPU; "
                                "choose one of: auto, " + have);
  }
  g_active.store(t, std::memory_order_release);
}

const KernelTable& best_kernels() { return *best_table(); }

const KernelTable& active_kernels() {
  const KernelTable* t = g_active.load(std::memory_order_acquire);
  if (t != nullptr) return *t;
  const KernelTable* best = best_table();
  // First use: install the best path unless set_simd_path got there first.
  return g_active.compare_exchange_strong(t, best, std::memory_order_acq_rel, std::memory_order_acquire) ? *best
                                                                                                         : *t;
}

}  // namespace fastinit
