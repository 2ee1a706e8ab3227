"""fastinit.jax makes an initializer's array on its GPUs (fastinit.jax.device), faked as far as Triton's
interpreter allows.

This JAX has CPU devices only, so the fakes are: a CPU device counts as a GPU (``_is_gpu``), torch
with CUDA counts as installed, a device tensor is a CPU tensor reporting ``cuda:0`` (``_empty``
records each one it makes), the kernels run under Triton's interpreter (``TRITON_INTERPRET=1``),
and ``jax.dlpack.from_dlpack`` records what it receives and places those bits on the device the
tensor was made for. A passing initializer therefore wrote each block with the kernels into a
tensor that went, itself, to ``from_dlpack`` (no host copy in between), and the host path was
made to fail; the values must equal the host path's, bit for bit.

Shardings over four devices need ``XLA_FLAGS=--xla_force_host_platform_device_count=4`` before JAX
starts, so that check runs this file as a script in a fresh interpreter (as tests/test_jax_sharding.py
does) and reads its JSON answer.
"""

import os
import sys

if __name__ == "__main__":  # the subprocess: four host devices, before JAX is imported
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_force_host_platform_device_count=4").strip()
    os.environ["JAX_PLATFORMS"] = "cpu"
    os.environ["TRITON_INTERPRET"] = "1"

import json  # noqa: E402
import subprocess  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("triton", reason="the device kernels need Triton (fastinit[gpu]); CI installs it")
torch = pytest.importorskip("torch")
jax = pytest.importorskip("jax", reason="jax is not installed (pip install jax)")

import jax.numpy as jnp  # noqa: E402
from jax.sharding import NamedSharding, SingleDeviceSharding  # noqa: E402
from jax.sharding import PartitionSpec as P  # noqa: E402

import fastinit.jax as fj  # noqa: E402
from fastinit.gpu import recording  # noqa: E402
from fastinit.jax import arrays, device  # noqa: E402


class CudaLike(torch.Tensor):
    """A CPU tensor that reports a CUDA device."""

    @property
    def device(self):
        return torch.device("cuda", 0)


def install_fakes(setattr):
    """CPU devices taken for GPUs (``setattr``: monkeypatch's, or the builtin in the script); returns
    ({id of each tensor made: its JAX device}, [each tensor that reached ``from_dlpack``])."""
    made, received = {}, []

    def empty(shape, dt, jax_device):
        t = torch.full(shape, 7, dtype=getattr(torch, dt.name)).as_subclass(CudaLike)
        made[id(t)] = jax_device
        return t

    def from_dlpack(tensor):
        received.append(tensor)
        plain = tensor.as_subclass(torch.Tensor)
        bits = torch.view_as_real(plain) if plain.is_complex() else plain
        bits = bits.view({2: torch.int16, 4: torch.int32, 8: torch.int64}[bits.element_size()]).numpy()
        host = bits.view(np.dtype(jnp.dtype(str(plain.dtype).removeprefix("torch."))))
        host = host.reshape(tuple(plain.shape)) if plain.is_complex() else host
        return jax.device_put(host, made[id(tensor)])

    def no_host_path(*args, **kwargs):
        raise AssertionError("the host path ran")
    setattr(device, "_is_gpu", lambda d: True)
    setattr(device, "_kernels_ready", lambda: True)
    setattr(device, "_empty", empty)
    setattr(jax.dlpack, "from_dlpack", from_dlpack)
    setattr(arrays, "_host_array", no_host_path)
    return made, received


@pytest.fixture
def fake_gpus(monkeypatch):
    monkeypatch.setenv("TRITON_INTERPRET", "1")
    return install_fakes(monkeypatch.setattr)


INITS = [
    ("glorot_uniform", fj.glorot_uniform, jnp.float32), ("he_normal", fj.he_normal, jnp.bfloat16),
    ("lecun_normal f16", fj.lecun_normal, jnp.float16),
    ("variance_scaling normal", lambda: fj.variance_scaling(0.5, "fan_avg", "normal"), jnp.float32),
    ("normal complex", lambda: fj.normal(0.5), jnp.complex64), ("uniform", lambda: fj.uniform(0.3), jnp.float32),
    ("truncated_normal", lambda: fj.truncated_normal(0.2, lower=-1.0, upper=3.0), jnp.float32),
]


def _bits(a):
    a = np.asarray(a)
    a = a[..., np.newaxis].view(np.float32) if a.dtype == np.complex64 else a
    return a.view({2: np.int16, 4: np.int32, 8: np.int64}[a.itemsize])


@pytest.mark.parametrize("name, factory, dtype", INITS, ids=[i[0] for i in INITS])
def test_made_on_the_gpu_through_dlpack(fake_gpus, monkeypatch, name, factory, dtype):
    made, received = fake_gpus
    init = factory()
    on_gpu = init(jax.random.key(7), (12, 8), dtype)
    assert len(received) == 1 and id(received[0]) in made  # the filled tensor itself went to JAX
    assert on_gpu.devices() == {jax.devices()[0]}  # the default device
    monkeypatch.undo()
    expected = init(jax.random.key(7), (12, 8), dtype)  # the host path, unpatched
    assert on_gpu.dtype == expected.dtype and on_gpu.shape == expected.shape
    np.testing.assert_array_equal(_bits(on_gpu), _bits(expected))


def test_a_sharding_gives_a_sharded_array(fake_gpus, monkeypatch):
    made, received = fake_gpus
    mesh = jax.sharding.Mesh(np.array(jax.devices()), ("x",))
    for sharding in (SingleDeviceSharding(jax.devices()[0]), NamedSharding(mesh, P("x", None))):
        received.clear()
        on_gpu = fj.he_uniform()(jax.random.key(1), (8, 4), jnp.float32, out_sharding=sharding)
        assert on_gpu.sharding == sharding and len(received) == len(jax.devices())
    monkeypatch.undo()
    expected = fj.he_uniform()(jax.random.key(1), (8, 4), jnp.float32)
    np.testing.assert_array_equal(_bits(on_gpu), _bits(expected))


def test_each_block_is_filled_from_its_global_index(fake_gpus, monkeypatch):
    """A device's block (here rows 2**31 + 2 to 2**31 + 6: origin past 2**32 words) is recorded with
    its own shape and global index, and handed to ``make_array_from_single_device_arrays``."""
    import fastinit
    made, received = fake_gpus
    dims = (2**31 + 8, 3)
    block = ((2**31 + 2, 2**31 + 6), (0, 3))
    monkeypatch.setattr(device, "_placements", lambda d, s: [(jax.devices()[0], block)])
    monkeypatch.setattr(jax, "make_array_from_single_device_arrays", lambda d, s, a: (d, s, a))
    sharding = SingleDeviceSharding(jax.devices()[0])
    shape, got, parts = fj.normal(1.0)(jax.random.key(3), dims, jnp.float32, out_sharding=sharding)
    assert shape == dims and got is sharding and len(parts) == 1 and len(received) == 1
    expected = fastinit.normal((4, 3), 0.0, 1.0, seed=3, full_shape=dims, index=(slice(*block[0]),))
    np.testing.assert_array_equal(np.asarray(parts[0]), expected)


def test_what_stays_on_the_host(fake_gpus, monkeypatch):
    """orthogonal (a property of the whole matrix) and the complex disks (not one pass) take the host
    path, before any device memory is taken."""
    made, received = fake_gpus
    host = []
    monkeypatch.setattr(arrays, "_host_array", lambda *a: host.append(a[2]) or "host")
    assert fj.orthogonal()(jax.random.key(0), (4, 4)) == "host"
    assert fj.glorot_uniform()(jax.random.key(0), (4, 4), jnp.complex64) == "host"
    assert host == [(4, 4), (4, 4)] and made == {} and received == []


def test_on_cpu_devices_nothing_is_recorded(monkeypatch):
    """The CPU path is the host path as before: no recording, no torch tensor."""
    def no_record(*args, **kwargs):
        raise AssertionError("recorded on a CPU device")
    monkeypatch.setattr(recording, "record", no_record)
    monkeypatch.setattr(device, "_empty", no_record)
    w = fj.glorot_uniform()(jax.random.key(2), (5, 3))
    assert w.shape == (5, 3) and w.devices() == {jax.devices()[0]}


def test_default_device_follows_jax():
    cpu = jax.devices("cpu")[0]
    with jax.default_device(cpu):
        assert device.default_device() == cpu
    with jax.default_device("cpu"):
        assert device.default_device() == cpu
    assert device.default_device() == jax.local_devices()[0]


def test_out_of_torch_memory_falls_back_to_the_host(fake_gpus, monkeypatch):
    def no_memory(*args):
        raise torch.cuda.OutOfMemoryError("CUDA out of memory")
    monkeypatch.setattr(device, "_empty", no_memory)
    monkeypatch.setattr(arrays, "_host_array", lambda *a: "host")
    with pytest.warns(RuntimeWarning, match="XLA_PYTHON_CLIENT_MEM_FRACTION"):
        assert fj.normal(1.0)(jax.random.key(0), (4, 4)) == "host"


#: (mesh shape, spec): every device's block filled on it, replicas each filling their own.
SHARDED = [((4,), P("x", None)), ((4,), P(None, "x")), ((2, 2), P("x", "y")), ((2, 2), P(("y", "x"))),
           ((2, 2), P("x")), ((4,), P())]


def _sharded_checks():
    """In the four-device subprocess: for each case, the error or None."""
    answers = {}
    for mesh_shape, spec in SHARDED:
        what = f"{mesh_shape} {spec}"
        names = ("x", "y")[:len(mesh_shape)]
        sharding = NamedSharding(jax.sharding.Mesh(np.array(jax.devices()).reshape(mesh_shape), names), spec)
        init = fj.he_normal()
        expected = np.asarray(init(jax.random.key(5), (8, 12), jnp.float32))  # the host path, whole
        patches = []

        def patch(obj, name, value, patches=patches):
            patches.append((obj, name, getattr(obj, name)))
            setattr(obj, name, value)
        made, received = install_fakes(patch)
        try:
            got = init(jax.random.key(5), (8, 12), jnp.float32, out_sharding=sharding)
            assert got.sharding == sharding, what
            assert len(received) == 4 and all(id(t) in made for t in received), what  # one tensor per device
            for shard in got.addressable_shards:
                np.testing.assert_array_equal(np.asarray(shard.data), expected[shard.index], err_msg=what)
            answers[what] = None
        except Exception as exc:  # reported to the test
            answers[what] = f"{type(exc).__name__}: {exc}"
        finally:
            for obj, name, value in reversed(patches):
                setattr(obj, name, value)
    return answers


def test_each_device_fills_its_own_block_of_a_sharding():
    env = {k: v for k, v in os.environ.items() if k not in ("XLA_FLAGS", "JAX_PLATFORMS")}
    run = subprocess.run([sys.executable, __file__], capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 0, run.stderr[-4000:]
    answers = json.loads(run.stdout.strip().splitlines()[-1])
    assert sorted(answers) == sorted(f"{m} {s}" for m, s in SHARDED)
    failed = {what: error for what, error in answers.items() if error is not None}
    assert not failed, failed


if __name__ == "__main__":
    assert jax.device_count() == 4, jax.devices()
    print(json.dumps(_sharded_checks()))
