"""Writes golden_v1.json: pinned bits of a few elements of every fill and dtype, stream version 1.

Run once, from a checkout with fastinit installed: ``python tests/make_golden.py``. It computes
the values with the scalar path and refuses to write unless they pass independent checks:
random_bits and uniform against tests/philox_reference.py (bit for bit), normal and
truncated_normal within docs/stream-v1.md's accuracy bounds of scipy.special.ndtri of the same uniforms.
After that the file pins the stream: test_golden.py fails on any change to a single bit, which
must come with a new fastinit.STREAM_VERSION and a new golden file.
"""

from __future__ import annotations

import json
import pathlib
import sys

import ml_dtypes
import numpy as np
from scipy import special

import fastinit

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from philox_reference import element_words64, open01_f32, open01_f64, stream_words, uniform01_f32, uniform01_f64  # noqa: E402

SEED = 20261123
STREAM = "golden"
FULL = 2**41
INDICES = [0, 1, 2, 3, 5, 1000, 2**32 + 1, 2**40 + 7]
DTYPES = ["float32", "float64", "float16", "bfloat16"]
CASES = {
    "uniform": ("uniform", dict(low=-0.5, high=2.0)),
    "normal": ("normal", dict(mean=0.1, std=0.02)),
    "truncated_normal": ("truncated_normal", dict(mean=0.0, std=1.0, a=-2.0, b=2.0)),
    "truncated_normal_tail": ("truncated_normal", dict(mean=0.0, std=1.0, a=3.0, b=np.inf)),
}


def element(fn: str, params: dict, dtype: str, e: int) -> np.ndarray:
    f = getattr(fastinit, fn)
    kw = dict(seed=SEED, stream=STREAM, full_shape=(FULL,), index=slice(e, e + 1))
    if fn == "random_bits":
        return f(1, **kw)
    return f(1, dtype=dtype, **kw, **params)


def bits_hex(a: np.ndarray) -> str:
    word = a.view({1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}[a.itemsize])[0].item()
    return word.to_bytes(a.itemsize, "big").hex()


def check(fn: str, params: dict, dtype: str, e: int, value: np.ndarray) -> None:
    stream = fastinit.stream_from_name(STREAM)
    v = value.astype(np.float64)[0] if fn != "random_bits" else int(value[0])
    if fn == "random_bits":
        assert v == int(stream_words(SEED, stream, [e])[0])
        return
    if dtype == "float64":
        x = element_words64(SEED, stream, [e])
        u01, u = uniform01_f64(x)[0], open01_f64(x)[0]
    else:
        w = stream_words(SEED, stream, [e])
        u01, u = np.float64(uniform01_f32(w)[0]), open01_f32(w)[0]
    if fn == "uniform":
        if dtype == "float64":
            want = min(params["low"] + (params["high"] - params["low"]) * u01, params["high"])
        else:
            lo, hi = np.float32(params["low"]), np.float32(params["high"])
            want32 = min(np.float32(lo + np.float32(hi - lo) * np.float32(u01)), hi)
            want = np.asarray(want32).astype({"float32": np.float32, "float16": np.float16,
                                              "bfloat16": ml_dtypes.bfloat16}[dtype]).astype(np.float64)
        assert v == want, (fn, dtype, e, v, want)
        return
    a, b = params.get("a", -np.inf), params.get("b", np.inf)
    pa, pb = special.ndtr(a), special.ndtr(b)
    p = pa + u * (pb - pa)
    z_exact = special.ndtri(p) if p < 0.5 else -special.ndtri(special.ndtr(-b) + (1 - u) * (pb - pa))
    mean, std = params["mean"], params["std"]
    v_exact = mean + std * z_exact
    z_bound = (1e-12 if dtype == "float64" else 1e-6) * max(1.0, abs(z_exact))
    # the output's own rounding (after mean + std * z in float32 or float64)
    eps = {"float64": 2.0**-52, "float32": 2.0**-23, "float16": 2.0**-10, "bfloat16": 2.0**-7}[dtype]
    tol = std * z_bound + eps * (abs(v_exact) + abs(mean)) + 2.0**-23 * abs(v_exact) * (dtype != "float64")
    assert abs(v - v_exact) <= tol, (fn, dtype, e, v, v_exact)

def main() -> None:
    fastinit.set_simd_path("scalar")
    golden: dict = {"stream_version": fastinit.STREAM_VERSION, "seed": SEED, "stream": STREAM,
                    "full_shape": [FULL], "indices": INDICES, "cases": {}}
    cases = dict(CASES, random_bits=("random_bits", {}))
    for name, (fn, params) in cases.items():
        for dtype in (["uint32"] if fn == "random_bits" else DTYPES):
            entries = []
            for e in INDICES:
                value = element(fn, params, dtype, e)
                check(fn, params, dtype, e, value)
                entries.append(bits_hex(value))
            golden["cases"][f"{name}/{dtype}"] = {"fn": fn, "params": params, "dtype": dtype, "bits": entries}
    path = pathlib.Path(__file__).with_name("golden_v1.json")
    path.write_text(json.dumps(golden, indent=1, default=float) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
