"""Rows by ID: the rows of a logical ``(num_rows, dim)`` table that a batch of IDs names, in one call.

``fastinit.rows(init, ids, dim, seed=..., stream=...)`` returns the ``(len(ids), dim)`` array whose
row ``r`` is row ``ids[r]`` of the table ``init`` fills: the same values as filling the whole
table and taking ``table[ids]``, computed without the table (one core call, rows gathered in C++).

**The row-ID contract.** Row ``i``'s values are a pure function of (seed, stream, ``i``, ``dim``,
dtype, the initializer and its parameters): the same on any worker, in any order, at any time, in
any batch. A key-value embedding store that creates rows lazily when an ID first appears can
therefore initialize them from the ID alone, and rows never trained need no checkpoint: they are
recomputed on demand.

``num_rows=None`` (the default) makes the table as long as stream version 1 allows: fewer than
2**63 elements, so ``max_rows(dim) = (2**63 - 1) // dim`` rows (``// (2 * dim)`` for complex
rows, whose elements are two stream elements each; a row's values never depend on the row count
itself). An initializer whose values depend on the row count (fans that count the rows, e.g.
Keras's ``glorot_uniform`` or ``he_normal``, where the rows are ``fan_in``) then raises
ValueError: pass ``num_rows`` (the table's real size) or parameters that fix the scale without it
(e.g. ``"normal"`` with ``std=``, or ``kaiming_normal`` with ``layout="torch"`` and
``mode="fan_in"``, whose ``fan_in`` is ``dim``).

**Hashed IDs** (``hashed=True``): stores often key rows by 64-bit hashes, more than any table has
rows. fastinit maps a 64-bit ID to a (stream, row) pair, changing no existing bit
(:func:`hashed_row_ids`): with ``b = 62 - dim.bit_length()`` (so that ``2**b`` rows fit, complex
ones too), the low ``b`` bits are the row and the high ``64 - b`` bits ``h`` choose the stream:
the table's own stream when ``h == 0`` (so IDs below ``2**b`` give exactly
``rows(init, ids, dim)``), else ``stream_from_name(f"fastinit.rows.hashed:{stream}:{b}:{h}")``
with ``stream`` the table's stream as an int. Distinct IDs get distinct (stream, row) pairs (no
collisions); their values are as independent as those of distinct streams. Signed 64-bit IDs are
taken modulo 2**64 (their two's-complement bits). IDs are grouped by stream, one core call per
distinct ``h`` (at most ``2**(64 - b) <= 8 * dim`` of them).
"""

from typing import Any, Callable, Optional

import numpy as np

from .core.checks import integer
from .core.complex import is_complex
from .core.docstrings import shared_docs
from .core.ids import first_outside, int_ids
from .core.layout import Shape, check_no_overlap
from .core.seed import Seed, Stream, resolve_seed, resolve_stream, stream_from_name
from .names.named import NamedInit, resolve
from .names.registry import Initializer
from .presets.plans import Plan

__all__ = ["hashed_row_ids", "max_rows", "rows"]

_LIMIT = (1 << 63) - 1  # the largest element count of a logical tensor (stream version 1: < 2**63)

Fill = Callable[..., np.ndarray]


def max_rows(dim: int, dtype: Any = None) -> int:
    """The most rows a table of ``dim`` elements per row may have: ``(2**63 - 1) // dim``, or
    ``// (2 * dim)`` for a complex ``dtype`` (each complex element is two stream elements)."""
    dim = integer(dim, "dim", minimum=1, expected="an int >= 1")
    return _LIMIT // (dim * (2 if is_complex(None, dtype) else 1))


def _hash_bits(dim: int) -> int:
    """The row bits ``b`` of a hashed ID: ``2**b`` rows of ``dim`` complex elements fit below 2**63.
    ValueError for ``dim >= 2**62``, where not even one such row fits."""
    if dim >= 1 << 62:
        raise ValueError(f"hashed rows need dim < 2**62 (a hashed table has 2**b rows, b = 62 - "
                         f"dim.bit_length(), so that complex rows fit below 2**63 elements); got dim={dim}")
    return 62 - dim.bit_length()


def _as_ids(ids: Any, hashed: bool = False) -> np.ndarray:
    """``ids`` (a torch tensor, list or array) as a 1-d NumPy integer array read by the one rule of
    :mod:`fastinit.core.ids`, or raise. ``hashed``: as uint64, ints in [-2**63, 2**64) taken
    modulo 2**64 (ValueError outside)."""
    if hasattr(ids, "detach") and hasattr(ids, "cpu"):  # a torch tensor, without importing torch
        ids = ids.detach().cpu().numpy()
    a = int_ids(ids, "ids")
    if not hashed:
        return a
    bad = first_outside(a, -(1 << 63), 1 << 64)
    if bad is not None:
        raise ValueError(f"hashed ids must be 64-bit ints in [-2**63, 2**64), got {bad}")
    if a.dtype.kind == "O":  # Python ints of both signs: their two's-complement bits
        return np.array([int(v) % (1 << 64) for v in a.tolist()], np.uint64)
    return a.astype(np.uint64)


@shared_docs
def hashed_row_ids(ids: Any, dim: int, *, stream: Stream) -> tuple[np.ndarray, np.ndarray]:
    """The (stream, row) of each 64-bit ID of a hashed table of ``dim`` elements per row.

    Args:
        ids: The IDs, 1-d ints in [-2**63, 2**64): uint64, or int64 taken modulo 2**64 (a list
            may mix Python ints and NumPy integer scalars; floats and booleans are refused).
        dim: The elements per row, an int >= 1.
        stream: {stream}
            Here: the table's stream, which IDs below ``2**b`` keep.

    Returns:
        ``(streams, rows)``: uint64 streams and int64 rows, one per ID. Row ``rows[k]`` of the table
        of ``max_rows(dim)`` rows filled in stream ``streams[k]`` is ID ``ids[k]``'s row. See the
        module docstring for the mapping.

    Raises:
        TypeError: ``ids`` are not ints, or ``dim`` is not an int.
        ValueError: ``ids`` not 1-d or outside [-2**63, 2**64), ``dim < 1`` or ``dim >= 2**62``,
            or ``stream`` out of range.

    Example:
        >>> import numpy as np, fastinit
        >>> streams, rows = fastinit.hashed_row_ids(np.array([5, 2**63 + 5], np.uint64), 8, stream="emb")
        >>> rows  # the low bits: the row in its stream
        array([5, 5])
        >>> int(streams[0]) == fastinit.stream_from_name("emb")  # a small ID keeps the table's stream
        True
        >>> bool(streams[1] != streams[0])
        True
    """
    max_rows(dim)
    table = resolve_stream(stream)
    b, high, rows = _split(_as_ids(ids, hashed=True), int(dim))
    distinct, inverse = np.unique(high, return_inverse=True)
    derived = np.array([_hashed_stream(table, b, h) for h in distinct.tolist()], np.uint64)
    return derived[inverse.reshape(-1)], rows


def _split(u: np.ndarray, dim: int) -> tuple[int, np.ndarray, np.ndarray]:
    """``(b, high bits, rows)`` of uint64 ids (high bits as uint16 where they fit: radix-sortable)."""
    b = _hash_bits(dim)
    high = u >> np.uint64(b)
    if 64 - b <= 16:
        high = high.astype(np.uint16)
    return b, high, (u & np.uint64((1 << b) - 1)).astype(np.int64)


def _hashed_stream(table: int, b: int, h: int) -> int:
    return table if h == 0 else stream_from_name(f"fastinit.rows.hashed:{table}:{b}:{h}")


def _resolved(init: Any, params: dict[str, Any]) -> tuple[Fill, Callable[[Shape], Optional[Plan]], str]:
    """(a fill ``f(out, seed=, stream=, full_shape=, index=, dtype=)``, its plan of a shape, its name)."""
    if isinstance(init, (Initializer, NamedInit)):
        if params:
            raise TypeError(f"rows: init is an initializer with its parameters bound; got more ({', '.join(params)}): "
                            "bind them when creating it, or pass init by name with the parameters")
        if isinstance(init, NamedInit):
            return init.initializer, init.plan, init.canonical
        return init, init.plan, init.name
    named = resolve(init, params)
    return named.initializer, named.plan, named.canonical


def _check_row_count(plan: Callable[[Shape], Optional[Plan]], name: str, rows: int, dim: int) -> None:
    """With ``num_rows=None``: refuse initializers whose values depend on the row count."""
    big = plan((rows, dim))
    if big is None:
        raise ValueError(f"rows: {name} is not elementwise (its values depend on the whole table), so it "
                         "needs the table's real size: pass num_rows=")
    if big != plan((1, dim)):
        raise ValueError(f"rows: {name}'s values depend on the table's row count (its fans count the rows; "
                         f"with num_rows=None, {max_rows(dim)} rows, it would fill {big}); pass num_rows=<the "
                         "table's number of rows>, or parameters that fix the scale without it (e.g. 'normal' "
                         "with std=..., or kaiming_normal with layout='torch' and mode='fan_in')")


def _check_num_rows(num_rows: Any, dim: int) -> int:
    n = integer(num_rows, "num_rows", minimum=1, expected="an int >= 1 or None")
    if n > max_rows(dim):
        raise ValueError(f"num_rows={n} rows of dim={dim} elements make {n * dim} elements; fastinit supports "
                         f"fewer than 2**63, so at most {max_rows(dim)} rows of {dim}")
    return n


def _check_ids(ids: np.ndarray, num_rows: int) -> None:
    bad = first_outside(ids, 0, num_rows)
    if bad is not None and bad < 0:
        raise IndexError(f"ids: row id {bad} is negative; row ids are ints in [0, num_rows) (for signed 64-bit "
                         "hashes pass hashed=True)")
    if bad is not None:
        raise IndexError(f"ids: row id {bad} is out of range for a table of {num_rows} rows (ids must be in "
                         "[0, num_rows); for 64-bit hashed ids pass hashed=True)")


@shared_docs
def rows(
    init: Any,
    ids: Any,
    dim: int,
    *,
    seed: Seed,
    stream: Stream,
    dtype: Any = None,
    num_rows: Optional[int] = None,
    hashed: bool = False,
    out: Optional[np.ndarray] = None,
    **params: Any,
) -> np.ndarray:
    """Rows ``ids`` of the logical ``(num_rows, dim)`` table filled by ``init``.

    Args:
        init: an initializer name (``"normal"``, ``"uniform"``, ``"truncated_normal"``,
            ``"he_normal"``, Keras and PyTorch names, as :mod:`fastinit.dask` takes them:
            fastinit's own names first, then :func:`fastinit.get`'s), one of fastinit's functions
            (``fastinit.normal``), or an initializer from :func:`fastinit.get`.
        ids: 1-d ints (NumPy integer array, CPU torch tensor, or a list that may mix Python ints
            and NumPy integer scalars; floats and booleans are refused): row ids in [0, num_rows), any order,
            duplicates allowed (a repeated id gives equal rows). With ``hashed=True``: any 64-bit
            ints (see the module docstring).
        dim: elements per row (>= 1).
        seed: The Philox key, an int in [0, 2**64); required, since a row's values are a pure
            function of it (``None``, given explicitly, draws one from the OS).
        stream: {stream}
            Required here: one stream per table.
        dtype: the new array's dtype (float32 when omitted; float64, float16, bfloat16, complex64,
            complex128 as ``init`` takes them); omit it with ``out``.
        num_rows: the table's row count (fans come from ``(num_rows, dim)``); None: ``max_rows(dim)``,
            for initializers whose values do not depend on it.
        hashed: ids are 64-bit hashes mapped by :func:`hashed_row_ids` (``num_rows`` must be None).
        out: an existing ``(len(ids), dim)`` array to fill instead of a new one (any strides whose
            elements do not share memory).
        **params: the initializer's parameters (``std=0.02``, ``mode="fan_avg"``, ...).

    Returns:
        The ``(len(ids), dim)`` array (``out`` when given): row ``r`` is row ``ids[r]`` of the table.

    Raises:
        TypeError: an argument of the wrong type, an unknown parameter of ``init`` (naming the
            closest), or ``ids`` that are not ints.
        ValueError: a bad ``dim``, ``num_rows``, ``seed`` or ``stream``, an unknown ``init``
            (naming the closest), ``out`` of the wrong shape or with elements sharing memory,
            ``hashed=True`` with ``dim >= 2**62``, or ``num_rows=None`` with an ``init`` whose
            values depend on the row count.
        IndexError: an id outside [0, num_rows) (naming it). Every check of this list runs
            before anything is written.

    Example:
        >>> import numpy as np, fastinit
        >>> ids = np.array([7, 3, 7])
        >>> r = fastinit.rows("normal", ids, 8, seed=0, stream="emb", std=0.02)
        >>> r.shape
        (3, 8)
        >>> table = fastinit.normal((10, 8), 0.0, 0.02, seed=0, stream="emb")  # the whole table
        >>> np.array_equal(r, table[ids])
        True
    """
    dim = integer(dim, "dim", minimum=1, expected="an int >= 1")
    if not isinstance(hashed, bool):
        raise TypeError(f"hashed must be True or False, got {type(hashed).__name__} {hashed!r}")
    if hashed and num_rows is not None:
        raise ValueError("rows: hashed=True maps 64-bit ids onto tables of max_rows(dim) rows in derived streams; "
                         "omit num_rows")
    if hashed:
        _hash_bits(dim)
    id_array = _as_ids(ids, hashed)
    fill, n = _table(init, params, dim, num_rows, is_complex(out, dtype))
    seed_int, stream_int = resolve_seed(seed), resolve_stream(stream)
    if isinstance(out, np.ndarray) and out.shape != (len(id_array), dim):
        raise ValueError(f"out has shape {out.shape} but the rows have shape {(len(id_array), dim)} (len(ids), dim)")
    if not hashed:
        _check_ids(id_array, n)
        target: Any = (len(id_array), dim) if out is None else out
        return fill(target, seed=seed_int, stream=stream_int, full_shape=(n, dim), index=(id_array,), dtype=dtype)
    return _fill_hashed(fill, out, id_array, dim, stream_int, seed_int, n, dtype)


def _table(init: Any, params: dict[str, Any], dim: int, num_rows: Any, complex_rows: bool) -> tuple[Fill, int]:
    """(the fill of ``init`` with ``params``, the table's row count), checked."""
    fill, plan, name = _resolved(init, params)
    if num_rows is not None:
        return fill, _check_num_rows(num_rows, dim)
    n = max_rows(dim, np.complex64 if complex_rows else None)
    if n == 0:
        kind = "complex elements (two stream elements each)" if complex_rows else "elements"
        raise ValueError(f"dim={dim} is too large: not even one row of {dim} {kind} fits below 2**63 stream "
                         "elements; use a smaller dim")
    _check_row_count(plan, name, n, dim)
    return fill, n


def _check_out(out: Any, shape: tuple[int, int], dtype: Any) -> None:
    """``out`` of hashed rows: a writable ``(len(ids), dim)`` ndarray, ``dtype`` omitted."""
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy.ndarray of shape {shape}, got {type(out).__name__}")
    if dtype is not None:
        raise TypeError("omit dtype when passing out (its dtype is out.dtype)")
    if out.shape != shape:
        raise ValueError(f"out has shape {out.shape} but the rows have shape {shape} (len(ids), dim)")
    if not out.flags.writeable:
        raise ValueError("out is read-only; pass a writable array (e.g. out.copy())")
    check_no_overlap(out)


def _fill_hashed(fill: Fill, out: Optional[np.ndarray], ids: np.ndarray, dim: int, stream: int, seed: int,
                 num_rows: int, dtype: Any) -> np.ndarray:
    """The rows of hashed (uint64) ids: one fill per distinct high part (stream), into a buffer
    sorted by it (the first call checks dtype and parameters), then scattered to the ids' order."""
    b, high, row_ids = _split(ids, dim)
    order = np.argsort(high, kind="stable")
    ordered = high[order]
    bounds = [0] + (np.flatnonzero(ordered[1:] != ordered[:-1]) + 1).tolist() + [len(ids)]
    place = {"full_shape": (num_rows, dim), "seed": seed}
    if out is not None:
        _check_out(out, (len(ids), dim), dtype)
    if len(bounds) <= 2:  # no ids or one stream: straight into the result
        h = int(ordered[0]) if len(ids) else 0
        target: Any = (len(ids), dim) if out is None else out
        return fill(target, stream=_hashed_stream(stream, b, h), index=(row_ids,), dtype=dtype, **place)
    if out is not None:
        dtype = out.dtype
    buffer = None
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        group = {"stream": _hashed_stream(stream, b, int(ordered[lo])), "index": (row_ids[order[lo:hi]],), **place}
        if buffer is None:
            first = fill((hi, dim), dtype=dtype, **group)
            buffer = np.empty((len(ids), dim), first.dtype)
            buffer[:hi] = first
        else:
            fill(buffer[lo:hi], **group)
    result = np.empty_like(buffer) if out is None else out
    result[order] = buffer
    return result
