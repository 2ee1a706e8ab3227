// Threads: the count a fill uses at most and its default, the helper back-off of memory-bound
// fills, and the test hooks that check them.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>

#include "cpu_budget.hpp"
#include "fill.hpp"
#include "fill_runs.hpp"
#include "helper_backoff.hpp"
#include "register.hpp"
#include "thread_pool.hpp"

namespace py = pybind11;

namespace fastinit {
namespace {

using detail::Backoff;
using Seconds = std::chrono::duration<double>;

// seconds as a duration, refused unless finite and in [0, most].
std::chrono::nanoseconds checked_seconds(double seconds, const char* name, int most) {
  if (!std::isfinite(seconds) || seconds < 0 || seconds > most)
    throw py::value_error(std::string(name) + " must be a number of seconds in [0, " + std::to_string(most) +
                          "], got " + std::string(py::str(py::float_(seconds))));
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Seconds(seconds));
}

// caller_times_probe's shared work: 64 chunks of one item. The first chunk a pool thread takes
// says so, waits for the calling thread to have come and sleeps helper_sleep; the calling
// thread's first chunk says so, spins caller_busy and then sleeps caller_idle, and each of its
// chunks waits for a pool thread to have come. So each gets a chunk whichever runs first; the
// waits (yielding) end after 10 s in any case.
struct CallerProbe {
  std::thread::id caller = std::this_thread::get_id();
  std::chrono::nanoseconds helper_sleep{0}, caller_busy{0}, caller_idle{0};
  std::atomic<bool> helper_in{false}, caller_in{false};
  std::chrono::steady_clock::time_point give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);

  static void run(void* ctx, uint64_t, uint64_t) {
    auto& p = *static_cast<CallerProbe*>(ctx);
    if (std::this_thread::get_id() != p.caller) {
      if (p.helper_in.exchange(true)) return;
      p.wait_for(p.caller_in);
      std::this_thread::sleep_for(p.helper_sleep);
      return;
    }
    if (!p.caller_in.exchange(true)) {
      const auto until = std::chrono::steady_clock::now() + p.caller_busy;
      while (std::chrono::steady_clock::now() < until) {
      }
      std::this_thread::sleep_for(p.caller_idle);
    }
    p.wait_for(p.helper_in);
  }

  void wait_for(const std::atomic<bool>& came) const {
    while (!came.load() && std::chrono::steady_clock::now() < give_up) std::this_thread::yield();
  }
};

py::object caller_times_probe(double helper_seconds, double caller_busy_seconds, double caller_idle_seconds) {
  CallerProbe probe;
  probe.helper_sleep = checked_seconds(helper_seconds, "helper_seconds", 1);
  probe.caller_busy = checked_seconds(caller_busy_seconds, "caller_busy_seconds", 1);
  probe.caller_idle = checked_seconds(caller_idle_seconds, "caller_idle_seconds", 1);
  if (detail::g_forked_child.load()) return py::none();  // no pool threads here (fill_runs.hpp)
  detail::CallerTimes t;
  {
    py::gil_scoped_release release;
    detail::run_shared(detail::SharedWork{&CallerProbe::run, &probe, 64, 1}, 1, 64, nullptr, &t);
  }
  if (!probe.helper_in.load()) return py::none();
  const auto s = [](std::chrono::nanoseconds d) { return Seconds(d).count(); };
  return py::make_tuple(s(t.working), s(t.on_cpu), s(t.tail));
}

void register_backoff(py::module_& m) {
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
        const detail::CallerTimes t{checked_seconds(working, "working", 1000000),
                                    checked_seconds(on_cpu, "on_cpu", 1000000),
                                    checked_seconds(tail, "tail", 1000000)};
        const Backoff b = detail::after_fill(Backoff{solo_left, span}, t);
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
  m.def("caller_times_probe", &caller_times_probe, py::arg("helper_seconds"), py::arg("caller_busy_seconds") = 0.0,
        py::arg("caller_idle_seconds") = 0.0,
        "Test hook: (working, on_cpu, tail) in seconds, as the calling thread of a shared fill measured them, when "
        "a pool thread sleeps helper_seconds in its first chunk and the caller's first chunk spins "
        "caller_busy_seconds, then sleeps caller_idle_seconds (each at most 1 s); None if no pool thread joined "
        "within 10 s or this is a forked child.");
}

}  // namespace

void register_threads(py::module_& m) {
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
  register_backoff(m);
}

}  // namespace fastinit
