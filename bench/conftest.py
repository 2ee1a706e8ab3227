"""A small throughput harness for ``pytest bench/``: each benchmark records M values/s for
fastinit and its peers; at the end one table (with speed-ups), a thread-scaling table and the
memory-write roofline (``out.fill``) are printed, and the same data is written as JSON.

    pytest bench/                       # full run: sizes from 1 MB to 1 GB, 3 rounds each
    pytest bench/ --quick               # under a minute: small sizes, 2 rounds
    pytest bench/ --bench-json out.json # also write the results here
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import time
from typing import Callable

import pytest

RESULTS: list[dict] = []
SCALING: list[dict] = []


def pytest_addoption(parser):
    parser.addoption("--quick", action="store_true", help="small sizes and few rounds (CI)")
    parser.addoption("--bench-json", default=None, help="write the results as JSON to this path")


@pytest.fixture(scope="session")
def quick(request) -> bool:
    return bool(request.config.getoption("--quick"))


@pytest.fixture(scope="session")
def rounds(quick) -> int:
    return 2 if quick else 3


def median_seconds(fn: Callable[[], object], rounds: int) -> float:
    """Median wall time of fn over `rounds` calls, after one untimed call that touches every
    output page and loads the code paths."""
    fn()
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def record(fill: str, dtype: str, n: int, itemsize: int, impl: str, seconds: float, note: str = "") -> None:
    RESULTS.append({"fill": fill, "dtype": dtype, "n": n, "bytes": n * itemsize, "impl": impl,
                    "seconds": seconds, "mvalues_per_s": n / seconds / 1e6,
                    "gb_per_s": n * itemsize / seconds / 1e9, "note": note})


def record_scaling(fill: str, dtype: str, n: int, threads: int, seconds: float) -> None:
    SCALING.append({"fill": fill, "dtype": dtype, "n": n, "threads": threads, "seconds": seconds,
                    "mvalues_per_s": n / seconds / 1e6})


def _size(nbytes: int) -> str:
    for unit in ("GB", "MB", "KB"):
        scale = {"GB": 1 << 30, "MB": 1 << 20, "KB": 1 << 10}[unit]
        if nbytes >= scale:
            return f"{nbytes / scale:g} {unit}"
    return f"{nbytes} B"


def _tables() -> list[str]:
    lines = []
    groups: dict[tuple, dict[str, dict]] = {}
    for r in RESULTS:
        groups.setdefault((r["fill"], r["dtype"], r["bytes"]), {})[r["impl"]] = r
    roof = {(k[1], k[2]): v["out.fill"] for k, v in groups.items() if "out.fill" in v}
    peers = sorted({r["impl"] for r in RESULTS} - {"fastinit", "out.fill"})
    head = f"{'fill':<24}{'dtype':<10}{'size':>9}{'fastinit M/s':>14}{'GB/s':>7}{'t/fill':>9}"
    head += "".join(f"{p + ' M/s':>22}{'x':>7}" for p in peers)
    lines += ["", "fastinit throughput (median; speed-up = peer time / fastinit time)", head, "-" * len(head)]
    for (fill, dtype, nbytes), impls in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1], kv[0][2])):
        if "fastinit" not in impls:
            continue
        ours = impls["fastinit"]
        fill_row = roof.get((dtype, nbytes))
        vs = f"{ours['seconds'] / fill_row['seconds']:.2f}x" if fill_row else ""
        line = f"{fill:<24}{dtype:<10}{_size(nbytes):>9}{ours['mvalues_per_s']:>14,.0f}{ours['gb_per_s']:>7.1f}{vs:>9}"
        for p in peers:
            if p in impls:
                line += f"{impls[p]['mvalues_per_s']:>22,.0f}{impls[p]['seconds'] / ours['seconds']:>6.1f}x"
            else:
                line += f"{'':>22}{'':>7}"
        lines.append(line)
    fills = [r for r in RESULTS if r["impl"] == "out.fill"]
    if fills:
        lines += ["", "memory-write roofline (out.fill(1.0))"]
        for r in sorted(fills, key=lambda r: (r["dtype"], r["bytes"])):
            lines.append(f"  {r['dtype']:<10}{_size(r['bytes']):>9}{r['mvalues_per_s']:>12,.0f} M/s"
                         f"{r['gb_per_s']:>7.1f} GB/s")
    if SCALING:
        lines += ["", "thread scaling (fastinit)"]
        base: dict[tuple, float] = {}
        for r in sorted(SCALING, key=lambda r: (r["fill"], r["dtype"], r["threads"])):
            key = (r["fill"], r["dtype"])
            base.setdefault(key, r["seconds"])
            eff = base[key] / r["seconds"] / r["threads"]
            lines.append(f"  {r['fill']:<22}{r['dtype']:<10}{r['threads']:>3} threads{r['mvalues_per_s']:>10,.0f} M/s"
                         f"   efficiency {eff:6.1%}")
    return lines


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS and not SCALING:
        return
    for line in _tables():
        terminalreporter.write_line(line)
    path: str | None = config.getoption("--bench-json")
    if path:
        import fastinit

        meta = {"fastinit": fastinit.__version__, "simd_path": fastinit.simd_path(),
                "threads": fastinit.get_num_threads(), "cpu_count": os.cpu_count(),
                "machine": platform.machine(), "processor": platform.processor(),
                "python": platform.python_version(), "quick": bool(config.getoption("--quick"))}
        with open(path, "w") as f:
            json.dump({"meta": meta, "results": RESULTS, "scaling": SCALING}, f, indent=1)
        terminalreporter.write_line(f"\nresults written to {path}")
