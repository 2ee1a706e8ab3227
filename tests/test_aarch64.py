"""Same bits on AArch64: the outputs of cpp/tools/bits_driver.cpp (the core without Python), built
for AArch64 and run under qemu-aarch64 on the NEON and scalar paths, and built natively for every
x86-64 path, equal what this extension produces for the same cases, line by line, bit for bit.

.ci/arm.sh builds and runs the drivers and points FASTINIT_AARCH64_DIR at their outputs
(<arch>-<path>.txt). Without it these tests skip, which fails under FASTINIT_NO_SKIP (CI).
Each driver line names its case completely (bits_driver.cpp documents the grammar); the expected
values are computed here from that name through fastinit._core.
"""

from __future__ import annotations

import functools
import os
import pathlib

import ml_dtypes
import numpy as np
import pytest

import fastinit
from fastinit import _core

ENV = "FASTINIT_AARCH64_DIR"
AARCH64_PATHS = ("scalar", "neon")
DISTS = ("uniform", "normal", "truncated_normal")
FORMATS = ("float32", "float64", "float16", "bfloat16")
# numpy dtype holding each format's bits, and the big-endian dtype of its hex digits.
HOLDER = {"float32": np.float32, "float64": np.float64, "float16": np.uint16, "bfloat16": np.uint16,
          "uint32": np.uint32}
HEX = {"float32": ">u4", "float64": ">u8", "float16": ">u2", "bfloat16": ">u2", "uint32": ">u4", "digest": ">u8"}
BITS = {"float32": np.uint32, "float64": np.uint64, "float16": np.uint16, "bfloat16": np.uint16,
        "uint32": np.uint32, "digest": np.uint64}
#: The dtype whose fingerprint a digest case prints (the format's own: bfloat16 hashes as bfloat16).
VALUES = {"float32": np.float32, "float64": np.float64, "float16": np.float16, "bfloat16": ml_dtypes.bfloat16,
          "uint32": np.uint32}


def outputs_dir() -> pathlib.Path:
    where = os.environ.get(ENV, "")
    if not where:
        pytest.skip(f"{ENV} is not set: run `bash .ci/arm.sh` (builds cpp/tools/bits_driver.cpp for AArch64 "
                    "and x86-64, runs it under qemu-aarch64 and natively, then this test)")
    return pathlib.Path(where)


def driver_file(arch: str, path: str) -> pathlib.Path:
    f = outputs_dir() / f"{arch}-{path}.txt"
    if not f.is_file():
        pytest.skip(f"{f} is missing: run `bash .ci/arm.sh`")
    return f


@functools.cache
def read_lines(f: pathlib.Path) -> tuple[str, list[tuple[str, str]]]:
    """The header line and the (case name, hex values) pairs of a driver output."""
    header, *rest = f.read_text().splitlines()
    cases = []
    for line in rest:
        name, _, values = line.partition(" ")
        cases.append((name, values))
    return header, cases


def fields(name: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in name.split("/") if "=" in part)


def ints(text: str) -> list[int]:
    return [int(x) for x in text.split(",")] if text else []


def decode(values: str, fmt: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(values.replace(" ", "")), dtype=HEX[fmt]).astype(BITS[fmt])


def expected_words(f: dict[str, str]) -> np.ndarray:
    out = np.empty(int(f["n"]), np.uint32)
    _core.fill_bits(out, int(f["seed"]), int(f["stream"]), [1], int(f["j0"]))
    return out


def expected_blocks(f: dict[str, str]) -> np.ndarray:
    """The reference block function (philox4x32_10), block by block."""
    seed, stream = int(f["seed"]), int(f["stream"])
    key = [seed & 0xFFFFFFFF, seed >> 32]
    words = []
    for b in ints(f["b"]):
        words += _core.philox4x32_10([b & 0xFFFFFFFF, b >> 32, stream & 0xFFFFFFFF, stream >> 32], key)
    return np.array(words, np.uint32)


def target(fmt: str, shape: list[int], layout: str) -> np.ndarray:
    """An output array of the case's memory layout (bits_driver.cpp: C, F or step2)."""
    dtype = HOLDER[fmt]
    if layout == "C":
        return np.empty(shape, dtype)
    if layout == "F":
        return np.empty(shape, dtype, order="F")
    assert layout == "step2", layout
    base = np.empty([*shape[:-1], 2 * shape[-1]], dtype)
    return base[..., ::2]


def expected_fill(kind: str, fmt: str, f: dict[str, str]) -> np.ndarray:
    out = target(fmt, ints(f["shape"]), f["layout"])
    where = (int(f["seed"]), int(f["stream"]), ints(f["lstrides"]), int(f["origin"]))
    params = [float(x) for x in f["p"].split(",")] if f["p"] else []
    _core.set_num_threads(int(f["threads"]))
    if kind == "bits":
        _core.fill_bits(out, *where)
    else:
        getattr(_core, f"fill_{kind}")(out, fmt, *where, *params)
    return np.ascontiguousarray(out).view(BITS[fmt]).ravel()


def expected(name: str) -> tuple[np.ndarray, str]:
    """The extension's values for a driver case, as unsigned integers of the format's width."""
    parts = name.split("/")
    f = fields(name)
    if parts[0] == "words":
        return expected_words(f), "uint32"
    if parts[0] == "blocks":
        return expected_blocks(f), "uint32"
    if parts[0] == "digest":  # a fill too large to print: its fingerprint, C order as the whole tensor
        values = expected_fill(parts[2], parts[3], f).view(VALUES[parts[3]]).reshape(ints(f["shape"]))
        return np.array([fastinit.fingerprint(values)], np.uint64), "digest"
    assert parts[0] == "fill", name
    kind, fmt = parts[1], parts[2]
    return expected_fill(kind, fmt, f), fmt


def check_file(f: pathlib.Path) -> None:
    header, cases = read_lines(f)
    assert header.startswith("# fastinit bits_driver"), header
    bad = []
    for name, values in cases:
        want, fmt = expected(name)
        got = decode(values, fmt)
        if got.shape != want.shape or not np.array_equal(got, want):
            at = np.flatnonzero(got != want)[:3] if got.shape == want.shape else "length"
            bad.append(f"{name}: differs at {at}")
    assert not bad, f"{f.name}: {len(bad)} of {len(cases)} cases differ from the extension:\n" + "\n".join(bad[:20])


X86_PATHS = [p for p in fastinit.simd_paths() if p in ("scalar", "avx2", "avx512")]


@pytest.mark.parametrize("path", AARCH64_PATHS)
def test_aarch64_driver_equals_extension(path, restore_runtime):
    f = driver_file("aarch64", path)
    header = read_lines(f)[0]
    assert f"arch=aarch64 path={path}" in header, f"{f.name} was not made by the AArch64 {path} path: {header}"
    check_file(f)


@pytest.mark.parametrize("path", X86_PATHS)
def test_x86_64_driver_equals_extension(path, restore_runtime):
    """The same driver built natively, on every x86-64 path this CPU runs: checks the driver itself."""
    f = driver_file("x86_64", path)
    assert f"arch=x86_64 path={path}" in read_lines(f)[0]
    check_file(f)


def test_cases_cover_every_distribution_format_and_layout():
    """The case list covers the AArch64 proof (docs/development.md): Philox words, every distribution x format, 1-3
    threads, element indices past 2**32, strided and Fortran-order outputs; every file has it."""
    names = [name for name, _ in read_lines(driver_file("aarch64", "neon"))[1]]
    for arch, path in [("aarch64", "scalar")] + [("x86_64", p) for p in X86_PATHS]:
        assert [n for n, _ in read_lines(driver_file(arch, path))[1]] == names, f"{arch}-{path} lists other cases"
    combos = {tuple(n.split("/")[1:3]) for n in names if n.startswith("fill/")}
    assert {(d, fmt) for d in DISTS for fmt in FORMATS} | {("bits", "uint32")} <= combos
    parsed = [fields(n) for n in names]
    assert sum(n.startswith("words/") for n in names) >= 100
    assert sum(n.startswith("blocks/") for n in names) >= 16  # kernels.block_words, every remainder
    assert sum(n.startswith("digest/") for n in names) >= 8  # F-order outputs over 32 MiB (the tiled stores)
    assert {f.get("threads") for f in parsed} >= {"1", "2", "3"}
    assert {f.get("layout") for f in parsed} >= {"C", "F", "step2"}
    assert any(int(f.get("origin", 0)) >= 2**32 for f in parsed)
    assert any(int(f.get("j0", 0)) >= 2**34 for f in parsed)  # Philox block counters past 2**32
