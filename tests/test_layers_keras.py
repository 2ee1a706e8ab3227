"""Layer-level parity of fastinit.keras with Keras's own initializers.

Every built-in Keras 3 layer that creates weights with an initializer is built twice, once with
fastinit.keras's initializers and once with Keras's own of the same names and parameters, and
compared weight by weight (same order, shape and dtype):

- constant weights (biases, normalization parameters) are equal;
- random weights have the same distribution: sample standard deviations within 5 combined
  standard errors (se = s * sqrt(2 / (4 n)), the normal's, larger than the uniform's and the
  truncated normal's), a two-sample Kolmogorov-Smirnov p > 1e-4, fastinit's values within the
  range of Keras's sample when that looks bounded (largest |value| <= 3 std: uniform, truncated
  normal; within a factor 1 + 50/n), recurrent kernels orthonormal (rows) for both.

A wrong fan (e.g. EinsumDense's default fans) moves the std by a factor of 2 or more;
5 SE at n >= 4096 is < 6 %.

Backends: torch in this process; JAX in one subprocess that runs this file as a script
(``python tests/test_layers_keras.py jax``) and prints the statistics as JSON.
"""

import os
import sys

if __name__ == "__main__":
    os.environ["KERAS_BACKEND"] = sys.argv[1]  # the subprocess: the backend the parent asks for
else:
    os.environ["KERAS_BACKEND"] = "torch"  # before the first keras import of the process

import json  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
from pathlib import Path  # noqa: E402

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from keras import initializers as K  # noqa: E402
from scipy import stats  # noqa: E402

import fastinit.keras as fk  # noqa: E402

N_SIGMA = 5.0
P_MIN = 1e-4


def _layers(lib):
    """(name, layer, input shape or list of shapes) built with ``lib``'s initializers (fk or K)."""
    L = keras.layers
    gu, gn, hu, hn = lib.GlorotUniform(seed=1), lib.GlorotNormal(seed=2), lib.HeUniform(seed=3), lib.HeNormal(seed=4)
    lu, ln, z, o = lib.LecunUniform(seed=5), lib.LecunNormal(seed=6), lib.Zeros(), lib.Ones()
    orth = lib.Orthogonal(seed=7)
    return [
        ("Dense", L.Dense(256, kernel_initializer=gu, bias_initializer=lib.Constant(0.5)), (None, 128)),
        ("EinsumDense", L.EinsumDense("ab,bcd->acd", output_shape=(8, 32), bias_axes="cd", kernel_initializer=ln,
                                      bias_initializer=z), (None, 64)),
        ("MultiHeadAttention", L.MultiHeadAttention(num_heads=8, key_dim=16, kernel_initializer=ln,
                                                    bias_initializer=z), [(None, 10, 64), (None, 10, 64)]),
        ("GroupQueryAttention", L.GroupQueryAttention(head_dim=16, num_query_heads=8, num_key_value_heads=2,
                                                      kernel_initializer=gu, bias_initializer=z),
         [(None, 10, 64), (None, 10, 64)]),
        ("Conv1D", L.Conv1D(64, 5, kernel_initializer=hu, bias_initializer=z), (None, 50, 32)),
        ("Conv2D", L.Conv2D(64, 3, kernel_initializer=gu, bias_initializer=z), (None, 16, 16, 32)),
        ("Conv3D", L.Conv3D(32, 3, kernel_initializer=lu, bias_initializer=z), (None, 8, 8, 8, 16)),
        ("Conv1DTranspose", L.Conv1DTranspose(48, 5, kernel_initializer=hn, bias_initializer=z), (None, 50, 32)),
        ("Conv2DTranspose", L.Conv2DTranspose(48, 3, kernel_initializer=gn, bias_initializer=z), (None, 16, 16, 32)),
        ("Conv3DTranspose", L.Conv3DTranspose(24, 3, kernel_initializer=hu, bias_initializer=z), (None, 8, 8, 8, 16)),
        ("DepthwiseConv1D", L.DepthwiseConv1D(9, depth_multiplier=8, depthwise_initializer=hn, bias_initializer=z),
         (None, 50, 64)),
        ("DepthwiseConv2D", L.DepthwiseConv2D(5, depth_multiplier=4, depthwise_initializer=gu, bias_initializer=z),
         (None, 16, 16, 64)),
        ("SeparableConv1D", L.SeparableConv1D(128, 9, depth_multiplier=8, depthwise_initializer=lu,
                                              pointwise_initializer=hn, bias_initializer=z), (None, 50, 64)),
        ("SeparableConv2D", L.SeparableConv2D(128, 5, depth_multiplier=4, depthwise_initializer=gn,
                                              pointwise_initializer=hu, bias_initializer=z), (None, 16, 16, 64)),
        ("Embedding", L.Embedding(1000, 64, embeddings_initializer=lib.RandomUniform(seed=8)), (None, 4)),
        ("SimpleRNN", L.SimpleRNN(64, kernel_initializer=gu, recurrent_initializer=orth, bias_initializer=z),
         (None, 5, 96)),
        ("LSTM", L.LSTM(64, kernel_initializer=gu, recurrent_initializer=orth, bias_initializer=z), (None, 5, 96)),
        ("GRU", L.GRU(64, kernel_initializer=gu, recurrent_initializer=orth, bias_initializer=z), (None, 5, 96)),
        ("BatchNormalization", L.BatchNormalization(beta_initializer=lib.Constant(0.25), gamma_initializer=o,
                                                    moving_mean_initializer=z, moving_variance_initializer=o),
         (None, 32)),
        ("LayerNormalization", L.LayerNormalization(beta_initializer=z, gamma_initializer=lib.Constant(2.0)),
         (None, 32)),
        ("GroupNormalization", L.GroupNormalization(groups=4, beta_initializer=lib.Constant(-1.0),
                                                    gamma_initializer=o), (None, 32)),
        ("RandomNormal-Dense", L.Dense(128, kernel_initializer=lib.RandomNormal(0.1, 0.2, seed=9),
                                       bias_initializer=lib.TruncatedNormal(0.0, 0.1, seed=10)), (None, 256)),
        ("VarianceScaling-EinsumDense",
         L.EinsumDense("abc,cde->abde", output_shape=(None, 8, 16), kernel_initializer=lib.VarianceScaling(
             0.5, "fan_avg", "untruncated_normal", seed=11)), (None, 3, 128)),
    ]


def _build(layer, shape):
    if isinstance(shape, list):
        layer.build(*shape)
    else:
        layer.build(shape)
    return [(w.path.split("/", 1)[-1], _numpy(w.value), str(w.dtype)) for w in layer.weights]


def _numpy(value):
    """A variable's value as float64 NumPy (torch directly: Keras's convert_to_numpy warns under NumPy 2)."""
    if hasattr(value, "detach"):
        return value.detach().cpu().double().numpy()
    return np.asarray(keras.ops.convert_to_numpy(value), np.float64)


def _orthonormal_error(x):
    m = x.reshape(-1, x.shape[-1])
    g = m @ m.T if m.shape[0] <= m.shape[1] else m.T @ m
    return float(np.abs(g - np.eye(g.shape[0])).max())


def _weight_stats(name, x, y, dx, dy):
    s = {"weight": name, "shape": list(x.shape), "theirs_shape": list(y.shape), "dtype": dx, "theirs_dtype": dy,
         "n": int(x.size), "equal": bool(x.shape == y.shape and np.array_equal(x, y)),
         "constant": bool(y.size and y.min() == y.max())}
    if not s["constant"] and x.shape == y.shape:
        s.update(std=float(x.std()), theirs_std=float(y.std()), mean=float(x.mean()), theirs_mean=float(y.mean()),
                 max=float(np.abs(x).max()), theirs_max=float(np.abs(y).max()),
                 ks_p=float(stats.ks_2samp(x.ravel(), y.ravel()).pvalue))
        if "recurrent_kernel" in name:
            s.update(orth=_orthonormal_error(x), theirs_orth=_orthonormal_error(y))
    return s


def collect():
    """{layer name: [stats of each weight]} on the current backend."""
    out = {"backend": keras.backend.backend()}
    for (name, ours, shape), (_, theirs, _) in zip(_layers(fk), _layers(K)):
        a, b = _build(ours, shape), _build(theirs, shape)
        assert [w[0] for w in a] == [w[0] for w in b], name
        out[name] = [_weight_stats(wa[0], wa[1], wb[1], wa[2], wb[2]) for wa, wb in zip(a, b)]
    return out


# ---------------------------------------------------------------- the checks (parent process)

LAYER_NAMES = [name for name, _, _ in _layers(K)] if __name__ != "__main__" else []


def check_weight(s, where):
    assert s["shape"] == s["theirs_shape"] and s["dtype"] == s["theirs_dtype"], where
    if s["constant"]:
        assert s["equal"], f"{where}: constant weights differ"
        return
    n, sx, sy = s["n"], s["std"], s["theirs_std"]
    tol = N_SIGMA * math.sqrt(sx * sx + sy * sy) * math.sqrt(2.0 / (4.0 * n))
    assert abs(sx - sy) <= tol, f"{where}: std {sx:.5g} (fastinit) vs {sy:.5g} (Keras), n = {n}, 5 SE = {tol:.3g}"
    assert abs(s["mean"] - s["theirs_mean"]) <= N_SIGMA * sy * math.sqrt(2.0 / n) + 1e-12, f"{where}: mean"
    assert s["ks_p"] > P_MIN, f"{where}: KS p = {s['ks_p']:.3g}"
    if s["theirs_max"] <= 3.0 * sy:  # a bounded distribution (uniform, truncated normal): fastinit stays inside
        assert s["max"] <= s["theirs_max"] * (1 + 50.0 / n), f"{where}: max |value| {s['max']:.5g} beyond Keras's"
    if "orth" in s:
        assert s["orth"] < 1e-5 and s["theirs_orth"] < 1e-5, f"{where}: not orthonormal"


def check_layers(result, backend):
    assert result["backend"] == backend
    for name in LAYER_NAMES:
        weights = result[name]
        assert weights, f"{name}: no weights"
        for s in weights:
            check_weight(s, f"{backend} {name} {s['weight']}")
        assert any(not s["constant"] for s in weights) or "Normalization" in name, name


def test_layers_torch_backend():
    assert keras.backend.backend() == "torch"
    check_layers(collect(), "torch")


@pytest.mark.slow  # a second interpreter with Keras on JAX builds every layer again (~45 s)
def test_layers_jax_backend():
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "jax"], capture_output=True, text=True,
                          env=env, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr[-4000:]
    check_layers(json.loads(proc.stdout.strip().splitlines()[-1]), "jax")


def test_einsum_dense_fans_are_keras_not_the_defaults():
    """The issue's case, as numbers: fastinit's query-kernel std is Keras's 0.178, not 0.061."""
    stats_ = {s["weight"]: s for s in collect_one("MultiHeadAttention")}
    q = stats_["query/kernel"]
    assert abs(q["std"] - math.sqrt(1 / 64)) < 0.1 * math.sqrt(1 / 64)


def collect_one(name):
    for (n, ours, shape), (_, theirs, _) in zip(_layers(fk), _layers(K)):
        if n == name:
            return [_weight_stats(wa[0], wa[1], wb[1], wa[2], wb[2])
                    for wa, wb in zip(_build(ours, shape), _build(theirs, shape))]
    raise KeyError(name)


if __name__ == "__main__":
    print(json.dumps(collect()))
