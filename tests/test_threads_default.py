"""The default thread count is the number of CPUs this process may use: its affinity mask, capped
by a cgroup CPU quota (containers); OMP_NUM_THREADS and fastinit.set_num_threads win over it."""

import os
import subprocess
import sys

import pytest

from fastinit import _core

ON_ONE_CPU = """
import os
os.sched_setaffinity(0, {{min(os.sched_getaffinity(0))}})  # as `taskset -c <cpu>` would start us
import fastinit
{extra}
print(fastinit.get_num_threads())
"""

needs_affinity = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="no sched_setaffinity (not Linux)")


def _threads_on_one_cpu(extra: str = "", **env: str) -> int:
    clean = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    done = subprocess.run([sys.executable, "-c", ON_ONE_CPU.format(extra=extra)], env=dict(clean, **env),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return int(done.stdout)


@needs_affinity
def test_default_is_the_affinity_mask():
    assert _threads_on_one_cpu() == 1


@needs_affinity
def test_omp_num_threads_and_set_num_threads_win_over_the_mask():
    assert _threads_on_one_cpu(OMP_NUM_THREADS="3") == 3
    assert _threads_on_one_cpu(OMP_NUM_THREADS="4,2") == 4  # a nested list: its first entry
    assert _threads_on_one_cpu(OMP_NUM_THREADS="zero") == 1  # not a number: ignored
    assert _threads_on_one_cpu("fastinit.set_num_threads(5)") == 5


V2 = "/sys/fs/cgroup"
V1 = "/sys/fs/cgroup/cpu,cpuacct"


@pytest.mark.parametrize("self_cgroup, files, cpus", [
    # cgroup v2: cpu.max is "$QUOTA $PERIOD" (microseconds), CPUs = ceil(quota / period)
    ("0::/a/b\n", {f"{V2}/a/b/cpu.max": "max 100000\n", f"{V2}/a/cpu.max": "150000 100000\n"}, 2),
    ("0::/a/b\n", {f"{V2}/a/b/cpu.max": "400000 100000\n", f"{V2}/a/cpu.max": "200000 50000\n"}, 4),
    ("0::/a/b\n", {f"{V2}/a/b/cpu.max": "100000 100000\n", f"{V2}/a/cpu.max": "300000 100000\n"}, 1),
    ("0::/\n", {f"{V2}/cpu.max": "50000 100000\n"}, 1),  # a container's own cgroup at the top
    ("0::/\n", {f"{V2}/cpu.max": "max 100000\n"}, 0),  # no limit
    ("0::/a\n", {f"{V2}/a/cpu.max": "lots 100000\n"}, 0),  # unreadable
    ("0::/a\n", {}, 0),  # no file
    # cgroup v1: cpu.cfs_quota_us (-1: none) and cpu.cfs_period_us
    ("4:cpu,cpuacct:/job\n", {f"{V1}/job/cpu.cfs_quota_us": "250000\n", f"{V1}/job/cpu.cfs_period_us": "100000\n"},
     3),
    ("4:cpu,cpuacct:/job\n", {f"{V1}/job/cpu.cfs_quota_us": "-1\n", f"{V1}/job/cpu.cfs_period_us": "100000\n"}, 0),
    # the host's path, the container's cgroup mounted at the top
    ("4:cpuacct,cpu:/docker/f00\n", {f"{V1}/cpu.cfs_quota_us": "200000", f"{V1}/cpu.cfs_period_us": "100000"}, 2),
    ("3:cpu:/x\n", {"/sys/fs/cgroup/cpu/x/cpu.cfs_quota_us": "70000", "/sys/fs/cgroup/cpu/x/cpu.cfs_period_us":
                    "100000"}, 1),
    ("5:cpuacct:/x\n", {f"{V1}/x/cpu.cfs_quota_us": "70000", f"{V1}/x/cpu.cfs_period_us": "100000"}, 0),  # no cpu
    # hybrid: the v2 hierarchy without cpu.max, the v1 cpu controller with a quota
    ("0::/s\n2:cpu,cpuacct:/s\n", {f"{V1}/s/cpu.cfs_quota_us": "600000", f"{V1}/s/cpu.cfs_period_us": "100000"}, 6),
])
def test_cgroup_cpu_limit(self_cgroup, files, cpus):
    assert _core.cgroup_cpu_limit(self_cgroup, files) == cpus
