#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <utility>

#include "fill.hpp"
#include "kernels.hpp"
#include "register.hpp"
#include "stores.hpp"
#include "stream_version.hpp"

namespace py = pybind11;

namespace fastinit {
namespace {

// measure(best path, bytes, count) without the GIL, as (plain, nontemporal) seconds; None when
// nothing was timed.
py::object timed_stores(StoreTimes (*measure)(const KernelTable&, std::size_t, int) noexcept, std::size_t bytes,
                        int count) {
  StoreTimes t;
  {
    py::gil_scoped_release release;
    t = measure(best_kernels(), bytes, count);
  }
  if (!t.measured) return py::none();
  return py::make_tuple(t.plain_seconds, t.nontemporal_seconds);
}

void register_stores(py::module_& m) {
  m.def(
      "store_kind",
      [] {
        py::gil_scoped_release release;  // the first call measures (tens of milliseconds)
        return large_store_kind() == StoreKind::Plain ? "plain" : "nontemporal";
      },
      "The stores contiguous outputs of 32 MiB and more use: 'plain' or 'nontemporal' (measured at the "
      "first call unless forced).");
  m.def(
      "set_store_kind",
      [](const std::string& name) {
        if (name == "auto") set_store_kind(StoreKind::Auto);
        else if (name == "plain") set_store_kind(StoreKind::Plain);
        else if (name == "nontemporal") set_store_kind(StoreKind::NonTemporal);
        else throw std::invalid_argument("store kind must be 'auto', 'plain' or 'nontemporal', got '" + name + "'");
      },
      py::arg("name"), "Force the stores of large outputs ('plain', 'nontemporal') or 'auto' for the measured one.");
  m.def(
      "measure_stores",
      [](std::size_t bytes, int rounds) { return timed_stores(measure_stores, bytes, rounds); },
      py::arg("bytes"), py::arg("rounds"),
      "Benchmark hook: the best seconds of one thread writing a fresh buffer of `bytes` bytes `rounds` times "
      "with plain and with non-temporal stores, as (plain, nontemporal); None if it cannot be allocated.");
  m.def(
      "compare_stores",
      [](std::size_t bytes, int passes) { return timed_stores(compare_stores, bytes, passes); },
      py::arg("bytes"), py::arg("passes"),
      "Test hook: the per-process store choice's measurement, the median seconds of a 2 MiB slice written with "
      "plain and with non-temporal stores in turn over `passes` passes of a `bytes`-byte buffer, as (plain, "
      "nontemporal); None for fewer than 2 slices, passes outside 1-16 or a buffer that cannot be allocated.");
  m.def("calibration_bytes", &calibration_bytes, "The buffer size of the per-process store measurement.");
}

}  // namespace

void register_runtime(py::module_& m) {
  // A plain int attribute: the version of the value contract (cpp/stream_version.hpp).
  m.attr("STREAM_VERSION") = py::int_(kStreamVersion);
  m.def("simd_paths", &available_simd_paths, "SIMD paths this CPU can run, scalar first.");
  m.def("simd_path", [] { return std::string(active_kernels().name); }, "The SIMD path fills use now.");
  m.def("set_simd_path", &set_simd_path, py::arg("name"),
        "Force a SIMD path ('scalar'; 'avx2', 'avx512' on x86-64; 'neon' on AArch64) or 'auto' for the best one.");
  register_stores(m);
}

}  // namespace fastinit
