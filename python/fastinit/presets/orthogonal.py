"""Orthogonal initialization (Saxe et al. 2014): Keras ``Orthogonal``, PyTorch ``orthogonal_`` and
JAX ``orthogonal``, Haar-distributed.

The weight is viewed as a ``rows x cols`` matrix:

- Keras/JAX layout (default): rows = prod(shape[:-1]), cols = shape[-1] (the columns are the last
  axis, JAX's ``column_axis=-1``; another ``column_axis`` moves them, as JAX does);
- PyTorch layout (``layout="torch"``): rows = shape[0], cols = prod(shape[1:]).

With ``big = max(rows, cols)`` and ``small = min(rows, cols)``: a ``big x small`` matrix A of
standard normals is drawn with :func:`fastinit.normal` in float64 from (``seed``, ``stream``)
(element (i, j) is element ``i * small + j`` of that stream), factored A = QR with
``numpy.linalg.qr`` (reduced), and Q's columns are multiplied by the signs of diag(R), so that Q is
the unique factor with a positive diagonal in R and is Haar-distributed (Mezzadri 2007; the same
algorithm as all three frameworks). Q (transposed when rows < cols) times ``gain`` is rounded once
to the output dtype: its columns (rows when rows < cols) are orthonormal.

Complex outputs (complex64, complex128; JAX's ``orthogonal``/``delta_orthogonal`` take them): A is
the complex standard normal matrix (:func:`fastinit.normal` in complex128, docs/stream-v1.md
section 13: element (i, j) is complex element ``i * small + j``), factored in complex128, and Q's
columns are multiplied by the phases ``d / |d|`` of diag(R) (1 where ``d`` is 0), the complex
analogue of the sign correction, so that Q is Haar-distributed on the unitary matrices (Mezzadri
2007). Its columns are orthonormal under the conjugate transpose (``Q^H Q = I``); when rows < cols
the result is Q's plain transpose (as JAX's ``Q.T``), whose rows are orthonormal. Each part is
rounded once to the output's.

Reproducibility: A is bit-identical on any machine and thread count (stream version 1); Q is
computed by NumPy's LAPACK, so it is bit-identical wherever the same NumPy/LAPACK build runs,
and equal to rounding (~1e-15) elsewhere.

Shards: orthogonality is a property of the whole matrix, so with ``full_shape``/``index`` the
whole Q is computed (memory and time of the full tensor, in float64) and ``full[index]`` is
written (index arrays combined as ``np.ix_`` does): every shard agrees with the same elements of a
whole fill.
"""

import math
from typing import Any, Optional

import numpy as np

from ..core.checks import AxisError, integer
from ..core.complex import COMPLEX_PARTS, complex_target, is_complex
from ..core.docstrings import shared_docs
from ..core.fills import normal
from ..core.layout import Index, Shape, index_entries, outer_take
from ..core.seed import Seed, Stream, resolve_seed
from .args import prepare, real_param
from .fans import check_layout

__all__ = ["delta_orthogonal", "orthogonal"]


@shared_docs
def orthogonal(
    out: Any,
    gain: float = 1.0,
    *,
    layout: Optional[str] = None,
    column_axis: Optional[int] = None,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Optional[Shape] = None,
    index: Optional[Index] = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill ``out`` with a (semi-)orthogonal matrix times ``gain``, Haar-distributed.

    Args:
        out: {out}
            Rank >= 2; real, or complex (Haar unitary, see the module docstring).
        gain: The multiplicative factor, a real number (Keras ``gain``, PyTorch ``gain``, JAX
            ``scale``; default 1.0).
        layout: ``"keras"``/``"jax"`` (default ``None``, the same; rows = prod(shape[:-1]), cols =
            shape[-1]) or ``"torch"`` (rows = shape[0], cols = prod(shape[1:])).
        column_axis: JAX's ``column_axis``: the axis whose entries are the columns (default
            ``None``: -1); only with the Keras/JAX layout.
        seed: {seed}
        stream: {stream}
        full_shape: {full_shape}
            The whole matrix is computed (its memory and time) and the part written.
        index: {index}
        dtype: {dtype}

    {returns_filled}

    Raises:
        TypeError: {preset_type_errors}
        ValueError: rank < 2, ``layout="depthwise"``, ``column_axis`` out of range or with
            ``layout="torch"``, a ``gain`` that overflows the dtype, or a bad ``seed``,
            ``stream`` or ``index``; nothing is written.

    Example:
        >>> import numpy as np, fastinit
        >>> q = fastinit.orthogonal((4, 3), seed=0, dtype="float64")
        >>> np.allclose(q.T @ q, np.eye(3))  # orthonormal columns
        True
    """
    gain = real_param(gain, "gain")
    layout = check_layout(layout)
    if layout == "depthwise":
        raise ValueError("orthogonal takes layout='keras' (or 'jax') or 'torch'; 'depthwise' has no meaning here")
    array, shape = _target(out, dtype, full_shape, index)
    _check_gain(gain, array.dtype)
    rank = len(shape)
    if rank < 2:
        raise ValueError(f"orthogonal needs a tensor of rank >= 2, got shape {shape}; "
                         "for a vector use e.g. fastinit.normal")
    col = _column(column_axis, layout, shape)
    if array.size == 0:
        return array
    if layout == "torch":
        rows, cols = shape[0], math.prod(shape[1:])
    else:
        cols = shape[col]
        rows = math.prod(shape) // cols
    q = _haar(rows, cols, resolve_seed(seed), stream, array.dtype in COMPLEX_PARTS) * gain
    if layout == "torch" or col == rank - 1:
        full = q.reshape(shape)
    else:
        moved = shape[:col] + shape[col + 1:] + (shape[col],)
        full = np.moveaxis(q.reshape(moved), -1, col)
    array[...] = full if index is None else outer_take(full, index_entries(shape, index))
    return array


def _target(out: Any, dtype: Any, full_shape: Optional[Shape],
            index: Optional[Index]) -> tuple[np.ndarray, tuple[int, ...]]:
    """(the array to fill, the whole tensor's shape): real as every preset, or complex."""
    if is_complex(out, dtype):
        t = complex_target(out, dtype, full_shape, index)
        return t.array, t.full_shape[:-1]
    return prepare(out, dtype, full_shape, index)


def _check_gain(gain: float, dtype: np.dtype) -> None:
    """``gain`` must be finite in the output dtype (a complex one: in its parts' dtype)."""
    dtype = COMPLEX_PARTS.get(dtype, dtype)
    with np.errstate(over="ignore"):
        if not np.isfinite(np.asarray(gain, dtype).astype(np.float64)):
            raise ValueError(f"gain={gain!r} overflows {dtype}; use a wider dtype")


def _column(column_axis: Any, layout: str, shape: tuple[int, ...]) -> int:
    """The non-negative axis that holds the columns (Keras/JAX layout; JAX's ``column_axis``)."""
    rank = len(shape)
    if column_axis is None:
        return rank - 1
    if layout == "torch":
        raise ValueError("column_axis is JAX's (Keras/JAX layout); with layout='torch' the rows are axis 0")
    axis = integer(column_axis, "column_axis")
    if not -rank <= axis < rank:
        raise AxisError(f"column_axis={axis} is out of range for shape {shape}")
    return axis % rank


def _haar(rows: int, cols: int, seed: int, stream: Stream, complex_: bool = False) -> np.ndarray:
    """A Haar-distributed ``rows x cols`` float64 (``complex_``: complex128, unitary) matrix with
    orthonormal columns (rows when rows < cols): Q of the QR of a normal matrix from (seed,
    stream), signs (phases) fixed by diag(R)."""
    big, small = max(rows, cols), min(rows, cols)
    a = normal((big, small), 0.0, 1.0, seed=seed, stream=stream, dtype=np.complex128 if complex_ else np.float64)
    q, r = np.linalg.qr(a)
    d = np.diagonal(r)
    if complex_:
        size = np.abs(d)
        q *= np.where(size == 0, 1.0, d / np.where(size == 0, 1.0, size))
    else:
        q *= np.where(d < 0, -1.0, 1.0)
    return q.T if rows < cols else q


@shared_docs
def delta_orthogonal(
    out: Any,
    gain: float = 1.0,
    *,
    column_axis: int = -1,
    seed: Seed = None,
    stream: Stream = 0,
    full_shape: Optional[Shape] = None,
    index: Optional[Index] = None,
    dtype: Any = None,
) -> np.ndarray:
    """Fill a convolution kernel with the delta-orthogonal initialization (Xiao et al. 2018; JAX
    ``delta_orthogonal``): zero everywhere except the spatial centre, which holds an orthogonal
    ``in x out`` matrix times ``gain``.

    ``out`` has shape ``(*spatial, in, out)`` with 1, 2 or 3 spatial axes (rank 3, 4 or 5) and
    ``in <= out``, real or complex (the centre is then Haar unitary, as :func:`orthogonal`'s); the
    centre is index ``(k - 1) // 2`` on each spatial axis (the lower middle for even sizes, as in
    JAX), and it equals ``fastinit.orthogonal((in, out), gain,
    column_axis=column_axis, seed=seed, stream=stream)`` (in float64, rounded once), so its rows
    are orthonormal times ``gain``.

    Args:
        out: {out}
            Rank 3, 4 or 5: ``(*spatial, in, out)``.
        gain: The multiplicative factor, a real number (JAX's ``scale``; default 1.0).
        column_axis: JAX's ``column_axis`` of the ``(in, out)`` centre matrix (-1, -2, 0 or 1;
            default -1).
        {fill_args}

    {returns_filled}

    Raises:
        TypeError: {preset_type_errors}
        ValueError: a rank other than 3, 4 or 5, or ``in > out`` (JAX's conditions), a
            ``column_axis`` out of range, a ``gain`` that overflows the dtype, or a bad
            ``seed``, ``stream`` or ``index``; nothing is written.

    Example:
        >>> import numpy as np, fastinit
        >>> k = fastinit.delta_orthogonal((3, 3, 4, 4), seed=0, dtype="float64")
        >>> centre = k[1, 1]
        >>> np.allclose(centre @ centre.T, np.eye(4)), int(np.count_nonzero(k[0]))
        (True, 0)
    """
    gain = real_param(gain, "gain")
    array, shape = _target(out, dtype, full_shape, index)
    _check_gain(gain, array.dtype)
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"delta_orthogonal needs a 3-d, 4-d or 5-d kernel shape (*spatial, in, out), got {shape}")
    if shape[-1] < shape[-2]:
        raise ValueError(f"delta_orthogonal needs in <= out (shape[-2] <= shape[-1], fan_in <= fan_out), got {shape}")
    col = _column(column_axis, "keras", shape[-2:])
    if array.size == 0:
        return array
    rows, cols = (shape[-2], shape[-1]) if col == 1 else (shape[-1], shape[-2])
    q = _haar(rows, cols, resolve_seed(seed), stream, array.dtype in COMPLEX_PARTS) * gain
    full = np.zeros(shape, q.dtype)
    full[tuple((k - 1) // 2 for k in shape[:-2])] = q if col == 1 else q.T
    array[...] = full if index is None else outer_take(full, index_entries(shape, index))
    return array
