"""The device fills (fastinit.gpu's Triton kernels) on a real GPU: bits against the CPU engine, then speed.

Run standalone on a machine with a CUDA or ROCm GPU and Triton (``pip install fastinit[gpu]``)::

    python bench/gpu.py            # checks + throughput table, under 3 minutes
    python bench/gpu.py --quick    # no GPU: the same checks under Triton's interpreter, CPU tensors

1. Every case of the list (distribution x format x layout, shard origins past 2**32 words and near
   2**63 elements, tails, the float64 path of truncated_normal, std 0, complex) is filled on the
   device and compared bit for bit with the C++ engine's fill of the same layout.
2. Throughput of float32/bfloat16/float64 fills of a large tensor: GB/s written, against the
   device's own ``copy_`` (bytes read + written per second, the memory roofline) and torch's
   ``normal_``/``uniform_`` on the same tensor; the host-staging path (fill on the CPU, copy)
   for one 1 GiB tensor; ``init_module`` of a 1 B-parameter model on the device against the
   model's own ``reset_parameters``.

Exit status 1 when a case differs. ``--quick`` is run by bench/test_scripts.py so that it never rots.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np
import torch

import fastinit
import fastinit.torch as ft
from fastinit.core.complex import complex_target
from fastinit.core.dtypes import FLOAT_FORMATS
from fastinit.core.layout import resolve_target
from fastinit.gpu import launch

SEED, STREAM = 0x0123456789ABCDEF, 7
_INT = {2: torch.int16, 4: torch.int32, 8: torch.int64}
_NP_INT = {2: np.int16, 4: np.int32, 8: np.int64}
_TORCH = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
          "complex64": torch.complex64, "complex128": torch.complex128}
_FORMATS = {**FLOAT_FORMATS, np.dtype(np.uint32): "uint32"}
_NEAR_2_32 = {"full_shape": (2**20 + 5, 4096), "index": (slice(2**20 - 1, 2**20 + 2), slice(4000, 4096))}
_NEAR_2_63 = {"full_shape": (2**62 - 1, 2), "index": (slice(2**62 - 40, 2**62 - 1),)}


def cases() -> list[tuple[str, str, tuple, tuple[int, ...], bool, dict]]:
    """(dist, dtype, parameters, shape, transposed, place) for each check."""
    params = {"uniform": (-0.75, 2.5), "normal": (0.25, 1.5), "truncated_normal": (0.1, 0.7, -2.0, 2.0)}
    out = [("random_bits", "uint32", (), (257, 33), False, {})]
    for dist, values in params.items():
        for dtype in ("float32", "float64", "float16", "bfloat16"):
            out.append((dist, dtype, values, (129, 67), dtype == "float64", {}))
    for dtype in ("float32", "float64", "bfloat16"):
        out.append(("normal", dtype, (0.0, 1.0), (3, 96), True, _NEAR_2_32))
        out.append(("truncated_normal", dtype, (0.0, 1.0, -3.0, 1.0), (39, 2), True, _NEAR_2_63))
    for ab in ((3.0, math.inf), (-math.inf, -3.0), (12.0, math.inf), (-40.0, -11.5)):
        out += [("truncated_normal", dt, (0.5, 2.0) + ab, (65, 31), False, {}) for dt in ("float32", "bfloat16")]
    out += [("normal", "float32", (0.3, 0.0), (5, 7), False, {}), ("uniform", "float16", (0.0, 1e-5), (99,), False, {})]
    out += [("normal", "complex64", (0.5, 2.0), (17, 9), True, {}),
            ("truncated_normal", "complex128", (0.0, 1.0, -1.0, 3.0), (9, 17), False, {})]
    return out


def _reference(dist: str, dtype: str, values: tuple, shape: tuple[int, ...], transposed: bool, place: dict):
    a = np.empty(shape[::-1], dtype=_np_dtype(dtype))
    a = a.T if transposed else a.reshape(shape)
    getattr(fastinit, dist)(a, *values, seed=SEED, stream=STREAM, **place)
    return a


def _np_dtype(name: str) -> np.dtype:
    named = {n: dt for dt, n in _FORMATS.items()}
    return named.get(name) or np.dtype(name)


def check(device: str, interpret: bool) -> int:
    """Compare every case; print one line each; return the number that differ."""
    bad = 0
    for dist, dtype, values, shape, transposed, place in cases():
        a = _reference(dist, dtype, values, shape, transposed, place)
        alloc = shape[::-1] if transposed else shape
        t = torch.empty(alloc, dtype=torch.int32 if dtype == "uint32" else _TORCH[dtype], device=device)
        t = t.t() if transposed else t
        view, vals = t, values
        if dtype.startswith("complex"):
            c = complex_target(a, None, place.get("full_shape"), place.get("index"))
            target = resolve_target(c.parts, None, None, FLOAT_FORMATS, c.full_shape, c.index)
            view = torch.view_as_real(t)
            vals = (values[0], values[1] / math.sqrt(2.0)) + tuple(values[2:])
        else:
            target = resolve_target(a, None, None, _FORMATS, place.get("full_shape"), place.get("index"))
        launch.fill(view, dist, target.format, seed=SEED, stream=STREAM, logical_strides=target.logical_strides,
                    origin=target.origin, values=vals, interpret=interpret)
        got = view.cpu()
        got = got.view(_INT[got.element_size()]).numpy()
        ref = a[..., np.newaxis].view(_np_dtype(target.format)) if dtype.startswith("complex") else a
        same = np.array_equal(got, ref.view(_NP_INT[ref.itemsize]))
        bad += not same
        where = "shard" if place else ("transposed" if transposed else "C")
        print(f"  {'equal  ' if same else 'DIFFERS'} {dist:17} {dtype:10} {str(values):28} {str(shape):10} {where}")
    return bad


def _seconds(fn, repeat: int = 5) -> float:
    """Median wall time of ``fn`` on the device (synchronized)."""
    fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def _row(n: int, dist: str, dtype: str, values: tuple, torch_fn: str | None, copy: float) -> None:
    t = torch.empty(n, dtype=_TORCH[dtype], device="cuda")
    ours = t.nbytes / _seconds(lambda: launch.fill(t, dist, dtype, seed=1, values=values, interpret=False))
    theirs = t.nbytes / _seconds(lambda: getattr(t, torch_fn)(*values)) if torch_fn else float("nan")
    print(f"  {dist + ' ' + dtype:28} {ours / 1e9:7.0f} {100 * ours / copy:9.0f}% {theirs / 1e9:11.0f} "
          f"{ours / theirs:8.2f}x")


def speed(gib: float) -> None:
    """One table: GB/s written by each fill, vs copy_ and torch's own fills."""
    n = int(gib * 2**30) // 4
    src = torch.empty(n, dtype=torch.float32, device="cuda")
    dst = torch.empty_like(src)
    copy = 2 * src.nbytes / _seconds(lambda: dst.copy_(src))
    print(f"\n  device copy_ of {gib} GiB float32: {copy / 1e9:.0f} GB/s (read + write)")
    print(f"  {'fill':28} {'GB/s':>7} {'% of copy_':>10} {'torch GB/s':>11} {'vs torch':>9}")
    rows = [("uniform", "float32", (0.0, 1.0), "uniform_"), ("normal", "float32", (0.0, 1.0), "normal_"),
            ("uniform", "bfloat16", (0.0, 1.0), "uniform_"), ("normal", "bfloat16", (0.0, 1.0), "normal_"),
            ("truncated_normal", "float32", (0.0, 1.0, -2.0, 2.0), None), ("normal", "float64", (0.0, 1.0), "normal_")]
    for dist, dtype, values, torch_fn in rows:
        _row(int(gib * 2**30) // (torch.finfo(_TORCH[dtype]).bits // 8), dist, dtype, values, torch_fn, copy)
    _staging()
    _init_module()


def _staging() -> None:
    t = torch.empty(2**28, dtype=torch.float32, device="cuda")
    host = torch.empty(2**28, dtype=torch.float32)
    staged = _seconds(lambda: t.copy_(torch.from_numpy(fastinit.normal(host.numpy(), seed=1))), repeat=1)
    direct = _seconds(lambda: launch.fill(t, "normal", "float32", seed=1, values=(0.0, 1.0), interpret=False))
    print(f"\n  1 GiB float32 normal: host-staging {staged:.3f} s, device {direct:.4f} s ({staged / direct:.0f}x)")


def _init_module() -> None:
    model = torch.nn.Sequential(*(torch.nn.Linear(8192, 8192, device="cuda") for _ in range(15)))  # 1.0 B
    params = sum(p.numel() for p in model.parameters())
    own = _seconds(lambda: [m.reset_parameters() for m in model], repeat=3)
    ours = _seconds(lambda: ft.init_module(model, seed=0), repeat=3)
    print(f"  init of a {params / 1e9:.2f} B-parameter model on the device: the model's own {own:.3f} s, "
          f"fastinit.torch.init_module {ours:.3f} s ({own / ours:.1f}x)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the checks under Triton's interpreter (no GPU)")
    parser.add_argument("--gib", type=float, default=1.0, help="size of the throughput tensors (default 1 GiB)")
    args = parser.parse_args()
    if not args.quick and not torch.cuda.is_available():
        print("no CUDA/ROCm device: run with --quick for the interpreter checks", file=sys.stderr)
        return 2
    device, interpret = ("cpu", True) if args.quick else ("cuda", False)
    print(f"device fills vs the CPU engine ({'Triton interpreter' if interpret else torch.cuda.get_device_name()}):")
    bad = check(device, interpret)
    print(f"{len(cases()) - bad} of {len(cases())} cases equal" + ("" if bad else ": all cases equal"))
    if not args.quick and not bad:
        speed(args.gib)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
