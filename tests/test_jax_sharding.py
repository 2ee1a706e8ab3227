"""fastinit.jax initializers honour ``out_sharding`` (docs/guide/sharded-training.md, "JAX shardings"): every device's
shard equals the same slice of the unsharded init, for meshes (8,), (2, 4), (4, 2) and fully
sharded, replicated and partially replicated specs, eagerly (``jax.make_array_from_callback``,
one host fill per distinct shard, never the whole array) and under ``jax.jit`` (one callback per
device in a ``shard_map``); Flax nnx and linen models with partitioning annotations get, shard by
shard, the unsharded model's values.

Eight CPU devices need ``XLA_FLAGS=--xla_force_host_platform_device_count=8`` before JAX starts,
and other test files import JAX without it, so the checks run in ONE fresh interpreter that runs
this file as a script (``python tests/test_jax_sharding.py``) and prints, as JSON, each check's
error (or null); one pytest test per check reads that result.
"""

import os
import sys

if __name__ == "__main__":  # the subprocess: eight host devices, before JAX is imported
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=8").strip()
    os.environ["JAX_PLATFORMS"] = "cpu"

import contextlib  # noqa: E402
import functools  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import traceback  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

jax = pytest.importorskip("jax", reason="jax is not installed (pip install jax)")
import jax.numpy as jnp  # noqa: E402
from jax.sharding import NamedSharding, SingleDeviceSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import fastinit.core.fills as fills_module  # noqa: E402
import fastinit.jax as fj  # noqa: E402
from fastinit.jax.arrays import _bounds  # noqa: E402

KEY_SEED = 11
MESHES = {(8,): ("x",), (2, 4): ("x", "y"), (4, 2): ("x", "y")}
SPECS_1D = [P("x"), P(None, "x"), P(), P("x", None)]
SPECS_2D = [P("x", "y"), P("y", "x"), P("x", None), P(None, "y"), P(("x", "y")), P(None, ("y", "x")), P()]
# (factory, shape, dtype): elementwise initializers of each kind, real and complex, 2-d to 4-d
INITS: list[tuple[str, Callable[[], Any], tuple[int, ...], Any]] = [
    ("glorot_uniform", fj.glorot_uniform, (16, 24), jnp.float32),
    ("he_normal", fj.he_normal, (16, 24), jnp.bfloat16),
    ("lecun_uniform conv", fj.lecun_uniform, (8, 8, 4, 16), jnp.float32),
    ("variance_scaling normal", lambda: fj.variance_scaling(0.5, "fan_avg", "normal"), (16, 8), jnp.float16),
    ("variance_scaling complex", lambda: fj.variance_scaling(1.0, "fan_in", "uniform"), (16, 8), jnp.complex64),
    ("normal complex", lambda: fj.normal(0.5), (8, 16), jnp.complex64),
    ("uniform", lambda: fj.uniform(0.3), (16, 16), jnp.float32),
    ("truncated_normal", lambda: fj.truncated_normal(0.2, lower=-1.0, upper=3.0), (24, 8), jnp.float32),
]


def _key() -> Any:
    return jax.random.key(KEY_SEED)


def _mesh(shape: tuple[int, ...]) -> Any:
    return jax.make_mesh(shape, MESHES[shape])


def _specs(mesh_shape: tuple[int, ...]) -> list[Any]:
    return SPECS_1D if len(mesh_shape) == 1 else SPECS_2D


def assert_shards_match(array: Any, full: np.ndarray, what: str) -> None:
    """Every addressable shard of ``array`` equals ``full[shard.index]`` bit for bit (NaN-free data)."""
    assert array.shape == full.shape and array.dtype == full.dtype, (what, array.shape, array.dtype)
    for shard in array.addressable_shards:
        got, want = np.asarray(shard.data), full[shard.index]
        assert got.shape == want.shape and np.array_equal(got, want), f"{what}: shard {shard.index} differs"


@contextlib.contextmanager
def spy_callbacks() -> Any:
    """Record ``(index, block)`` for every callback ``jax.make_array_from_callback`` makes."""
    seen: list[tuple[Any, np.ndarray]] = []
    original = jax.make_array_from_callback

    def spy(shape: Any, sharding: Any, callback: Any, dtype: Any = None) -> Any:
        def recorded(index: Any) -> Any:
            block = callback(index)
            seen.append((index, block))
            return block
        return original(shape, sharding, recorded, dtype=dtype)

    jax.make_array_from_callback = spy
    try:
        yield seen
    finally:
        jax.make_array_from_callback = original


@contextlib.contextmanager
def spy_fill(name: str) -> Any:
    """Record the size of every array fastinit's fill ``name`` writes (host side, also in callbacks)."""
    sizes: list[int] = []
    original = getattr(fills_module, name)

    def spy(out: Any, *args: Any, **kwargs: Any) -> Any:
        sizes.append(int(np.asarray(out).size))
        return original(out, *args, **kwargs)

    setattr(fills_module, name, spy)
    try:
        yield sizes
    finally:
        setattr(fills_module, name, original)


# ---------------------------------------------------------------- the checks (in the subprocess)


def check_eight_devices() -> None:
    assert jax.device_count() == 8, jax.devices()


def check_meshes_and_specs() -> None:
    """Each initializer, mesh and spec: the shards are the unsharded init's slices."""
    for name, factory, shape, dtype in INITS:
        full = np.asarray(factory()(_key(), shape, dtype))
        for mesh_shape in MESHES:
            mesh = _mesh(mesh_shape)
            for spec in _specs(mesh_shape):
                sharding = NamedSharding(mesh, spec)
                array = factory()(_key(), shape, dtype, out_sharding=sharding)
                assert array.sharding == sharding, (name, mesh_shape, spec, array.sharding)
                assert_shards_match(array, full, f"{name} {mesh_shape} {spec}")
                assert np.array_equal(np.asarray(array), full)


def check_same_values_as_fastinit() -> None:
    """Sharded values are fastinit's own (seed = the key's seed), not merely self-consistent."""
    import fastinit

    sharding = NamedSharding(_mesh((2, 4)), P("y", "x"))
    array = fj.glorot_uniform()(_key(), (16, 24), jnp.float32, out_sharding=sharding)
    want = fastinit.glorot_uniform((16, 24), seed=KEY_SEED)
    assert np.array_equal(np.asarray(array), want)


def check_only_shards_are_filled() -> None:
    """Eagerly: one host fill per DISTINCT shard, of the shard's size; never a full-array index."""
    shape = (16, 24)
    cases = [((8,), P("x"), 8, 8), ((2, 4), P("x", "y"), 8, 8), ((2, 4), P("x", None), 8, 2),
             ((4, 2), P(None, "y"), 8, 2), ((2, 4), P(), 1, 1)]  # (mesh, spec, callbacks, distinct shards)
    for mesh_shape, spec, n_calls, n_distinct in cases:
        sharding = NamedSharding(_mesh(mesh_shape), spec)
        block = sharding.shard_shape(shape)
        with spy_callbacks() as seen, spy_fill("normal") as sizes:
            fj.normal(1.0)(_key(), shape, jnp.float32, out_sharding=sharding)
        what = f"{mesh_shape} {spec}"
        assert len(seen) == n_calls, (what, len(seen))
        assert all(b.shape == block for _, b in seen), (what, [b.shape for _, b in seen])
        assert len({id(b) for _, b in seen}) == n_distinct, what  # replicas share one block
        assert sizes == [int(np.prod(block))] * n_distinct, (what, sizes)
        if n_distinct > 1:
            full_index = tuple(slice(0, n) for n in shape)
            assert all(_bounds(i, shape) != _bounds(full_index, shape) for i, _ in seen), what


def check_fans_from_global_shape() -> None:
    """A shard's scale is the whole tensor's: a sharded he_uniform's blocks stay inside the global
    limit sqrt(6 / fan_in) and reach close to it (fans from (16, 24), not the block's)."""
    sharding = NamedSharding(_mesh((8,)), P("x", None))  # blocks of (2, 24): block fan_in would be 2
    array = fj.he_uniform()(_key(), (16, 24), jnp.float32, out_sharding=sharding)
    limit = np.sqrt(6.0 / 16)
    values = np.abs(np.asarray(array))
    assert values.max() <= limit and values.max() > 0.9 * limit, values.max()


def check_uneven_is_refused() -> None:
    """JAX 0.10 requires each sharded dimension to divide evenly (its own initializers refuse the
    same shapes): fastinit raises a ValueError naming out_sharding and the fix."""
    cases = [((8,), P("x"), (10,)), ((2, 4), P("x", "y"), (6, 6)), ((4, 2), P(("x", "y")), (12, 4))]
    for mesh_shape, spec, shape in cases:
        sharding = NamedSharding(_mesh(mesh_shape), spec)
        with pytest.raises(ValueError, match="evenly divide"):
            jax.random.normal(_key(), shape, out_sharding=sharding)  # JAX's own rule
        with pytest.raises(ValueError, match=r"out_sharding .* cannot tile shape .* divisible"):
            fj.normal()(_key(), shape, out_sharding=sharding)
    # uneven blocks across DIFFERENT dimensions are fine when each divides: (12, 2) on (4, 2)
    sharding = NamedSharding(_mesh((4, 2)), P("x", "y"))
    full = np.asarray(fj.lecun_normal()(_key(), (12, 2)))
    assert_shards_match(fj.lecun_normal()(_key(), (12, 2), out_sharding=sharding), full, "(12, 2)")


def check_jit() -> None:
    """Under jax.jit (traced key): one callback per device, each filling its own block."""
    shape = (16, 24)
    full = np.asarray(fj.normal(0.7)(_key(), shape))
    for mesh_shape in MESHES:
        for spec in _specs(mesh_shape):
            sharding = NamedSharding(_mesh(mesh_shape), spec)
            with spy_fill("normal") as sizes:
                array = jax.jit(lambda k, s=sharding: fj.normal(0.7)(k, shape, out_sharding=s))(_key())
                array.block_until_ready()  # the callbacks run asynchronously
            assert_shards_match(array, full, f"jit {mesh_shape} {spec}")
            assert array.sharding.is_equivalent_to(sharding, len(shape)), (array.sharding, sharding)
            block = int(np.prod(sharding.shard_shape(shape)))
            assert sizes and set(sizes) == {block}, (mesh_shape, spec, sizes)  # per device, never whole


def check_jit_vmap() -> None:
    keys = jax.random.split(_key(), 3)
    sharding = NamedSharding(_mesh((2, 4)), P("x", "y"))
    array = jax.jit(jax.vmap(lambda k: fj.glorot_uniform()(k, (8, 16), out_sharding=sharding)))(keys)
    for i in range(3):
        assert np.array_equal(np.asarray(array[i]), np.asarray(fj.glorot_uniform()(keys[i], (8, 16)))), i


def check_partition_spec() -> None:
    """A PartitionSpec is taken on the mesh of jax.set_mesh, eagerly and under jit; without one: ValueError."""
    mesh = _mesh((4, 2))
    full = np.asarray(fj.glorot_uniform()(_key(), (8, 6)))
    with jax.set_mesh(mesh):
        eager = fj.glorot_uniform()(_key(), (8, 6), out_sharding=P("x", "y"))
        traced = jax.jit(lambda k: fj.glorot_uniform()(k, (8, 6), out_sharding=P("x", "y")))(_key())
    for array in (eager, traced):
        assert array.sharding.is_equivalent_to(NamedSharding(mesh, P("x", "y")), 2), array.sharding
        assert_shards_match(array, full, "PartitionSpec")
    with pytest.raises(ValueError, match="no mesh is set"):
        fj.glorot_uniform()(_key(), (8, 6), out_sharding=P("x"))
    with pytest.raises(TypeError, match="out_sharding must be a jax.sharding.Sharding"):
        fj.glorot_uniform()(_key(), (8, 6), out_sharding="x")


def check_single_device_and_empty() -> None:
    device = jax.devices()[5]
    full = np.asarray(fj.normal()(_key(), (4, 4)))
    array = fj.normal()(_key(), (4, 4), out_sharding=SingleDeviceSharding(device))
    assert array.devices() == {device} and np.array_equal(np.asarray(array), full)
    sharding = NamedSharding(_mesh((2, 4)), P("x", "y"))
    empty = fj.normal()(_key(), (0, 8), out_sharding=sharding)
    assert empty.shape == (0, 8) and empty.sharding == sharding
    scalar = fj.normal()(_key(), (), out_sharding=NamedSharding(_mesh((8,)), P()))
    assert np.array_equal(np.asarray(scalar), np.asarray(fj.normal()(_key(), ())))


def check_orthogonal() -> None:
    """Not elementwise: the whole matrix is computed once on the host, each device gets its slice."""
    sharding = NamedSharding(_mesh((2, 4)), P("x", "y"))
    for factory, shape in ((fj.orthogonal, (8, 16)), (fj.delta_orthogonal, (3, 3, 4, 8))):
        spec_sharding = sharding if len(shape) == 2 else NamedSharding(_mesh((2, 4)), P(None, None, "x", "y"))
        full = np.asarray(factory()(_key(), shape))
        with spy_callbacks() as seen:
            array = factory()(_key(), shape, out_sharding=spec_sharding)
        assert_shards_match(array, full, factory.__name__)
        assert len(seen) == 8 and all(b.shape == spec_sharding.shard_shape(shape) for _, b in seen)
        traced = jax.jit(lambda k, f=factory, s=shape, o=spec_sharding: f()(k, s, out_sharding=o))(_key())
        assert_shards_match(traced, full, f"jit {factory.__name__}")


def check_constants() -> None:
    sharding = NamedSharding(_mesh((2, 4)), P(None, "y"))
    for init, want in ((fj.zeros, 0.0), (fj.ones, 1.0), (fj.constant(2.5), 2.5)):
        array = init(_key(), (4, 8), jnp.float32, out_sharding=sharding)
        assert array.sharding == sharding and np.all(np.asarray(array) == want)


def _flax() -> Any:
    try:
        import flax
    except ImportError:
        raise pytest.skip.Exception("flax is not installed (pip install flax)") from None
    return flax


def check_flax_nnx() -> None:
    """nnx.Linear kernels annotated with nnx.with_partitioning, built under jax.set_mesh: each
    device's shard equals the same slice of the unannotated model's kernel (same Rngs)."""
    _flax()
    from flax import nnx

    def build(annotate: bool) -> Any:
        def kernel(init: Any, names: tuple[Any, ...]) -> Any:
            return nnx.with_partitioning(init, names) if annotate else init

        class MLP(nnx.Module):
            def __init__(self, rngs: Any) -> None:
                self.up = nnx.Linear(16, 32, kernel_init=kernel(fj.glorot_uniform(), (None, "y")), rngs=rngs)
                self.down = nnx.Linear(32, 16, kernel_init=kernel(fj.he_normal(), ("y", "x")), rngs=rngs)

        return MLP(nnx.Rngs(params=KEY_SEED))

    plain = build(False)
    mesh = _mesh((2, 4))
    with jax.set_mesh(mesh):
        sharded = build(True)
        jitted = nnx.jit(lambda: build(True))()
        # Flax calls kernel_init(key, shape, dtype) and reshards the result afterwards; binding
        # out_sharding (here through the context mesh) makes fastinit fill only the shards
        with spy_callbacks() as seen:
            direct = nnx.Linear(16, 32, kernel_init=nnx.with_partitioning(
                functools.partial(fj.glorot_uniform(), out_sharding=P(None, "y")), (None, "y")),
                rngs=nnx.Rngs(params=KEY_SEED))
    assert [b.shape for _, b in seen] == [(16, 8)] * 8, [b.shape for _, b in seen]
    assert_shards_match(direct.kernel[...], np.asarray(plain.up.kernel[...]), "nnx out_sharding bound")
    for model in (sharded, jitted):
        for layer, spec in (("up", P(None, "y")), ("down", P("y", "x"))):
            got = getattr(model, layer).kernel[...]
            assert got.sharding.is_equivalent_to(NamedSharding(mesh, spec), 2), (layer, got.sharding)
            assert_shards_match(got, np.asarray(getattr(plain, layer).kernel[...]), f"nnx {layer}")


def check_flax_linen() -> None:
    """linen Dense kernels annotated with nn.with_partitioning, initialized under jit with the
    annotations' shardings: shards equal the unannotated model's kernel slices."""
    _flax()
    import flax.linen as nn

    class MLP(nn.Module):
        annotate: bool

        @nn.compact
        def __call__(self, x: Any) -> Any:
            def kernel(init: Any, names: tuple[Any, ...]) -> Any:
                return nn.with_partitioning(init, names) if self.annotate else init
            x = nn.Dense(32, kernel_init=kernel(fj.lecun_normal(), ("x", "y")))(x)
            return nn.Dense(8, kernel_init=kernel(fj.glorot_uniform(), ("y", None)))(x)

    x = jnp.ones((2, 16))
    plain = MLP(False).init(_key(), x)["params"]
    mesh = _mesh((4, 2))
    model = MLP(True)
    specs = nn.get_partition_spec(jax.eval_shape(model.init, _key(), x))
    shardings = jax.tree.map(lambda p: NamedSharding(mesh, p), specs)
    params = nn.unbox(jax.jit(model.init, out_shardings=shardings)(_key(), x))["params"]
    for layer, spec in (("Dense_0", P("x", "y")), ("Dense_1", P("y", None))):
        got = params[layer]["kernel"]
        assert got.sharding.is_equivalent_to(NamedSharding(mesh, spec), 2), (layer, got.sharding)
        assert_shards_match(got, np.asarray(plain[layer]["kernel"]), f"linen {layer}")


CHECKS = {name[len("check_"):]: fn for name, fn in sorted(globals().items()) if name.startswith("check_")}


def run_checks() -> dict[str, Any]:
    """{check: None (passed) | "skip: why" | the traceback}, in the current process."""
    results: dict[str, Any] = {}
    for name, fn in CHECKS.items():
        try:
            fn()
            results[name] = None
        except pytest.skip.Exception as exc:
            results[name] = f"skip: {exc.msg}"
        except Exception:  # reported to the parent, which fails that test
            results[name] = traceback.format_exc()
    return results


# ---------------------------------------------------------------- the pytest side


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve())], capture_output=True, text=True, env=env,
                          timeout=900, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # one interpreter with eight host devices runs every check (~15 s)
@pytest.mark.parametrize("name", list(CHECKS))
def test_sharding(results: dict[str, Any], name: str) -> None:
    assert name in results, sorted(results)
    outcome = results[name]
    if isinstance(outcome, str) and outcome.startswith("skip: "):
        pytest.skip(outcome[len("skip: "):])
    assert outcome is None, outcome


if __name__ == "__main__":
    print(json.dumps(run_checks()))
