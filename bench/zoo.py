"""Any model, any zoo: fastinit.torch.build against each model's own init, over ~90 architectures.

    python bench/zoo.py                 # every model of the zoos that import (bench/zoo_models.py)
    python bench/zoo.py --quick         # a handful (smoke test)
    python bench/zoo.py --only llama,t5 # the models whose name contains one of these
    python bench/zoo.py --big           # also time GPT-2, BERT, Llama and ViT-B at full size
    python bench/zoo.py --json out.json # also write the rows as JSON

Per model (`make()`: the model's own construction, its own init included; see bench/zoo_models.py):

- meta, same: ``build(make, seed=0)`` on the meta device ("meta" where it raises: the other checks
  then build on the CPU) and on the CPU give the same bits. transformers
  models skip their init under a meta device, so for them ``build_on="cpu"`` is compared with
  ``init_module`` of a meta-built model instead (docs/guide/model-zoos.md; "init_module" when it raises,
  unless it rightly refuses: the tensors its error names are ones the model's own ``init_weights()``
  leaves unwritten on a meta-built model, e.g. CLIP's ``logit_scale``, set only in the constructor;
  then with the fix the error names, scheme entries holding the constructor's values);
- seed: a rebuild with seed 0 gives the same bits; seed 1 changes every random tensor (one that the
  model's own init, under ``torch.manual_seed(0)`` and ``(1)``, draws differently);
- match: deterministic tensors equal the model's own exactly; random ones agree in mean and standard
  deviation (5 standard errors of the sample size, plus 1 % of the std) and stay in its range
  (uniform-like, kurtosis under 2.2 over 1000 values or more: within its min/max plus 12/n of the
  range; others: within its min/max or the mean +- c std, where n normal values pass c with chance 1e-4,
  the std taken 5 standard errors high);
- warn: fastinit's warnings while building (UnkeyedDrawWarning, zero-filled tensors ...); im-warn:
  those of init_module (transformers);
- speed: the model's own construction vs ``build`` (both warm: the second run), and for the
  transformers models ``init_weights()`` vs ``init_module``.

A zoo that cannot be imported is skipped with a line saying so. The times are wall seconds of one run
each: on a loaded machine an OpenMP parallel region can wait milliseconds for its threads (torch's
own `mul_` of 110 K floats measured 0.02 ms and 8 ms minutes apart on 2 shared cores), so small models'
ratios say little there; ``--threads 1`` takes the thread pools out.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
import time
import warnings
from typing import Any, Callable

import torch

import fastinit
import fastinit.torch as ft

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zoo_big  # noqa: E402 - next to this script: full-size timings
import zoo_models  # noqa: E402 - the model list

SIGMAS = 5.0  # standard errors allowed between two samples' mean or std
REL_SLACK = 0.01  # plus this fraction of the std
UNIFORM_KURTOSIS = 2.2  # below: uniform-like (uniform 1.8, normal 3)
UNIFORM_MIN_N = 1000  # from this size on (kurtosis of n normal values: 3 +- (24/n)**0.5)
FAILURES = ("meta", "same", "seed", "match", "warn", "im-warn", "own init", "build", "build_on=cpu", "init_module")
TAIL_ALARM = 1e-4  # chance that a tensor of n normal values has one beyond the allowed range


def _state(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _same(a: torch.Tensor, b: torch.Tensor) -> bool:
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    if torch.equal(a, b):
        return True
    return a.is_floating_point() and torch.equal(a.isnan(), b.isnan()) and torch.equal(a.nan_to_num(), b.nan_to_num())


def _differing(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor]) -> list[str]:
    """Names whose tensors differ (or that only one of the state dicts has)."""
    return sorted(set(a) ^ set(b)) + [k for k in a if k in b and not _same(a[k], b[k])]


def _timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def _own(make: Callable[[], Any], seed: int) -> tuple[dict[str, torch.Tensor], float]:
    torch.manual_seed(seed)
    model, dt = _timed(make)
    return _state(model), dt


def _ours(make: Callable[[], Any], seed: int, build_on: str, seen: set[str]) -> tuple[Any, float]:
    """build(make, seed) and its time; fastinit's warnings go into seen."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model, dt = _timed(lambda: ft.build(make, seed=seed, build_on=build_on))
    seen.update(_fastinit_warnings(caught))
    return model, dt


def _fastinit_warnings(caught: list[warnings.WarningMessage]) -> list[str]:
    """fastinit's warnings (its classes, or a message naming it: build's warnings point at the caller)."""
    return [f"{w.category.__name__}: {str(w.message)[:160]}" for w in caught
            if w.category.__module__.startswith("fastinit") or str(w.message).startswith("fastinit")]


def _moments(t: torch.Tensor) -> tuple[float, float, float, float, float]:
    x = t.double().flatten()
    mean, std = x.mean().item(), x.std(unbiased=False).item() if x.numel() > 1 else 0.0
    kurt = ((x - mean) ** 4).mean().item() / std**4 if std > 0 else 0.0
    return mean, std, x.min().item(), x.max().item(), kurt


def _normal_bound(n: int) -> float:
    """c such that n normal values have one beyond c standard deviations with chance TAIL_ALARM."""
    lo, hi = 0.0, 40.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if n * math.erfc(mid / math.sqrt(2)) > TAIL_ALARM else (lo, mid)
    return hi


def _stat_problem(name: str, ours: torch.Tensor, ref: torch.Tensor) -> str | None:
    """Why ours does not look like a draw of the model's own random init ref, or None."""
    if ours.shape != ref.shape or ours.dtype != ref.dtype:
        return f"{name}: {tuple(ours.shape)} {ours.dtype} vs the model's {tuple(ref.shape)} {ref.dtype}"
    if not ours.is_floating_point():
        ok = ours.min() >= ref.min() and ours.max() <= ref.max()
        return None if ok else f"{name}: integer values outside the model's range"
    if not torch.isfinite(ours).all():
        return f"{name}: non-finite values"
    m1, s1, lo1, hi1, _ = _moments(ours)
    m0, s0, lo0, hi0, kurt = _moments(ref)
    n = ref.numel()
    tol = SIGMAS * s0 * math.sqrt(2.0 / n) + REL_SLACK * s0 + 1e-12
    if kurt < UNIFORM_KURTOSIS and n >= UNIFORM_MIN_N:
        widen = (hi0 - lo0) * 12.0 / n
        lo0, hi0 = lo0 - widen, hi0 + widen
    else:
        c = _normal_bound(n) * s0 * (1 + SIGMAS / math.sqrt(2 * n))  # s0 at the top of its own error
        lo0, hi0 = min(lo0, m0 - c), max(hi0, m0 + c)
    problems = []
    if abs(m1 - m0) > tol:
        problems.append(f"mean {m1:.4g} vs {m0:.4g}")
    if abs(s1 - s0) > tol:
        problems.append(f"std {s1:.4g} vs {s0:.4g}")
    if lo1 < lo0 or hi1 > hi0:
        problems.append(f"range [{lo1:.4g}, {hi1:.4g}] outside [{lo0:.4g}, {hi0:.4g}]")
    return f"{name}: {', '.join(problems)} (n={n})" if problems else None


def _match(ours: dict[str, torch.Tensor], ref_a: dict[str, torch.Tensor], ref_b: dict[str, torch.Tensor],
           ours_b: dict[str, torch.Tensor]) -> tuple[list[str], int]:
    """Problems of ours (seed 0; ours_b: seed 1) against the model's own init (torch seeds 0, 1), and
    the number of random tensors."""
    problems = [f"{k}: missing" for k in sorted(set(ref_a) - set(ours))]
    problems += [f"{k}: not in the model's own state" for k in sorted(set(ours) - set(ref_a))]
    random = 0
    for k, ref in ref_a.items():
        if k not in ours:
            continue
        if _same(ref, ref_b[k]):
            if not _same(ours[k], ref):
                problems.append(f"{k}: deterministic in the model's init, differs")
            continue
        random += 1
        if _same(ours[k], ours_b[k]):
            problems.append(f"{k}: random in the model's init, the same for seeds 0 and 1")
        problem = _stat_problem(k, ours[k], ref)
        if problem:
            problems.append(problem)
    return problems, random


def _hf_init_module(make: Callable[[], Any], row: dict[str, Any],
                    scheme: dict[str, Any] | None = None) -> dict[str, torch.Tensor]:
    """transformers: the state init_module gives a meta-built model (for "same"), its warnings, and
    the times of init_weights() vs init_module (warm)."""
    from fastinit.torch.own_init import _clear_hf_flags

    with torch.device("meta"):
        model = make()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ft.init_module(model, 0, scheme=scheme)
        state = _state(model)
        _, row["t_init_module"] = _timed(lambda: ft.init_module(model, 0, scheme=scheme))
    row["warnings"] += [f"init_module: {w}" for w in sorted(set(_fastinit_warnings(caught)))]

    def own() -> None:
        _clear_hf_flags(model)
        model.init_weights()

    own()
    _, row["t_init_weights"] = _timed(own)
    return state


def _error(e: Exception) -> str:
    return f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"


def _check(entry: zoo_models.Model) -> dict[str, Any]:
    """Every check of one model; a failing step ends it with its error in the row."""
    row: dict[str, Any] = {"zoo": entry.zoo, "name": entry.name, "fail": [], "warnings": []}
    step = "own init"
    try:
        ref_a, _ = _own(entry.make, 0)
        ref_b, row["t_own"] = _own(entry.make, 1)
        row["params"] = sum(v.numel() for v in ref_a.values() if v.is_floating_point())
        hf = entry.zoo == "transformers"
        seen: set[str] = set()
        step = "build"
        ours, on = _first_build(entry, row, seen)
        again, row["t_build"] = _ours(entry.make, 0, on, seen)
        other = _state(_ours(entry.make, 1, on, seen)[0])
        _record(row, "seed", _differing(ours, _state(again)))
        if on == "meta":
            step = "build_on=cpu"
            _record(row, "same", _differing(ours, _state(_ours(entry.make, 0, "cpu", seen)[0])))
        row["warnings"] = [f"build: {w}" for w in sorted(seen)]
        if seen:
            row["fail"].append("warn")
        step = "match"
        problems, row["random"] = _match(ours, ref_a, ref_b, other)
        _record(row, "match", problems)
        row["tensors"] = len(ref_a)
        if hf:
            step = "init_module"
            _hf_same(entry.make, row, ours, ref_a)
    except Exception as e:  # noqa: BLE001 - one model's error is its row's failure, the zoo goes on
        row["fail"].append(step)
        row["error"] = f"{step} raised {_error(e)}"
    return row


def _first_build(entry: zoo_models.Model, row: dict[str, Any], seen: set[str]) -> tuple[dict[str, torch.Tensor], str]:
    """build(make, 0) on the meta device (transformers: the CPU) and where it was built. Where the
    meta build raises, that is the row's "meta" failure and the CPU build stands in for the rest."""
    on = "cpu" if entry.zoo == "transformers" else "meta"
    try:
        return _state(_ours(entry.make, 0, on, seen)[0]), on
    except Exception as e:  # noqa: BLE001
        if on == "cpu":
            raise
        row["fail"].append("meta")
        row["error"] = f"build_on=meta raised {_error(e)} (the other checks: build_on=cpu)"
        return _state(_ours(entry.make, 0, "cpu", seen)[0]), "cpu"


def _hf_same(make: Callable[[], Any], row: dict[str, Any], ours: dict[str, torch.Tensor],
             ref: dict[str, torch.Tensor]) -> None:
    """transformers: "same" is build(cpu) against init_module; "im-warn" init_module's warnings.
    Where init_module refuses a meta-built model (tensors nothing writes), the refusal is right when
    it names exactly tensors that the model's own init_weights() leaves unwritten on a meta-built
    model (_unwritten_by_own_init); "same" then compares init_module with the fix its error gives
    (scheme entries for those tensors, holding the model's own constructor values, ref)."""
    n = len(row["warnings"])
    try:
        state = _hf_init_module(make, row)
    except RuntimeError as e:
        named = _refused(str(e))
        if not named or not set(named) <= _unwritten_by_own_init(make):
            raise
        row["refused"] = named
        fix = {name: _copier(ref[name]) for name in named}
        state = _hf_init_module(make, row, scheme=fix)
    _record(row, "same", _differing(ours, state))
    if len(row["warnings"]) > n:
        row["fail"].append("im-warn")


def _refused(message: str) -> list[str]:
    """The tensors init_module's "did not write A, B, and no layer default covers them" names."""
    head, sep, rest = message.partition(" did not write ")
    names, sep2, _ = rest.partition(", and no layer default covers")
    return [] if not (sep and sep2) or names.endswith("...") else names.split(", ")


def _unwritten_by_own_init(make: Callable[[], Any]) -> set[str]:
    """The tensors of a meta-built model that its own init_weights() leaves unwritten (every
    element still the NaN, or for integers the -7, put there first)."""
    from fastinit.torch.own_init import _clear_hf_flags

    with torch.device("meta"):
        model = make()
    model.to_empty(device="cpu")
    with torch.no_grad():
        for t in list(model.parameters()) + list(model.buffers()):
            t.fill_(float("nan") if t.is_floating_point() or t.is_complex() else -7)
        _clear_hf_flags(model)
        model.init_weights()
    tensors = dict(list(model.named_parameters()) + list(model.named_buffers()))
    return {name for name, t in tensors.items() if t.numel() and (
        t.isnan().all() if t.is_floating_point() or t.is_complex() else (t == -7).all())}


def _copier(values: torch.Tensor) -> Callable[..., None]:
    def fill(t: torch.Tensor, *, seed: int, stream: str) -> None:
        with torch.no_grad():
            t.copy_(values)
    return fill


def _record(row: dict[str, Any], check: str, problems: list[str]) -> None:
    row[check] = problems
    if problems:
        row["fail"].append(check)


def _ms(row: dict[str, Any], key: str) -> str:
    return f"{row[key] * 1e3:9.1f}" if key in row else f"{'':>9}"


def _speedup(row: dict[str, Any], own: str, ours: str) -> str:
    return f"{row[own] / row[ours]:6.1f}x" if own in row and ours in row and row[ours] > 0 else f"{'':>7}"


HEAD = (f"{'zoo':<13}{'model':<31}{'params':>11}{'rand':>5}/{'all':<4} {'result':<18}{'own ms':>9}{'build ms':>9}"
        f"{'x':>7}{'iw ms':>9}{'im ms':>9}{'x':>7}")


def _print_row(row: dict[str, Any]) -> None:
    result = "ok" if not row["fail"] else "FAIL " + ",".join(row["fail"])
    counts = f"{row.get('random', ''):>5}/{row.get('tensors', ''):<4}"
    print(f"{row['zoo']:<13}{row['name'][:30]:<31}{row.get('params', 0):>11,}{counts} {result:<18}"
          f"{_ms(row, 't_own')}{_ms(row, 't_build')}{_speedup(row, 't_own', 't_build')}"
          f"{_ms(row, 't_init_weights')}{_ms(row, 't_init_module')}{_speedup(row, 't_init_weights', 't_init_module')}",
          flush=True)
    if "error" in row:
        print(f"    {row['error']}")
    if row.get("refused"):
        print(f"    init_module refuses a meta-built model, rightly: its own init leaves {', '.join(row['refused'])} "
              "unwritten there (compared with the fix the error names)")
    for check in ("same", "seed", "match"):
        for problem in row.get(check, [])[:3]:
            print(f"    {check}: {problem[:150]}")
        if len(row.get(check, [])) > 3:
            print(f"    {check}: ... {len(row[check]) - 3} more")
    for w in row["warnings"][:3]:
        print(f"    warn: {w}")


def _geomean(values: list[float]) -> float:
    return math.exp(sum(math.log(v) for v in values) / len(values)) if values else float("nan")


def _summary(rows: list[dict[str, Any]], skipped: list[str]) -> None:
    print("\nsummary (x: speed-up, the model's own time / fastinit's; geometric mean [min, max])")
    groups = sorted({r["zoo"] for r in rows}) + ["all"]
    for zoo in groups:
        mine = [r for r in rows if zoo in ("all", r["zoo"])]
        passed = sum(not r["fail"] for r in mine)
        ups = [r["t_own"] / r["t_build"] for r in mine if "t_build" in r and r["t_build"] > 0]
        line = f"  {zoo:<13}{passed:>3}/{len(mine):<3} pass ({passed / len(mine):4.0%})"
        if ups:
            line += f"   build x {_geomean(ups):.2f} [{min(ups):.2f}, {max(ups):.2f}]"
        iw = [r["t_init_weights"] / r["t_init_module"] for r in mine if r.get("t_init_module")]
        if iw:
            line += f"   init_module x {_geomean(iw):.2f} [{min(iw):.2f}, {max(iw):.2f}]"
        print(line)
    for reason in FAILURES:
        names = [r["name"] for r in rows if reason in r["fail"]]
        if names:
            print(f"  failing {reason}: {', '.join(names)}")
    for line in skipped:
        print(f"  {line}")


def _header() -> None:
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            model = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{model}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"fastinit {fastinit.get_num_threads()} threads, "
          f"1-minute load average {load:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a handful of models (smoke test)")
    parser.add_argument("--only", default=None,
                        help="the models whose name contains this (or one of these, comma-separated)")
    parser.add_argument("--big", action="store_true", help="also time full-size GPT-2, BERT, Llama and ViT-B")
    parser.add_argument("--json", default=None, help="also write the rows to this path")
    parser.add_argument("--threads", type=int, default=None, help="torch's and fastinit's thread count")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
        fastinit.set_num_threads(args.threads)
    models, skipped = zoo_models.zoos()
    if args.quick:
        models = [m for m in models if m.name in zoo_models.QUICK[m.zoo]]
    if args.only:
        models = [m for m in models if any(part in m.name for part in args.only.split(","))]
    _header()
    for line in skipped:
        print(line)
    print(HEAD)
    rows = []
    for entry in models:
        rows.append(_check(entry))
        _print_row(rows[-1])
    if rows:
        _summary(rows, skipped)
    big = zoo_big.big_speed() if args.big else []
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"rows": rows, "big": big, "skipped": skipped}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
