#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "cpu_budget.hpp"
#include "fill.hpp"
#include "helper_backoff.hpp"
#include "kernels.hpp"
#include "register.hpp"
#include "stores.hpp"
#include "stream_version.hpp"
#include "thread_pool.hpp"

namespace py = pybind11;

namespace fastinit {
namespace {

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
      [](std::size_t bytes, int rounds) -> py::object {
        StoreTimes t;
        {
          py::gil_scoped_release release;
          t = measure_stores(best_kernels(), bytes, rounds);
        }
        if (!t.measured) return py::none();
        return py::make_tuple(t.plain_seconds, t.nontemporal_seconds);
      },
      py::arg("bytes"), py::arg("rounds"),
      "Benchmark hook: the best seconds of one thread writing a fresh buffer of `bytes` bytes `rounds` times "
      "with plain and with non-temporal stores, as (plain, nontemporal); None if it cannot be allocated.");
  m.def("calibration_bytes", &calibration_bytes, "The buffer size of the per-process store measurement.");
}

// caller_times_probe: 64 chunks; the first one a pool thread takes sleeps `helper_seconds` once it
// has said so, and the calling thread's chunks wait for that word (up to 10 s: no pool thread).
struct TailProbe {
  std::thread::id caller = std::this_thread::get_id();
  std::chrono::duration<double> helper_sleep{};
  std::atomic<bool> helper_in{false};
  std::chrono::steady_clock::time_point give_up;

  static void run(void* ctx, uint64_t, uint64_t) {
    auto& p = *static_cast<TailProbe*>(ctx);
    if (std::this_thread::get_id() != p.caller) {
      if (!p.helper_in.exchange(true)) std::this_thread::sleep_for(p.helper_sleep);
      return;
    }
    while (!p.helper_in.load() && std::chrono::steady_clock::now() < p.give_up) std::this_thread::yield();
  }
};

void register_backoff(py::module_& m) {
  using detail::Backoff;
  m.def(
      "helper_backoff_turn",
      [](uint32_t solo_left, uint32_t span, int threads) {
        const detail::Turn t = detail::take_turn(Backoff{solo_left, span}, threads);
        return py::make_tuple(t.threads, t.after.solo_left, t.after.span);
      },
      py::arg("solo_left"), py::arg("span"), py::arg("threads"),
      "Test hook: (threads, solo_left, span) of a memory-bound fill that may use `threads` in that state.");
  m.def(
      "helper_backoff_after_fill",
      [](uint32_t solo_left, uint32_t span, double working, double on_cpu, double tail) {
        const auto ns = [](double s) {
          return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::duration<double>(s));
        };
        const Backoff b = detail::after_fill(Backoff{solo_left, span}, {ns(working), ns(on_cpu), ns(tail)});
        return py::make_tuple(b.solo_left, b.span);
      },
      py::arg("solo_left"), py::arg("span"), py::arg("working"), py::arg("on_cpu"), py::arg("tail"),
      "Test hook: (solo_left, span) after a fill with helpers whose calling thread worked `working` seconds, "
      "`on_cpu` of them on a CPU, then waited `tail` for the helpers.");
  m.def(
      "memory_bound_backoff",
      [] {
        const Backoff b = detail::memory_bound_backoff();
        return py::make_tuple(b.solo_left, b.span);
      },
      "The process's (solo_left, span): the next solo_left memory-bound fills run on the calling thread alone.");
  m.def(
      "set_memory_bound_backoff",
      [](uint32_t solo_left, uint32_t span) { detail::set_memory_bound_backoff(Backoff{solo_left, span}); },
      py::arg("solo_left"), py::arg("span"), "Test hook: set the process's (solo_left, span).");
  m.def(
      "caller_times_probe",
      [](double helper_seconds) -> py::object {
        TailProbe probe;
        probe.helper_sleep = std::chrono::duration<double>(helper_seconds);
        probe.give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        detail::CallerTimes t;
        {
          py::gil_scoped_release release;
          const detail::SharedWork work{&TailProbe::run, &probe, 64, 1};
          detail::run_shared(work, 1, 64, nullptr, &t);
        }
        if (!probe.helper_in.load()) return py::none();
        const auto s = [](std::chrono::nanoseconds d) { return std::chrono::duration<double>(d).count(); };
        return py::make_tuple(s(t.working), s(t.on_cpu), s(t.tail));
      },
      py::arg("helper_seconds"),
      "Test hook: (working, on_cpu, tail) in seconds, as the calling thread of a fill measured them, when a pool "
      "thread sleeps helper_seconds in its first chunk while the caller's chunks wait for it to start (yielding); "
      "None if no pool thread joined within 10 s.");
}

}  // namespace

void register_runtime(py::module_& m) {
  // A plain int attribute: the version of the value contract (cpp/stream_version.hpp).
  m.attr("STREAM_VERSION") = py::int_(kStreamVersion);
  m.def("get_num_threads", &num_threads, "Threads a fill uses at most.");
  m.def("set_num_threads", &set_num_threads, py::arg("n"), "Set the threads a fill uses at most (n >= 1).");
  m.def("default_num_threads", &default_num_threads,
        "The default thread count: OMP_NUM_THREADS when set, else the CPUs this process may use "
        "(affinity mask, cgroup CPU quota).");
  m.def(
      "cgroup_cpu_limit",
      [](const std::string& self_cgroup, const std::map<std::string, std::string>& files) {
        return cgroup_cpu_limit(self_cgroup, [&](const std::string& path) -> std::optional<std::string> {
          const auto it = files.find(path);
          if (it == files.end()) return std::nullopt;
          return it->second;
        });
      },
      py::arg("self_cgroup"), py::arg("files"),
      "Test hook: the CPU limit (0: none) of the cgroup that self_cgroup (the text of /proc/self/cgroup) "
      "names, with files (path -> contents) standing for the cgroup file system.");
  m.def("simd_paths", &available_simd_paths, "SIMD paths this CPU can run, scalar first.");
  m.def("simd_path", [] { return std::string(active_kernels().name); }, "The SIMD path fills use now.");
  m.def("set_simd_path", &set_simd_path, py::arg("name"),
        "Force a SIMD path ('scalar'; 'avx2', 'avx512' on x86-64; 'neon' on AArch64) or 'auto' for the best one.");
  register_stores(m);
  register_backoff(m);
}

}  // namespace fastinit
