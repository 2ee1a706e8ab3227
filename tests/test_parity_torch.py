"""Parity with the real PyTorch (torch.nn.init of the installed torch, 2.13.0 in CI).

- fans: compute_fans(layout="torch") equals torch.nn.init._calculate_fan_in_and_fan_out for a
  table of shapes (Linear, Conv1-3d, grouped, depthwise, transposed, empty); the shapes are those
  of real torch layers' weights; ``groups`` gives the fans a real grouped/depthwise nn.Conv2d has
  (counted by running the layer);
- calculate_gain equals torch's for every nonlinearity torch accepts (its Literal type) and the
  same names are refused;
- xavier_*/kaiming_*, uniform_/normal_/trunc_normal_, orthogonal_, sparse_: parameters equal
  torch's exactly, samples match torch's own samples statistically (see parity_stats.py);
- eye_, dirac_, zeros_, ones_, constant_: equal bit for bit.
"""

import inspect
import math
import typing
from typing import Callable

import numpy as np
import pytest
import torch
from torch import nn

import fastinit
import fastinit.torch as ft

from parity_stats import TRUNC_STD, affine_fit, as_f64, assert_params, assert_same_distribution

SEED = 4321


def torch_fans(shape):
    return torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))


# Shapes of real torch layers' weights (checked in test_layer_weight_shapes) and a few more.
TORCH_LAYERS = [
    (lambda: torch.nn.Linear(20, 30), (30, 20)),
    (lambda: torch.nn.Conv1d(4, 6, 5), (6, 4, 5)),
    (lambda: torch.nn.Conv2d(16, 32, 3), (32, 16, 3, 3)),
    (lambda: torch.nn.Conv3d(3, 8, (2, 3, 4)), (8, 3, 2, 3, 4)),
    (lambda: torch.nn.Conv2d(32, 64, 3, groups=4), (64, 8, 3, 3)),
    (lambda: torch.nn.Conv2d(12, 24, 5, groups=12), (24, 1, 5, 5)),  # depthwise, multiplier 2
    (lambda: torch.nn.ConvTranspose2d(16, 8, 3), (16, 8, 3, 3)),
    (lambda: torch.nn.Embedding(100, 16), (100, 16)),
]
FAN_SHAPES = [s for _, s in TORCH_LAYERS] + [(1, 1), (7, 1), (1, 7), (0, 5), (5, 0), (3, 4, 0), (2, 3, 1, 1, 1, 2)]


@pytest.mark.parametrize("make,shape", TORCH_LAYERS)
def test_layer_weight_shapes(make, shape):
    assert tuple(make().weight.shape) == shape


@pytest.mark.parametrize("shape", FAN_SHAPES)
def test_fans_equal_torch(shape):
    assert fastinit.compute_fans(shape, layout="torch") == torch_fans(shape)


@pytest.mark.parametrize("shape", [(), (5,)])
def test_rank_below_2_torch_refuses_fastinit_follows_keras(shape):
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        torch_fans(shape)
    n = shape[0] if shape else 1
    assert fastinit.compute_fans(shape, layout="torch") == (n, n)


def measured_conv_fans(conv, spatial=9):
    """(fan_in, fan_out) of a conv layer measured by running it: with every weight 1 and no bias, an
    interior output over an all-ones input sums fan_in inputs, and an interior one-hot input
    reaches fan_out outputs."""
    with torch.no_grad():
        conv.weight.fill_(1.0)
        c_in = conv.in_channels
        dims = (spatial,) * (conv.weight.dim() - 2)
        y = conv(torch.ones((1, c_in) + dims))
        centre = tuple(d // 2 for d in y.shape[2:])
        fan_in = y[(0, 0) + centre].item()
        x = torch.zeros((1, c_in) + dims)
        x[(0, 0) + tuple(d // 2 for d in dims)] = 1.0
        fan_out = conv(x).sum().item()
    return int(fan_in), int(fan_out)


@pytest.mark.parametrize("c_in,c_out,k,groups", [(12, 24, 3, 12), (8, 8, 5, 8), (32, 64, 3, 4), (6, 9, 3, 3),
                                                 (16, 32, 3, 1)])
def test_groups_give_the_fans_of_the_real_grouped_conv(c_in, c_out, k, groups):
    conv = torch.nn.Conv2d(c_in, c_out, k, groups=groups, bias=False, padding=k // 2)
    shape = tuple(conv.weight.shape)
    assert fastinit.compute_fans(shape, layout="torch", groups=groups) == measured_conv_fans(conv)
    # torch's own fans ignore groups on the output side
    assert torch_fans(shape)[1] == fastinit.compute_fans(shape, layout="torch")[1]


# ---------------------------------------------------------------- calculate_gain

TORCH_NONLINEARITIES = typing.get_args(torch.nn.init._NonlinearityType)


def test_nonlinearity_tables_are_the_same():
    assert set(TORCH_NONLINEARITIES) == set(fastinit.presets.fans.NONLINEARITIES)


@pytest.mark.parametrize("nonlinearity", TORCH_NONLINEARITIES)
def test_calculate_gain_equals_torch(nonlinearity):
    assert fastinit.calculate_gain(nonlinearity) == torch.nn.init.calculate_gain(nonlinearity)
    for param in (0, 1, 0.2, -0.5, 3.0):
        assert fastinit.calculate_gain(nonlinearity, param) == torch.nn.init.calculate_gain(nonlinearity, param)


@pytest.mark.parametrize("name", ["Relu", "softmax", "gelu", "leaky"])
def test_same_names_refused(name):
    with pytest.raises(ValueError):
        torch.nn.init.calculate_gain(name)
    with pytest.raises(ValueError, match="nonlinearity"):
        fastinit.calculate_gain(name)


# ---------------------------------------------------------------- fan-based presets


def torch_sample(init, shape, seed, *args, **kwargs):
    torch.manual_seed(seed)
    t = torch.empty(shape)
    init(t, *args, **kwargs)
    return t


def torch_unit(shape, seed, kind):
    torch.manual_seed(seed)
    t = torch.empty(shape)
    return t.uniform_(0.0, 1.0) if kind == "uniform" else t.normal_(0.0, 1.0)


def fastinit_unit(shape, kind, stream):
    if kind == "uniform":
        return fastinit.uniform(shape, 0.0, 1.0, seed=SEED, stream=stream)
    return fastinit.normal(shape, 0.0, 1.0, seed=SEED, stream=stream)


PRESETS = [
    ("xavier_uniform", "uniform", {}),
    ("xavier_uniform", "uniform", {"gain": 2.5}),
    ("xavier_normal", "normal", {}),
    ("xavier_normal", "normal", {"gain": 0.3}),
    ("kaiming_uniform", "uniform", {}),
    ("kaiming_uniform", "uniform", {"a": math.sqrt(5)}),  # what nn.Linear/nn.Conv use
    ("kaiming_uniform", "uniform", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_uniform", "uniform", {"nonlinearity": "tanh"}),
    ("kaiming_normal", "normal", {}),
    ("kaiming_normal", "normal", {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal", "normal", {"a": 0.2, "nonlinearity": "leaky_relu"}),
    ("kaiming_normal", "normal", {"nonlinearity": "selu"}),
]
PRESET_SHAPES = [(512, 256), (64, 32, 5, 5), (96, 1, 7, 7), (60000,)]


@pytest.mark.parametrize("shape", PRESET_SHAPES)
@pytest.mark.parametrize("name,kind,kwargs", PRESETS)
def test_fan_presets_match_torch(name, kind, kwargs, shape):
    torch_init = getattr(torch.nn.init, name + "_")
    ours_fn = getattr(fastinit, name)
    stream = f"{name}/{shape}"
    if len(shape) < 2:
        with pytest.raises(ValueError):
            torch_sample(torch_init, shape, SEED, **kwargs)
        # fastinit follows Keras (fan_in = fan_out = n) where torch refuses: the values are row 0 of
        # the same preset on an (n, n) tensor, whose fans are (n, n) too
        n = shape[0]
        row0 = np.empty(n, np.float32)
        ours_fn(row0, seed=SEED, stream=stream, full_shape=(n, n), index=0, **kwargs)
        np.testing.assert_array_equal(ours_fn(shape, seed=SEED, stream=stream, **kwargs), row0)
        return
    theirs = torch_sample(torch_init, shape, SEED, **kwargs)
    their_params = affine_fit(theirs, torch_unit(shape, SEED, kind))
    ours = ours_fn(shape, seed=SEED, stream=stream, **kwargs)
    our_params = affine_fit(ours, fastinit_unit(shape, kind, stream))
    what = f"{name}({kwargs}) {shape}"
    if kind == "uniform":  # (low, high - low) = (-b, 2b)
        assert_params(our_params, their_params, what)
        bound = -our_params[0]
        assert_same_distribution(ours, theirs, bound / math.sqrt(3), "uniform", what, bound=bound)
    else:
        assert_params(our_params, their_params, what)
        assert_same_distribution(ours, theirs, our_params[1], "normal", what)


def test_shard_gets_the_whole_tensors_torch_parameters():
    """A row shard of a (50000, 64) table gets torch's parameters for the whole table."""
    full = (50000, 64)
    theirs = torch_sample(torch.nn.init.kaiming_uniform_, full, SEED, a=math.sqrt(5))
    their_params = affine_fit(theirs, torch_unit(full, SEED, "uniform"))
    part = np.empty((1000, 64), np.float32)
    idx = (slice(20000, 21000),)
    fastinit.kaiming_uniform(part, a=math.sqrt(5), seed=SEED, stream="emb", full_shape=full, index=idx)
    unit = fastinit.uniform(part.shape, seed=SEED, stream="emb", full_shape=full, index=idx)
    assert_params(affine_fit(part, unit), their_params, "kaiming_uniform shard")


# ---------------------------------------------------------------- plain distributions (get's torch names)


def test_uniform_normal_match_torch():
    shape = (300, 400)
    theirs = torch_sample(torch.nn.init.uniform_, shape, SEED, -0.3, 0.7)
    cfg = fastinit.get({"class_name": "uniform_", "config": {"a": -0.3, "b": 0.7}})
    ours = cfg(shape, seed=SEED, stream="u")
    assert_params(affine_fit(ours, fastinit.uniform(shape, seed=SEED, stream="u")),
                  affine_fit(theirs, torch_unit(shape, SEED, "uniform")), "uniform_")
    assert_same_distribution(ours, theirs, 1 / math.sqrt(12), "uniform", "uniform_", mean=0.2, bound=0.5)
    theirs = torch_sample(torch.nn.init.normal_, shape, SEED, 0.5, 2.0)
    ours = fastinit.get({"class_name": "normal_", "config": {"mean": 0.5, "std": 2.0}})(shape, seed=SEED, stream="n")
    assert_params(affine_fit(ours, fastinit.normal(shape, seed=SEED, stream="n")),
                  affine_fit(theirs, torch_unit(shape, SEED, "normal")), "normal_")
    assert_same_distribution(ours, theirs, 2.0, "normal", "normal_", mean=0.5)


def test_trunc_normal_matches_torch():
    """torch's trunc_normal_ has absolute bounds; get("trunc_normal_") translates them."""
    shape = (300, 400)
    mean, std, a, b = 0.1, 0.02, 0.06, 0.14  # +-2 std around the mean
    theirs = torch_sample(torch.nn.init.trunc_normal_, shape, SEED, mean, std, a, b)
    ours = fastinit.get({"class_name": "trunc_normal_", "config": {"mean": mean, "std": std, "a": a, "b": b}})(
        shape, seed=SEED)
    assert as_f64(theirs).min() >= a - 1e-7 and as_f64(theirs).max() <= b + 1e-7
    assert_same_distribution(ours, theirs, std * TRUNC_STD, "truncated_normal", "trunc_normal_", mean=mean,
                             bound=2 * std)


# ---------------------------------------------------------------- orthogonal, sparse, deterministic


def orthonormal_error(m):
    m = as_f64(m).reshape(m.shape[0], -1)
    g = m.T @ m if m.shape[0] >= m.shape[1] else m @ m.T
    return np.abs(g - np.eye(g.shape[0])).max()


@pytest.mark.parametrize("shape", [(256, 256), (400, 100), (100, 400), (64, 32, 3, 3), (8, 16, 3, 3)])
@pytest.mark.parametrize("gain", [1.0, 2.0])
def test_orthogonal_matches_torch(shape, gain):
    theirs = torch_sample(torch.nn.init.orthogonal_, shape, SEED, gain)
    ours = fastinit.orthogonal(shape, gain, layout="torch", seed=SEED, stream="q")
    assert ours.dtype == np.float32
    rows, cols = shape[0], math.prod(shape[1:])
    assert orthonormal_error(theirs.numpy() / gain) < 1e-5
    assert orthonormal_error(ours / gain) < 1e-5
    # each entry of a Haar (semi-)orthogonal matrix has variance 1 / max(rows, cols)
    sigma = gain / math.sqrt(max(rows, cols))
    assert_same_distribution(ours, theirs, sigma, "normal", f"orthogonal {shape}")
    np.testing.assert_array_equal(fastinit.get("orthogonal_")(shape, gain=gain, seed=SEED, stream="q"), ours)


def test_sparse_matches_torch():
    shape, sparsity, std = (200, 300), 0.3, 0.05
    theirs = torch_sample(torch.nn.init.sparse_, shape, SEED, sparsity, std).numpy()
    ours = fastinit.sparse(shape, sparsity, std, seed=SEED, stream="s")
    np.testing.assert_array_equal((ours == 0).sum(axis=0), (theirs == 0).sum(axis=0))
    assert ((ours == 0).sum(axis=0) == math.ceil(sparsity * shape[0])).all()
    assert_same_distribution(ours[ours != 0], theirs[theirs != 0], std, "normal", "sparse_ values")


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (7, 3)])
def test_eye_equals_torch(shape):
    np.testing.assert_array_equal(fastinit.eye(shape), torch.nn.init.eye_(torch.empty(shape)).numpy())
    np.testing.assert_array_equal(fastinit.get("eye_")(shape), torch.nn.init.eye_(torch.empty(shape)).numpy())


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 6, 3, 3), 1), ((6, 2, 3, 3), 3), ((2, 5, 4, 4), 1),
                                          ((8, 3, 3, 2, 5), 2), ((4, 4, 4, 4), 4)])
def test_dirac_equals_torch(shape, groups):
    theirs = torch.nn.init.dirac_(torch.empty(shape), groups).numpy()
    np.testing.assert_array_equal(fastinit.dirac(shape, groups), theirs)


@pytest.mark.parametrize("shape", [(3,), (2, 4), (3, 4, 5)])
def test_bad_dirac_eye_refused_like_torch(shape):
    if len(shape) != 2:
        with pytest.raises(ValueError):
            torch.nn.init.eye_(torch.empty(shape))
        with pytest.raises(ValueError):
            fastinit.eye(shape)
    if len(shape) not in (3, 4, 5):
        with pytest.raises(ValueError):
            torch.nn.init.dirac_(torch.empty(shape))
        with pytest.raises(ValueError):
            fastinit.dirac(shape)


def test_constants_equal_torch():
    shape = (4, 6)
    np.testing.assert_array_equal(fastinit.get("zeros_")(shape), torch.nn.init.zeros_(torch.empty(shape)).numpy())
    np.testing.assert_array_equal(fastinit.get("ones_")(shape), torch.nn.init.ones_(torch.empty(shape)).numpy())
    np.testing.assert_array_equal(fastinit.get({"class_name": "constant_", "config": {"val": 0.3}})(shape),
                                  torch.nn.init.constant_(torch.empty(shape), 0.3).numpy())


# ---------------------------------------------------------------- every built-in module

def _small_modules() -> dict[str, Callable[[], nn.Module]]:
    """One small instance of every torch.nn module type that has parameters or buffers."""
    enc = dict(d_model=8, nhead=2, dim_feedforward=16)
    newer = {"LinearCrossEntropyLoss": lambda: nn.LinearCrossEntropyLoss(6, 5, bias=True)}  # torch >= 2.12
    return {k: v for k, v in newer.items() if hasattr(nn, k)} | {
        "Linear": lambda: nn.Linear(6, 5), "Bilinear": lambda: nn.Bilinear(4, 3, 5),
        "Conv1d": lambda: nn.Conv1d(4, 6, 3), "Conv2d": lambda: nn.Conv2d(4, 6, 3, groups=2),
        "Conv3d": lambda: nn.Conv3d(2, 3, 2), "ConvTranspose1d": lambda: nn.ConvTranspose1d(4, 6, 3),
        "ConvTranspose2d": lambda: nn.ConvTranspose2d(4, 6, 3, groups=2),
        "ConvTranspose3d": lambda: nn.ConvTranspose3d(2, 3, 2),
        "Embedding": lambda: nn.Embedding(20, 4, padding_idx=3), "EmbeddingBag": lambda: nn.EmbeddingBag(20, 4),
        "BatchNorm1d": lambda: nn.BatchNorm1d(5), "BatchNorm2d": lambda: nn.BatchNorm2d(5),
        "BatchNorm3d": lambda: nn.BatchNorm3d(5), "SyncBatchNorm": lambda: nn.SyncBatchNorm(5),
        "InstanceNorm1d": lambda: nn.InstanceNorm1d(5, affine=True, track_running_stats=True),
        "InstanceNorm2d": lambda: nn.InstanceNorm2d(5, affine=True),
        "InstanceNorm3d": lambda: nn.InstanceNorm3d(5, affine=True),
        "LayerNorm": lambda: nn.LayerNorm(5), "GroupNorm": lambda: nn.GroupNorm(2, 6), "RMSNorm": lambda: nn.RMSNorm(5),
        "PReLU": lambda: nn.PReLU(4, init=0.1),
        "RNN": lambda: nn.RNN(3, 5, num_layers=2, bidirectional=True), "LSTM": lambda: nn.LSTM(3, 5, proj_size=2),
        "GRU": lambda: nn.GRU(3, 5), "RNNCell": lambda: nn.RNNCell(3, 5), "LSTMCell": lambda: nn.LSTMCell(3, 5),
        "GRUCell": lambda: nn.GRUCell(3, 5),
        "MultiheadAttention": lambda: nn.MultiheadAttention(8, 2, add_bias_kv=True),
        "MultiheadAttention_kdim": lambda: nn.MultiheadAttention(8, 2, kdim=4, vdim=6),
        "TransformerEncoderLayer": lambda: nn.TransformerEncoderLayer(**enc),
        "TransformerDecoderLayer": lambda: nn.TransformerDecoderLayer(**enc),
        "TransformerEncoder": lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(**enc, batch_first=True), 2),
        "TransformerDecoder": lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(**enc), 1),
        "Transformer": lambda: nn.Transformer(num_encoder_layers=1, num_decoder_layers=1, batch_first=True, **enc),
        "AdaptiveLogSoftmaxWithLoss": lambda: nn.AdaptiveLogSoftmaxWithLoss(32, 12, [4, 8]),
        "LazyLinear": lambda: _materialized(nn.LazyLinear(5), torch.zeros(1, 6)),
        "LazyConv2d": lambda: _materialized(nn.LazyConv2d(3, 2), torch.zeros(1, 4, 5, 5)),
        "LazyBatchNorm1d": lambda: _materialized(nn.LazyBatchNorm1d(), torch.zeros(2, 5)),
    }


def _materialized(m: nn.Module, x: torch.Tensor) -> nn.Module:
    m.eval()  # a forward pass in eval mode materializes without updating running statistics
    m(x)
    return m.train()


def test_every_module_type_with_tensors_is_covered():
    """Every class in torch.nn.modules.__all__ that can hold tensors is in the table above (or
    is a base class / container / lazy form listed here)."""
    covered = {type(make()).__name__ for make in _small_modules().values()}
    without = {"Module", "Sequential", "ModuleList", "ModuleDict", "ParameterList", "ParameterDict", "Container",
               "RNNBase", "RNNCellBase", "LocalResponseNorm", "CrossMapLRN2d"}
    lazy = {n for n in nn.modules.__all__ if n.startswith("Lazy")}
    for name in nn.modules.__all__:
        cls = getattr(nn.modules, name)
        if name in without or name in lazy or not isinstance(cls, type) or not issubclass(cls, nn.Module):
            continue
        params = inspect.signature(cls.__init__).parameters
        if not any(p in params for p in ("in_features", "num_features", "normalized_shape", "num_embeddings",
                                         "in_channels", "embed_dim", "input_size", "num_parameters", "d_model",
                                         "encoder_layer", "decoder_layer", "in1_features", "num_channels",
                                         "in_features")):
            continue
        assert name in covered, f"nn.{name} has tensors but no parity case"


def _pooled(make: Callable[[], nn.Module], fast: bool, reps: int) -> dict[str, np.ndarray]:
    """Every tensor's values over ``reps`` instances: torch's own init or fastinit's init_module."""
    pooled: dict[str, list[np.ndarray]] = {}
    for r in range(reps):
        torch.manual_seed(1000 + r)
        m = make()
        if fast:
            ft.init_module(m, 77 + r)
        for name, t in list(m.named_parameters()) + list(m.named_buffers()):
            pooled.setdefault(name, []).append(t.detach().double().numpy().ravel())
    return {k: np.concatenate(v) for k, v in pooled.items()}


@pytest.mark.parametrize("name", sorted(_small_modules()))
def test_init_module_matches_each_modules_reset_parameters(name):
    """Tensor by tensor, init_module gives the distribution the module's own reset gives:
    constants exactly, random tensors the same support and a two-sample KS test."""
    from scipy.stats import ks_2samp

    make = _small_modules()[name]
    theirs, ours = _pooled(make, False, 12), _pooled(make, True, 12)
    assert theirs.keys() == ours.keys()
    for key, want in theirs.items():
        got = ours[key]
        if np.all(want == want[0]):
            np.testing.assert_array_equal(got, want, err_msg=f"{name}.{key}")
            continue
        bound = np.abs(want).max()
        assert np.abs(got).max() <= bound * 1.35 + 1e-12, f"{name}.{key}: support differs"
        assert ks_2samp(got, want).pvalue > 1e-4, f"{name}.{key}: distributions differ"
    if name == "Embedding":
        assert np.all(ours["weight"].reshape(12, 20, 4)[:, 3] == 0)
