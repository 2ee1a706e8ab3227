"""The array an initializer returns: filled on the host whole, shard by shard on an
``out_sharding`` (``jax.make_array_from_callback``), or under ``jax.jit``/``vmap`` through
``jax.pure_callback`` (one callback per device by ``jax.shard_map`` on a ``NamedSharding``); and
:func:`make_initializer`, the ``init(key, shape, dtype, out_sharding)`` every random factory returns."""

from collections.abc import Sequence
from typing import Any, Callable, Optional, Union

import jax
import jax.numpy as jnp
import numpy as np

from ..core.docstrings import fill_placeholders
from ..core.layout import as_shape
from .arguments import Initializer, checked_dtype
from .blocks import Bounds
from .blocks import bounds as _bounds
from .device import gpu_array
from .keys import key_data, seed_from_key, seed_from_words

__all__ = ["HOST", "INIT_DOC", "Bounds", "Fill", "make_initializer"]


#: ``fill(out, seed, full_shape, index)``: write ``full[index]`` of the logical tensor of shape
#: ``full_shape`` (``index``: step-1 slices, or None for the whole tensor) into ``out`` in place.
Fill = Callable[[np.ndarray, int, tuple[int, ...], Union[tuple[slice, ...], None]], Any]


def _sharding(out_sharding: Any, dims: tuple[int, ...], who: str, traced: bool) -> Any:
    """``out_sharding`` as a concrete ``jax.sharding.Sharding`` that tiles ``dims`` evenly, or None.

    A ``PartitionSpec`` is taken on the mesh of ``jax.set_mesh`` (as JAX's initializers do); a
    ``NamedSharding`` on an empty mesh means no sharding, as in JAX."""
    if out_sharding is None:
        return None
    if isinstance(out_sharding, jax.sharding.PartitionSpec):
        mesh = jax.sharding.get_abstract_mesh() if traced else jax.sharding.get_mesh()
        if mesh.empty:
            raise ValueError(f"{who}: out_sharding is a PartitionSpec ({out_sharding}) but no mesh is set; pass a "
                             "jax.sharding.NamedSharding(mesh, spec) or call the initializer inside "
                             "`with jax.set_mesh(mesh):`")
        out_sharding = jax.sharding.NamedSharding(mesh, out_sharding)
    if not isinstance(out_sharding, jax.sharding.Sharding):
        raise TypeError(f"{who}: out_sharding must be a jax.sharding.Sharding (e.g. NamedSharding(mesh, spec)), a "
                        f"PartitionSpec under jax.set_mesh, or None; got {type(out_sharding).__name__}")
    if isinstance(out_sharding, jax.sharding.NamedSharding) and out_sharding.mesh.empty:
        return None
    try:
        out_sharding.shard_shape(dims)
    except ValueError as exc:
        raise ValueError(f"{who}: out_sharding {out_sharding} cannot tile shape {dims}: {exc}. JAX needs each "
                         "sharded dimension to be divisible by its number of shards; pad that dimension or shard "
                         "another one") from None
    return out_sharding


def _sharded(dims: tuple[int, ...], dt: np.dtype, sharding: Any, block: Callable[[Bounds], np.ndarray]) -> Any:
    """``jax.make_array_from_callback``: each addressable device's shard is ``block(bounds)``,
    computed once per distinct shard (replicas share it) and only for this process's devices."""
    cache: dict[Bounds, np.ndarray] = {}

    def callback(index: Any) -> np.ndarray:
        key = _bounds(index, dims)
        if key not in cache:
            cache[key] = block(key)
        return cache[key]

    return jax.make_array_from_callback(dims, sharding, callback, dtype=dt)


def _host_array(key: Any, fill: Fill, dims: tuple[int, ...], dt: np.dtype, sharding: Any, elementwise: bool) -> Any:
    """The initializer's value for a concrete ``key``: whole, or shard by shard on ``sharding``."""
    seed = seed_from_key(key)
    if sharding is None:
        out = np.empty(dims, dt)
        fill(out, seed, dims, None)
        return jnp.asarray(out)
    if not elementwise:  # orthogonal, delta_orthogonal: a property of the whole matrix
        whole = np.empty(dims, dt)
        fill(whole, seed, dims, None)
        return _sharded(dims, dt, sharding, lambda b: np.ascontiguousarray(whole[tuple(slice(*x) for x in b)]))

    def block(bounds: Bounds) -> np.ndarray:
        out = np.empty(tuple(stop - start for start, stop in bounds), dt)
        fill(out, seed, dims, tuple(slice(*x) for x in bounds))
        return out

    return _sharded(dims, dt, sharding, block)


def _traced(data: Any, fill: Fill, dims: tuple[int, ...], dt: np.dtype, sharding: Any, elementwise: bool) -> Any:
    """The initializer's value for a traced key (under ``jit``/``vmap``), through ``jax.pure_callback``.

    On a ``NamedSharding`` (elementwise initializers) a ``jax.shard_map`` over its mesh runs one
    callback per device, which fills that device's block from its global offsets; otherwise the
    whole array is computed on the host and placed on ``sharding``."""
    if sharding is not None and elementwise and isinstance(sharding, jax.sharding.NamedSharding):
        spec = _spec_axes(sharding.spec, len(dims))
        if spec is not None:
            return _traced_blocks(data, fill, dims, dt, sharding, spec)

    def host(words: Any) -> np.ndarray:
        out = np.empty(dims, dt)
        fill(out, seed_from_words(words), dims, None)
        return out

    result = jax.pure_callback(host, jax.ShapeDtypeStruct(dims, dt), data, vmap_method="sequential")
    return result if sharding is None else jax.device_put(result, sharding)


def _spec_axes(spec: Any, rank: int) -> Optional[tuple[tuple[str, ...], ...]]:
    """The mesh axes that split each dimension (``()``: not split), or None for a spec entry that
    is not None, a name or a tuple of names (then the whole-array path is taken)."""
    entries = tuple(spec) + (None,) * (rank - len(tuple(spec)))
    axes: list[tuple[str, ...]] = []
    for entry in entries:
        if entry is None:
            axes.append(())
        elif isinstance(entry, str):
            axes.append((entry,))
        elif isinstance(entry, tuple) and all(isinstance(name, str) for name in entry):
            axes.append(entry)
        else:
            return None
    return tuple(axes)


def _traced_blocks(data: Any, fill: Fill, dims: tuple[int, ...], dt: np.dtype, sharding: Any,
                   spec: tuple[tuple[str, ...], ...]) -> Any:
    """One host callback per device (``jax.shard_map``), each filling its own block of ``dims``."""
    block = tuple(sharding.shard_shape(dims))

    def host(words: Any, blocks: Any) -> np.ndarray:
        out = np.empty(block, dt)
        # Block numbers times block sizes in Python ints: an int32 start would wrap past 2**31.
        fill(out, seed_from_words(words), dims,
             tuple(slice(int(k) * n, int(k) * n + n) for k, n in zip(blocks, block)))
        return out

    def body(words: Any) -> Any:
        numbers = [jax.lax.axis_index(names) if names else jnp.zeros((), jnp.int32) for names in spec]
        offsets = jnp.stack(numbers) if numbers else jnp.zeros((0,), jnp.int32)
        return jax.pure_callback(host, jax.ShapeDtypeStruct(block, dt), words, offsets, vmap_method="sequential")

    blocks = jax.shard_map(body, mesh=sharding.mesh, in_specs=jax.sharding.PartitionSpec(),
                           out_specs=sharding.spec, check_vma=False)
    return blocks(data)


def make_initializer(fill: Fill, default_dtype: Any, name: str, doc: str, *,
                     check: Optional[Callable[[tuple[int, ...]], None]] = None, complex_ok: bool = False,
                     elementwise: bool = True) -> Initializer:
    """The ``init(key, shape, dtype, out_sharding)`` of a random factory: ``fill`` writes the
    values, ``check(dims)`` refuses a shape before anything is traced, ``elementwise=False`` (a
    property of the whole array) fills the whole array even for one shard."""
    def init(key: Any, shape: Sequence[int], dtype: Any = default_dtype, out_sharding: Any = None) -> Any:
        dims = as_shape(shape)
        dt = checked_dtype(dtype, name, complex_ok)
        if check is not None:
            check(dims)  # before any tracing: the error is JAX's, not a callback's
        data = key_data(key)
        try:
            np.asarray(data)
        except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            return _traced(data, fill, dims, dt, _sharding(out_sharding, dims, name, True), elementwise)
        sharding = _sharding(out_sharding, dims, name, False)
        on_gpu = gpu_array(key, fill, dims, dt, sharding, elementwise)  # None: not on GPUs (the host path)
        return on_gpu if on_gpu is not None else _host_array(key, fill, dims, dt, sharding, elementwise)

    init.__name__ = init.__qualname__ = name
    init.__doc__ = fill_placeholders(INIT_DOC.format(summary=doc, dtype=default_dtype, how=HOST))
    return init


#: How the random initializers make their values (a paragraph of :data:`INIT_DOC`).
HOST = ("The values are the fastinit function's for the key's seed, generated on the host (under\n    "
        "``jax.jit``/``vmap`` through ``jax.pure_callback``, with the same values); eagerly on GPUs,\n    "
        "an elementwise initializer's by the Triton kernels there (:mod:`fastinit.jax.device`).")
#: The docstring of the ``init`` functions the factories return (``summary``: the factory call).
INIT_DOC = """The initializer ``{summary}``: a ``jax.Array`` of ``shape`` from ``key``.

    {how}

    Args:
        key: {{jax_key}}
        shape: {{jax_shape}}
        dtype: The array's dtype (default: the factory's ``dtype``, here {dtype!r}; ``None``: JAX's
            default float dtype).
        out_sharding: {{jax_out_sharding}}

    Returns:
        The ``jax.Array``.
    """
