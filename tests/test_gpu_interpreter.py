"""The device kernels (fastinit.gpu) equal the C++ engine bit for bit, run by Triton's interpreter.

Each case fills a CPU torch tensor with the Triton kernel, loaded in interpreter mode (the mode
``TRITON_INTERPRET=1`` selects; :func:`fastinit.gpu.launch.kernels` decorates a copy of the kernels
for it, whatever the environment says), and the same layout of a NumPy array with the C++ core,
and compares the bits. The interpreter computes float operations exactly as named (it proves the
kernels' semantics, not their compiled code: tests/test_gpu_lowering.py reads that).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

pytest.importorskip("triton", reason="the device kernels need Triton (pip install fastinit[gpu]); CI installs it")
torch = pytest.importorskip("torch", reason="the device kernels fill torch tensors")

import fastinit  # noqa: E402
from fastinit.core.complex import complex_target  # noqa: E402
from fastinit.core.dtypes import FLOAT_FORMATS  # noqa: E402
from fastinit.core.layout import resolve_target  # noqa: E402
from fastinit.gpu import launch  # noqa: E402

SEED, STREAM = 0x0123456789ABCDEF, 0xFEDCBA9876543210
_TORCH = {"float32": torch.float32, "float64": torch.float64, "float16": torch.float16, "bfloat16": torch.bfloat16,
          "uint32": torch.int32, "complex64": torch.complex64, "complex128": torch.complex128}
_NUMPY = {"uint32": np.dtype(np.uint32), "complex64": np.dtype(np.complex64), "complex128": np.dtype(np.complex128)}
_INT = {2: np.int16, 4: np.int32, 8: np.int64}
_FORMATS = {**FLOAT_FORMATS, np.dtype(np.uint32): "uint32"}


def _np_dtype(name: str) -> np.dtype:
    return _NUMPY.get(name) or next(dt for dt, n in FLOAT_FORMATS.items() if n == name)


def _layout(shape: tuple[int, ...], order: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple]:
    """(allocated shape, permutation, slice) giving a view of ``shape`` in the named layout."""
    n = len(shape)
    if order == "C":
        return shape, tuple(range(n)), ()
    if order == "F":
        return shape[::-1], tuple(reversed(range(n))), ()
    if order == "step2":
        return shape[:-1] + (2 * shape[-1],), tuple(range(n)), (Ellipsis, slice(None, None, 2))
    assert order == "T" and n == 2
    return shape[::-1], (1, 0), ()


def _pair(shape: tuple[int, ...], dtype: str, order: str) -> tuple[np.ndarray, torch.Tensor]:
    """A NumPy array and a torch tensor of ``shape`` with the same layout, filled with garbage."""
    alloc, perm, sl = _layout(shape, order)
    base = np.full(alloc, 0x5A, dtype=np.uint8).repeat(_np_dtype(dtype).itemsize, axis=-1)
    base = base.view(_np_dtype(dtype)).reshape(alloc)
    a = base.transpose(perm)[sl] if sl else base.transpose(perm)
    t = torch.from_numpy(base.copy().view(_INT[base.itemsize]) if dtype == "bfloat16" else base.copy())
    t = t.view(torch.bfloat16) if dtype == "bfloat16" else t.view(_TORCH[dtype]) if dtype == "uint32" else t
    t = t.permute(perm)[sl] if sl else t.permute(perm)
    assert a.shape == tuple(t.shape) == shape
    return a, t


def _bits(x: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = torch.view_as_real(x) if x.is_complex() else x
        return x.view(getattr(torch, _INT[x.element_size()].__name__)).numpy()
    x = x[..., np.newaxis].view(_np_dtype({8: "float32", 16: "float64"}[x.itemsize])) if x.dtype.kind == "c" else x
    return x.view(_INT[x.itemsize])


_CORE_NAME = {"random_bits": "random_bits", "uniform": "uniform", "normal": "normal",
              "truncated_normal": "truncated_normal", "constant": "constant"}


def _check(dist: str, dtype: str, values: tuple, shape=(5, 7), order="C", full_shape=None, index=None) -> None:
    a, t = _pair(shape, dtype, order)
    place = {} if full_shape is None else {"full_shape": full_shape, "index": index}
    fn = getattr(fastinit, _CORE_NAME[dist])
    if dist == "constant":
        fn(a, *values)
    else:
        fn(a, *values, seed=SEED, stream=STREAM, **place)
    part_values = values
    if dtype.startswith("complex"):
        c = complex_target(a, None, full_shape, index)
        target = resolve_target(c.parts, None, None, FLOAT_FORMATS, c.full_shape, c.index)
        real = torch.view_as_real(t)
        if dist in ("normal", "truncated_normal"):
            part_values = (values[0], values[1] / math.sqrt(2.0)) + tuple(values[2:])
        if dist == "constant":
            z = complex(values[0])
            for k, part in enumerate((z.real, z.imag)):
                launch.fill(real[..., k], dist, target.format, values=(part,), interpret=True)
        else:
            launch.fill(real, dist, target.format, seed=SEED, stream=STREAM, logical_strides=target.logical_strides,
                        origin=target.origin, values=part_values, axis_offsets=target.axis_offsets, interpret=True)
    else:
        target = resolve_target(a, None, None, _FORMATS, full_shape, index)
        launch.fill(t, dist, target.format, seed=SEED, stream=STREAM, logical_strides=target.logical_strides,
                    origin=target.origin, values=values, axis_offsets=target.axis_offsets, interpret=True)
    np.testing.assert_array_equal(_bits(t), _bits(a))


FLOATS = ("float32", "float64", "float16", "bfloat16")
PARAMS = {"uniform": (-0.75, 2.5), "normal": (0.25, 1.5), "truncated_normal": (0.1, 0.7, -2.0, 2.0),
          "constant": (0.1,)}


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dist", sorted(PARAMS))
def test_each_distribution_and_format(dist, dtype):
    _check(dist, dtype, PARAMS[dist], shape=(37, 29))


def test_random_bits():
    _check("random_bits", "uint32", (), shape=(11, 13))


@pytest.mark.parametrize("order", ["F", "step2", "T"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "bfloat16"])
def test_layouts(order, dtype):
    _check("normal", dtype, (0.0, 1.0), shape=(6, 9), order=order)


_NEAR_2_32 = {"full_shape": (2**20 + 5, 4096), "index": (slice(2**20 - 1, 2**20 + 2), slice(4090, 4096))}
_NEAR_2_63 = {"full_shape": (2**62 - 1, 2), "index": (slice(2**62 - 4, 2**62 - 1),)}


@pytest.mark.parametrize("where", [_NEAR_2_32, _NEAR_2_63], ids=["2**32 words", "2**63 elements"])
@pytest.mark.parametrize("dtype", ["uint32", "float32", "float64", "float16"])
def test_shard_origins(where, dtype):
    """Origins past 2**32 words and element indices just below 2**63 (float64: words up to 2**64 - 1)."""
    shape = (3, 6) if where is _NEAR_2_32 else (3, 2)
    dist, values = ("random_bits", ()) if dtype == "uint32" else ("truncated_normal", (0.0, 1.0, -3.0, 1.0))
    _check(dist, dtype, values, shape=shape, order="F", **where)


@pytest.mark.parametrize("order", ["C", "step2"])
@pytest.mark.parametrize("start, count", [(0, 1), (1, 2), (3, 6), (5, 1030), (2**32 - 3, 9), (2**63 - 12, 11)])
@pytest.mark.parametrize("dtype", ["uint32", "float32", "float64", "bfloat16"])
def test_runs_of_consecutive_elements(start, count, dtype, order):
    """One axis of logical stride 1 (Philox blocks shared by 4 elements, float64 by 2): every
    alignment of the first and last element, memory stride 1 and 2."""
    dist, values = ("random_bits", ()) if dtype == "uint32" else ("normal", (0.0, 1.0))
    _check(dist, dtype, values, shape=(count,), order=order, full_shape=(2**63 - 1,),
           index=slice(start, start + count))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("ab", [(3.0, math.inf), (-math.inf, -3.0), (5.0, 6.0), (-0.5, math.inf), (-math.inf, 8.0)])
def test_tails_and_one_sided_truncations(ab, dtype):
    _check("truncated_normal", dtype, (0.5, 2.0) + ab, shape=(25, 41))


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16"])
@pytest.mark.parametrize("ab", [(12.0, math.inf), (-math.inf, -13.0), (-40.0, -11.5)])
def test_float64_path_of_float32_formats(ab, dtype):
    """Section 9.2's float32_ok = false: tail probabilities below 2**-100."""
    _check("truncated_normal", dtype, (0.0, 1.0) + ab, shape=(9, 17))


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("dist, values", [("normal", (0.3, 0.0)), ("truncated_normal", (0.1, 0.0, -1.0, 1.0)),
                                          ("uniform", (0.1, 0.1)), ("uniform", (-0.0, -0.0))])
def test_std_zero_and_empty_intervals(dist, values, dtype):
    _check(dist, dtype, values, shape=(4, 5))


@pytest.mark.parametrize("values", [(0.0, 1e-5), (-3e-7, 2e-7), (6.0e4, 6.5e4)])
def test_float16_subnormals_and_large(values):
    _check("uniform", "float16", values, shape=(33, 31))


@pytest.mark.parametrize("dtype", ["complex64", "complex128"])
@pytest.mark.parametrize("dist, values", [("uniform", (-1.0, 1.0)), ("normal", (0.5, 2.0)),
                                          ("truncated_normal", (0.0, 1.0, -1.0, 3.0)), ("constant", (1.5 - 0.25j,))])
def test_complex(dist, values, dtype):
    where = {} if dist == "constant" else {"full_shape": (9, 8), "index": (slice(2, 7), slice(1, 8))}
    _check(dist, dtype, values, shape=(5, 7), order="T" if dist == "normal" else "C", **where)


@pytest.mark.parametrize("shape", [(1,), (), (1023,), (1025,), (3, 1, 5)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_sizes(shape, dtype):
    _check("normal", dtype, (0.0, 1.0), shape=shape)


def test_refused_parameters_write_nothing():
    t = torch.full((4,), 7.0)
    with pytest.raises(ValueError, match="std"):
        launch.fill(t, "normal", "float32", values=(0.0, -1.0), interpret=True)
    with pytest.raises(ValueError, match="overflows float16"):
        launch.fill(t.half(), "constant", "float16", values=(1e6,), interpret=True)
    assert t.tolist() == [7.0] * 4


def test_launch_shapes():
    """Runs of consecutive logical elements get the shared-block kernel; other layouts one element a lane."""
    assert launch._grid(2, 0, (10,), (1,), (1,), 5, 10) == (2, launch.RUN_BLOCK, (1,))
    assert launch._grid(2, 0, (10,), (3,), (1,), 5, 10) == (1, launch.RUN_BLOCK, (1,))
    assert launch._grid(2, 0, (10,), (1,), (2,), 5, 10) == (0, launch.BLOCK, (1,))
    assert launch._grid(4, 0, (10,), (1,), (1,), 5, 10) == (0, launch.BLOCK, (1,))  # constant
    blocks = (3 + 4 * launch.RUN_BLOCK) // 4 - 3 // 4 + 1  # elements 3 .. 3 + 4*RUN_BLOCK: RUN_BLOCK + 1 blocks
    assert launch._grid(2, 0, (4 * launch.RUN_BLOCK + 1,), (1,), (1,), 3, 4 * launch.RUN_BLOCK + 1)[2] == (2,)
    assert blocks == launch.RUN_BLOCK + 1


def test_collapse_merges_compatible_axes():
    assert launch.collapse((4, 1, 6), (6, 99, 1), (6, 6, 1)) == ((24,), (1,), (1,), (False,))
    assert launch.collapse((4, 6), (1, 4), (6, 1)) == ((4, 6), (1, 4), (6, 1), (False, False))
    assert launch.collapse((), (), ()) == ((1,), (0,), (0,), (False,))
    # an index-array axis is neither merged nor dropped (its slot is where its offsets start)
    assert launch.collapse((1, 4, 6), (24, 6, 1), (0, 6, 1), (True, False, False)) == (
        (1, 24), (24, 1), (0, 1), (True, False))


@pytest.mark.parametrize("dtype", ["uint32", "float32", "float64", "float16", "complex64"])
@pytest.mark.parametrize("index", [
    (np.array([7, 0, 7, 2**40 + 3]), slice(2, 6)),                      # rows by id, duplicates, past 2**32 words
    (slice(1, 4), [5, 0, 1]),                                            # columns by id
    (np.array([2**41 - 1, 0]), [3, 3, 7]),                               # both axes: outer product
    (np.array([9]),),                                                    # one row
], ids=["rows", "columns", "outer", "one"])
def test_index_arrays(index, dtype):
    """Gathers: index arrays on any axes (the fills' axis_offsets) equal the C++ engine."""
    dist, values = ("random_bits", ()) if dtype == "uint32" else ("truncated_normal", (0.0, 1.0, -1.5, 2.0))
    full = (2**41, 8)
    shape = tuple(len(e) if not isinstance(e, slice) else e.stop - e.start for e in index) + full[len(index):]
    _check(dist, dtype, values, shape=shape, order="F" if dtype == "float64" else "C", full_shape=full, index=index)
