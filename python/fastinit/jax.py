"""``fastinit.jax``: ``jax.nn.initializers``-compatible factories whose values come from fastinit.

Importing this module imports JAX (``import fastinit`` alone never does).

The factories have ``jax.nn.initializers``'s names, parameters, defaults and meanings:
``variance_scaling(scale, mode, distribution, in_axis=-2, out_axis=-1, batch_axis=(), dtype=None)``
(JAX's ``distribution="normal"`` is *untruncated*: fastinit's ``"untruncated_normal"``),
``glorot_uniform``/``glorot_normal``/``he_*``/``lecun_*`` (``in_axis``, ``out_axis``,
``batch_axis``, ``dtype``) and JAX's aliases ``xavier_*`` = ``glorot_*``, ``kaiming_*`` = ``he_*``
(truncated normals, JAX's layout: not fastinit's PyTorch-style ``xavier_normal``/``kaiming_*``),
``uniform(scale=1e-2)`` (U[0, scale)), ``normal(stddev=1e-2)``, ``truncated_normal(stddev=1e-2,
dtype=None, lower=-2.0, upper=2.0)`` (bounds in standard deviations), ``orthogonal(scale=1.0,
column_axis=-1)``, ``delta_orthogonal(scale=1.0, column_axis=-1)``, ``constant(value)``, and the
initializers ``zeros`` and ``ones`` themselves.

Each returns ``init(key, shape, dtype=dtype, out_sharding=None)``, usable wherever JAX (or Flax)
takes an initializer. **Generation is host-side**: ``init`` reads the key's bits
(``jax.random.key_data``, so new-style typed keys and raw ``uint32[2]`` keys both work), fills a
NumPy array on the host with the fastinit preset, and returns ``jnp.asarray`` of it. Under
``jax.jit``/``vmap`` (e.g. a jitted ``model.init``) the same host function runs through
``jax.pure_callback``, with the same values. This suits huge tables (memory speed, any thread
count, the same bits on any machine); the values are fastinit's, not ``jax.random``'s.

**Shardings** (``out_sharding``, the name and place of JAX's own initializers' parameter): any
``jax.sharding.Sharding`` (``NamedSharding``, ``SingleDeviceSharding``, ...), or a
``PartitionSpec`` taken on the mesh of ``jax.set_mesh`` (ValueError without one). The result has
that sharding and the values of the unsharded call, bit for bit, for every mesh and spec: element
values depend only on their global index, and fans come from the global ``shape``. Eagerly, the
array is built with ``jax.make_array_from_callback``: each shard addressable by this process is
filled on the host from its global index (``full_shape``/``index`` of the fastinit fill), once per
distinct shard (replicas share it); the whole array is never computed or held. Under ``jax.jit``
a ``NamedSharding`` is honoured the same way by a ``jax.shard_map`` whose per-device callback fills
that device's block (replicated blocks are then filled once per device); other shardings under
``jit`` compute the whole array and place it. ``orthogonal`` and ``delta_orthogonal`` are not
elementwise (orthogonality belongs to the whole matrix): the whole array is computed once per
process on the host and each device gets its slice (JAX's own raise NotImplementedError for
``out_sharding``). As in JAX, every sharded dimension must divide evenly by its number of shards
(else ValueError). Flax's partitioning annotations (``nnx.with_partitioning``,
``linen.with_partitioning``) do not pass ``out_sharding`` to the initializer: Flax reshards the
whole array afterwards (same values); bind ``out_sharding`` (``functools.partial``) to fill only
the shards.

**Seed of a key** (:func:`seed_from_key`): a threefry key's two words ``(k0, k1)`` give the
fastinit seed ``k0 * 2**32 + k1``, so ``jax.random.key(42)`` (and ``jax.random.PRNGKey(42)``) is
``seed=42`` (any seed below 2**32; without ``jax_enable_x64`` JAX keeps only 32 bits of a seed):
``fastinit.jax.glorot_uniform()(jax.random.key(42), shape)`` equals
``fastinit.glorot_uniform(shape, seed=42)`` bit for bit (stream 0). Keys of other widths are hashed
(BLAKE2b) to 64 bits. Split keys per layer, as usual in JAX.

dtypes: float32, float64 (with ``jax_enable_x64``; otherwise float32 with JAX's warning), float16,
bfloat16; ``dtype=None`` is JAX's default float dtype. Complex (complex64, complex128 with x64),
where JAX takes it, with JAX's complex semantics: ``normal`` is the complex normal (each part
``stddev / sqrt(2)``, :func:`fastinit.normal`); ``variance_scaling`` and its presets give, with
``v = scale / n``, the complex normal of variance ``v`` ("normal"), the complex normal whose
modulus is truncated at 2 std, std ``sqrt(v) / 0.95311164380491208`` before the cut
("truncated_normal", :func:`fastinit.truncated_normal_disk`), or the uniform disk of radius
``sqrt(2 v)`` ("uniform", :func:`fastinit.uniform_disk`): each of variance ``v``; ``orthogonal``
and ``delta_orthogonal`` give a Haar unitary matrix (QR of the complex normal matrix, columns times
the phases of diag(R), :func:`fastinit.orthogonal`), orthonormal under the conjugate transpose,
transposed (not conjugated) when rows < columns, as JAX's ``Q.T``. ``zeros``,
``ones`` and ``constant`` take any dtype (they are ``jnp.zeros``/``jnp.ones``/``jnp.full``; the key is ignored).
"""

import hashlib
import math
import warnings
from collections.abc import Sequence
from typing import Any, Callable, Optional, Union

import numpy as np

try:
    import jax  # absolute import: the real JAX, not this module
    import jax.numpy as jnp
except ImportError as _exc:  # pragma: no cover - only without jax
    raise ImportError("fastinit.jax needs JAX; install it (`pip install jax`)") from _exc
if not hasattr(jax, "random"):  # pragma: no cover - python/fastinit itself on sys.path
    raise ImportError("`import jax` found fastinit's own jax.py; do not put python/fastinit on sys.path")

from .core import fills as _fills
from .core.checks import integer, is_real, real
from .core.complex import COMPLEX_PARTS
from .core.docstrings import fill_placeholders, shared_docs
from .core.dtypes import FLOAT_FORMATS
from .core.layout import as_shape
from .core.suggest import did_you_mean
from .presets.args import real_param
from .presets.disk import truncated_normal_disk, uniform_disk
from .presets.orthogonal import delta_orthogonal as _delta_orthogonal
from .presets.orthogonal import orthogonal as _orthogonal
from .presets.variance_scaling import MODES, variance_scaling_plan
from .presets.variance_scaling import variance_scaling as _variance_scaling

__all__ = [
    "constant",
    "delta_orthogonal",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "seed_from_key",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Axis = Union[int, Sequence[int]]
#: ``init(key, shape, dtype=..., out_sharding=None) -> jax.Array``
Initializer = Callable[..., Any]

#: JAX's variance_scaling distributions and fastinit's name for each.
_DISTRIBUTIONS = {"truncated_normal": "truncated_normal", "normal": "untruncated_normal", "uniform": "uniform"}
#: std of a complex standard normal whose modulus is truncated at 2 (JAX's constant).
COMPLEX_TRUNCATED_NORMAL_STD = 0.95311164380491208


def _number(value: Any, name: str, *, minimum: Optional[float] = None, strict: bool = False) -> float:
    """A parameter JAX takes as a number: Python/NumPy numbers and 0-d (concrete) arrays of a real
    dtype, as a finite float; anything else gets ``real_param``'s error naming ``name``."""
    if not is_real(value) and not isinstance(value, (bool, str)) and getattr(value, "shape", None) == ():
        try:
            array = np.asarray(value)
        except (TypeError, jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            raise TypeError(f"{name} must be a concrete number (a Python number or a 0-d array), got a traced "
                            "value; build the initializer outside jax.jit") from None
        if array.dtype.kind in "iuf" or array.dtype == jnp.bfloat16:
            value = float(array)
    return real_param(value, name, minimum=minimum, strict=strict)


def _seed_from_words(words: Any) -> int:
    w = np.asarray(words)
    if w.dtype != np.uint32:
        raise TypeError(f"a JAX PRNG key's data must be uint32 words, got dtype {w.dtype}")
    if w.ndim != 1:
        raise ValueError(f"expected a single PRNG key, got a key array with data of shape {w.shape}; split it and "
                         "call the initializer once per key (or use jax.vmap)")
    if w.size == 2:
        return (int(w[0]) << 32) | int(w[1])
    digest = hashlib.blake2b(w.astype("<u4").tobytes(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def _key_data(key: Any) -> Any:
    try:
        return jax.random.key_data(key)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"key must be a JAX PRNG key (jax.random.key(seed) or a raw uint32[2] jax.random.PRNGKey), "
                        f"got {type(key).__name__}: {exc}") from None


def seed_from_key(key: Any) -> int:
    """The 64-bit fastinit seed of a (concrete, single) JAX PRNG key.

    Threefry keys (data ``[k0, k1]``) give ``k0 * 2**32 + k1``, so ``jax.random.key(42)`` is seed
    42 and an initializer called with it gives the fastinit function's values for ``seed=42``;
    keys with other numbers of words give the BLAKE2b-64 hash of their little-endian bytes.

    Args:
        key: A new-style typed key (``jax.random.key``) or a raw ``uint32[2]`` key
            (``jax.random.PRNGKey``); concrete, not traced, and one key (not a key array).

    Returns:
        The seed, an int in [0, 2**64).

    Raises:
        TypeError: not a PRNG key.
        ValueError: an array of several keys (split it and call once per key).

    Example:
        >>> import jax, fastinit.jax as fj
        >>> fj.seed_from_key(jax.random.key(42)), fj.seed_from_key(jax.random.PRNGKey(42))
        (42, 42)
    """
    return _seed_from_words(np.asarray(_key_data(key)))


class DtypeError(TypeError, ValueError):
    """A dtype fastinit does not write (JAX raises ValueError, fastinit TypeError: this is both)."""


def _dtype(dtype: Any, who: str, complex_ok: bool = False) -> np.dtype:
    """``dtype`` (None: JAX's default float dtype) as JAX canonicalizes it, checked for fastinit
    (complex64/complex128 too when ``complex_ok``)."""
    requested = np.dtype(np.float64 if dtype is None else dtype)
    canonical = np.dtype(jax.dtypes.canonicalize_dtype(requested))
    if dtype is not None and canonical != requested:
        warnings.warn(f"Explicitly requested dtype {requested} requested in {who} is not available, and will be "
                      f"truncated to dtype {canonical}. To enable more dtypes, set the jax_enable_x64 configuration "
                      "option or the JAX_ENABLE_X64 shell environment variable.", UserWarning, stacklevel=3)
    if canonical in FLOAT_FORMATS or (complex_ok and canonical in COMPLEX_PARTS):
        return canonical
    extra = "; complex64 and complex128 too" if complex_ok else " (complex only where JAX takes it)"
    raise DtypeError(f"{who}: dtype {canonical} is not supported; fastinit writes float32, float64, float16 and "
                    f"bfloat16 (jnp.bfloat16){extra}")


#: ``fill(out, seed, full_shape, index)``: write ``full[index]`` of the logical tensor of shape
#: ``full_shape`` (``index``: step-1 slices, or None for the whole tensor) into ``out`` in place.
Fill = Callable[[np.ndarray, int, tuple[int, ...], Union[tuple[slice, ...], None]], Any]
#: a shard's bounds: ``(start, stop)`` per dimension.
Bounds = tuple[tuple[int, int], ...]


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


def _bounds(index: Any, dims: tuple[int, ...]) -> Bounds:
    """A shard's index from JAX (a tuple of step-1 slices, possibly open) as ``(start, stop)`` pairs."""
    parts = tuple(index) + (slice(None),) * (len(dims) - len(tuple(index)))
    bounds = []
    for part, n in zip(parts, dims):
        start, stop, step = part.indices(n)
        if step != 1:  # pragma: no cover - JAX's shard indices are contiguous
            raise ValueError(f"a shard index with step {step} (index {index}) is not supported")
        bounds.append((start, max(start, stop)))
    return tuple(bounds)


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
        fill(out, _seed_from_words(words), dims, None)
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
        fill(out, _seed_from_words(words), dims,
             tuple(slice(int(k) * n, int(k) * n + n) for k, n in zip(blocks, block)))
        return out

    def body(words: Any) -> Any:
        numbers = [jax.lax.axis_index(names) if names else jnp.zeros((), jnp.int32) for names in spec]
        offsets = jnp.stack(numbers) if numbers else jnp.zeros((0,), jnp.int32)
        return jax.pure_callback(host, jax.ShapeDtypeStruct(block, dt), words, offsets, vmap_method="sequential")

    blocks = jax.shard_map(body, mesh=sharding.mesh, in_specs=jax.sharding.PartitionSpec(),
                           out_specs=sharding.spec, check_vma=False)
    return blocks(data)


def _initializer(fill: Fill, default_dtype: Any, name: str, doc: str, *,
                 check: Optional[Callable[[tuple[int, ...]], None]] = None, complex_ok: bool = False,
                 elementwise: bool = True) -> Initializer:
    def init(key: Any, shape: Sequence[int], dtype: Any = default_dtype, out_sharding: Any = None) -> Any:
        dims = as_shape(shape)
        dt = _dtype(dtype, name, complex_ok)
        if check is not None:
            check(dims)  # before any tracing: the error is JAX's, not a callback's
        data = _key_data(key)
        try:
            np.asarray(data)
        except (jax.errors.TracerArrayConversionError, jax.errors.ConcretizationTypeError):
            return _traced(data, fill, dims, dt, _sharding(out_sharding, dims, name, True), elementwise)
        return _host_array(key, fill, dims, dt, _sharding(out_sharding, dims, name, False), elementwise)

    init.__name__ = init.__qualname__ = name
    init.__doc__ = fill_placeholders(_INIT_DOC.format(summary=doc, dtype=default_dtype, how=_HOST))
    return init


#: How the random initializers make their values (a paragraph of :data:`_INIT_DOC`).
_HOST = ("The values are the fastinit function's for the key's seed, generated on the host (under\n    "
         "``jax.jit``/``vmap`` through ``jax.pure_callback``, with the same values).")
#: The docstring of the ``init`` functions the factories return (``summary``: the factory call).
_INIT_DOC = """The initializer ``{summary}``: a ``jax.Array`` of ``shape`` from ``key``.

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


def _check_axes_rank(shape: Sequence[int], in_axis: Axis) -> None:
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(f"Can't compute input and output sizes of a {len(shape)}-dimensional weights tensor with "
                         "default in_axis. Must be at least 2D or specify in_axis explicitly.")


def _complex_variance_scaling(out: np.ndarray, std: float, distribution: str, seed: int, where: dict[str, Any]) -> None:
    """JAX's complex forms, each of variance ``std**2`` (see the module docstring); ``where``: the
    ``full_shape`` and ``index`` of ``out``."""
    if distribution == "normal":
        _fills.normal(out, 0.0, std, seed=seed, **where)
    elif distribution == "truncated_normal":
        truncated_normal_disk(out, std / COMPLEX_TRUNCATED_NORMAL_STD, 2.0, seed=seed, **where)
    else:
        uniform_disk(out, math.sqrt(2.0) * std, seed=seed, **where)


def _check_name(value: Any, name: str, choices: tuple[str, ...]) -> None:
    """JAX's ValueError for a ``mode``/``distribution`` not among ``choices`` (exact names: JAX
    does not lower-case them), with the valid names after JAX's text."""
    if not isinstance(value, str) or value not in choices:
        hint = did_you_mean(value, choices) if isinstance(value, str) else ""
        raise ValueError(f"invalid {name} for variance scaling initializer: {value}.{hint} Valid values: "
                         f"{', '.join(map(repr, choices))}")


@shared_docs
def variance_scaling(scale: Any, mode: str, distribution: str, in_axis: Axis = -2, out_axis: Axis = -1,
                     batch_axis: Axis = (), dtype: Any = None) -> Initializer:
    """JAX ``variance_scaling``: zero-mean values of variance ``scale / n``, ``n`` from the fans.

    Values: :func:`fastinit.variance_scaling`, with JAX's fans and defaults; complex dtypes: JAX's
    complex forms (see the module docstring). Differs from JAX: the values are fastinit's, made on
    the host from the key's seed.

    Args:
        scale: The variance's factor, > 0.
        mode: Which fan ``n`` is: ``"fan_in"``, ``"fan_out"``, ``"fan_avg"`` (their mean) or
            ``"fan_geo_avg"`` (their geometric mean).
        distribution: ``"truncated_normal"`` (cut at +-2 std, std corrected so the variance is
            ``scale / n``), ``"normal"`` (JAX's: **untruncated**, fastinit's
            ``"untruncated_normal"``) or ``"uniform"``.
        in_axis: {jax_axes}
        out_axis: The output (fan-out) axis or axes (default -1), as for ``in_axis``.
        batch_axis: The batch axes (default ``()``), counted in neither fan.
        dtype: {jax_dtype}

    Returns:
        ``init(key, shape, dtype=dtype, out_sharding=None)``, a function that returns a
        ``jax.Array`` (its own docstring says how each argument is used).

    Raises:
        ValueError: ``scale <= 0``, or an unknown ``mode`` or ``distribution`` (JAX's message).

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> init = fj.variance_scaling(2.0, "fan_in", "uniform")
        >>> w = init(jax.random.key(0), (100, 10))
        >>> np.array_equal(np.asarray(w), fastinit.variance_scaling((100, 10), 2.0, "fan_in", "uniform", seed=0))
        True
    """
    scale = _number(scale, "scale", minimum=0.0, strict=True)
    _check_name(mode, "mode", MODES)
    _check_name(distribution, "distribution", tuple(_DISTRIBUTIONS))
    ours = _DISTRIBUTIONS[distribution]
    axes: dict[str, Any] = {"in_axis": in_axis, "out_axis": out_axis, "batch_axis": batch_axis}

    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        where: dict[str, Any] = {"full_shape": full_shape, "index": index}  # fans from the global shape
        if out.dtype in COMPLEX_PARTS:
            plan = variance_scaling_plan(full_shape, scale, mode, "untruncated_normal", **axes)
            _complex_variance_scaling(out, plan["std"], distribution, seed, where)
        else:
            _variance_scaling(out, scale, mode, ours, seed=seed, **axes, **where)

    return _initializer(fill, dtype, "variance_scaling", f"variance_scaling({scale}, {mode!r}, {distribution!r})",
                        check=lambda dims: _check_axes_rank(dims, in_axis), complex_ok=True)


def _preset(name: str, scale: float, mode: str, distribution: str, alias: str = "") -> Callable[..., Initializer]:
    def factory(in_axis: Axis = -2, out_axis: Axis = -1, batch_axis: Axis = (), dtype: Any = None) -> Initializer:
        init = variance_scaling(scale, mode, distribution, in_axis, out_axis, batch_axis, dtype)
        init.__name__ = init.__qualname__ = name
        return init

    factory.__name__ = factory.__qualname__ = name
    factory.__doc__ = fill_placeholders(_PRESET_DOC.format(name=name, alias=alias, scale=scale, mode=mode,
                                                           distribution=distribution))
    return factory


#: The docstring of the preset factories (the API reference's extension formats it the same way).
_PRESET_DOC = """JAX ``{name}``{alias}: a variance-scaling initializer factory.

    ``variance_scaling({scale}, {mode!r}, {distribution!r}, in_axis, out_axis, batch_axis, dtype)``.
    Values: :func:`fastinit.{name}` (Keras's and JAX's formula, fans and layout), so a call
    with ``jax.random.key(s)`` equals ``fastinit.{name}(shape, seed=s)``. Differs from JAX: the
    values are fastinit's, made on the host from the key's seed.

    Args:
        in_axis: {{jax_axes}}
        out_axis: The output (fan-out) axis or axes (default -1), as for ``in_axis``.
        batch_axis: The batch axes (default ``()``), counted in neither fan.
        dtype: {{jax_dtype}}

    Returns:
        ``init(key, shape, dtype=dtype, out_sharding=None)``, a function that returns a
        ``jax.Array`` (its own docstring says how each argument is used).

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> w = fj.{name}()(jax.random.key(0), (3, 2))
        >>> np.array_equal(np.asarray(w), fastinit.{name}((3, 2), seed=0))
        True
    """


glorot_uniform = _preset("glorot_uniform", 1.0, "fan_avg", "uniform", " (= ``xavier_uniform``)")
glorot_normal = _preset("glorot_normal", 1.0, "fan_avg", "truncated_normal", " (= ``xavier_normal``)")
lecun_uniform = _preset("lecun_uniform", 1.0, "fan_in", "uniform")
lecun_normal = _preset("lecun_normal", 1.0, "fan_in", "truncated_normal")
he_uniform = _preset("he_uniform", 2.0, "fan_in", "uniform", " (= ``kaiming_uniform``)")
he_normal = _preset("he_normal", 2.0, "fan_in", "truncated_normal", " (= ``kaiming_normal``)")
xavier_uniform = glorot_uniform
xavier_normal = glorot_normal
kaiming_uniform = he_uniform
kaiming_normal = he_normal


@shared_docs
def uniform(scale: Any = 1e-2, dtype: Any = None) -> Initializer:
    """JAX ``uniform``: values from U[0, scale).

    Values: :func:`fastinit.random_uniform` ``(minval=0, maxval=scale)``; a negative ``scale``
    gives U(scale, 0], as in JAX. Differs from JAX: the values are fastinit's.

    Args:
        scale: The upper bound (default 0.01).
        dtype: {jax_dtype} Real dtypes only.

    Returns:
        ``init(key, shape, dtype=dtype, out_sharding=None)``, a function that returns a
        ``jax.Array`` (its own docstring says how each argument is used).

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> b = fj.uniform(1.0)(jax.random.key(0), (3,))
        >>> np.array_equal(np.asarray(b), fastinit.random_uniform((3,), 0.0, 1.0, seed=0))
        True
    """
    scale = _number(scale, "scale")
    low, high = min(0.0, scale), max(0.0, scale)
    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _fills.uniform(out, low, high, seed=seed, full_shape=full_shape, index=index)

    return _initializer(fill, dtype, "uniform", f"uniform({scale})")


@shared_docs
def normal(stddev: Any = 1e-2, dtype: Any = None) -> Initializer:
    """JAX ``normal``: values from N(0, stddev**2), untruncated.

    Values: :func:`fastinit.random_normal` ``(stddev=stddev)``; complex dtypes: the complex
    normal of standard deviation ``stddev`` (each part ``stddev / sqrt(2)``), as in JAX. Differs
    from JAX: the values are fastinit's.

    Args:
        stddev: The standard deviation (default 0.01), >= 0.
        dtype: {jax_dtype}

    Returns:
        ``init(key, shape, dtype=dtype, out_sharding=None)``, a function that returns a
        ``jax.Array`` (its own docstring says how each argument is used).

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> w = fj.normal(1.0)(jax.random.key(0), (3,))
        >>> np.array_equal(np.asarray(w), fastinit.random_normal((3,), 0.0, 1.0, seed=0))
        True
    """
    stddev = _number(stddev, "stddev", minimum=0.0)
    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _fills.normal(out, 0.0, stddev, seed=seed, full_shape=full_shape, index=index)

    return _initializer(fill, dtype, "normal", f"normal({stddev})", complex_ok=True)


@shared_docs
def truncated_normal(stddev: Any = 1e-2, dtype: Any = None, lower: Any = -2.0, upper: Any = 2.0) -> Initializer:
    """JAX ``truncated_normal``: N(0, stddev**2) cut at [lower * stddev, upper * stddev].

    ``stddev`` is the standard deviation before the cut, and the bounds are in standard
    deviations, as in JAX. Values: :func:`fastinit.truncated_normal` ``(std=stddev, a=lower,
    b=upper)``, inverse-CDF sampling. Differs from JAX: the values are fastinit's.

    Args:
        stddev: The standard deviation before the cut (default 0.01), >= 0.
        dtype: {jax_dtype} Real dtypes only.
        lower: The lower bound in standard deviations (default -2).
        upper: The upper bound in standard deviations (default 2), ``> lower``.

    Returns:
        ``init(key, shape, dtype=dtype, out_sharding=None)``, a function that returns a
        ``jax.Array`` (its own docstring says how each argument is used).

    Raises:
        ValueError: ``lower >= upper`` or a negative ``stddev``.

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> w = np.asarray(fj.truncated_normal(0.02)(jax.random.key(0), (1000,)))
        >>> bool(np.abs(w).max() <= 0.04)
        True
    """
    stddev = _number(stddev, "stddev", minimum=0.0)
    lo = real(lower if is_real(lower) else _number(lower, "lower"), "lower")
    hi = real(upper if is_real(upper) else _number(upper, "upper"), "upper")
    if not lo < hi:
        raise ValueError(f"truncated_normal needs lower < upper, got lower={lower!r}, upper={upper!r}")
    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _fills.truncated_normal(out, 0.0, stddev, lo, hi, seed=seed, full_shape=full_shape, index=index)

    return _initializer(fill, dtype, "truncated_normal", f"truncated_normal({stddev}, lower={lo}, upper={hi})")


def _check_orthogonal(dims: tuple[int, ...]) -> None:
    if len(dims) < 2:
        raise ValueError("orthogonal initializer requires at least a 2D shape")


@shared_docs
def orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """JAX ``orthogonal``: a Haar (semi-)orthogonal matrix times ``scale``.

    The array is seen as a matrix whose columns run along ``column_axis`` (the other axes
    flattened into rows); its rows or columns, whichever are fewer, are orthonormal, times
    ``scale``. Values: :func:`fastinit.orthogonal` (float64 QR of a normal matrix); complex dtypes:
    Haar unitary. The whole matrix is computed on the host even with ``out_sharding`` (JAX's own
    raises NotImplementedError there).

    Args:
        scale: The factor on the matrix (default 1).
        column_axis: The axis of the columns (default -1, the last).
        dtype: {jax_dtype}

    Returns:
        ``init(key, shape, dtype=dtype, out_sharding=None)``, a function that returns a
        ``jax.Array`` (its own docstring says how each argument is used).

    Raises:
        ValueError: (at the call) a shape of rank < 2.

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> q = np.asarray(fj.orthogonal()(jax.random.key(0), (5, 3)))
        >>> np.allclose(q.T @ q, np.eye(3), atol=1e-6)
        True
    """
    scale = _number(scale, "scale")
    column_axis = integer(column_axis, "column_axis")

    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _orthogonal(out, scale, column_axis=column_axis, seed=seed)  # the whole array (elementwise=False)

    return _initializer(fill, dtype, "orthogonal", f"orthogonal({scale}, column_axis={column_axis})",
                        check=_check_orthogonal, complex_ok=True, elementwise=False)


def _check_delta(dims: tuple[int, ...]) -> None:
    if len(dims) not in (3, 4, 5):  # JAX's messages, then the shape
        raise ValueError(f"Delta orthogonal initializer requires a 3D, 4D or 5D shape. Got {dims}.")
    if dims[-1] < dims[-2]:
        raise ValueError(f"`fan_in` must be less or equal than `fan_out`. Got shape {dims} (in = shape[-2] > "
                         "out = shape[-1]).")


@shared_docs
def delta_orthogonal(scale: Any = 1.0, column_axis: int = -1, dtype: Any = None) -> Initializer:
    """JAX ``delta_orthogonal`` (Xiao et al. 2018): an orthogonal matrix at a kernel's centre.

    A 3/4/5-d kernel ``(*spatial, in, out)``, zero except at the spatial centre (``(k - 1) // 2``
    on each spatial axis), which holds ``orthogonal(scale, column_axis)``'s ``(in, out)`` matrix
    (:func:`fastinit.delta_orthogonal`); complex dtypes: a Haar unitary centre.

    Args:
        scale: The factor on the centre matrix (default 1).
        column_axis: The axis of the centre matrix's columns (default -1).
        dtype: {jax_dtype}

    Returns:
        ``init(key, shape, dtype=dtype, out_sharding=None)``, a function that returns a
        ``jax.Array`` (its own docstring says how each argument is used).

    Raises:
        ValueError: (at the call) a rank other than 3, 4 or 5, or ``in > out``, as in JAX.

    Example:
        >>> import jax, numpy as np, fastinit, fastinit.jax as fj
        >>> k = np.asarray(fj.delta_orthogonal()(jax.random.key(0), (3, 2, 4)))
        >>> np.allclose(k[1] @ k[1].T, np.eye(2), atol=1e-6), float(np.abs(k[0]).sum() + np.abs(k[2]).sum())
        (True, 0.0)
    """
    scale = _number(scale, "scale")
    column_axis = integer(column_axis, "column_axis")

    def fill(out: np.ndarray, seed: int, full_shape: tuple[int, ...], index: Optional[tuple[slice, ...]]) -> None:
        _delta_orthogonal(out, scale, column_axis=column_axis, seed=seed)  # the whole array (elementwise=False)

    return _initializer(fill, dtype, "delta_orthogonal", f"delta_orthogonal({scale}, column_axis={column_axis})",
                        check=_check_delta, complex_ok=True, elementwise=False)


def _default(dtype: Any) -> Any:
    return np.dtype(jax.dtypes.canonicalize_dtype(np.float64)) if dtype is None else dtype


@shared_docs
def zeros(key: Any, shape: Sequence[int], dtype: Any = None, out_sharding: Any = None) -> Any:
    """JAX ``zeros``: an initializer itself (not a factory) giving ``jnp.zeros(shape, dtype)``.

    Args:
        key: Ignored (zeros are not random); any value.
        shape: {jax_shape}
        dtype: The array's dtype, any JAX dtype (``None``: JAX's default float dtype).
        out_sharding: {jax_out_sharding}

    Returns:
        The ``jax.Array`` of zeros.

    Example:
        >>> import jax, fastinit.jax as fj
        >>> fj.zeros(jax.random.key(0), (2, 2)).tolist()
        [[0.0, 0.0], [0.0, 0.0]]
    """
    result = jnp.zeros(as_shape(shape), _default(dtype))
    return result if out_sharding is None else jax.device_put(result, out_sharding)


@shared_docs
def ones(key: Any, shape: Sequence[int], dtype: Any = None, out_sharding: Any = None) -> Any:
    """JAX ``ones``: an initializer itself (not a factory) giving ``jnp.ones(shape, dtype)``.

    Args:
        key: Ignored (ones are not random); any value.
        shape: {jax_shape}
        dtype: The array's dtype, any JAX dtype (``None``: JAX's default float dtype).
        out_sharding: {jax_out_sharding}

    Returns:
        The ``jax.Array`` of ones.

    Example:
        >>> import jax, fastinit.jax as fj
        >>> fj.ones(jax.random.key(0), (2,)).tolist()
        [1.0, 1.0]
    """
    result = jnp.ones(as_shape(shape), _default(dtype))
    return result if out_sharding is None else jax.device_put(result, out_sharding)


def constant(value: Any, dtype: Any = None) -> Initializer:
    """JAX ``constant``: a factory whose ``init`` gives ``jnp.full(shape, value, dtype)``.

    Args:
        value: The value to fill with (a number or anything ``jnp.full`` broadcasts).
        dtype: The default dtype of ``init``, any JAX dtype (``None``: JAX's default float dtype).

    Returns:
        ``init(key, shape, dtype=dtype, out_sharding=None)``; the key is ignored.

    Example:
        >>> import jax, fastinit.jax as fj
        >>> fj.constant(0.5)(jax.random.key(0), (2,)).tolist()
        [0.5, 0.5]
    """
    default = dtype

    def init(key: Any, shape: Sequence[int], dtype: Any = default, out_sharding: Any = None) -> Any:
        result = jnp.full(as_shape(shape), value, dtype=_default(dtype))
        return result if out_sharding is None else jax.device_put(result, out_sharding)

    init.__name__ = init.__qualname__ = "constant"
    init.__doc__ = fill_placeholders(_INIT_DOC.format(summary=f"constant({value!r})", dtype=default,
                                                      how="The key is ignored: every element is ``value``."))
    return init
