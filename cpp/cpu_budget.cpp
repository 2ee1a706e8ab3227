// How many CPUs this process may use (see cpu_budget.hpp).
#include "cpu_budget.hpp"

#if defined(__linux__)
#include <sched.h>
#endif

#include <cerrno>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace fastinit {
namespace {

// A non-negative decimal integer filling the whole of s (below 2**62), or nothing.
std::optional<int64_t> whole_number(const std::string& s) {
  if (s.empty() || s.size() > 18) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  return v;
}

std::string trimmed(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

// ceil(quota / period) CPUs, or 0 (no limit) unless both are positive numbers.
int cpus_of(const std::optional<int64_t>& quota, const std::optional<int64_t>& period) {
  if (!quota || !period || *quota <= 0 || *period <= 0) return 0;
  return static_cast<int>(std::min<int64_t>((*quota + *period - 1) / *period, 1 << 30));
}

// cgroup v2's cpu.max: "$MAX $PERIOD", $MAX a number or "max".
int cpus_v2(const std::string& cpu_max) {
  std::istringstream in(trimmed(cpu_max));
  std::string quota, period;
  in >> quota >> period;
  return cpus_of(whole_number(quota), whole_number(period));
}

// The cgroup path of the v2 hierarchy ("0::/path") or, v2 = false, of the v1 hierarchy whose
// controllers include cpu ("4:cpu,cpuacct:/path"); empty when there is none.
std::string cgroup_path(const std::string& self_cgroup, bool v2) {
  std::istringstream lines(self_cgroup);
  for (std::string line; std::getline(lines, line);) {
    const auto a = line.find(':'), b = a == std::string::npos ? a : line.find(':', a + 1);
    if (b == std::string::npos) continue;
    const std::string id = line.substr(0, a), controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (path.empty() || path[0] != '/') continue;
    if (v2 && id == "0" && controllers.empty()) return path;
    if (!v2) {
      std::istringstream names(controllers);
      for (std::string name; std::getline(names, name, ',');)
        if (name == "cpu") return path;
    }
  }
  return {};
}

// path ("/a/b") and its ancestors ("/a", ""), each as a suffix for a mount point.
std::vector<std::string> with_ancestors(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  if (path == "/") path.clear();
  std::vector<std::string> out{path};
  while (!path.empty()) {
    path.erase(path.rfind('/'));
    out.push_back(path);
  }
  return out;
}

// The smallest positive limit among those found, or 0.
int tighter(int a, int b) { return a == 0 ? b : b == 0 ? a : std::min(a, b); }

int limit_v2(const std::string& path, const ReadFile& read) {
  int limit = 0;
  for (const std::string& dir : with_ancestors(path))
    if (const auto text = read("/sys/fs/cgroup" + dir + "/cpu.max")) limit = tighter(limit, cpus_v2(*text));
  return limit;
}

int limit_v1(const std::string& path, const ReadFile& read) {
  for (const char* mount : {"/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"}) {
    int limit = 0;
    bool found = false;
    for (const std::string& dir : with_ancestors(path)) {
      const auto quota = read(mount + dir + "/cpu.cfs_quota_us");
      const auto period = read(mount + dir + "/cpu.cfs_period_us");
      if (!quota || !period) continue;
      found = true;
      // v1 writes -1 for no quota.
      const std::string q = trimmed(*quota);
      if (q != "-1") limit = tighter(limit, cpus_of(whole_number(q), whole_number(trimmed(*period))));
    }
    if (found) return limit;
  }
  return 0;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

int affinity_cpus() {
#if defined(__linux__)
  for (int n = CPU_SETSIZE; n <= (1 << 20); n *= 2) {
    cpu_set_t* set = CPU_ALLOC(n);
    if (set == nullptr) break;
    const std::size_t bytes = CPU_ALLOC_SIZE(n);
    const bool ok = sched_getaffinity(0, bytes, set) == 0;
    const int err = errno;
    const int got = ok ? CPU_COUNT_S(bytes, set) : 0;
    CPU_FREE(set);
    if (got > 0) return got;
    if (ok || err != EINVAL) break;  // EINVAL: the kernel's mask is larger than n CPUs
  }
#endif
  return static_cast<int>(std::thread::hardware_concurrency());
}

}  // namespace

int cgroup_cpu_limit(const std::string& self_cgroup, const ReadFile& read) {
  const std::string v2 = cgroup_path(self_cgroup, true);
  const int limit = v2.empty() ? 0 : limit_v2(v2, read);
  if (limit != 0) return limit;
  const std::string v1 = cgroup_path(self_cgroup, false);
  return v1.empty() ? 0 : limit_v1(v1, read);
}

int cpu_budget() {
  int n = std::max(1, affinity_cpus());
#if defined(__linux__)
  if (const auto self = read_file("/proc/self/cgroup")) n = tighter(n, cgroup_cpu_limit(*self, read_file));
#endif
  return std::max(1, n);
}

}  // namespace fastinit
