"""``python -m fastinit``: what this install runs on, and how fast it fills, next to NumPy.

    python -m fastinit                  # info and a throughput table (64 M float32 values)
    python -m fastinit --size 268435456 --threads 2 --repeat 5
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from typing import Callable, List, Optional

import numpy as np

import fastinit


def _median_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: pages touched, code paths loaded
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m fastinit", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=64 * 2**20, help="values per fill (default 64M)")
    parser.add_argument("--threads", type=int, default=None, help="threads (default: all cores)")
    parser.add_argument("--repeat", type=int, default=3, help="timed rounds; the median is shown")
    args = parser.parse_args(argv)
    if args.size < 1 or args.repeat < 1:
        parser.error("--size and --repeat must be >= 1")
    if args.threads is not None:
        fastinit.set_num_threads(args.threads)

    print(f"fastinit {fastinit.__version__}, stream version {fastinit.STREAM_VERSION}")
    print(f"SIMD path {fastinit.simd_path()} (available: {', '.join(fastinit.simd_paths())}; "
          f"force one with {fastinit.SIMD_ENV_VAR}=...), threads {fastinit.get_num_threads()}")

    out = np.empty(args.size, np.float32)
    rng = np.random.default_rng(0)
    rows = [
        ("write memory (out.fill)", lambda: out.fill(1.0), None),
        ("uniform", lambda: fastinit.uniform(out, seed=0), lambda: rng.random(dtype=np.float32, out=out)),
        ("normal", lambda: fastinit.normal(out, seed=0), lambda: rng.standard_normal(dtype=np.float32, out=out)),
        ("truncated_normal(-2, 2)", lambda: fastinit.truncated_normal(out, seed=0), None),
    ]
    print(f"\n{args.size:,} float32 values, median of {args.repeat}:")
    print(f"{'fill':<26}{'fastinit M/s':>14}{'NumPy M/s':>12}{'speed-up':>10}")
    for name, ours, theirs in rows:
        t = _median_seconds(ours, args.repeat)
        line = f"{name:<26}{args.size / t / 1e6:>14,.0f}"
        if theirs is not None:
            t2 = _median_seconds(theirs, args.repeat)
            line += f"{args.size / t2 / 1e6:>12,.0f}{t2 / t:>9.1f}x"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
