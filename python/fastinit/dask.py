"""Dask arrays of initialized weights: ``fastinit.dask.array(init, shape, chunks=..., ...)``.

Every block is computed by fastinit as a slice of the full tensor (``full_shape``/``index``), so
the array equals the in-memory fill of the whole tensor bit for bit, for any chunking, on any
scheduler: threads, processes, or a ``dask.distributed`` cluster of many machines (each worker
needs fastinit installed). Blocks are computed where they are needed and nothing else is sent:
the graph holds only the initializer's name, parameters, seed and stream. Write tables larger
than any one machine with ``arr.to_zarr(...)``.

Needs ``dask[array]`` (``pip install "fastinit[dask]"``, which also installs distributed and zarr);
``import fastinit`` does not import dask.
"""

import math
from typing import Any, Optional

import numpy as np

from .core.docstrings import shared_docs
from .core.dtypes import FLOAT_FORMATS, format_of, resolve_dtype
from .core.layout import as_shape
from .core.seed import Seed, Stream, resolve_seed, resolve_stream
from .names.expected import check_and_expect
from .names.named import NamedInit, resolve

__all__ = ["array"]

_NAMES = {np.dtype(np.float32): "float32", np.dtype(np.float64): "float64", np.dtype(np.float16): "float16"}


def _block(block_info: Optional[dict[Any, Any]] = None, *, init: str, params: dict[str, Any],
           full_shape: tuple[int, ...], fmt: str, seed: int, stream: int) -> np.ndarray:
    """One block: ``full[index]`` of the whole fill, where ``index`` is the block's location."""
    assert block_info is not None
    loc = block_info[None]["array-location"]
    index = tuple(slice(a, b) for a, b in loc)
    out = np.empty(tuple(b - a for a, b in loc), resolve_dtype(fmt))
    resolve(init, params)(out, seed=seed, stream=stream, full_shape=full_shape, index=index)
    return out


@shared_docs
def array(init: Any, shape: Any, *, chunks: Any = "auto", dtype: Any = "float32", seed: Seed,
          stream: Stream = 0, name: Optional[str] = None, **params: Any) -> Any:
    """A ``dask.array.Array`` of ``shape`` filled by ``init``, equal bit for bit to
    ``init(shape, seed=seed, stream=stream, dtype=dtype, **params)`` for any ``chunks``.

    Args:
        init: an initializer name (``"he_normal"``, ``"normal"``, ``"glorot_uniform"``, Keras and
            PyTorch names as :func:`fastinit.get` resolves them, fastinit's own names first) or one
            of fastinit's functions (``fastinit.he_normal``).
        shape: the whole array's shape; fans come from it.
        chunks: anything ``dask.array`` takes: ``"auto"``, a block shape, explicit (irregular)
            chunks per axis, ``-1`` for whole axes.
        dtype: float32 (default), float16, bfloat16 or float64.
        seed: the seed, an int in [0, 2**64) (``None`` draws one from the OS, once for all blocks).
        stream: {stream}
        name: the dask key prefix (default: ``fastinit-<init>-<hash of the arguments>``).
        **params: the initializer's parameters (``std=0.02``, ``mode="fan_avg"``...).

    Returns:
        A lazy ``dask.array.Array``; nothing is computed until you ask for it (``.compute()``,
        ``.to_zarr(...)``).

    Raises:
        ImportError: dask is not installed.
        TypeError: a bad argument (checked before any block is computed).
        ValueError: a bad argument, ``orthogonal`` with more than one block, or ``sparse`` with
            more than one chunk along the rows (they need the whole tensor, resp. whole columns,
            per block).

    Example:
        >>> import numpy as np, fastinit, fastinit.dask
        >>> x = fastinit.dask.array("he_normal", (100, 8), chunks=(30, 8), seed=0, stream="emb")
        >>> x.numblocks
        (4, 1)
        >>> np.array_equal(x.compute(), fastinit.he_normal((100, 8), seed=0, stream="emb"))
        True
    """
    try:
        import dask.array as da
        from dask.array.core import normalize_chunks
        from dask.base import tokenize
    except ImportError:
        raise ImportError("fastinit.dask needs dask: pip install 'fastinit[dask]' "
                          "(or pip install 'dask[array]')") from None
    named = init if isinstance(init, NamedInit) else resolve(init, params)
    full = as_shape(shape, "shape")
    dt = resolve_dtype(dtype)
    fmt = format_of(dt, FLOAT_FORMATS)
    seed_int = resolve_seed(seed)
    stream_int = resolve_stream(stream)
    check_and_expect(named, full, dt, seed_int, stream_int)  # bad parameters fail here, not in a worker
    norm = normalize_chunks(chunks, full, dtype=dt)
    nblocks = math.prod(len(c) for c in norm)
    if named.fn_name == "orthogonal" and nblocks > 1:
        raise ValueError(f"orthogonal needs the whole matrix for every block ({nblocks} blocks here would each "
                         "compute it): use chunks=-1, or fastinit.orthogonal directly")
    if named.fn_name == "sparse" and full and len(norm[0]) > 1:
        raise ValueError("sparse picks each column's zeros from the whole column: chunk only along the columns "
                         f"(e.g. chunks=(-1, {norm[1][0] if len(norm) > 1 else -1}))")
    init_name = named.name if isinstance(init, (str, NamedInit)) else named.canonical
    kwargs = dict(init=init_name, params=dict(named.params), full_shape=full, fmt=fmt, seed=seed_int,
                  stream=stream_int)
    if name is None:
        name = f"fastinit-{named.canonical}-" + tokenize(init_name, sorted(named.params.items(), key=str), full,
                                                         norm, fmt, seed_int, stream_int)
    return da.map_blocks(_block, dtype=dt, chunks=norm, meta=np.empty((0,) * len(full), dt), name=name, **kwargs)
