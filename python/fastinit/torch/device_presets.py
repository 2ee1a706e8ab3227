"""Device fills of the initializers that are not one core fill: ``eye_``, ``dirac_``,
``orthogonal_``, ``sparse_`` and :func:`~fastinit.torch.init_module`'s scheme initializers.

Each writes a CUDA tensor (or a DTensor's CUDA local shard at ``place``: ``{}`` or
``{"full_shape", "index"}``) in its own memory with torch's device ops and fastinit.gpu's kernels
(:func:`.device_fill.launch_recorded`). No value is computed on the host or copied from it; only
small index arrays (the positions of the ones, a shard's row or column ids) go to the device.

- ``eye_``, ``dirac_``, ``identity``: zeros, then the value at the positions the CPU preset sets
  (:func:`fastinit.presets.structured.local_positions`): the CPU's bits. No kernel (no Triton) needed.
- ``orthogonal_``: the float64 normal matrix is drawn by the kernel (the CPU draw's bits), its
  QR and the sign fix by diag(R) run on the device (``torch.linalg.qr``), Q times ``gain`` is
  rounded to the tensor's dtype by ``copy_``: equal to the CPU result to rounding; the last bits
  depend on the device's QR, as the CPU's depend on NumPy's LAPACK.
- ``sparse_``: the values by the kernel's normal fill; each column's zero rows are the smallest
  of its float64 keys, drawn by the kernel and sorted on the device (stable ``argsort``): the
  CPU's bits, complex tensors too.
- ``delta_orthogonal`` (a scheme initializer): zeros, and at the spatial centre the orthogonal
  ``in x out`` matrix drawn and factored as ``orthogonal_``'s: equal to the CPU result to rounding.
- ``stft`` (a scheme initializer): the value at ``[t, c, f]`` is ``table[t * f mod N] * scale[t]``
  (:func:`fastinit.presets.stft.fourier_table`, :func:`~fastinit.presets.stft.stft_scale`: the
  ``N`` cosines or sines and the ``T`` window factors, float64 numbers computed on the host as
  the CPU fill computes them, sent with the ``T`` and ``F`` positions); the index, the gather and
  the product (one IEEE multiplication)
  run on the device and the result is rounded once (:func:`rounded_once`): the CPU's bits. No
  kernel (no Triton) needed.
"""

import math
from collections.abc import Sequence
from typing import Any, Callable, Optional

import numpy as np
import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

from ..core import fills as _fills
from ..core.layout import index_entries
from ..presets.orthogonal import delta_orthogonal as _delta_orthogonal_preset
from ..presets.orthogonal import orthogonal as _orthogonal_preset
from ..presets.stft import fourier_table, stft_scale
from ..presets.stft import stft as _stft_preset
from ..presets.structured import (
    _KEY_BLOCK,
    _column_blocks,
    dirac_coords,
    identity_coords,
    local_positions,
    sparse_mask_stream,
)
from ..presets.structured import sparse as _sparse_preset
from .device_fill import RECORDED, DevicePath, launch_recorded, numpy_dtype

__all__ = ["delta_orthogonal_path", "dirac_path", "eye_path", "orthogonal_path", "rounded_once", "scheme_path",
           "sparse_path", "stft_path"]

Place = dict[str, Any]


def _where(tensor: torch.Tensor, place: Place) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """(the whole tensor's shape, the index entries of ``tensor`` in it)."""
    full = tuple(place.get("full_shape", tuple(tensor.shape)))
    return full, index_entries(full, place.get("index"))


def _launch(tensor: torch.Tensor, located: Callable[..., Any], place: Place) -> None:
    """One kernel fill of ``tensor``, described by ``located(view, place)`` (a single core fill)."""
    if not launch_recorded(tensor, located, place):
        raise RuntimeError("fastinit: internal error: a device fill is not one core fill of its tensor")


def _checked(tensor: torch.Tensor, place: Place, preset: Callable[..., Any], dtype: Any = None) -> None:
    """The CPU preset's own checks (ValueError/TypeError as on the CPU), by a fill of an empty part
    of the whole tensor (``dtype``: the tensor's, or the one given), before anything is written."""
    full, _ = _where(tensor, place)
    empty = np.empty((0,) + full[1:], numpy_dtype(dtype or tensor.dtype))
    preset(empty, full_shape=full, index=(slice(0, 0),))


def _ones(tensor: torch.Tensor, place: Place, coords: Callable[[tuple[int, ...]], Sequence[np.ndarray]],
          value: float) -> None:
    """Zeros, and ``value`` (rounded once to the tensor's dtype, as NumPy rounds it on the CPU)
    where the whole tensor has ``coords(full_shape)``, in this part."""
    full, _ = _where(tensor, place)
    positions = local_positions(full, place.get("index"), coords(full))
    exact = float(np.asarray(value, numpy_dtype(tensor.new_empty(0).real.dtype)))  # torch would round twice
    with torch.no_grad():
        tensor.zero_()
        if positions is not None:
            index = tuple(tensor.new_tensor(p, dtype=torch.int64) for p in positions)
            tensor.index_put_(index, tensor.new_tensor(exact))


def eye_path(gain: float = 1.0) -> DevicePath:
    """``eye_`` (Keras ``identity``: ``gain`` on the diagonal, a value exact in the tensor's dtype)."""
    return DevicePath(lambda t, p: _ones(t, p, identity_coords, gain), kernels=False)


def dirac_path(groups: int) -> DevicePath:
    """``dirac_`` with ``groups`` (checked by the caller)."""
    return DevicePath(lambda t, p: _ones(t, p, lambda full: dirac_coords(full, groups), 1.0), kernels=False)


def _take(whole: torch.Tensor, entries: Sequence[Any]) -> torch.Tensor:
    """``whole[index]`` for index entries (index arrays combined as ``np.ix_`` does)."""
    part, axis = whole, 0
    for e in entries:
        if isinstance(e, slice):
            start, stop, _ = e.indices(part.shape[axis])
            part, axis = part.narrow(axis, start, max(0, stop - start)), axis + 1
        elif isinstance(e, np.ndarray):
            part, axis = part.index_select(axis, part.new_tensor(e, dtype=torch.int64)), axis + 1
        else:
            part = part.select(axis, int(e))
    return part


def _haar(like: torch.Tensor, rows: int, cols: int, seed: int, stream: Any) -> torch.Tensor:
    """The float64 ``rows x cols`` Haar matrix of :func:`fastinit.presets.orthogonal._haar`, on the device."""
    big, small = max(rows, cols), min(rows, cols)
    a = like.new_empty((big, small), dtype=torch.float64)
    _launch(a, lambda x, p: _fills.normal(x, 0.0, 1.0, seed=seed, stream=stream), {})
    q, r = torch.linalg.qr(a)
    q = torch.where(r.diagonal() < 0, -q, q)
    return q.T if rows < cols else q


def _orthogonal(tensor: torch.Tensor, place: Place, gain: float, seed: int, stream: Any, layout: str,
                column_axis: Optional[int]) -> None:
    _checked(tensor, place, lambda x, **p: _orthogonal_preset(x, gain, layout=layout, column_axis=column_axis, **p))
    full, entries = _where(tensor, place)
    col = len(full) - 1 if column_axis is None else column_axis % len(full)
    if layout == "torch":
        rows, cols = full[0], math.prod(full[1:])
    else:
        rows, cols = math.prod(full) // full[col], full[col]
    q = _haar(tensor, rows, cols, seed, stream) * gain
    if layout == "torch" or col == len(full) - 1:
        whole = q.reshape(full)
    else:
        whole = torch.movedim(q.reshape(full[:col] + full[col + 1:] + (full[col],)), -1, col)
    with torch.no_grad():
        tensor.copy_(_take(whole, entries))


def orthogonal_path(gain: float, seed: int, stream: Any, layout: str = "torch",
                    column_axis: Optional[int] = None) -> DevicePath:
    """:func:`fastinit.orthogonal` (real tensors; parameters checked by the caller)."""
    return DevicePath(lambda t, p: _orthogonal(t, p, gain, seed, stream, layout, column_axis))


def rounded_once(x: torch.Tensor, dtype: torch.dtype) -> torch.Tensor:
    """The float64 ``x`` rounded once to the real ``dtype`` (to nearest, ties to even), as NumPy
    (and ml_dtypes) round it on the CPU. torch's own cast to float16 or bfloat16 goes through
    float32 and can round twice; here the float32 step rounds to odd (toward zero, the last bit
    set where inexact), after which rounding to a format with at most 22 bits of precision is exact."""
    if dtype not in (torch.float16, torch.bfloat16):
        return x.to(dtype)
    f = x.to(torch.float32)
    f = torch.where(f.to(torch.float64).abs() > x.abs(), torch.nextafter(f, torch.zeros_like(f)), f)
    odd = (f.view(torch.int32) | 1).view(torch.float32)
    return torch.where(f.to(torch.float64) != x, odd, f).to(dtype)


def _delta_orthogonal(tensor: torch.Tensor, place: Place, gain: float, seed: int, stream: Any,
                      column_axis: Any) -> None:
    _checked(tensor, place, lambda x, **p: _delta_orthogonal_preset(x, gain, column_axis=column_axis, seed=seed,
                                                                    stream=stream, **p))
    full, entries = _where(tensor, place)
    centre_rows = int(column_axis) % 2 == 1  # checked: -2, -1, 0 or 1; the (in, out) matrix as rows x columns
    rows, cols = (full[-2], full[-1]) if centre_rows else (full[-1], full[-2])
    q = _haar(tensor, rows, cols, seed, stream) * gain
    whole = q.new_zeros(full)
    whole[tuple((k - 1) // 2 for k in full[:-2])] = q if centre_rows else q.T
    with torch.no_grad():
        tensor.copy_(rounded_once(_take(whole, entries), tensor.dtype))


def delta_orthogonal_path(gain: float, seed: int, stream: Any, column_axis: Any = -1) -> DevicePath:
    """:func:`fastinit.delta_orthogonal` (real tensors; parameters checked by the caller)."""
    return DevicePath(lambda t, p: _delta_orthogonal(t, p, gain, seed, stream, column_axis))


def _stft(tensor: torch.Tensor, place: Place, side: str, window: Any, scaling: Optional[str],
          periodic: bool) -> None:
    _checked(tensor, place, lambda x, **p: _stft_preset(x, side, window, scaling, periodic, **p))
    full, entries = _where(tensor, place)
    frames, _, bins = full
    table = tensor.new_tensor(fourier_table(bins, side), dtype=torch.float64)
    t, f = (tensor.new_tensor(np.arange(n), dtype=torch.int64) for n in (frames, bins))
    values = table[(t[:, None] * f[None, :]) % table.numel()]  # the angle reduced exactly, as on the CPU
    scale = stft_scale(window, frames, scaling, periodic)
    if scale is not None:
        values = values * tensor.new_tensor(scale, dtype=torch.float64)[:, None]
    whole = values[:, None, :].expand(full)
    with torch.no_grad():
        tensor.copy_(rounded_once(_take(whole, entries), tensor.dtype))


def stft_path(side: str, window: Any, scaling: Optional[str], periodic: bool) -> DevicePath:
    """:func:`fastinit.stft` (real tensors; parameters checked by the caller)."""
    return DevicePath(lambda t, p: _stft(t, p, side, window, scaling, periodic), kernels=False)


def _ids(entry: Any, n: int) -> np.ndarray:
    """The global ids of a part's positions along an axis (a step-1 slice or an index array)."""
    if isinstance(entry, np.ndarray):
        return entry
    start, stop, _ = entry.indices(n)
    return np.arange(start, stop)


def _zero_block(tensor: torch.Tensor, mask: torch.Tensor, local_rows: torch.Tensor, column_entry: Any,
                columns: np.ndarray, cols: int) -> None:
    """Zero ``tensor`` where the whole-columns mask ``mask`` (all rows x ``columns``) is set."""
    rows_mask = mask.index_select(0, local_rows)
    if isinstance(column_entry, slice):
        lo = int(columns[0]) - column_entry.indices(cols)[0]
        tensor[:, lo:lo + len(columns)].masked_fill_(rows_mask, 0)
        return
    at = np.flatnonzero(np.isin(column_entry, columns))
    if not len(at):
        return
    which = tensor.new_tensor(np.searchsorted(columns, column_entry[at]), dtype=torch.int64)
    positions = tensor.new_tensor(at, dtype=torch.int64)
    part = tensor.index_select(1, positions).masked_fill_(rows_mask.index_select(1, which), 0)
    tensor.index_copy_(1, positions, part)


def _sparse(tensor: torch.Tensor, place: Place, sparsity: float, std: float, seed: int, stream: Any) -> None:
    _checked(tensor, place, lambda x, **p: _sparse_preset(x, sparsity, std, seed=seed, **p),
             torch.float32 if tensor.is_complex() else None)
    if tensor.is_complex():  # the complex normal with the zeros of the real fill (as on the CPU)
        real = tensor.new_empty(tuple(tensor.shape), dtype=torch.float32)
        _sparse(real, place, sparsity, 1.0, seed, stream)
        _launch(tensor, lambda x, p: _fills.normal(x, 0.0, std, seed=seed, stream=stream, **p), place)
        with torch.no_grad():
            tensor.masked_fill_(real == 0, 0)
        return
    _launch(tensor, lambda x, p: _fills.normal(x, 0.0, std, seed=seed, stream=stream, **p), place)
    full, entries = _where(tensor, place)
    rows, cols = full
    num_zeros = math.ceil(sparsity * rows)
    if num_zeros == 0:
        return
    mask_stream = sparse_mask_stream(stream)
    local_rows = tensor.new_tensor(_ids(entries[0], rows), dtype=torch.int64)
    for key_index, columns in _column_blocks(entries[1], cols, max(1, _KEY_BLOCK // rows)):
        keys = tensor.new_empty((rows, len(columns)), dtype=torch.float64)
        _launch(keys, lambda x, p, k=key_index: _fills.uniform(x, seed=seed, stream=mask_stream, full_shape=full,
                                                                index=(slice(None), k)), {})
        zero_rows = torch.argsort(keys, dim=0, stable=True)[:num_zeros]
        mask = torch.zeros_like(keys, dtype=torch.bool).scatter_(0, zero_rows, True)
        with torch.no_grad():
            _zero_block(tensor, mask, local_rows, entries[1], columns, cols)


def sparse_path(sparsity: float, std: float, seed: int, stream: Any) -> DevicePath:
    """``sparse_`` / :func:`fastinit.sparse` (parameters checked by the caller)."""
    return DevicePath(lambda t, p: _sparse(t, p, sparsity, std, seed, stream))


def scheme_path(init: Any, seed: int, stream: Any, params: dict[str, Any]) -> Optional[DevicePath]:
    """The device path of an ``init_module`` scheme initializer (a :class:`fastinit.names.registry.Initializer`
    with its bound ``params``) on real tensors: elementwise ones by their recorded fill, eye,
    identity, dirac, orthogonal, sparse, delta_orthogonal and stft by their own; None (host
    staging) for any other."""
    spec = init.binding.spec
    if spec.kind == "elementwise":
        return RECORDED
    name, params = spec.name, {**{p.name: p.default for p in spec.params if not p.required}, **params}
    if name in ("eye", "identity"):
        return eye_path(float(params.get("gain", 1.0)))
    if name == "dirac":
        return dirac_path(int(params["groups"]))
    if name == "orthogonal":
        return orthogonal_path(float(params["gain"]), seed, stream, params.get("layout") or "keras",
                               params.get("column_axis"))
    if name == "sparse":
        return sparse_path(float(params["sparsity"]), float(params["std"]), seed, stream)
    if name == "delta_orthogonal":
        return delta_orthogonal_path(float(params["gain"]), seed, stream, params["column_axis"])
    if name == "stft":
        return stft_path(params["side"], params.get("window"), params.get("scaling"), bool(params["periodic"]))
    return None
