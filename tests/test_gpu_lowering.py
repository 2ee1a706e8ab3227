"""The device kernels compile, with no device, to code in which every float operation is correctly rounded.

``triton.compile`` builds each variant of :func:`fastinit.gpu._kernels.fill_kernel` (distribution x
format x the float64 path of Section 9.2) for CUDA sm_80 and sm_90 and for ROCm gfx90a and gfx942,
exactly as the launcher does (``enable_fp_fusion=False``). The tests read the compiled code:

- LLVM IR: no fast-math flag that changes results (``contract``, ``afn``, ``arcp``, ``reassoc``,
  ``fast``), no ``llvm.fmuladd`` (a multiply-add the backend may fuse), no ``!fpmath`` accuracy
  relaxation. (LLVM adds ``nnan`` where it proves an operand is never NaN, which changes nothing.)
- PTX: no ``div.approx``/``div.full``/``rcp.approx``/``sqrt.approx``/``ex2.approx``/``lg2.approx``,
  no ``.ftz``, every f32/f64 add, sub, mul, fma, div and sqrt with ``.rn`` (ptxas fuses nothing
  written with an explicit rounding), every conversion to a float with ``.rn`` (or exact widening);
  and the ``fma`` count equals the spec's: one per ``fma`` it writes (Sections 8.1, 9.2) per element.
- AMDGCN: IEEE mode on and f32 denormals kept (``.amdhsa_float_denorm_mode_32 3``), each f32
  and f64 division the correctly rounded ``v_div_scale``/``v_div_fmas``/``v_div_fixup`` sequence,
  no ``v_exp``/``v_log``.
"""

from __future__ import annotations

import re

import pytest

triton = pytest.importorskip("triton", reason="the device kernels need Triton (fastinit[gpu]); CI installs it")

from triton.backends.compiler import GPUTarget  # noqa: E402

from fastinit.gpu import launch  # noqa: E402

BITS, UNIFORM, NORMAL, TRUNCATED, CONSTANT = range(5)
F32, F64, F16, BF16, U32 = range(5)
_STORE = {F32: "*i32", F64: "*i64", F16: "*i16", BF16: "*i16", U32: "*i32"}

# fma sites the spec writes per element: ndtri's r (1) and its six Horner polynomials (PPND7:
# degrees 3, 3, 3, 2, 3, 2; PPND16: six of degree 7), computed for every element and selected,
# plus p and q of the truncated normal.
_PPND7, _PPND16 = 1 + 3 + 3 + 3 + 2 + 3 + 2, 1 + 6 * 7
VARIANTS = {  # name: (KIND, FMT, VIA64, RUN, fma per element); "gather-": axis 0 an index array
    "bits": (BITS, U32, False, 0, 0),
    "constant-f64": (CONSTANT, F64, False, 0, 0),
    "constant-f16": (CONSTANT, F16, False, 0, 0),
    "uniform-f32": (UNIFORM, F32, False, 0, 0),
    "uniform-f64": (UNIFORM, F64, False, 0, 0),
    "uniform-bf16": (UNIFORM, BF16, False, 0, 0),
    "normal-f32": (NORMAL, F32, False, 0, _PPND7),
    "normal-f64": (NORMAL, F64, False, 0, _PPND16),
    "normal-f16": (NORMAL, F16, False, 0, _PPND7),
    "truncated-f32": (TRUNCATED, F32, False, 0, _PPND7 + 2),
    "truncated-f64": (TRUNCATED, F64, False, 0, _PPND16 + 2),
    "truncated-bf16": (TRUNCATED, BF16, False, 0, _PPND7 + 2),
    "truncated-f32-via-f64": (TRUNCATED, F32, True, 0, _PPND16 + 2),
    "truncated-f16-via-f64": (TRUNCATED, F16, True, 0, _PPND16 + 2),
    # runs of consecutive elements (shared Philox blocks); RUN 2: memory stride 1, RUN 1: any
    "run-bits": (BITS, U32, False, 2, 0),
    "run-uniform-bf16": (UNIFORM, BF16, False, 2, 0),
    "run-normal-f32": (NORMAL, F32, False, 2, _PPND7),
    "run-normal-f64": (NORMAL, F64, False, 2, _PPND16),
    "run-truncated-f16": (TRUNCATED, F16, False, 1, _PPND7 + 2),
    "run-truncated-bf16-via-f64": (TRUNCATED, BF16, True, 2, _PPND16 + 2),
    "gather-normal-f32": (NORMAL, F32, False, 0, _PPND7),
    "gather-bits": (BITS, U32, False, 0, 0),
}
#: Every variant for one target of each vendor; a representative set for the others.
_FEW = ("uniform-f32", "normal-f64", "truncated-bf16", "truncated-f16-via-f64", "run-normal-f32", "run-normal-f64")
TARGETS = {"sm_90": (GPUTarget("cuda", 90, 32), tuple(VARIANTS)),
           "sm_80": (GPUTarget("cuda", 80, 32), _FEW),
           "gfx942": (GPUTarget("hip", "gfx942", 64), tuple(VARIANTS)),
           "gfx90a": (GPUTarget("hip", "gfx90a", 64), _FEW)}
#: The fast tier compiles one variant per target (the one that uses the most operations); the slow
#: tier (pyproject.toml's markers) the whole table.
_SAMPLE = "truncated-f16-via-f64"
CASES = [pytest.param(t, v, marks=() if v == _SAMPLE else pytest.mark.slow)
         for t, (_, names) in TARGETS.items() for v in names]
ND = 2


def _compile(target_name: str, variant: str):
    target = TARGETS[target_name][0]
    kind, fmt, via64, run, _ = VARIANTS[variant]
    sig = {"out": _STORE[fmt], "meta": "*i64", "offs": "*i64", "KIND": "constexpr", "FMT": "constexpr",
           "ND": "constexpr", "GATHER": "constexpr", "VIA64": "constexpr", "RUN": "constexpr", "BLOCK": "constexpr"}
    constexprs = {"KIND": kind, "FMT": fmt, "ND": 1 if run else ND, "GATHER": int(variant.startswith("gather-")),
                  "VIA64": via64, "RUN": run, "BLOCK": launch.RUN_BLOCK if run else launch.BLOCK}
    src = triton.compiler.ASTSource(fn=launch.kernels(False).fill_kernel, signature=sig, constexprs=constexprs)
    return triton.compile(src, target=target, options={"enable_fp_fusion": False})


_BAD_FLAGS = re.compile(r"\b(fadd|fsub|fmul|fdiv|frem|fneg|fcmp|call)\b[^\n]*?\b(contract|afn|arcp|reassoc|fast)\b")


def _check_llvm(llir: str) -> None:
    bad = [line.strip() for line in llir.splitlines() if _BAD_FLAGS.search(line)]
    assert not bad, f"fast-math flags on float operations: {bad[:3]}"
    assert "llvm.fmuladd" not in llir
    assert "!fpmath" not in llir


_PTX_FORBIDDEN = ("div.approx", "div.full", "rcp.approx", "sqrt.approx", "ex2.approx", "lg2.approx", ".ftz")
_PTX_ARITH = re.compile(r"^\s*(?:@%p\d+\s+)?(add|sub|mul|fma|div|sqrt|rcp|mad)((?:\.\w+)*)\.(f32|f64)\b", re.M)
_PTX_CVT = re.compile(r"^\s*(?:@%p\d+\s+)?cvt((?:\.\w+)*)\s", re.M)


def _check_ptx(ptx: str, fma_per_element: int, elements_per_thread: int, inverse_cdf: bool = False) -> None:
    """The PTX rules above; ``inverse_cdf``: the element computes ndtri (Section 8.1), whose three
    divisions (central, log's ``f / (2 + f)``, tail) and one square root each appear once per element."""
    for word in _PTX_FORBIDDEN:
        assert word not in ptx, f"PTX has {word}"
    fma = 0
    for op, mods, _ in _PTX_ARITH.findall(ptx):
        assert op != "mad", "a mad (multiply-add) the spec does not write"
        assert ".rn" in mods, f"{op}{mods} without .rn"
        fma += op == "fma"
    assert fma == fma_per_element * elements_per_thread
    ops = [op for op, _, _ in _PTX_ARITH.findall(ptx)]
    assert ops.count("div") == 3 * inverse_cdf * elements_per_thread
    assert ops.count("sqrt") == inverse_cdf * elements_per_thread
    for mods in _PTX_CVT.findall(ptx):
        types = [m for m in mods.split(".") if re.fullmatch(r"[fsub]\d+", m)]
        if types and types[0] in ("f16", "bf16", "f32", "f64"):
            widening = types[1].startswith("f") and int(types[1][1:]) < int(types[0][1:])
            assert ".rn" in mods or widening, f"cvt{mods}: a conversion to float without .rn"


def _check_amdgcn(asm: str) -> None:
    assert ".amdhsa_ieee_mode 1" in asm
    assert ".amdhsa_float_denorm_mode_32 3" in asm, "f32 denormals flushed"
    for word in ("v_exp_f32", "v_log_f32", "v_rsq_f32", "v_exp_f64", "v_log_f64"):
        assert word not in asm, f"AMDGCN has {word}"
    for width in ("f32", "f64"):  # each division: scale, fmas, fixup (LLVM's correctly rounded expansion)
        assert asm.count(f"v_div_fixup_{width}") == asm.count(f"v_div_fmas_{width}")


@pytest.fixture(scope="module")
def compiled():
    cache: dict = {}

    def get(target_name: str, variant: str):
        if (target_name, variant) not in cache:
            cache[target_name, variant] = _compile(target_name, variant)
        return cache[target_name, variant]
    return get


@pytest.mark.parametrize("target_name, variant", CASES)
def test_correctly_rounded(compiled, target_name, variant):
    kernel = compiled(target_name, variant)
    _check_llvm(kernel.asm["llir"])
    if target_name.startswith("sm_"):
        assert kernel.asm["cubin"], "no cubin"
        kind, fmt, _, run, fma = VARIANTS[variant]
        per_program = (2 if fmt == F64 else 4) * launch.RUN_BLOCK if run else launch.BLOCK
        _check_ptx(kernel.asm["ptx"], fma, per_program // (32 * kernel.metadata.num_warps),
                   inverse_cdf=kind in (NORMAL, TRUNCATED))
    else:
        assert kernel.asm["hsaco"], "no hsaco"
        _check_amdgcn(kernel.asm["amdgcn"])


def test_the_checks_catch_fast_code():
    """The readers fail on approximate, flushing or fused code (Triton's defaults for tl.sqrt and /)."""
    with pytest.raises(AssertionError):
        _check_ptx("\tsqrt.approx.ftz.f32 \t%r1, %r2;\n", 0, 1)
    with pytest.raises(AssertionError):
        _check_ptx("\tdiv.full.f32 \t%r1, %r2, %r3;\n", 0, 1)
    with pytest.raises(AssertionError):
        _check_ptx("\tadd.f32 \t%r1, %r2, %r3;\n", 0, 1)
    with pytest.raises(AssertionError):
        _check_ptx("\tfma.rn.f32 \t%r1, %r2, %r3, %r4;\n", 0, 1)
    with pytest.raises(AssertionError):
        _check_ptx("\tcvt.f32.f64 \t%r1, %rd2;\n", 0, 1)
    with pytest.raises(AssertionError):
        _check_llvm("  %3 = fmul contract float %1, %2\n")
    with pytest.raises(AssertionError):
        _check_amdgcn(".amdhsa_ieee_mode 1\n.amdhsa_float_denorm_mode_32 0\n")
