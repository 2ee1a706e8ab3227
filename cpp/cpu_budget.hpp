// How many CPUs this process may use: the default thread count of a fill.
#pragma once
#include <functional>
#include <optional>
#include <string>

namespace fastinit {

// A file's contents, or nothing when it cannot be read.
using ReadFile = std::function<std::optional<std::string>(const std::string& path)>;

// The CPU limit of the cgroup that /proc/self/cgroup (its text: self_cgroup) names, read through
// `read`: the smallest ceil(quota / period) of the cgroup and its ancestors, in cgroup v2's
// cpu.max ("max 100000", "150000 100000") under /sys/fs/cgroup, else v1's cpu.cfs_quota_us and
// cpu.cfs_period_us under /sys/fs/cgroup/cpu,cpuacct or /sys/fs/cgroup/cpu (a container that
// shows the host's path but mounts its own cgroup at the top is read at the top). 0: no limit.
int cgroup_cpu_limit(const std::string& self_cgroup, const ReadFile& read);

// The CPUs in this process's affinity mask (sched_getaffinity; elsewhere the hardware threads),
// capped by cgroup_cpu_limit of this process; at least 1.
int cpu_budget();

}  // namespace fastinit
