"""fastinit.torch.init_module against the real torch: every tensor of a model of torch's layers matches
torch's own init of the same model (deterministic tensors equal, random ones the same distribution
and the formula's bound/std); a tensor equals the fastinit.torch call with its qualified name as
stream, in place; order independence, thread count, meta-device materialization (ties kept),
bf16/f16 = rounded float32, schemes (preset name, patterns), unknown modules, nothing written
before an error.
"""

import functools
import math
from collections import OrderedDict

import numpy as np
import pytest
import torch
from torch import nn

import fastinit
import fastinit.torch as ft
from fastinit.core.dtypes import bfloat16 as np_bfloat16

from parity_stats import as_f64, assert_same_distribution

SEED = 97
NP_DTYPES = {torch.float32: np.float32, torch.float64: np.float64, torch.float16: np.float16,
             torch.bfloat16: np_bfloat16}

# ---------------------------------------------------------------- init_module


class Zoo(nn.Module):
    """One of most of torch's layers that own parameters."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(3000, 32, padding_idx=2)
        self.conv = nn.Conv2d(16, 64, 3)
        self.convt = nn.ConvTranspose1d(24, 12, 5, groups=3)
        self.lin = nn.Linear(400, 300)
        self.bil = nn.Bilinear(20, 30, 40)
        self.bn = nn.BatchNorm2d(64)
        self.ln = nn.LayerNorm(32)
        self.gn = nn.GroupNorm(4, 64)
        self.rms = nn.RMSNorm(32)
        self.inorm = nn.InstanceNorm1d(12, affine=True, track_running_stats=True)
        self.prelu = nn.PReLU(8, init=0.1)
        self.mha = nn.MultiheadAttention(64, 4, add_bias_kv=True)
        self.mha_kv = nn.MultiheadAttention(64, 4, kdim=32, vdim=48, bias=False)
        self.lstm = nn.LSTM(32, 64, num_layers=2, bidirectional=True, proj_size=16)
        self.gru_cell = nn.GRUCell(16, 48)
        self.tf = nn.Transformer(d_model=32, nhead=2, num_encoder_layers=1, num_decoder_layers=1,
                                 dim_feedforward=64, batch_first=True)


def xavier_bound(shape):
    fan_in, fan_out = torch.nn.init._calculate_fan_in_and_fan_out(torch.empty(shape, device="meta"))
    return math.sqrt(6 / (fan_in + fan_out))


def expected_random(model, name, t):
    """(kind, scale) of torch's default init for a random tensor of Zoo: ("uniform", bound) or
    ("normal", std), written from torch's reset_parameters, independently of fastinit."""
    owner = model.get_submodule(name.rpartition(".")[0])
    leaf = name.rpartition(".")[2]
    if name.startswith("tf.") and t.dim() > 1:
        return "uniform", xavier_bound(t.shape)
    if isinstance(owner, nn.Embedding):
        return "normal", 1.0
    if isinstance(owner, (nn.Linear, nn.Conv2d, nn.ConvTranspose1d)):
        w = owner.weight
        fan_in = w.shape[1] * math.prod(w.shape[2:])
        return "uniform", 1 / math.sqrt(fan_in)
    if isinstance(owner, nn.Bilinear):
        return "uniform", 1 / math.sqrt(20)
    if isinstance(owner, nn.MultiheadAttention):
        if leaf in ("bias_k", "bias_v"):
            return "normal", math.sqrt(2 / (2 * 64))
        return "uniform", xavier_bound(t.shape)
    if isinstance(owner, (nn.LSTM, nn.GRUCell)):
        return "uniform", 1 / math.sqrt(owner.hidden_size)
    raise AssertionError(f"no expectation for {name}")


@pytest.fixture(scope="module")
def zoo_pair():
    torch.manual_seed(SEED)
    theirs = Zoo()
    ours = Zoo()
    before = {n: t.data_ptr() for n, t in ours.state_dict(keep_vars=True).items()}
    assert ft.init_module(ours, SEED) is ours
    assert {n: t.data_ptr() for n, t in ours.state_dict(keep_vars=True).items()} == before  # in place
    return ours, theirs


def test_init_module_matches_torchs_own_init(zoo_pair):
    ours, theirs = zoo_pair
    ref = theirs.state_dict()
    checked = 0
    for name, t in ours.state_dict().items():
        want = ref[name]
        assert t.dtype == want.dtype and t.shape == want.shape, name
        if name == "emb.weight":
            assert (t[2] == 0).all() and (want[2] == 0).all()
            t, want = torch.cat([t[:2], t[3:]]), torch.cat([want[:2], want[3:]])
        if torch.equal(want, torch.zeros_like(want)) or torch.equal(want, torch.ones_like(want)) or \
                name == "prelu.weight":
            assert torch.equal(t, want), name  # norms, running stats, zero biases, PReLU's 0.1
            checked += 1
            continue
        kind, scale = expected_random(ours, name, t)
        if kind == "uniform":
            assert_same_distribution(t, want, scale / math.sqrt(3), "uniform", name, bound=scale)
            # the bound itself: the sample reaches within 20/n of it
            assert as_f64(t).max() > scale * (1 - 40 / t.numel())
        else:
            assert_same_distribution(t, want, scale, "normal", name)
        checked += 1
    assert checked == len(ref) > 80


def test_each_tensor_is_the_torch_function_on_its_named_stream(zoo_pair):
    ours, _ = zoo_pair
    w = ft.kaiming_uniform_(torch.empty(300, 400), a=math.sqrt(5), seed=SEED, stream="lin.weight")
    b = ft.uniform_(torch.empty(300), -1 / 20, 1 / 20, seed=SEED, stream="lin.bias")
    assert torch.equal(ours.lin.weight, w) and torch.equal(ours.lin.bias, b)
    e = ft.normal_(torch.empty(3000, 32), seed=SEED, stream="emb.weight")
    e[2] = 0
    assert torch.equal(ours.emb.weight, e)
    q = ft.xavier_uniform_(torch.empty(192, 64), seed=SEED, stream="mha.in_proj_weight")
    assert torch.equal(ours.mha.in_proj_weight, q)
    k = ft.xavier_normal_(torch.empty(1, 1, 64), seed=SEED, stream="mha.bias_k")
    assert torch.equal(ours.mha.bias_k, k)
    h = ft.uniform_(torch.empty(256, 16), -1 / 8, 1 / 8, seed=SEED, stream="lstm.weight_hh_l1_reverse")
    assert torch.equal(ours.lstm.weight_hh_l1_reverse, h)
    x = ft.xavier_uniform_(torch.empty(64, 32), seed=SEED, stream="tf.encoder.layers.0.linear1.weight")
    assert torch.equal(ours.tf.encoder.layers[0].linear1.weight, x)
    assert ours.bn.num_batches_tracked.item() == 0 and ours.bn.num_batches_tracked.dtype == torch.int64


class Small(nn.Module):
    def __init__(self, extra=False, width=64):
        super().__init__()
        if extra:
            self.pre = nn.Conv1d(4, 8, 3)
        self.enc = nn.Sequential(OrderedDict(fc=nn.Linear(width, 32), norm=nn.LayerNorm(32)))
        self.emb = nn.Embedding(1000, 32)
        self.bn = nn.BatchNorm1d(32)
        self.head = nn.Linear(32, 8)


def assert_same_state(a, b, names=None):
    sa, sb = a.state_dict(), b.state_dict()
    for name in names or sa:
        assert torch.equal(sa[name], sb[name]), name


def test_adding_a_layer_changes_no_other_layer():
    a, b = ft.init_module(Small(), 7), ft.init_module(Small(extra=True), 7)
    assert_same_state(a, b)
    # a different architecture elsewhere, or another seed
    c = ft.init_module(Small(width=48), 7)
    assert_same_state(a, c, ["emb.weight", "head.weight", "head.bias", "enc.norm.weight"])
    assert not torch.equal(a.enc.fc.weight[:, :48], c.enc.fc.weight)
    d = ft.init_module(Small(), 8)
    assert not torch.equal(a.head.weight, d.head.weight)


def test_module_order_does_not_matter():
    class Reordered(nn.Module):
        def __init__(self):
            super().__init__()
            self.head = nn.Linear(32, 8)
            self.bn = nn.BatchNorm1d(32)
            self.emb = nn.Embedding(1000, 32)
            self.enc = nn.Sequential(OrderedDict(norm=nn.LayerNorm(32), fc=nn.Linear(64, 32)))

    a, b = ft.init_module(Small(), 11), ft.init_module(Reordered(), 11)
    sb = b.state_dict()
    for name, t in a.state_dict().items():
        assert torch.equal(t, sb[name]), name


def test_thread_count_does_not_matter(restore_runtime):
    model = lambda: nn.Sequential(nn.Embedding(150_000, 16), nn.Linear(512, 512))  # noqa: E731
    fastinit.set_num_threads(1)
    a = ft.init_module(model(), 3)
    fastinit.set_num_threads(2)
    b = ft.init_module(model(), 3)
    assert_same_state(a, b)


def test_meta_model_is_materialized_with_the_same_values():
    with torch.device("meta"):
        m = Small(extra=True)
    assert m.head.weight.is_meta
    assert ft.init_module(m, 7) is m
    for t in m.state_dict().values():
        assert t.device.type == "cpu"
    assert_same_state(m, ft.init_module(Small(extra=True), 7))
    assert m.bn.num_batches_tracked.item() == 0
    out = m.head(m.enc(torch.ones(2, 64)))  # usable
    assert out.shape == (2, 8) and torch.isfinite(out).all()


def test_meta_zoo_equals_cpu_zoo(zoo_pair):
    with torch.device("meta"):
        m = Zoo()
    ft.init_module(m, SEED)
    assert_same_state(m, zoo_pair[0])


class Tied(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(50, 16)
        self.body = nn.Linear(16, 16)
        self.head = nn.Linear(16, 50, bias=False)
        self.head.weight = self.emb.weight


@pytest.mark.parametrize("device", ["cpu", "meta"])
def test_tied_weights_filled_once_and_kept_tied(device):
    with torch.device(device):
        m = Tied()
    ft.init_module(m, 5)
    assert m.head.weight is m.emb.weight
    assert [n for n, _ in m.named_parameters()] == ["emb.weight", "body.weight", "body.bias"]
    assert torch.equal(m.emb.weight, ft.normal_(torch.empty(50, 16), seed=5, stream="emb.weight"))


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
def test_half_models_are_the_rounded_float32_model(dtype):
    a = ft.init_module(Small(extra=True), 9)
    b = ft.init_module(Small(extra=True).to(dtype), 9)
    sb = b.state_dict()
    for name, t in a.state_dict().items():
        want = t.to(dtype) if t.is_floating_point() else t
        assert sb[name].dtype == want.dtype and torch.equal(sb[name], want), name


def test_scheme_preset_name():
    m = ft.init_module(Small(), 4, scheme="he_normal")
    # rank >= 2: the preset, in torch's layout (fan_in = in_features = 64)
    want = fastinit.he_normal((32, 64), layout="torch", seed=4, stream="enc.fc.weight")
    np.testing.assert_array_equal(m.enc.fc.weight.detach().numpy(), want)
    np.testing.assert_array_equal(m.emb.weight.detach().numpy(),
                                  fastinit.he_normal((1000, 32), layout="torch", seed=4, stream="emb.weight"))
    assert (m.enc.fc.bias == 0).all() and (m.head.bias == 0).all() and (m.bn.bias == 0).all()
    assert (m.enc.norm.weight == 1).all() and (m.bn.weight == 1).all() and (m.bn.running_var == 1).all()
    # a fastinit.get(...) initializer works the same way
    cfg = fastinit.get({"class_name": "TruncatedNormal", "config": {"stddev": 0.02}})
    m2 = ft.init_module(Small(), 4, scheme=cfg)
    np.testing.assert_array_equal(m2.head.weight.detach().numpy(),
                                  fastinit.random_truncated_normal((8, 32), stddev=0.02, seed=4, stream="head.weight"))


def test_scheme_patterns():
    m = Small()
    fc_before = m.enc.fc.weight.detach().clone()
    scheme = {
        "enc.fc.weight": None,  # keep
        "*.bias": "ones",
        "head.*": "zeros",  # not reached for head.bias: the first matching pattern wins
        "emb.weight": functools.partial(ft.trunc_normal_, std=0.02, a=-0.04, b=0.04),
        "head.weight": {"class_name": "orthogonal_", "config": {"gain": 2.0}},
    }
    ft.init_module(m, 6, scheme=scheme)
    assert torch.equal(m.enc.fc.weight, fc_before)
    assert (m.enc.fc.bias == 1).all() and (m.head.bias == 1).all() and (m.bn.bias == 1).all()
    assert (m.head.weight == 0).all()
    emb = ft.trunc_normal_(torch.empty(1000, 32), std=0.02, a=-0.04, b=0.04, seed=6, stream="emb.weight")
    assert torch.equal(m.emb.weight, emb)
    assert (m.enc.norm.weight == 1).all() and (m.bn.running_mean == 0).all()  # defaults elsewhere
    m2 = ft.init_module(Small(), 6, scheme={"head.weight": {"class_name": "orthogonal_", "config": {"gain": 2.0}}})
    w = m2.head.weight.detach().numpy().astype(np.float64)
    np.testing.assert_allclose(w @ w.T, 4 * np.eye(8), atol=1e-5)  # torch layout: 8 orthogonal rows


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.full((4,), 3.0))
        self.register_buffer("table", torch.arange(6.0))
        self.fc = nn.Linear(4, 4)


class MyLinear(nn.Linear):
    def reset_parameters(self):
        nn.init.zeros_(self.weight)


def test_unknown_modules():
    m = Custom()
    fc = m.fc.weight.detach().clone()
    with pytest.raises(ValueError, match=r"scale \(4,\) in Custom.*scheme="):
        ft.init_module(m, 1)
    assert torch.equal(m.fc.weight, fc) and (m.scale == 3).all()  # nothing written
    ft.init_module(m, 1, scheme={"scale": "ones"})
    assert (m.scale == 1).all() and torch.equal(m.table, torch.arange(6.0))  # buffers of unknown modules kept
    assert not torch.equal(m.fc.weight, fc)
    # on the meta device a buffer has no values to keep
    with torch.device("meta"):
        meta = Custom()
    with pytest.raises(ValueError, match="table"):
        ft.init_module(meta, 1, scheme={"scale": "ones"})
    with pytest.raises(ValueError, match="meta"):
        ft.init_module(meta, 1, scheme={"scale": "ones", "table": None})

    def arange(t, *, seed, stream):
        with torch.no_grad():
            t.copy_(torch.arange(6.0))

    ft.init_module(meta, 1, scheme={"scale": "ones", "table": arange})
    assert torch.equal(meta.table, torch.arange(6.0)) and torch.equal(meta.fc.weight, m.fc.weight)
    # a subclass that overrides reset_parameters is not nn.Linear's rule: its own reset_parameters runs
    # (under fastinit.torch.seeded): the weight zeroed; the bias, which it leaves alone (in torch it holds
    # nn.Linear's torch.empty memory), is an error on the CPU too, unless the scheme keeps it as it is
    mine = nn.Sequential(MyLinear(3, 3))
    with torch.no_grad():
        mine[0].weight.fill_(5.0)
        mine[0].bias.copy_(torch.tensor([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match=r"did not write 0\.bias.*constructor left"):
        ft.init_module(mine, 1)
    ft.init_module(mine, 1, scheme={"0.bias": None})
    assert (mine[0].weight == 0).all() and torch.equal(mine[0].bias, torch.tensor([1.0, 2.0, 3.0]))
    ft.init_module(mine, 2, scheme={"0.bias": None})  # deterministic: the same result for any seed, run again
    assert (mine[0].weight == 0).all() and torch.equal(mine[0].bias, torch.tensor([1.0, 2.0, 3.0]))
    with torch.device("meta"):
        meta_mine = nn.Sequential(MyLinear(3, 3))
    with pytest.raises(RuntimeError, match=r"did not write 0\.bias"):  # its memory would be uninitialized
        ft.init_module(meta_mine, 1)
    # parameters with no rule at all (no reset_parameters, no _init_weights, not torch's layer) are refused
    bare = nn.Module()
    bare.w = nn.Parameter(torch.full((2, 2), 7.0))
    with pytest.raises(ValueError, match=r"no rule for the parameters 1\.w \(2, 2\) in Module"):
        ft.init_module(nn.Sequential(MyLinear(3, 3), bare), 1)
    assert (bare.w == 7).all()  # nothing written


def test_init_module_bad_input():
    with pytest.raises(TypeError, match="torch.nn.Module"):
        ft.init_module(torch.empty(3), 1)
    with pytest.raises(TypeError, match="seed"):
        ft.init_module(Small(), "1")
    with pytest.raises(TypeError, match="scheme"):
        ft.init_module(Small(), 1, scheme=3)
    with pytest.raises(ValueError, match=r"scheme\['\*.weight'\].*glorot_uniform"):
        ft.init_module(Small(), 1, scheme={"*.weight": "glorot_unifrom"})
    with pytest.raises(TypeError, match="patterns"):
        ft.init_module(Small(), 1, scheme={1: "zeros"})
    with pytest.raises(ValueError, match="forward pass"):
        ft.init_module(nn.Sequential(nn.LazyLinear(4)), 1)
    m = nn.Linear(3, 3).to(torch.float64)
    m.register_buffer("steps", torch.zeros(2, dtype=torch.int32))
    ft.init_module(m, 1)  # an int buffer of a known module without a rule is left alone
    with pytest.raises(TypeError, match="int32"):
        ft.init_module(m, 1, scheme={"steps": "zeros"})
