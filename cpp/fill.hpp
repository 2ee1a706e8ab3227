// Filling a strided buffer that holds a slice of a logical tensor, in parallel.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "distribution.hpp"
#include "kernels.hpp"
#include "philox.hpp"

namespace fastinit {

// An index array on one axis: position i contributes data[i] (a logical element offset, already
// times the axis's stride in the full tensor) instead of i * logical_strides[k]. data == nullptr:
// the plain progression. The caller keeps the array alive and unchanged during the fill.
struct AxisOffsets {
  const uint64_t* data = nullptr;
  std::size_t size = 0;
};

// out = full[index]: element (i_0, ..., i_{n-1}) of out lives at data + sum i_k * byte_strides[k]
// and is element origin + sum_k c_k(i_k) of the full tensor's C-order flattening, where c_k(i) is
// offsets[k].data[i] for an axis with an offset table and i * logical_strides[k] otherwise
// (offsets empty: no table on any axis).
struct Target {
  char* data = nullptr;
  Format fmt = Format::Float32;
  std::vector<int64_t> shape;
  std::vector<int64_t> byte_strides;
  std::vector<uint64_t> logical_strides;
  uint64_t origin = 0;
  std::vector<AxisOffsets> offsets;  // empty, or one per axis

  bool gathered() const {
    for (const AxisOffsets& o : offsets)
      if (o.data != nullptr) return true;
    return false;
  }
};

// Throws std::invalid_argument if the layout is inconsistent (an offset table whose length is not
// its axis's), an element index reaches 2**63 (origin plus each axis's largest contribution), or
// elements may overlap in memory (a zero stride, overlapping or interleaved strides).
void check_target(const Target& t);

// Asked between slabs of a long fill, on the calling thread; false stops the fill there.
using KeepGoing = std::function<bool()>;

// Fill with the distribution's values of stream `key`. Call without the GIL; never throws
// (keep_going must not throw either). Returns false if keep_going stopped it (out then holds a
// partial fill, which the caller must report as an error).
bool fill_random(const Target& t, const KernelTable& kernels, const StreamKey& key, const Distribution& dist,
                 int threads, const KeepGoing& keep_going = {}) noexcept;

// Fill every element with the same itemsize-byte pattern; as fill_random otherwise (large outputs
// with the stores stores.hpp chooses, through kernels.stream_copy when non-temporal).
bool fill_pattern(const Target& t, const KernelTable& kernels, const unsigned char* pattern, int threads,
                  const KeepGoing& keep_going = {}) noexcept;

// OMP_NUM_THREADS (its first entry) when set to a positive number, else cpu_budget() (the CPUs
// this process may use: affinity mask and cgroup quota).
int default_num_threads();
int num_threads();  // set_num_threads's value, else default_num_threads() (fixed at first use)
void set_num_threads(int n);  // n >= 1, else std::invalid_argument

}  // namespace fastinit
