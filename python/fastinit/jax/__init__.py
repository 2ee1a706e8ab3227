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
takes an initializer. **Generation is host-side** on CPU devices: ``init`` reads the key's bits
(``jax.random.key_data``, so new-style typed keys and raw ``uint32[2]`` keys both work), fills a
NumPy array on the host with the fastinit preset, and returns ``jnp.asarray`` of it. **On GPUs**
(the default device, or every device of ``out_sharding``), with torch and Triton installed, the
elementwise initializers compute each device's block there with the Triton kernels of
:mod:`fastinit.gpu` and hand it to JAX through DLPack, with no copy and the same values
(:mod:`fastinit.jax.device`, docs/guide/gpu.md). Under
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

try:
    import jax  # absolute import: the real JAX, not this package
except ImportError as _exc:  # pragma: no cover - only without jax
    raise ImportError("fastinit.jax needs JAX; install it (`pip install jax`)") from _exc
if not hasattr(jax, "random"):  # pragma: no cover - python/fastinit itself on sys.path
    raise ImportError("`import jax` found fastinit's own jax package; do not put python/fastinit on sys.path")

# The package: keys (a key's seed), arguments (numbers, dtypes), arrays (host, shards, the jit
# callback; the init functions), variance (variance_scaling and its presets), elementwise (uniform, normal,
# truncated_normal), matrices (orthogonal, delta_orthogonal), constants (zeros, ones, constant).
# The factories' types and what they raise, importable from here (not in __all__):
from .arguments import Axis as Axis  # noqa: E402
from .arguments import DtypeError as DtypeError  # noqa: E402
from .arguments import Initializer as Initializer  # noqa: E402
from .arrays import Bounds as Bounds  # noqa: E402
from .arrays import Fill as Fill  # noqa: E402
from .constants import constant, ones, zeros  # noqa: E402
from .elementwise import normal, truncated_normal, uniform  # noqa: E402
from .keys import seed_from_key  # noqa: E402
from .matrices import delta_orthogonal, orthogonal  # noqa: E402
from .variance import COMPLEX_TRUNCATED_NORMAL_STD as COMPLEX_TRUNCATED_NORMAL_STD  # noqa: E402
from .variance import (  # noqa: E402
    glorot_normal,
    glorot_uniform,
    he_normal,
    he_uniform,
    kaiming_normal,
    kaiming_uniform,
    lecun_normal,
    lecun_uniform,
    variance_scaling,
    xavier_normal,
    xavier_uniform,
)

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
