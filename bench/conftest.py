"""A small throughput harness for ``pytest bench/``: each benchmark records M values/s for
fastinit and its peers; at the end one table (with speed-ups), a thread-scaling table and the
memory-write roofline (the fastest of ``out.fill`` and one thread's plain and non-temporal
stores) are printed, and the same data is written as JSON.

    pytest bench/                       # full run: sizes from 1 MB to 1 GB, 3 rounds each
    pytest bench/ --quick               # under a minute: small sizes, 2 rounds
    pytest bench/ --bench-json out.json # also write the results here

The numbers are only as good as the machine was quiet. The summary says UNRELIABLE, with the
reason, in its header and under every table it concerns (and the JSON lists the reasons in
``meta["unreliable"]``) when

- the 1-minute load average was above the number of cores when the session started or ended:
  other work competed for the CPUs while we timed; or
- a thread-scaling row's efficiency (time on 1 thread / time on n threads / n) falls outside
  50-110 %: either the cores were shared, or the clock changed during the run.

It never fails the run. The header also says how much CPU time the VM's host took from the
machine during the session (steal, host_steal.py), where Linux counts it.

The busy-machine rows (test_contention.py) load every core on purpose, so they run last, and the
"end" load is read before they start them: it is the load the other measurements ran under.
"""

from __future__ import annotations

import json
import os
import platform
import textwrap
import time
from typing import Callable

import pytest

from fastinit.core.timing import median_seconds  # the timer `fastinit info` uses too

from host_steal import steal_seconds

__all__ = ["best_seconds", "end_load_now", "median_seconds", "record", "record_ratio", "record_scaling"]

RESULTS: list[dict] = []
SCALING: list[dict] = []
RATIOS: list[dict] = []  # a speed ratio measured in one run, and its target (busy machine, roofline)
LOAD: dict[str, float | None] = {}  # 1-minute load average at "start" and "end" of the session
STEAL: dict[str, float | None] = {}  # the host's steal time (host_steal.py) at "start" of the session

#: The measurements of writing memory at all; the roofline is the fastest of them per dtype and size.
ROOF_IMPLS = ("out.fill", "plain stores", "non-temporal stores")

EFFICIENCY_RANGE = (0.50, 1.10)  # plausible thread-scaling efficiency; outside it the run was disturbed


def _load1() -> float | None:
    """The 1-minute load average, or None where the OS has none (Windows)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def pytest_sessionstart(session):
    LOAD["start"] = _load1()
    STEAL["start"] = steal_seconds()


def host_steal() -> float | None:
    """Seconds of CPU time the VM's host took from this machine since the session started; None
    where the OS does not count it."""
    now, start = steal_seconds(), STEAL.get("start")
    return None if now is None or start is None else now - start


def end_load_now() -> None:
    """Read the "end" load average now, once: before the busy-machine rows load the cores."""
    LOAD.setdefault("end", _load1())


def pytest_collection_modifyitems(session, config, items):
    """The busy-machine rows run last (stable order otherwise): their busy-loop processes would
    otherwise weigh on the load average of the measurements after them."""
    items.sort(key=lambda item: "test_contention.py::" in item.nodeid)


def pytest_addoption(parser):
    parser.addoption("--quick", action="store_true", help="small sizes and few rounds (CI)")
    parser.addoption("--bench-json", default=None, help="write the results as JSON to this path")


@pytest.fixture(scope="session")
def quick(request) -> bool:
    return bool(request.config.getoption("--quick"))


@pytest.fixture(scope="session")
def rounds(quick) -> int:
    return 2 if quick else 3


def best_seconds(fn: Callable[[], object], repeat: int) -> float:
    """Best wall time of ``fn()`` over ``repeat`` calls, after one untimed call (as median_seconds):
    for ratios of two speeds measured in one run, where the best round is the least disturbed."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def record(fill: str, dtype: str, n: int, itemsize: int, impl: str, seconds: float, note: str = "") -> None:
    RESULTS.append({"fill": fill, "dtype": dtype, "n": n, "bytes": n * itemsize, "impl": impl,
                    "seconds": seconds, "mvalues_per_s": n / seconds / 1e6,
                    "gb_per_s": n * itemsize / seconds / 1e9, "note": note})


def record_ratio(case: str, fill: str, dtype: str, nbytes: int, ratio: float, target: float, note: str = "") -> None:
    """A ratio row: ratio (higher is better) of two speeds measured in one run, and its target."""
    RATIOS.append({"case": case, "fill": fill, "dtype": dtype, "bytes": nbytes, "ratio": ratio, "target": target,
                   "note": note})


def record_scaling(fill: str, dtype: str, n: int, threads: int, seconds: float, note: str = "") -> None:
    SCALING.append({"fill": fill, "dtype": dtype, "n": n, "threads": threads, "seconds": seconds,
                    "mvalues_per_s": n / seconds / 1e6, "note": note})


def _size(nbytes: int) -> str:
    for unit in ("GB", "MB", "KB"):
        scale = {"GB": 1 << 30, "MB": 1 << 20, "KB": 1 << 10}[unit]
        if nbytes >= scale:
            return f"{nbytes / scale:.3g} {unit}"  # 3 digits: the layout tables are squares of about 16 MB
    return f"{nbytes} B"


def _efficiencies() -> list[tuple[dict, float]]:
    """Each scaling row with its efficiency: time on 1 thread / time on n threads / n."""
    base: dict[tuple, float] = {}
    rows = []
    for r in sorted(SCALING, key=lambda r: (r["fill"], r["dtype"], r["threads"])):
        base.setdefault((r["fill"], r["dtype"]), r["seconds"])
        rows.append((r, base[(r["fill"], r["dtype"])] / r["seconds"] / r["threads"]))
    return rows


def _efficiency_note(r: dict, eff: float) -> str:
    """Why a scaling row is implausible, or "" when it is not."""
    lo, hi = EFFICIENCY_RANGE
    if r["threads"] < 2 or lo <= eff <= hi:
        return ""
    return (f"thread-scaling efficiency {eff:.0%} for {r['fill']} {r['dtype']} on {r['threads']} threads is outside "
            f"{lo:.0%}-{hi:.0%} (cores shared with other work, or the clock changed during the run)")


def unreliable_reasons() -> list[tuple[str, str]]:
    """Why this session's numbers should not be taken as facts, as (short, full) pairs; empty
    when there is no sign of trouble."""
    cores = os.cpu_count() or 1
    reasons = []
    for when in ("start", "end"):
        load = LOAD.get(when)
        if load is not None and load > cores:
            reasons.append((f"load {load:.2f} > {cores} cores at {when}",
                            f"1-minute load average {load:.2f} at the {when} of the session is above the "
                            f"{cores} cores: other work competed for the CPUs"))
    for r, eff in _efficiencies():
        note = _efficiency_note(r, eff)
        if note:
            reasons.append((f"scaling {eff:.0%} ({r['fill']}, {r['threads']} threads)", note))
    return reasons


def cpu_model() -> str:
    """The CPU's name as /proc/cpuinfo gives it, with its family and model numbers (a VM's "AMD
    EPYC" names no generation: family 23 is Zen 1/2, 25 Zen 3/4, 26 Zen 5); else platform's."""
    try:
        with open("/proc/cpuinfo") as f:
            fields = dict(line.split(":", 1) for line in f.read().split("\n\n")[0].splitlines() if ":" in line)
    except OSError:
        return platform.processor() or platform.machine()
    fields = {k.strip(): v.strip() for k, v in fields.items()}
    name = fields.get("model name", platform.machine())
    if "cpu family" in fields and "model" in fields:
        name += f" (family {fields['cpu family']}, model {fields['model']})"
    return name


def _header(reasons: list[tuple[str, str]]) -> list[str]:
    import fastinit

    cores = os.cpu_count() or 1
    loads = ", ".join(f"{LOAD[w]:.2f} at {w}" for w in ("start", "end") if LOAD.get(w) is not None)
    steal = host_steal()
    stolen = "" if steal is None else f"; the VM's host took {steal:.1f} s of CPU time (steal)"
    lines = ["", *_wrap(f"fastinit bench: {cpu_model()}, {cores} cores, {fastinit.simd_path()} path, "
                        f"{fastinit.store_kind()} stores for large outputs; 1-minute load average "
                        f"{loads or 'unknown'}{stolen}")]
    for _, full in reasons:
        lines += _wrap(f"UNRELIABLE: {full}")
    return lines


WIDTH = 120  # every line of the summary fits a terminal this wide
OUTLIER_RATIO = 0.5  # a row under half the rate its fill, dtype and impl reach at a larger size
OUTLIER_NOTE = ("* outlier: under half the rate of the same fill at a larger size. Its fill takes about a millisecond, "
                "so fixed costs (waking the threads, page faults, other load) weigh on a median of few rounds; "
                "rerun without --quick before quoting it.")


def _wrap(text: str, indent: str = "") -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent + "  ")


def _roofline() -> dict[tuple[str, int], dict]:
    """The fastest of the ROOF_IMPLS measurements per (dtype, bytes): the roofline, once however
    many benchmarks measured it."""
    best: dict[tuple[str, int], dict] = {}
    for r in RESULTS:
        key = (r["dtype"], r["bytes"])
        if r["impl"] in ROOF_IMPLS and (key not in best or r["seconds"] < best[key]["seconds"]):
            best[key] = r
    return best


def _outliers(rows: list[dict]) -> set[int]:
    """ids of the rows slower per value than OUTLIER_RATIO times a larger fill of the same kind:
    per-value cost only falls with size, unless fixed costs dominate the small fill."""
    flagged = set()
    for r in rows:
        larger = [o["mvalues_per_s"] for o in rows if (o["fill"], o["dtype"], o["impl"]) == (r["fill"], r["dtype"],
                  r["impl"]) and o["bytes"] > r["bytes"]]
        if larger and r["mvalues_per_s"] < OUTLIER_RATIO * max(larger):
            flagged.add(id(r))
    return flagged


def _throughput_rows() -> list[str]:
    """One line per measurement, grouped by (fill, dtype, size), fastinit's first."""
    roof = _roofline()
    ours = {(r["fill"], r["dtype"], r["bytes"]): r for r in RESULTS if r["impl"] == "fastinit"}
    rows = sorted((r for r in RESULTS if r["impl"] not in ROOF_IMPLS),
                  key=lambda r: (r["fill"], r["dtype"], r["bytes"], r["impl"] != "fastinit", r["impl"]))
    outliers = _outliers(rows)
    lines = []
    for r in rows:
        base = ours.get((r["fill"], r["dtype"], r["bytes"]))
        x = f"{r['seconds'] / base['seconds']:.2f}" if base and r is not base else ""
        fill_row = roof.get((r["dtype"], r["bytes"]))
        t_fill = f"{r['seconds'] / fill_row['seconds']:.2f}" if fill_row and r["impl"] == "fastinit" else ""
        mark = "*" if id(r) in outliers else ""
        line = (f"{r['fill'][:25]:<25}{r['dtype']:<9}{_size(r['bytes']):>7} {r['impl'][:10]:<10}"
                f"{r['mvalues_per_s']:>9,.0f}{mark:1}{r['gb_per_s']:>6.1f}{x:>7}{t_fill:>7}  ")
        lines.append((line + r["note"][: WIDTH - len(line)]).rstrip())
    if outliers:
        lines += _wrap(OUTLIER_NOTE)
    return lines


def _tables(reasons: list[tuple[str, str]] | None = None) -> list[str]:
    """The throughput table, the roofline and the scaling table, each line at most WIDTH wide.
    With reasons, every table carries one UNRELIABLE line naming them, and each implausible
    scaling row its own mark."""
    banner = _wrap(f"  UNRELIABLE (see above): {'; '.join(short for short, _ in reasons)}") if reasons else []
    lines = []
    if any(r["impl"] not in ROOF_IMPLS for r in RESULTS):
        head = f"{'fill':<25}{'dtype':<9}{'size':>7} {'impl':<10}{'M/s':>9} {'GB/s':>6}{'x':>7}{'t/roof':>7}  note"
        lines += ["", "throughput, median of the rounds. x: this row's time / fastinit's on the same fill, dtype and "
                  "size", "(a peer's x is fastinit's speed-up). t/roof: fastinit's time / the roofline's on the same "
                  "bytes (1.00 = memory speed).", *banner, head, "-" * len(head), *_throughput_rows()]
    roof = _roofline()
    if roof:
        lines += ["", "memory-write roofline: the fastest per dtype and size of out.fill(1) through an integer view "
                  "and one thread's", "plain and non-temporal stores (fastinit's measure_stores)", *banner]
        for (dtype, nbytes), r in sorted(roof.items()):
            lines.append(f"  {dtype:<10}{_size(nbytes):>9}{r['mvalues_per_s']:>12,.0f} M/s{r['gb_per_s']:>7.1f} GB/s"
                         f"  {r['impl']}")
    lines += _ratio_table(banner)
    if SCALING:
        lines += ["", "thread scaling (fastinit)", *banner]
        for r, eff in _efficiencies():
            mark = "   UNRELIABLE: outside {:.0%}-{:.0%}".format(*EFFICIENCY_RANGE) if _efficiency_note(r, eff) else ""
            note = f"; {r['note']}" if r["note"] else ""
            lines += _wrap(f"{r['fill']:<22}{r['dtype']:<10}{r['threads']:>3} threads{r['mvalues_per_s']:>10,.0f} M/s"
                           f"   efficiency {eff:6.1%}{mark}{note}", indent="  ")
    return lines


def _ratio_table(banner: list[str]) -> list[str]:
    """The ratio rows (roofline, busy machine): each ratio with its target, "below" where it misses it."""
    if not RATIOS:
        return []
    head = f"  {'case':<40}{'fill':<10}{'dtype':<9}{'size':>7}{'ratio':>7}{'target':>8}  note"
    lines = ["", "speed ratios measured in one run (both sides under the same load, best of the rounds)",
             *banner, head]
    for r in RATIOS:
        mark = "" if r["ratio"] >= r["target"] else "below"
        line = (f"  {r['case'][:39]:<40}{r['fill']:<10}{r['dtype']:<9}{_size(r['bytes']):>7}{r['ratio']:>7.2f}"
                f"{r['target']:>8.2f}  {mark:<6}")
        lines += _note_lines(line, r["note"])
    return lines


def _note_lines(row: str, note: str) -> list[str]:
    """row with note after it, the note going on in lines under its own column when it is too long
    for WIDTH (words longer than the column are cut)."""
    column = WIDTH - len(row)
    parts = textwrap.wrap(note, column, break_long_words=True) or [""]
    return [(row + parts[0]).rstrip()] + [" " * len(row) + part for part in parts[1:]]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not RESULTS and not SCALING and not RATIOS:
        return
    end_load_now()
    reasons = unreliable_reasons()
    for line in _header(reasons) + _tables(reasons):
        terminalreporter.write_line(line)
    path: str | None = config.getoption("--bench-json")
    if path:
        import fastinit

        meta = {"fastinit": fastinit.__version__, "simd_path": fastinit.simd_path(),
                "threads": fastinit.get_num_threads(), "cpu_count": os.cpu_count(), "cpu": cpu_model(),
                "store_kind": fastinit.store_kind(),
                "machine": platform.machine(), "processor": platform.processor(),
                "python": platform.python_version(), "quick": bool(config.getoption("--quick")),
                "loadavg_1min": {"start": LOAD.get("start"), "end": LOAD.get("end")},
                "host_steal_seconds": host_steal(),
                "unreliable": [full for _, full in reasons]}
        scaling = [dict(r, efficiency=eff, unreliable=_efficiency_note(r, eff) or None) for r, eff in _efficiencies()]
        with open(path, "w") as f:
            json.dump({"meta": meta, "results": RESULTS, "scaling": scaling, "ratios": RATIOS}, f, indent=1)
        terminalreporter.write_line(f"\nresults written to {path}")
