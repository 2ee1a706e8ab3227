"""Initializers that are not elementwise: Keras ``Identity``, PyTorch ``eye_``, ``dirac_`` and
``sparse_``.

Shards: each function takes ``full_shape``/``index`` like the fills and writes exactly
``full[index]`` of what it would write into the whole tensor, index arrays included (combined as
``np.ix_`` does; a repeated id repeats its row or column).

- ``identity``, ``eye``, ``dirac`` are deterministic: the shard is zeroed and the few non-zero
  positions of the whole tensor that fall inside it are set (work proportional to the shard plus
  the diagonal).
- ``sparse``'s non-zero values are one :func:`fastinit.normal` fill (elementwise, so shard-exact);
  which entries of each column are zero is decided by that column's *whole* set of keys (see
  :func:`sparse`), so a shard computes the keys of every row of the columns it covers: time
  proportional to rows x (the shard's distinct columns), memory bounded by processing columns in
  blocks.
"""

import math
from collections.abc import Iterator, Sequence
from typing import Any, Optional, Union

import numpy as np

from ..core.checks import integer
from ..core.docstrings import shared_docs
from ..core.fills import normal, uniform, zeros
from ..core.layout import Index, Shape, index_entries
from ..core.seed import Seed, Stream, resolve_seed, resolve_stream, stream_from_name
from .args import prepare, real_param

__all__ = ["dirac", "dirac_coords", "eye", "identity", "identity_coords", "local_positions", "sparse",
           "sparse_mask_stream"]

_KEY_BLOCK = 1 << 21  # keys per block in sparse (16 MiB of float64)


def _matches(ids: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair (k, p) with ``ids[p] == c[k]``: ``(k's, p's)``, each k repeated once per match
    (an index array may name a position several times, or not at all)."""
    order = np.argsort(ids, kind="stable")
    sorted_ids = ids[order]
    lo = np.searchsorted(sorted_ids, c, side="left")
    counts = np.searchsorted(sorted_ids, c, side="right") - lo
    which = np.repeat(np.arange(len(c)), counts)
    first = np.repeat(lo - (np.cumsum(counts) - counts), counts)
    return which, order[first + np.arange(len(which))]


def local_positions(full_shape: tuple[int, ...], index: Optional[Index],
                    coords: Sequence[np.ndarray]) -> Optional[tuple[np.ndarray, ...]]:
    """The positions, in the part ``full[index]``, of the whole tensor's elements ``full[coords]``
    that the part holds (index arrays: every position whose id is the coordinate): one int array
    per kept axis, or None when the part holds none of them."""
    sel = np.arange(len(coords[0]) if coords else 0)  # which coordinates are still in the part
    part: list[np.ndarray] = []  # their positions in the part, one array per kept axis
    for entry, n, c in zip(index_entries(full_shape, index), full_shape, coords):
        cs = np.asarray(c)[sel]
        if isinstance(entry, np.ndarray):
            which, positions = _matches(entry, cs)
            sel, part = sel[which], [p[which] for p in part] + [positions]
        elif isinstance(entry, slice):
            start, stop, _ = entry.indices(n)
            keep = (cs >= start) & (cs < stop)
            sel, part = sel[keep], [p[keep] for p in part] + [cs[keep] - start]
        else:
            keep = cs == entry
            sel, part = sel[keep], [p[keep] for p in part]
    return tuple(part) if len(sel) else None


def _place(array: np.ndarray, full_shape: tuple[int, ...], index: Optional[Index],
           coords: Sequence[np.ndarray], value: Any) -> None:
    """Set ``full[coords] = value`` restricted to the part ``array`` = ``full[index]`` holds."""
    part = local_positions(full_shape, index, coords)
    if part is not None:
        array[part] = value


def identity_coords(full_shape: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """The coordinates of the ones of :func:`identity`/:func:`eye` in a 2-d tensor of ``full_shape``."""
    diag = np.arange(min(full_shape))
    return diag, diag


def dirac_coords(full_shape: tuple[int, ...], groups: int) -> list[np.ndarray]:
    """The coordinates of the ones of :func:`dirac` in a kernel of ``full_shape`` (checked)."""
    opg = full_shape[0] // groups
    d = np.arange(min(opg, full_shape[1]))
    g = np.arange(groups)
    out_c = (g[:, None] * opg + d[None, :]).ravel()
    in_c = np.tile(d, groups)
    return [out_c, in_c] + [np.full(out_c.shape, k // 2) for k in full_shape[2:]]


def _scalar(value: float, array: np.ndarray, name: str) -> np.ndarray:
    with np.errstate(over="ignore"):
        cast = np.asarray(value, dtype=array.dtype)
    if not np.isfinite(cast.astype(np.float64)):
        raise ValueError(f"{name}={value!r} overflows {array.dtype}; use a wider dtype")
    return cast


@shared_docs
def identity(out: Any, gain: float = 1.0, *, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
             dtype: Any = None) -> np.ndarray:
    """Fill the 2-d ``out`` with ``gain`` times the identity matrix (Keras ``Identity``): ones on
    the main diagonal ``(i, i)``, ``i < min(rows, cols)``, zeros elsewhere.

    Args:
        out: {out}
            Rank 2.
        gain: The diagonal's value, a real number (default 1.0).
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    {returns_filled}

    Raises:
        TypeError: {preset_type_errors}
        ValueError: ``out`` is not 2-d, ``gain`` overflows the dtype, or ``index`` does not fit
            ``full_shape``.

    Example:
        >>> import fastinit
        >>> fastinit.identity((2, 3), gain=2.0)
        array([[2., 0., 0.],
               [0., 2., 0.]], dtype=float32)
    """
    gain = real_param(gain, "gain")
    array, shape = prepare(out, dtype, full_shape, index)
    if len(shape) != 2:
        raise ValueError(f"identity/eye needs a 2-d tensor, got shape {shape}; "
                         "for convolution kernels use fastinit.dirac")
    value = _scalar(gain, array, "gain")
    zeros(array)
    _place(array, shape, index, identity_coords(shape), value)
    return array


@shared_docs
def eye(out: Any, *, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
        dtype: Any = None) -> np.ndarray:
    """Fill the 2-d ``out`` with the identity matrix (PyTorch ``eye_``): ``identity(out, 1.0)``.

    Args:
        out: {out}
            Rank 2.
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    {returns_filled}

    Raises:
        TypeError: {preset_type_errors}
        ValueError: ``out`` is not 2-d, or ``index`` does not fit ``full_shape``.

    Example:
        >>> import fastinit
        >>> fastinit.eye((2, 2))
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    return identity(out, 1.0, full_shape=full_shape, index=index, dtype=dtype)


@shared_docs
def dirac(out: Any, groups: int = 1, *, full_shape: Optional[Shape] = None, index: Optional[Index] = None,
          dtype: Any = None) -> np.ndarray:
    """Fill a PyTorch-layout convolution kernel ``(out_channels, in_channels, *kernel)`` (rank
    3, 4 or 5) with the Dirac delta (PyTorch ``dirac_``): the convolution then copies as many
    input channels as it can, per group.

    With ``opg = out_channels // groups``: ``w[g * opg + d, d, k0 // 2, k1 // 2, ...] = 1`` for
    each group g and ``d < min(opg, in_channels)``, zeros elsewhere. ``out_channels`` must be
    divisible by ``groups``.

    Args:
        out: {out}
            Rank 3, 4 or 5, PyTorch's layout.
        groups: The convolution's groups, an int >= 1 that divides ``out_channels`` (default 1).
        full_shape: {full_shape}
        index: {index}
        dtype: {dtype}

    {returns_filled}

    Raises:
        TypeError: {preset_type_errors}
        ValueError: a rank other than 3, 4 or 5, ``groups < 1`` or not dividing ``out_channels``,
            or an ``index`` that does not fit ``full_shape``.

    Example:
        >>> import fastinit
        >>> k = fastinit.dirac((2, 2, 3))  # Conv1d(2, 2, kernel_size=3): copies its input
        >>> k[:, :, 1]
        array([[1., 0.],
               [0., 1.]], dtype=float32)
    """
    groups = integer(groups, "groups", minimum=1, expected="an int >= 1")
    array, shape = prepare(out, dtype, full_shape, index)
    if len(shape) not in (3, 4, 5):
        raise ValueError(f"dirac needs a convolution kernel (out_channels, in_channels, *kernel) of rank 3, 4 "
                         f"or 5 (PyTorch layout), got shape {shape}")
    if shape[0] % groups:
        raise ValueError(f"groups={groups} does not divide out_channels={shape[0]} (axis 0 of {shape})")
    zeros(array)
    _place(array, shape, index, dirac_coords(shape, groups), np.asarray(1.0, array.dtype))
    return array


def _column_blocks(entry: Union[int, slice, np.ndarray], cols: int,
                   block: int) -> Iterator[tuple[Union[slice, np.ndarray], np.ndarray]]:
    """The whole columns a part with column entry ``entry`` covers, in blocks of at most ``block``:
    ``(index entry of the block, its column numbers)``; an index array's distinct ids, sorted."""
    if isinstance(entry, np.ndarray):
        ids = np.unique(entry)
        for i in range(0, len(ids), block):
            yield ids[i:i + block], ids[i:i + block]
        return
    start, stop = entry.indices(cols)[:2] if isinstance(entry, slice) else (entry, entry + 1)
    for c0 in range(start, stop, block):
        c1 = min(c0 + block, stop)
        yield slice(c0, c1), np.arange(c0, c1)


def sparse_mask_stream(stream: Stream) -> int:
    """The stream of :func:`sparse`'s zero-selection keys for a tensor whose values use ``stream``:
    ``stream_from_name(f"fastinit.sparse.mask:{resolve_stream(stream)}")``."""
    return stream_from_name(f"fastinit.sparse.mask:{resolve_stream(stream)}")


@shared_docs
def sparse(out: Any, sparsity: float, std: float = 0.01, *, seed: Seed = None, stream: Stream = 0,
           full_shape: Optional[Shape] = None, index: Optional[Index] = None, dtype: Any = None) -> np.ndarray:
    """Fill the 2-d ``out`` (PyTorch layout ``(rows, cols)``) as a sparse matrix (PyTorch
    ``sparse_``, Martens 2010): N(0, std**2) values, with ``ceil(sparsity * rows)`` entries of
    every column set to zero.

    Values: :func:`fastinit.normal` ``(out, 0, std, seed, stream, full_shape, index)``.
    Zeros: column j's zero rows are the ``ceil(sparsity * rows)`` rows with the smallest keys,
    key(i, j) = float64 :func:`fastinit.uniform` element (i, j) of the whole (rows, cols) tensor in
    stream :func:`sparse_mask_stream` ``(stream)`` (ties, of probability < rows**2 * 2**-53,
    broken by the lower row). So each column gets a uniformly random set of zero rows of exactly
    PyTorch's size, and the result is a pure function of (seed, stream, shape): a shard equals the
    same slice of a whole fill. Pass ``seed`` explicitly when filling shards.

    Args:
        out: {out}
            Rank 2.
        sparsity: The fraction of each column set to zero, in [0, 1].
        std: The standard deviation of the non-zero values, >= 0 (default 0.01).
        {fill_args}

    {returns_filled}

    Raises:
        TypeError: {preset_type_errors}
        ValueError: ``sparsity`` outside [0, 1], ``std < 0``, ``out`` not 2-d, or a bad
            ``seed``, ``stream`` or ``index``; nothing is written.

    Example:
        >>> import fastinit
        >>> w = fastinit.sparse((10, 4), sparsity=0.3, seed=0)
        >>> (w == 0).sum(axis=0)  # ceil(0.3 * 10) zeros in every column
        array([3, 3, 3, 3])
    """
    sparsity = real_param(sparsity, "sparsity", minimum=0.0)
    if sparsity > 1.0:
        raise ValueError(f"sparsity must be in [0, 1], got {sparsity!r}")
    std = real_param(std, "std", minimum=0.0)
    array, shape = prepare(out, dtype, full_shape, index)
    if len(shape) != 2:
        raise ValueError(f"sparse needs a 2-d tensor (rows, cols), got shape {shape}")
    key_seed = resolve_seed(seed)
    normal(array, 0.0, std, seed=key_seed, stream=stream, full_shape=full_shape, index=index)
    rows, cols = shape
    num_zeros = math.ceil(sparsity * rows)
    if num_zeros == 0 or array.size == 0:
        return array
    mask_stream = sparse_mask_stream(stream)
    block = max(1, _KEY_BLOCK // rows)
    zero = np.asarray(0.0, array.dtype)
    for key_index, columns in _column_blocks(index_entries(shape, index)[1], cols, block):
        keys = uniform((rows, len(columns)), seed=key_seed, stream=mask_stream, full_shape=shape,
                       index=(slice(None), key_index), dtype=np.float64)
        zero_rows = np.argsort(keys, axis=0, kind="stable")[:num_zeros]
        zero_cols = np.broadcast_to(columns, zero_rows.shape)
        _place(array, shape, index, (zero_rows.ravel(), zero_cols.ravel()), zero)
    return array
