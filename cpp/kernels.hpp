// The per-instruction-set kernels and their run-time choice.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "distribution.hpp"
#include "philox.hpp"

namespace fastinit {

// How KernelTable::columns stores.
struct ColumnStores {
  // Non-temporal stores where the path has them. Without carry, dst and col_stride must then be
  // multiples of 64.
  bool stream = false;
  // Float32 and uint32 with stream: columns that start anywhere (4-byte aligned), written in
  // strips of a tile's rows, one call per strip. Each vector of a column is joined in registers
  // with the end of the one before it and stored at a vector-aligned address (whole lines,
  // non-temporal); the partial vectors at the two ends of a column's run in the tile get plain
  // stores. carry: 16 words per column, kept between the calls of one tile; first / last: the
  // call writes the tile's first / last rows (every call but the last a multiple of 16 rows).
  uint32_t* carry = nullptr;
  bool first = true, last = true;
};

struct KernelTable {
  const char* name;
  // Stream words j0 .. j0 + n - 1 of (seed, stream) into out[0 .. n).
  void (*stream_words)(const StreamKey& key, uint64_t j0, std::size_t n, uint32_t* out);
  // Blocks blocks[0 .. n) of (seed, stream), any 64-bit block numbers in any order (block b holds
  // stream words 4b .. 4b + 3): 4 words each into out[4i .. 4i + 4), in list order. Vectorized
  // across the listed blocks, so many lone blocks (e.g. where rows start or end inside a block)
  // cost about as much as the same number of consecutive ones.
  void (*block_words)(const StreamKey& key, const uint64_t* blocks, std::size_t n, uint32_t* out);
  // n elements of format fmt from their stream words (words_per_element(fmt) each) into dst,
  // contiguous. kind must not be Kind::Bits.
  void (*transform)(const Distribution& dist, Format fmt, const uint32_t* words, std::size_t n, void* dst);
  // Values of rows x cols elements from their words (row r at words + r * pitch), written
  // transposed: column j's rows values contiguous at dst + j * col_stride bytes (dst and
  // col_stride aligned to the itemsize). Uniform values (dist.kind == Kind::Uniform; float32,
  // float16 or bfloat16) or random bits (Kind::Bits, UInt32: the words themselves, unchanged).
  // Stored as `how` says; fence() orders non-temporal stores.
  void (*columns)(const Distribution& dist, Format fmt, const uint32_t* words, std::size_t pitch, std::size_t rows,
                  std::size_t cols, void* dst, int64_t col_stride, const ColumnStores& how);
  // memcpy with non-temporal stores where the path has them; fence() orders them before return.
  void (*stream_copy)(void* dst, const void* src, std::size_t bytes);
  void (*fence)();
};

const KernelTable& scalar_kernels();
#if FASTINIT_X86
const KernelTable& avx2_kernels();
const KernelTable& avx512_kernels();
#endif
#if FASTINIT_NEON
const KernelTable& neon_kernels();  // AArch64: NEON is baseline, always available
#endif

// Names of the paths this CPU can run, scalar first.
std::vector<std::string> available_simd_paths();
// The best path this CPU can run, whatever was forced.
const KernelTable& best_kernels();
// The path fills use now: the best available, unless FASTINIT_SIMD or set_simd_path chose one.
const KernelTable& active_kernels();
// Throws std::invalid_argument for a name that is unknown or that this CPU cannot run.
void set_simd_path(const std::string& name);

}  // namespace fastinit
