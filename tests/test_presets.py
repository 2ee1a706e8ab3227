"""The presets on their own: each is its formula applied to one fill (bit for bit), shards take
their fans from full_shape, the structured ones are exact, and bad input is refused with a helpful
message. (orthogonal and delta_orthogonal: test_orthogonal.py; agreement with the frameworks
themselves: test_parity_*.py.)"""

import math

import ml_dtypes
import numpy as np
import pytest

import fastinit
from fastinit import compute_fans

from parity_stats import half_of_truncated

SEED = 20240607
TN = 0.87962566103423978


def vs(shape, scale, mode, dist, **fan_kw):
    """The fill call variance_scaling must make (its formula, written out once more)."""
    fi, fo = compute_fans(shape, **fan_kw)
    n = {"fan_in": fi, "fan_out": fo, "fan_avg": (fi + fo) / 2, "fan_geo_avg": math.sqrt(fi * fo)}[mode]
    v = scale / max(1.0, n)
    if dist == "uniform":
        lim = math.sqrt(3 * v)
        return fastinit.uniform(shape, -lim, lim, seed=SEED, stream="w")
    if dist == "untruncated_normal":
        return fastinit.normal(shape, 0.0, math.sqrt(v), seed=SEED, stream="w")
    return fastinit.truncated_normal(shape, 0.0, math.sqrt(v) / TN, -2.0, 2.0, seed=SEED, stream="w")


SHAPES = [(7,), (12, 20), (3, 3, 8, 16), (16, 8, 3, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg", "fan_geo_avg"])
@pytest.mark.parametrize("dist", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_is_one_fill(shape, mode, dist):
    got = fastinit.variance_scaling(shape, 1.7, mode, dist, seed=SEED, stream="w")
    np.testing.assert_array_equal(got, vs(shape, 1.7, mode, dist))


def test_normal_means_truncated_normal_as_in_keras():
    a = fastinit.variance_scaling((40, 30), 2.0, "fan_in", "normal", seed=1)
    b = fastinit.variance_scaling((40, 30), 2.0, "fan_in", "truncated_normal", seed=1)
    c = fastinit.variance_scaling((40, 30), 2.0, "fan_in", "untruncated_normal", seed=1)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    np.testing.assert_array_equal(fastinit.variance_scaling((4, 3), 1.0, "FAN_IN", "Uniform", seed=1),
                                  fastinit.variance_scaling((4, 3), 1.0, "fan_in", "uniform", seed=1))


@pytest.mark.parametrize("name,scale,mode,dist", [
    ("glorot_uniform", 1.0, "fan_avg", "uniform"),
    ("glorot_normal", 1.0, "fan_avg", "truncated_normal"),
    ("he_uniform", 2.0, "fan_in", "uniform"),
    ("he_normal", 2.0, "fan_in", "truncated_normal"),
    ("lecun_uniform", 1.0, "fan_in", "uniform"),
    ("lecun_normal", 1.0, "fan_in", "truncated_normal"),
])
@pytest.mark.parametrize("shape", SHAPES)
def test_keras_presets(name, scale, mode, dist, shape):
    fn = getattr(fastinit, name)
    np.testing.assert_array_equal(fn(shape, seed=SEED, stream="w"), vs(shape, scale, mode, dist))
    np.testing.assert_array_equal(fn(shape, layout="torch", seed=SEED, stream="w"),
                                  vs(shape, scale, mode, dist, layout="torch"))
    assert fn.__name__ == name and name in fn.__doc__ and "full_shape" in fn.__doc__
    assert f'scale={scale}, mode="{mode}", distribution="{dist}"' in fn.__doc__  # its prose names its row
    plan = getattr(fastinit.presets.glorot_he_lecun, f"{name}_plan")  # made from the module's table of rows
    assert plan(shape, layout="torch") == fastinit.presets.variance_scaling.variance_scaling_plan(
        shape, scale, mode, dist, layout="torch")
    assert plan.__name__ == f"{name}_plan" and name in plan.__doc__
    with pytest.raises(TypeError, match=rf"^{name}_plan\(\) got an unexpected keyword argument 'scale'"):
        plan(shape, scale=scale)


@pytest.mark.parametrize("shape", [(12, 20), (16, 8, 3, 3), (9,)])
def test_torch_presets(shape):
    fi, fo = compute_fans(shape, layout="torch")
    g = 1.3
    std = g * math.sqrt(2.0 / (fi + fo))
    np.testing.assert_array_equal(fastinit.xavier_uniform(shape, g, seed=SEED),
                                  fastinit.uniform(shape, -math.sqrt(3) * std, math.sqrt(3) * std, seed=SEED))
    np.testing.assert_array_equal(fastinit.xavier_normal(shape, g, seed=SEED),
                                  fastinit.normal(shape, 0, std, seed=SEED))
    for a, mode, nl in [(0, "fan_in", "leaky_relu"), (0.2, "fan_out", "leaky_relu"), (0, "fan_in", "tanh"),
                        (0, "Fan_Out", "selu")]:
        std = fastinit.calculate_gain(nl, a) / math.sqrt(fi if mode.lower() == "fan_in" else fo)
        b = math.sqrt(3) * std
        np.testing.assert_array_equal(fastinit.kaiming_uniform(shape, a, mode, nl, seed=SEED),
                                      fastinit.uniform(shape, -b, b, seed=SEED))
        np.testing.assert_array_equal(fastinit.kaiming_normal(shape, a, mode, nl, seed=SEED),
                                      fastinit.normal(shape, 0, std, seed=SEED))


def test_torch_presets_default_to_torch_layout():
    w = (64, 16)  # torch Linear(16 -> 64): fan_in 16
    np.testing.assert_array_equal(fastinit.kaiming_uniform(w, nonlinearity="relu", seed=1),
                                  fastinit.he_uniform(w, layout="torch", seed=1))
    assert not np.array_equal(fastinit.kaiming_uniform(w, nonlinearity="relu", seed=1), fastinit.he_uniform(w, seed=1))
    np.testing.assert_array_equal(fastinit.kaiming_uniform(w, nonlinearity="relu", layout="keras", seed=1),
                                  fastinit.he_uniform(w, seed=1))


def test_random_presets_keras_defaults():
    np.testing.assert_array_equal(fastinit.random_uniform((50,), seed=3), fastinit.uniform((50,), -0.05, 0.05, seed=3))
    np.testing.assert_array_equal(fastinit.random_normal((50,), seed=3), fastinit.normal((50,), 0.0, 0.05, seed=3))
    np.testing.assert_array_equal(fastinit.random_truncated_normal((50,), seed=3),
                                  fastinit.truncated_normal((50,), 0.0, 0.05, -2.0, 2.0, seed=3))
    np.testing.assert_array_equal(fastinit.random_normal((5,), 1.0, 2.0, seed=3),
                                  fastinit.normal((5,), 1.0, 2.0, seed=3))
    # the fill of the same name is untouched
    np.testing.assert_array_equal(fastinit.truncated_normal((50,), seed=3),
                                  fastinit.truncated_normal((50,), 0.0, 1.0, -2.0, 2.0, seed=3))


FAN_PRESETS = ["variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform",
               "lecun_normal", "xavier_uniform", "xavier_normal", "kaiming_uniform", "kaiming_normal"]


@pytest.mark.parametrize("name", FAN_PRESETS + ["random_uniform", "random_normal", "random_truncated_normal",
                                                 "orthogonal", "sparse"])
@pytest.mark.parametrize("index", [(slice(10, 23),), (slice(None), slice(5, 9)), (3,), (slice(-4, None), 7)])
def test_shard_equals_slice_of_whole(name, index):
    """The stream contract: fans (and everything else) come from full_shape, not the shard."""
    fn = getattr(fastinit, name)
    args = (0.3,) if name == "sparse" else ()
    full = (40, 12)
    whole = fn(full, *args, seed=SEED, stream="emb")
    part = np.full(whole[index].shape, np.nan, np.float32)
    assert fn(part, *args, seed=SEED, stream="emb", full_shape=full, index=index) is part
    np.testing.assert_array_equal(part, whole[index])


@pytest.mark.parametrize("name", ["identity", "eye"])
@pytest.mark.parametrize("full,index", [((9, 6), (slice(2, 7),)), ((9, 6), (slice(None), slice(4, 6))),
                                        ((9, 6), (4,)), ((6, 9), (slice(1, 3), 2)), ((6, 9), (5, 5))])
def test_identity_shards(name, full, index):
    fn = getattr(fastinit, name)
    whole = fn(full)
    np.testing.assert_array_equal(whole, np.eye(*full, dtype=np.float32))
    part = np.full(whole[index].shape, np.nan, np.float32)
    np.testing.assert_array_equal(fn(part, full_shape=full, index=index), whole[index])


def test_identity_gain_and_dtypes():
    np.testing.assert_array_equal(fastinit.identity((3, 4), 2.5), 2.5 * np.eye(3, 4))
    bf = fastinit.identity((3, 3), 0.1, dtype="bfloat16")
    assert bf.dtype == ml_dtypes.bfloat16 and bf[1, 1] == np.asarray(0.1, ml_dtypes.bfloat16) and bf[0, 1] == 0
    with pytest.raises(ValueError, match="overflows float16"):
        fastinit.identity((2, 2), 1e6, dtype="float16")


def torch_dirac(shape, groups):
    """PyTorch's dirac_, spelled out."""
    w = np.zeros(shape, np.float32)
    opg = shape[0] // groups
    for g in range(groups):
        for d in range(min(opg, shape[1])):
            w[(g * opg + d, d) + tuple(k // 2 for k in shape[2:])] = 1
    return w


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 6, 3, 3), 1), ((6, 2, 3, 3), 3), ((2, 5, 4, 4), 1),
                                          ((8, 3, 3, 2, 5), 2)])
def test_dirac(shape, groups):
    whole = fastinit.dirac(shape, groups)
    np.testing.assert_array_equal(whole, torch_dirac(shape, groups))
    index = (slice(1, shape[0]), slice(None), 1)
    part = np.full(whole[index].shape, 7.0, np.float32)
    np.testing.assert_array_equal(fastinit.dirac(part, groups, full_shape=shape, index=index), whole[index])


def test_sparse_counts_and_values():
    rows, cols, s = 50, 300, 0.3
    w = fastinit.sparse((rows, cols), s, std=0.02, seed=SEED, stream="sp")
    zeros = (w == 0)
    assert (zeros.sum(axis=0) == math.ceil(s * rows)).all()
    values = fastinit.normal((rows, cols), 0.0, 0.02, seed=SEED, stream="sp")
    np.testing.assert_array_equal(w[~zeros], values[~zeros])
    # every row is zeroed equally often: per row ~ Binomial(cols, 15/50); 6-sigma bound
    p = math.ceil(s * rows) / rows
    per_row = zeros.sum(axis=1)
    assert np.abs(per_row - cols * p).max() < 6 * math.sqrt(cols * p * (1 - p))
    # columns choose different rows
    assert len({tuple(np.flatnonzero(zeros[:, j])) for j in range(cols)}) > cols * 0.99


@pytest.mark.parametrize("s,expected", [(0.0, 0), (1.0, 7), (0.01, 1), (0.5, 4)])
def test_sparse_edge_sparsities(s, expected):
    w = fastinit.sparse((7, 5), s, seed=1)
    assert ((w == 0).sum(axis=0) == expected).all()


def test_sparse_large_shard_uses_blocks(monkeypatch):
    from fastinit.presets import structured
    monkeypatch.setattr(structured, "_KEY_BLOCK", 64)  # force many column blocks
    whole = fastinit.sparse((20, 30), 0.5, seed=4)
    part = fastinit.sparse(np.empty((6, 17), np.float32), 0.5, seed=4, full_shape=(20, 30),
                           index=(slice(3, 9), slice(11, 28)))
    np.testing.assert_array_equal(part, whole[3:9, 11:28])


# ---------------------------------------------------------------- dtypes, in place, bad input


@pytest.mark.parametrize("name", FAN_PRESETS)
def test_bfloat16_is_rounded_float32(name):
    fn = getattr(fastinit, name)
    f32 = fn((30, 20), seed=5)
    want = f32.astype(ml_dtypes.bfloat16)
    plan = fastinit.get(name).plan((30, 20))
    if plan.distribution == "truncated_normal":  # a value that rounds past a bound is the bound rounded inward
        p = plan.params
        want = half_of_truncated(f32, p["mean"] + p["a"] * p["std"], p["mean"] + p["b"] * p["std"], ml_dtypes.bfloat16)
    np.testing.assert_array_equal(fn((30, 20), seed=5, dtype="bfloat16"), want)
    out = np.empty((20, 30), np.float32).T
    assert fn(out, seed=5) is out
    np.testing.assert_array_equal(out, f32)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: fastinit.variance_scaling((3, 4), 0.0), ValueError, "scale must be > 0"),
    (lambda: fastinit.variance_scaling((3, 4), -1.0), ValueError, "scale must be > 0"),
    (lambda: fastinit.variance_scaling((3, 4), float("inf")), ValueError, "scale must be finite"),
    (lambda: fastinit.variance_scaling((3, 4), "1"), TypeError, "scale must be a real number"),
    (lambda: fastinit.variance_scaling((3, 4), mode="fan_avrg"), ValueError, "Did you mean 'fan_avg'"),
    (lambda: fastinit.variance_scaling((3, 4), distribution="truncated"), ValueError,
     "Did you mean 'truncated_normal'"),
    (lambda: fastinit.variance_scaling((3, 4), distribution=None), TypeError, "distribution must be a str"),
    (lambda: fastinit.glorot_uniform((3, 4), layout="pytorch"), ValueError, "Did you mean 'torch'"),
    (lambda: fastinit.he_normal((3, 4), groups=3), ValueError, "does not divide"),
    (lambda: fastinit.xavier_uniform((3, 4), -1.0), ValueError, "gain must be >= 0"),
    (lambda: fastinit.kaiming_normal((3, 4), mode="fan_avg"), ValueError, "mode='fan_avg'"),
    (lambda: fastinit.kaiming_normal((3, 4), nonlinearity="Relu"), ValueError, "Did you mean 'relu'"),
    (lambda: fastinit.kaiming_uniform((3, 4), a="x"), TypeError, "param"),
    (lambda: fastinit.he_uniform(None), TypeError, "out must be"),
    (lambda: fastinit.he_uniform((3, 4), seed=-1), ValueError, "seed must be in"),
    (lambda: fastinit.identity((3, 4, 5)), ValueError, "2-d"),
    (lambda: fastinit.eye((3,)), ValueError, "2-d"),
    (lambda: fastinit.dirac((3, 4)), ValueError, "rank 3, 4 or 5"),
    (lambda: fastinit.dirac((6, 2, 3), 4), ValueError, "does not divide"),
    (lambda: fastinit.dirac((6, 2, 3), 0), ValueError, "groups must be >= 1"),
    (lambda: fastinit.sparse((4, 4), 1.5), ValueError, "sparsity must be in"),
    (lambda: fastinit.sparse((4, 4), -0.1), ValueError, "sparsity must be >= 0"),
    (lambda: fastinit.sparse((4, 4, 4), 0.1), ValueError, "2-d"),
    (lambda: fastinit.sparse((4, 4), 0.1, std=-1.0), ValueError, "std must be >= 0"),
])
def test_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("name", FAN_PRESETS + ["orthogonal", "identity", "sparse"])
def test_nothing_written_on_bad_input(name):
    out = np.full((6, 4), -7.0, np.float32)
    args = (0.5,) if name == "sparse" else ()
    with pytest.raises(ValueError):
        getattr(fastinit, name)(out, *args, full_shape=(10, 4), index=(slice(0, 3),))
    assert (out == -7.0).all()


def test_fans_use_full_shape_not_shard():
    part = np.empty((4, 64), np.float32)
    w = fastinit.he_uniform(part, seed=1, full_shape=(4096, 64), index=(slice(0, 4),))
    bound = math.sqrt(6 / 4096)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


# ---------------------------------------------------------------- get


@pytest.mark.parametrize("name,fn", [
    ("glorot_uniform", "glorot_uniform"), ("GlorotUniform", "glorot_uniform"), ("he_normal", "he_normal"),
    ("HeNormal", "he_normal"), ("LecunUniform", "lecun_uniform"), ("lecun_normal", "lecun_normal"),
    ("GlorotNormal", "glorot_normal"), ("he_uniform", "he_uniform"), ("VarianceScaling", "variance_scaling"),
    ("xavier_uniform", "xavier_uniform"), ("xavier_normal_", "xavier_normal"), ("kaiming_normal", "kaiming_normal"),
    ("kaiming_uniform_", "kaiming_uniform"), ("RandomUniform", "random_uniform"), ("uniform", "random_uniform"),
    ("normal", "random_normal"), ("RandomNormal", "random_normal"), ("TruncatedNormal", "random_truncated_normal"),
    ("truncated_normal", "random_truncated_normal"), ("Orthogonal", "orthogonal"),
    ("OrthogonalInitializer", "orthogonal"), ("sparse", "sparse"),
])
def test_get_names(name, fn):
    init = fastinit.get(name)
    kw = {"sparsity": 0.2} if fn == "sparse" else {}
    np.testing.assert_array_equal(init((24, 16), seed=9, **kw), getattr(fastinit, fn)((24, 16), seed=9, **kw))


def test_get_deterministic_names():
    np.testing.assert_array_equal(fastinit.get("Identity")((3, 4), seed=1), np.eye(3, 4))
    np.testing.assert_array_equal(fastinit.get("eye_")((3, 4)), np.eye(3, 4))
    np.testing.assert_array_equal(fastinit.get("zeros")((2,)), [0, 0])
    np.testing.assert_array_equal(fastinit.get("one")((2,), seed=3, stream="x"), [1, 1])
    np.testing.assert_array_equal(fastinit.get("Constant")((2,)), [0, 0])  # Keras's default value
    np.testing.assert_array_equal(fastinit.get({"class_name": "Constant", "config": {"value": 3.0}})((2,)), [3, 3])
    np.testing.assert_array_equal(fastinit.get({"class_name": "constant_", "config": {"val": 2.0}})((2,)), [2, 2])
    np.testing.assert_array_equal(fastinit.get("dirac_")((4, 2, 3)), torch_dirac((4, 2, 3), 1))
    part = np.empty((2, 4), np.float32)
    np.testing.assert_array_equal(fastinit.get("ones")(part, full_shape=(9, 4), index=(slice(0, 2),)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="full\\[index\\] has shape"):
        fastinit.get("zeros")(part, full_shape=(9, 4), index=(slice(0, 3),))


def test_get_torch_inplace_names_keep_torch_semantics():
    np.testing.assert_array_equal(fastinit.get("uniform_")((50,), seed=1), fastinit.uniform((50,), 0.0, 1.0, seed=1))
    from_config = fastinit.get({"class_name": "uniform_", "config": {"a": -3.0, "b": 1.0}})
    np.testing.assert_array_equal(from_config((50,), seed=1),
                                  fastinit.uniform((50,), -3.0, 1.0, seed=1))
    np.testing.assert_array_equal(fastinit.get("normal_")((50,), seed=1), fastinit.normal((50,), seed=1))
    # torch's trunc_normal_ bounds are absolute: a=-0.04, b=0.04 around mean 0 with std 0.02 is +-2 std
    cfg = {"class_name": "trunc_normal_", "config": {"std": 0.02, "a": -0.04, "b": 0.04}}
    np.testing.assert_array_equal(fastinit.get(cfg)((50,), seed=1),
                                  fastinit.truncated_normal((50,), 0.0, 0.02, -2.0, 2.0, seed=1))
    np.testing.assert_array_equal(fastinit.get("orthogonal_")((8, 2, 2), seed=1),
                                  fastinit.orthogonal((8, 2, 2), layout="torch", seed=1))


def test_get_config_dicts():
    cfg = {"module": "keras.initializers", "class_name": "VarianceScaling",
           "config": {"scale": 2.0, "mode": "fan_out", "distribution": "uniform", "seed": 11,
                      "input_axes": None, "output_axes": None}, "registered_name": None}
    init = fastinit.get(cfg)
    np.testing.assert_array_equal(init((6, 9)), fastinit.variance_scaling((6, 9), 2.0, "fan_out", "uniform", seed=11))
    np.testing.assert_array_equal(init((6, 9), seed=12),
                                  fastinit.variance_scaling((6, 9), 2.0, "fan_out", "uniform", seed=12))
    again = fastinit.get(init.get_config())
    np.testing.assert_array_equal(again((6, 9)), init((6, 9)))
    assert "variance_scaling" in repr(init)
    k = fastinit.get({"class_name": "kaiming_normal", "config": {"mode": "fan_out", "nonlinearity": "relu"}})
    np.testing.assert_array_equal(k((5, 7), seed=1), fastinit.kaiming_normal((5, 7), mode="fan_out",
                                                                             nonlinearity="relu", seed=1))
    r = fastinit.get({"class_name": "RandomNormal", "config": {"mean": 1.0, "stddev": 0.5, "seed": None}})
    np.testing.assert_array_equal(r((5,), seed=2), fastinit.normal((5,), 1.0, 0.5, seed=2))
    assert fastinit.get({"class_name": "Zeros"})((3,)).tolist() == [0, 0, 0]


def test_get_keras_input_output_axes_count_only_those_axes():
    init = fastinit.get({"class_name": "GlorotUniform", "config": {"input_axes": [0], "output_axes": [-1]}})
    shape = (8, 3, 5, 6)
    np.testing.assert_array_equal(
        init(shape, seed=1), fastinit.glorot_uniform(shape, in_axis=(0,), out_axis=(-1,), batch_axis=(1, 2), seed=1))
    part = np.empty((2, 3, 5, 6), np.float32)
    np.testing.assert_array_equal(init(part, seed=1, full_shape=shape, index=(slice(0, 2),)), init(shape, seed=1)[:2])


def test_get_passes_callables_through():
    def mine(out, **kw):
        return out
    assert fastinit.get(mine) is mine


@pytest.mark.parametrize("arg,exc,match", [
    ("glorot_unifrom", ValueError, "Did you mean 'glorot_uniform'"),
    ("GlorotUnifrom", ValueError, "Did you mean 'GlorotUniform'"),
    ("kaiming_normall", ValueError, "kaiming_normal"),
    ("STFTT", ValueError, "unknown initializer .STFTT.*Did you mean .STFT."),
    ({"class_name": "HeNormal", "config": {"sede": 1}}, TypeError, "Did you mean 'seed'"),
    ({"class_name": "RandomNormal", "config": {"std": 1}}, TypeError, "stddev"),
    ({"class_name": "HeNormal", "config": {"seed": {"class_name": "SeedGenerator"}}}, TypeError, "SeedGenerator"),
    ({"config": {}}, TypeError, "class_name"),
    ({"class_name": "HeNormal", "config": {}, "extra": 1}, TypeError, "class_name"),
    ({"class_name": 3}, TypeError, "class_name must be a str"),
    ({"class_name": "HeNormal", "config": [1]}, TypeError, "dict of parameters"),
    ({"class_name": "trunc_normal_", "config": {"std": 0.0}}, ValueError, "std must be > 0"),
    ({"class_name": "HeNormal", "config": {"dtype": "float64"}}, TypeError, "pass dtype= when calling"),
    ({"class_name": "HeNormal", "config": {"stream": "x"}}, TypeError, "pass stream= when calling"),
    (None, TypeError, "name_or_config"),
    (3, TypeError, "name_or_config"),
])
def test_get_errors(arg, exc, match):
    with pytest.raises(exc, match=match):
        fastinit.get(arg)


def test_public_names_exported():
    for name in ["compute_fans", "calculate_gain", "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform",
                 "he_normal", "lecun_uniform", "lecun_normal", "random_uniform", "random_normal",
                 "random_truncated_normal", "orthogonal", "identity", "zeros", "ones", "constant", "xavier_uniform",
                 "xavier_normal", "kaiming_uniform", "kaiming_normal", "eye", "dirac", "sparse", "get", "Initializer"]:
        assert name in fastinit.__all__ and callable(getattr(fastinit, name)), name
        assert getattr(fastinit, name).__doc__, name
