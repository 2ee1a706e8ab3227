"""Whole-model init of a transformers Llama: fastinit.torch.init_module vs the model's own init_weights().

    python bench/hf_init.py            # ~0.47 B parameters, float32, CPU, 2 threads, 3 repeats
    python bench/hf_init.py --quick    # a small config (smoke test)

Both initialize the same model with the same rules (the model's ``_init_weights``: normal(0.02)
for Linear/Embedding weights, ones for RMSNorm, rotary ``inv_freq`` recomputed); torch draws from
its generator, init_module runs the same code under ``fastinit.torch.seeded``. Each method runs in
its own child process (so the peak RSS is its own), alternating, ``--repeat`` times:

- cold: the model is built on the meta device, then ``to_empty(device="cpu")`` + the init (for
  init_module: ``init_module(meta_model, seed)``, which does both): first-touch page faults included;
- warm: the init run again on the same, already touched memory.

Reported: medians of wall and process (user+sys CPU) seconds, the ratios torch / fastinit, and
each child's peak RSS. The machine may be shared: process time is the steadier figure then.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from typing import Any, Callable


def _config(quick: bool) -> Any:
    import transformers
    if quick:
        return transformers.LlamaConfig(vocab_size=4096, hidden_size=256, intermediate_size=1024,
                                         num_hidden_layers=4, num_attention_heads=8, num_key_value_heads=8)
    return transformers.LlamaConfig(vocab_size=32000, hidden_size=1024, intermediate_size=4096,
                                     num_hidden_layers=24, num_attention_heads=16, num_key_value_heads=16,
                                     tie_word_embeddings=False)


def _timed(fn: Callable[[], None]) -> tuple[float, float]:
    w0, p0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - p0


def _child(method: str, quick: bool, threads: int) -> dict[str, Any]:
    import torch
    import transformers

    import fastinit
    import fastinit.torch as ft
    from fastinit.torch.own_init import _clear_hf_flags

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(threads)
    fastinit.set_num_threads(threads)
    cfg = _config(quick)
    with torch.device("meta"):
        model = transformers.LlamaForCausalLM(cfg)
    params = sum(p.numel() for p in model.parameters())

    def torch_cold() -> None:
        model.to_empty(device="cpu")
        model.init_weights()

    def torch_warm() -> None:
        _clear_hf_flags(model)
        model.init_weights()

    def fastinit_once() -> None:
        ft.init_module(model, 1234)

    cold = _timed(torch_cold if method == "torch" else fastinit_once)
    warm = _timed(torch_warm if method == "torch" else fastinit_once)
    w = model.model.layers[0].mlp.up_proj.weight.detach()
    return {"method": method, "params": params, "cold": cold, "warm": warm, "std": float(w.std()),
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _model_name() -> str:
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
        return next(line.split(":", 1)[1].strip() for line in out.splitlines() if line.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small config, one repeat")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", default="1,2", help="thread counts to run, comma-separated (default 1,2)")
    parser.add_argument("--child", choices=["torch", "fastinit"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child, args.quick, int(args.threads))))
        return
    for threads in [int(t) for t in str(args.threads).split(",")]:
        _compare(args, threads)


def _compare(args: argparse.Namespace, threads: int) -> None:
    """Run both methods ``--repeat`` times with ``threads`` threads and print the medians."""
    runs: dict[str, list[dict[str, Any]]] = {"torch": [], "fastinit": []}
    for _ in range(1 if args.quick else args.repeat):
        for method in ("torch", "fastinit"):
            cmd = [sys.executable, __file__, "--child", method, "--threads", str(threads)]
            out = subprocess.run(cmd + (["--quick"] if args.quick else []), capture_output=True, text=True,
                                 check=True, env={**os.environ, "OMP_NUM_THREADS": str(threads)})
            runs[method].append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"CPU: {_model_name()}, {os.cpu_count()} cores visible, {threads} threads; "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"LlamaForCausalLM, {runs['torch'][0]['params'] / 1e9:.3f} B parameters, float32, "
          f"{len(runs['torch'])} runs each (medians)")
    med: dict[tuple[str, str, int], float] = {}
    for method, rs in runs.items():
        for phase in ("cold", "warm"):
            for k in (0, 1):
                med[method, phase, k] = statistics.median(r[phase][k] for r in rs)
        rss = max(r["peak_rss_mib"] for r in rs)
        print(f"  {method:9s} cold {med[method, 'cold', 0]:7.2f} s wall {med[method, 'cold', 1]:7.2f} s CPU | "
              f"warm {med[method, 'warm', 0]:7.2f} s wall {med[method, 'warm', 1]:7.2f} s CPU | "
              f"peak RSS {rss:7.0f} MiB | up_proj std {rs[0]['std']:.5f}")
    for phase in ("cold", "warm"):
        print(f"  speed-up {phase}: wall {med['torch', phase, 0] / med['fastinit', phase, 0]:.2f}x, "
              f"CPU {med['torch', phase, 1] / med['fastinit', phase, 1]:.2f}x")


if __name__ == "__main__":
    main()
