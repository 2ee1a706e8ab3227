"""Fingerprints: a 64-bit digest of a tensor's values *and their places*, additive over shards.

``fingerprint(a)`` hashes every element of ``a`` with its global index and sums the hashes modulo
2**64, so the digest of a whole tensor is the sum (mod 2**64) of the digests of any disjoint shards
that cover it, each computed where it lives with ``full_shape``/``index``. Ranks that each hold
a shard prove they hold the same model as another configuration without gathering a weight.
The definition (normative, in enough detail to reimplement) is in docs/fingerprint.md.
"""

from collections.abc import Sequence
from typing import Any, Optional

import ml_dtypes
import numpy as np

from . import _core
from .core.layout import Index, Shape, _c_strides, _check_size, _resolve_index, as_shape

__all__ = ["FINGERPRINT_CODES", "MODULUS", "combine", "fingerprint"]

#: Digests combine by addition modulo this (identity 0).
MODULUS = 1 << 64

#: Each dtype a fingerprint reads, by name: its code (mixed into every element's hash) and the
#: real dtype whose bits are hashed (a complex element is hashed as its two parts).
FINGERPRINT_CODES: dict[str, int] = {
    "float32": 1, "float64": 2, "float16": 3, "bfloat16": 4, "uint32": 5, "complex64": 6, "complex128": 7,
    "int8": 8, "int16": 9, "int32": 10, "int64": 11, "uint8": 12, "uint16": 13, "uint64": 14, "bool": 15,
    "float8_e4m3fn": 16, "float8_e5m2": 17,
}

_NUMPY_NAMES: dict[np.dtype, str] = {
    np.dtype(np.bool_): "bool",
    np.dtype(ml_dtypes.bfloat16): "bfloat16",
    np.dtype(ml_dtypes.float8_e4m3fn): "float8_e4m3fn",
    np.dtype(ml_dtypes.float8_e5m2): "float8_e5m2",
    **{np.dtype(n): n for n in FINGERPRINT_CODES if n not in ("bool", "bfloat16", "float8_e4m3fn", "float8_e5m2")},
}
_PART_BYTES = {"complex64": 4, "complex128": 8}


def combine(*digests: int) -> int:
    """The digest of the union of disjoint shards from theirs: their sum modulo 2**64."""
    return sum(int(d) for d in digests) % MODULUS


def format_name(dtype: np.dtype) -> str:
    """The fingerprint's name for ``dtype`` (its key in :data:`FINGERPRINT_CODES`), or TypeError."""
    name = _NUMPY_NAMES.get(np.dtype(dtype).newbyteorder("="))
    if name is None:
        raise TypeError(f"fingerprint: dtype {dtype} is not supported; use one of: {', '.join(FINGERPRINT_CODES)}")
    return name


def bits_view(array: np.ndarray, name: str) -> np.ndarray:
    """``array``'s memory as unsigned integers of one value's width (complex: a trailing axis of
    its 2 parts), no copy."""
    if name in _PART_BYTES:
        array = array[..., np.newaxis].view(np.dtype(f"f{_PART_BYTES[name]}"))
    return array.view(np.dtype(f"u{array.dtype.itemsize}"))


def placement(shape: tuple[int, ...], full_shape: Optional[Shape], index: Optional[Index],
              parts: bool) -> tuple[tuple[int, ...], int, list[Optional[np.ndarray]]]:
    """(logical strides, origin, per-axis offsets or []) of an array of ``shape`` holding
    ``full[index]``, checked; with ``parts`` a trailing axis of 2 (complex parts) is added to all."""
    if full_shape is None:
        if index is not None:
            raise ValueError("index needs full_shape: pass the shape of the whole logical tensor")
        full = shape
        part_shape, strides, origin, offsets = full, _c_strides(full), 0, None
    else:
        full = as_shape(full_shape, "full_shape")
        _check_size(full)
        part_shape, strides, origin, offsets = _resolve_index(full, index)
        if part_shape != shape:
            raise ValueError(f"array has shape {shape} but full[index] has shape {part_shape} "
                             f"(full_shape={full}, index={index!r}); pass the shard that index selects")
    _check_size(full)
    table: list[Optional[np.ndarray]] = [] if offsets is None else list(offsets)
    if parts:  # element e's parts are elements 2e and 2e + 1 of the (..., 2) tensor
        strides = tuple(2 * s for s in strides) + (1,)
        origin *= 2
        table = [None if t is None else t * np.uint64(2) for t in table] + ([None] if table else [])
    return tuple(strides), origin, table


def digest_bits(bits: np.ndarray, name: str, logical_strides: Sequence[int], origin: int,
                axis_offsets: Sequence[Optional[np.ndarray]] = ()) -> int:
    """The core's digest of ``bits`` (from :func:`bits_view`) at a resolved placement."""
    return int(_core.fingerprint(bits, name, list(logical_strides), origin, list(axis_offsets)))


def _as_array(array: Any) -> np.ndarray:
    if isinstance(array, np.ndarray):
        return array
    if type(array).__module__.split(".")[0] == "torch":
        raise TypeError("fingerprint: got a torch tensor; use fastinit.torch.fingerprint (it reads bfloat16, "
                        "DTensors and CUDA tensors too)")
    if isinstance(array, (list, tuple)) or not hasattr(array, "__array__"):
        raise TypeError(f"fingerprint: array must be a numpy.ndarray (or an object with __array__, e.g. a JAX "
                        f"array), got {type(array).__name__}; a list has no dtype, so its bits are not defined")
    converted: np.ndarray = np.asarray(array)
    return converted


def fingerprint(array: Any, *, full_shape: Optional[Shape] = None, index: Optional[Index] = None) -> int:
    """A 64-bit digest of ``array``'s values and their places in the logical tensor.

    The digest is an int in [0, 2**64): the sum modulo 2**64 over the elements of

        h(e, b) = B((k + e * G) ^ b),    k = mix(code of the dtype),  G = 0x9e3779b97f4a7c15

    (all arithmetic modulo 2**64), where ``e`` is the element's index in the C-order flattening of
    the logical tensor of shape ``full_shape`` (``array`` holds ``full[index]``, as in every
    fastinit fill; default: the array is the whole tensor), ``b`` the element's raw bits in its
    dtype zero-extended to 64 bits (so -0.0 and 0.0, and NaNs with different payloads, differ),
    ``mix`` splitmix64's finaliser (``z ^= z >> 30; z *= 0xbf58476d1ce4e5b9; z ^= z >> 27;
    z *= 0x94d049bb133111eb; z ^= z >> 31``) and ``B`` a bijection of 64-bit values built from
    32x32->64-bit products (lo(x) = x mod 2**32, swap(x) exchanges the 32-bit halves):
    ``x += lo(x) * 0x85ebca6a; x = swap(x); x ^= lo(x) * 0xc2b2ae34; x = swap(x);
    x += lo(x) * 0x27d4eb2e; x = swap(x); x ^= lo(x) * 0x165667b0`` (docs/fingerprint.md).
    Dtype codes: :data:`FINGERPRINT_CODES`. A complex element e is its two parts, elements 2e
    (real) and 2e + 1 (imaginary) of the tensor of shape ``full_shape + (2,)``, each with the bits
    of its part (float32/float64) and the complex code.

    **Combining**: the digests of disjoint shards that cover a tensor add up (mod 2**64,
    :func:`combine`) to the whole tensor's digest; an empty array's digest is 0. The digest does
    not depend on the memory layout (C, F, transposed, strided, negative strides, broadcast), the
    thread count or the SIMD path. The shape is not hashed, only flat indices: a reshaped tensor
    (same C-order values) has the same digest.

    It is a checksum, not a cryptographic hash: it detects any accidental difference (a change to
    any one element always changes it; other changes with probability about 1 - 2**-64), not a
    forger. Runs in the compiled core on ``fastinit.get_num_threads()`` threads, without the GIL.

    Args:
        array: a NumPy array of float16/32/64, bfloat16, complex64/128, float8_e4m3fn/e5m2 (ml_dtypes),
            int8/16/32/64, uint8/16/32/64 or bool; any layout; read only (read-only arrays welcome).
            Big-endian arrays are converted (copied) first: the bits are the value's native ones.
        full_shape: The logical tensor's shape; default (``None``) ``array.shape``.
        index: Where ``array`` sits in it: ints, step-1 slices and 1-D int arrays (outer indexing),
            as fastinit's fills take; needs ``full_shape``. Default ``None``: the whole tensor.

    Returns:
        The digest, an int in [0, 2**64).

    Raises:
        TypeError: not an array, or an unsupported dtype.
        ValueError: ``index`` does not fit ``full_shape``, or ``array`` does not have the shape
            ``full[index]``.
        IndexError: an index array names a position outside ``full_shape``.

    Example:
        >>> import fastinit
        >>> w = fastinit.normal((4, 3), seed=0)
        >>> top = fastinit.fingerprint(w[:2], full_shape=(4, 3), index=(slice(0, 2),))
        >>> bottom = fastinit.fingerprint(w[2:], full_shape=(4, 3), index=(slice(2, 4),))
        >>> (top + bottom) % 2**64 == fastinit.fingerprint(w)  # shards add up to the whole
        True
    """
    a = _as_array(array)
    name = format_name(a.dtype)
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    strides, origin, offsets = placement(a.shape, full_shape, index, name in _PART_BYTES)
    return digest_bits(bits_view(a, name), name, strides, origin, offsets)
