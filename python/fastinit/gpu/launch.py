"""Launch the stream-version-1 kernels on a torch tensor's own memory.

:func:`fill` takes what the C++ core's fills take (format, seed, stream, the logical strides and
origin of the output's axes, the distribution's parameters) and writes the same bits, on whatever
device the tensor lives (CUDA, ROCm, or CPU tensors under Triton's interpreter).
"""

from __future__ import annotations

import contextlib
import importlib.util
import struct
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from . import params as _params

__all__ = ["BLOCK", "RUN_BLOCK", "DISTRIBUTIONS", "FORMATS", "collapse", "fill", "interpreting", "kernels"]

#: Elements per Triton program (any layout), and Philox blocks per program along a run of
#: consecutive logical elements (4 elements each; float64: 2).
BLOCK = 1024
RUN_BLOCK = 256
#: The distributions the kernel computes (its KIND constexpr), by the core's names.
DISTRIBUTIONS = {"random_bits": 0, "uniform": 1, "normal": 2, "truncated_normal": 3, "constant": 4}
#: The output formats (its FMT constexpr) and the integer type whose view of the output it stores.
FORMATS = {"float32": (0, "int32"), "float64": (1, "int64"), "float16": (2, "int16"), "bfloat16": (3, "int16"),
           "uint32": (4, "int32")}

_loaded: dict[bool, ModuleType] = {}


def interpreting(interpret: bool | None = None) -> bool:
    """``interpret``, or where None Triton's own setting (the ``TRITON_INTERPRET`` environment variable)."""
    from triton import knobs  # type: ignore[import-untyped,import-not-found,unused-ignore]
    return bool(knobs.runtime.interpret) if interpret is None else interpret


def kernels(interpret: bool | None = None) -> ModuleType:
    """The kernel module, decorated for the device (``interpret=False``) or for Triton's interpreter
    (``True``); ``None`` follows Triton's own setting (the ``TRITON_INTERPRET`` environment variable).

    Each mode gets its own copy of ``_kernels.py``: ``triton.jit`` chooses between compiling and
    interpreting when it decorates, so one process can hold both."""
    from triton import knobs  # type: ignore[import-untyped,import-not-found,unused-ignore]
    mode = interpreting(interpret)
    if mode not in _loaded:
        spec = importlib.util.find_spec(f"{__package__}._kernels")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        with knobs.runtime.scope():
            knobs.runtime.interpret = mode
            spec.loader.exec_module(module)
        _loaded[mode] = module
    return _loaded[mode]


def collapse(shape: Sequence[int], memory: Sequence[int], logical: Sequence[int],
             gathered: Sequence[bool] = ()) -> tuple[tuple[int, ...], ...]:
    """(sizes, memory strides, logical strides, gathered flags) with size-1 axes dropped and
    neighbours merged where both strides allow it; at least one axis. Gathered axes (index arrays:
    their logical stride slot is where their offsets start) are kept as they are."""
    flags = tuple(gathered) or (False,) * len(shape)
    axes = [(n, m, g, f) for n, m, g, f in zip(shape, memory, logical, flags) if n != 1 or f]
    merged: list[tuple[int, int, int, bool]] = []
    for n, m, g, f in axes:
        if merged and not f and not merged[-1][3] and merged[-1][1] == m * n and merged[-1][2] == g * n:
            merged[-1] = (merged[-1][0] * n, m, g, False)
        else:
            merged.append((n, m, g, f))
    if not merged:
        merged = [(1, 0, 0, False)]
    sizes, mem, log, flag = zip(*merged)
    return tuple(sizes), tuple(mem), tuple(log), tuple(flag)


def _gathers(shape: Sequence[int], logical: Sequence[int], axis_offsets: Sequence[Any] | None,
             ) -> tuple[list[int], list[bool], list[int]]:
    """(logical-stride slots, gathered flags, concatenated offsets): an index-array axis's slot is
    the start of its offsets (uint64 logical offsets, each below 2**63) in the concatenation."""
    slots, flags, offs = list(logical), [False] * len(shape), []  # type: list[int], list[bool], list[int]
    for k, o in enumerate(axis_offsets or ()):
        if o is not None:
            if len(o) != shape[k]:
                raise ValueError(f"axis_offsets[{k}] has {len(o)} entries; out.shape[{k}] is {shape[k]}")
            slots[k], flags[k] = len(offs), True
            offs.extend(int(v) for v in o)
    return slots, flags, offs


def _grid(kind: int, fmt: int, sizes: Sequence[int], mem: Sequence[int], log: Sequence[int], origin: int,
          numel: int, gather: bool = False) -> tuple[int, int, tuple[int]]:
    """(RUN, BLOCK, grid) of a launch: a run of consecutive logical elements shares Philox blocks."""
    if len(sizes) != 1 or log[0] != 1 or kind == DISTRIBUTIONS["constant"] or gather:
        return 0, BLOCK, ((numel + BLOCK - 1) // BLOCK,)
    per = 2 if fmt == FORMATS["float64"][0] else 4
    blocks = (origin + numel - 1) // per - origin // per + 1
    return (2 if mem[0] == 1 else 1), RUN_BLOCK, ((blocks + RUN_BLOCK - 1) // RUN_BLOCK,)


def _c_strides(shape: Sequence[int]) -> tuple[int, ...]:
    strides, step = [], 1
    for n in reversed(shape):
        strides.append(step)
        step *= n
    return tuple(reversed(strides))


def _bits64(x: float) -> int:
    return int(struct.unpack("<q", struct.pack("<d", x))[0])


def _bits32(x: float) -> int:
    return int(struct.unpack("<I", struct.pack("<f", x))[0])


def _parameters(dist: str, fmt: str, values: Sequence[float]) -> tuple[list[int], bool]:
    """The parameter words of ``meta`` and the VIA64 flag."""
    if dist == "random_bits":
        return [], False
    if dist == "constant":
        bits = _params.constant_bits(float(values[0]), fmt)
        return [bits - (1 << 64) if bits >= 1 << 63 else bits], False  # as int64
    make = {"uniform": _params.uniform_params, "normal": _params.normal_params,
            "truncated_normal": _params.truncated_normal_params}[dist]
    p: _params.Params = make(*(float(v) for v in values), fmt)  # type: ignore[operator]
    return [_bits64(x) for x in p.f64] + [_bits32(x) for x in p.f32], p.via64


def fill(out: Any, dist: str, fmt: str, *, seed: int = 0, stream: int = 0,
         logical_strides: Sequence[int] | None = None, origin: int = 0, values: Sequence[float] = (),
         axis_offsets: Sequence[Any] | None = None, interpret: bool | None = None) -> None:
    """Write stream version 1's ``dist`` into the torch tensor ``out`` (format ``fmt``), element at
    position ``i`` of ``out`` taking logical index ``origin + sum(i[k] * logical_strides[k])``.

    Args:
        out: A torch tensor whose dtype holds ``fmt`` (bfloat16 for "bfloat16", int32/uint32 for
            "uint32"), any strides, elements not overlapping.
        dist: "random_bits", "uniform", "normal", "truncated_normal" or "constant".
        fmt: "float32", "float64", "float16", "bfloat16" or "uint32".
        seed: The seed, an int in [0, 2**64).
        stream: The stream, an int in [0, 2**64).
        logical_strides: One per axis of ``out``; default the C-order strides of ``out.shape``.
        origin: The logical index of ``out``'s first element.
        values: The parameters, as the core's fills take them ((low, high), (mean, std),
            (mean, std, a, b) or (value,)).
        axis_offsets: None, or one entry per axis: None, or the uint64 logical offsets of that
            axis's positions (an index array's ids times the full tensor's stride), as the core's
            fills take them (:class:`fastinit.core.layout.Target`); such an axis ignores its
            logical stride.
        interpret: Run under Triton's interpreter (CPU tensors); default Triton's setting.

    Raises:
        ValueError: parameters the core refuses (checked before anything is written).
    """
    import torch

    kind = DISTRIBUTIONS[dist]
    code, store = FORMATS[fmt]
    words, via64 = _parameters(dist, fmt, values)
    numel = out.numel()
    if numel == 0:
        return
    shape = tuple(out.shape)
    if logical_strides is None:
        logical_strides = _c_strides(shape)
    slots, flags, offsets = _gathers(shape, logical_strides, axis_offsets)
    sizes, mem, log, gathered = collapse(shape, out.stride(), slots, flags)
    header = [seed & 0xFFFFFFFF, seed >> 32, stream & 0xFFFFFFFF, stream >> 32, origin, numel]
    mode = interpreting(interpret)
    module = kernels(mode)
    meta = torch.tensor(header + list(sizes) + list(mem) + list(log) + words, dtype=torch.int64)
    offs = torch.tensor(offsets, dtype=torch.int64) if offsets else meta
    if not mode:  # the interpreter reads host memory
        meta, offs = meta.to(out.device), offs.to(out.device)
    view = out.view(getattr(torch, store))
    gather = sum(1 << k for k, f in enumerate(gathered) if f)
    run, block, grid = _grid(kind, code, sizes, mem, log, origin, numel, gather != 0)
    with torch.cuda.device(out.device) if not mode and out.device.type == "cuda" else contextlib.nullcontext():
        module.fill_kernel[grid](view, meta, offs, KIND=kind, FMT=code, ND=len(sizes), GATHER=gather, VIA64=via64,
                                 RUN=run, BLOCK=block, enable_fp_fusion=False)
