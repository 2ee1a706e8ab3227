"""fastinit.torch.seeded and init_module on real Hugging Face transformers models (docs/guide/model-zoos.md).

Tiny configs of GPT-2, Llama, BERT, T5 and ViT (no torchvision needed): init_module on meta- and
CPU-built models gives every tensor the distribution of the model's own init_weights(), buffers
equal to the model's own, ties kept, the same bits on 1 and 2 threads and under wrapper prefixes;
seeded() reports draws it cannot key, and fills views of a tensor at their global positions.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from typing import Any

import numpy as np
import pytest
import torch
from torch import nn
from torch.overrides import TorchFunctionMode

import fastinit
import fastinit.torch as ft

transformers = pytest.importorskip("transformers")
transformers.logging.set_verbosity_error()


def _configs() -> dict[str, tuple[Any, Any]]:
    t = transformers
    return {
        "gpt2": (t.GPT2LMHeadModel, t.GPT2Config(vocab_size=256, n_embd=64, n_layer=2, n_head=4, n_positions=64,
                                                  bos_token_id=0, eos_token_id=0)),
        "llama": (t.LlamaForCausalLM, t.LlamaConfig(vocab_size=256, hidden_size=64, intermediate_size=128,
                                                      num_hidden_layers=2, num_attention_heads=4,
                                                      num_key_value_heads=2, pad_token_id=3)),
        "bert": (t.BertForMaskedLM, t.BertConfig(vocab_size=256, hidden_size=64, num_hidden_layers=2,
                                                  num_attention_heads=4, intermediate_size=128,
                                                  max_position_embeddings=64, pad_token_id=0)),
        "t5": (t.T5ForConditionalGeneration, t.T5Config(vocab_size=256, d_model=64, d_kv=16, d_ff=128, num_layers=2,
                                                         num_heads=4)),
        "vit": (t.ViTForImageClassification, t.ViTConfig(hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                                                         intermediate_size=128, image_size=32, patch_size=8,
                                                         num_labels=3)),
    }


CONFIGS = _configs()
MODELS = sorted(CONFIGS)


def _build(kind: str, meta: bool = False) -> Any:
    cls, cfg = CONFIGS[kind]
    if meta:
        with torch.device("meta"):
            return cls(cfg)
    return cls(cfg)


def _state(m: nn.Module) -> dict[str, Any]:
    from fastinit.torch.module_init import plain_name
    return {plain_name(m, k): v.detach().clone() for k, v in m.state_dict(keep_vars=True).items()}


def _zero_rows(t: Any) -> Any:
    return (t.reshape(t.shape[0], -1) == 0).all(dim=1) if t.dim() >= 2 else t == 0


def _same_distribution(name: str, ours: Any, ref: Any) -> None:
    """ours ~ ref: constants equal, random tensors with the reference's mean and std (tolerance
    from the element count), whole zero rows (padding) in the same places."""
    ours, ref = ours.double(), ref.double()
    if ref.numel() == 0:
        return
    if (ref == ref.flatten()[0]).all():
        assert torch.equal(ours, ref), f"{name}: the model's init gives the constant {ref.flatten()[0]}"
        return
    assert torch.equal(_zero_rows(ours), _zero_rows(ref)), f"{name}: zero (padding) rows differ"
    n = ref.numel()
    tol = 0.1 + 4 * math.sqrt(1 / n)
    s_ours, s_ref = float(ours.std()), float(ref.std())
    assert abs(s_ours / s_ref - 1) < tol, f"{name}: std {s_ours:.4g} vs the model's {s_ref:.4g}"
    # two sample means: the difference has std s*sqrt(2/n); 6 of those over ~100 tensors never fails by chance
    assert abs(float(ours.mean()) - float(ref.mean())) < 6 * s_ref * math.sqrt(2 / n) + 1e-6, f"{name}: mean"


def _ties_kept(m: Any) -> None:
    for key, target in getattr(m, "all_tied_weights_keys", {}).items():
        assert m.get_parameter(key) is m.get_parameter(target), f"{key} is no longer tied to {target}"


# ---------------------------------------------------------------- init_module on real models


@pytest.mark.parametrize("meta", [False, True], ids=["cpu", "meta"])
@pytest.mark.parametrize("kind", MODELS)
def test_init_module_matches_models_own_init(kind: str, meta: bool) -> None:
    torch.manual_seed(0)
    ref = _build(kind)  # the model's own init_weights(), torch's generator
    model = _build(kind, meta)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ft.UnkeyedDrawWarning)
        assert ft.init_module(model, 11) is model
    assert not any(t.is_meta for t in model.state_dict().values())
    ours, theirs = model.state_dict(), ref.state_dict()
    assert ours.keys() == theirs.keys()
    buffers = {n for n, _ in ref.named_buffers()}
    for name in theirs:
        if name in buffers:
            assert torch.equal(ours[name], theirs[name]), f"buffer {name} differs from the model's own"
        else:
            _same_distribution(name, ours[name], theirs[name])
    _ties_kept(model)


@pytest.mark.parametrize("kind", ["gpt2", "llama", "bert", "vit"])
def test_normal_std_is_initializer_range(kind: str) -> None:
    model = ft.init_module(_build(kind, meta=True), 3)
    std = CONFIGS[kind][1].initializer_range
    weights = [(n, p) for n, p in model.named_parameters() if p.dim() == 2 and p.numel() >= 4096]
    assert weights
    for name, p in weights:
        p = p.detach().double()
        p = p[~_zero_rows(p)]
        expect = std / math.sqrt(2 * 2) if name.endswith("c_proj.weight") else std  # GPT-2's scaled residuals
        assert abs(float(p.std()) / expect - 1) < 0.05, name


@pytest.mark.parametrize("kind", MODELS)
def test_meta_and_cpu_built_give_the_same_bits(kind: str) -> None:
    a = _state(ft.init_module(_build(kind), 5))
    b = _state(ft.init_module(_build(kind, meta=True), 5))
    c = _state(ft.init_module(_build(kind), 6))
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)  # the seed matters


@pytest.mark.parametrize("kind", MODELS)
def test_thread_count_does_not_change_bits(kind: str) -> None:
    before = fastinit.get_num_threads()
    try:
        states = []
        for threads in (1, 2):
            fastinit.set_num_threads(threads)
            states.append(_state(ft.init_module(_build(kind, meta=threads == 2), 8)))
            states.append(_state(ft.init_module(_build(kind, meta=threads == 1), 8)))
    finally:
        fastinit.set_num_threads(before)
    for other in states[1:]:
        assert all(torch.equal(states[0][k], other[k]) for k in states[0])


class _Wrapped(nn.Module):
    """An FSDP1/activation-checkpointing style wrapper: the wrapped module under a wrapper name."""

    def __init__(self, inner: nn.Module, attr: str) -> None:
        super().__init__()
        self.add_module(attr, inner)


@pytest.mark.parametrize("kind", ["llama", "gpt2", "t5"])
def test_wrapper_prefixes_do_not_change_bits(kind: str) -> None:
    plain = _state(ft.init_module(_build(kind, meta=True), 9))
    with warnings.catch_warnings():  # torch.compile's first import warns about torch.jit (not ours)
        warnings.simplefilter("ignore", DeprecationWarning)
        compiled = torch.compile(_build(kind))  # OptimizedModule: names under _orig_mod., never run here
    assert any(n.startswith("_orig_mod.") for n, _ in compiled.named_parameters())
    ft.init_module(compiled, 9)
    fsdp = _Wrapped(_build(kind, meta=True), "_fsdp_wrapped_module")
    layers = [m for m in fsdp.modules() if isinstance(m, nn.ModuleList)][0]
    for i in range(len(layers)):  # each block wrapped too, as FSDP1's auto-wrap policy does
        layers[i] = _Wrapped(_Wrapped(layers[i], "_checkpoint_wrapped_module"), "_fsdp_wrapped_module")
    ft.init_module(fsdp, 9)
    assert any("._fsdp_wrapped_module._checkpoint_wrapped_module." in n for n, _ in fsdp.named_parameters())
    for wrapped in (compiled, fsdp):
        state = _state(wrapped)
        assert state.keys() == plain.keys()
        assert all(torch.equal(plain[k], state[k]) for k in plain)


def test_scheme_still_overrides() -> None:
    model = ft.init_module(_build("llama", meta=True), 2, scheme={"*.mlp.*": "zeros"})
    assert all((p == 0).all() for n, p in model.named_parameters() if ".mlp." in n)
    q = model.model.layers[0].self_attn.q_proj.weight.detach()
    assert abs(float(q.std()) / 0.02 - 1) < 0.2
    assert torch.equal(model.model.rotary_emb.inv_freq, _build("llama").model.rotary_emb.inv_freq)


# ---------------------------------------------------------------- seeded()


def test_llama_normal_calls_seen_and_keyed() -> None:
    """transformers calls torch.nn.init through references captured at import: 16 normal_ calls for a
    2-layer Llama (embedding, 7 projections per layer, lm_head), all seen and given fastinit's values."""
    class Count(TorchFunctionMode):
        def __init__(self) -> None:
            super().__init__()
            self.calls: Counter[str] = Counter()

        def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
            self.calls[getattr(func, "__name__", "")] += 1
            return func(*args, **(kwargs or {}))

    model = _build("llama")
    from fastinit.torch.own_init import _clear_hf_flags
    _clear_hf_flags(model)
    with Count() as count, torch.no_grad():
        model.init_weights()
    assert count.calls["normal_"] == 16
    _clear_hf_flags(model)
    with ft.seeded(model, 4, strict=True) as ctx:
        model.init_weights()
    std = CONFIGS["llama"][1].initializer_range
    normals = [(n, p) for n, p in model.named_parameters() if p.dim() == 2]
    assert len(normals) == 16 and {n for n, _ in normals} <= ctx.written
    for name, p in normals:
        expect = fastinit.normal(np.empty(tuple(p.shape), np.float32), 0.0, std, seed=4, stream=name)
        pad = model.config.pad_token_id
        if name == "model.embed_tokens.weight":
            expect[pad] = 0
        np.testing.assert_array_equal(p.detach().numpy(), expect, err_msg=name)


def test_unkeyable_draw_is_reported() -> None:
    model = nn.Linear(4, 3)
    with pytest.warns(ft.UnkeyedDrawWarning, match=r"torch\.randn"), ft.seeded(model, 1) as ctx:
        with torch.no_grad():
            model.weight.copy_(torch.randn(3, 4))
    assert len(ctx.reports) == 1
    before = model.weight.detach().clone()
    with pytest.raises(ft.UnkeyedDrawError, match=r"torch\.randn"), ft.seeded(model, 1, strict=True):
        with torch.no_grad():
            model.weight.copy_(torch.randn(3, 4))
    assert torch.equal(model.weight, before)  # refused before drawing
    with pytest.raises(ft.UnkeyedDrawError, match=r"Tensor\.normal_ \(inside torch\.nn\.init\.orthogonal_\)"), \
            ft.seeded(model, 1, strict=True):
        nn.init.orthogonal_(model.weight)
    fresh = torch.empty(3, 4)
    with pytest.raises(ft.UnkeyedDrawError, match=r"not one of the model's"), ft.seeded(model, 1, strict=True):
        fresh.uniform_()


class SliceInit(nn.Module):
    """A custom module whose reset_parameters draws into slices of its weight."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.empty(6, 10))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        with torch.no_grad():
            self.weight.zero_()
            self.weight[1:4, 2:9].uniform_(-0.5, 0.5)
            self.weight[4, :].normal_(0.0, 2.0)


def test_custom_reset_parameters_on_a_slice_gets_fastinit_values() -> None:
    model = nn.Sequential()
    model.add_module("block", SliceInit())
    ft.init_module(model, 12)
    w = model.block.weight.detach().numpy()
    u = fastinit.uniform(np.empty((3, 7), np.float32), -0.5, 0.5, seed=12, stream="block.weight",
                         full_shape=(6, 10), index=(slice(1, 4), slice(2, 9)))
    z = fastinit.normal(np.empty(10, np.float32), 0.0, 2.0, seed=12, stream="block.weight", full_shape=(6, 10),
                        index=(4,))
    np.testing.assert_array_equal(w[1:4, 2:9], u)
    np.testing.assert_array_equal(w[4], z)
    assert (w[0] == 0).all() and (w[5] == 0).all()


@pytest.mark.parametrize("view", ["step", "transpose", "select", "narrow", "flat", "transposed_base"])
def test_views_fill_at_their_global_positions(view: str) -> None:
    base = torch.empty(5, 8) if view != "transposed_base" else torch.empty(8, 5).t()
    model = nn.Module()
    model.w = nn.Parameter(base)
    whole = fastinit.normal(np.empty((5, 8), np.float32), seed=2, stream="w")
    expected = {"step": (lambda x: x[1::2, ::3]), "transpose": (lambda x: x[1:4].T),
                "select": (lambda x: x[:, 6]), "narrow": (lambda x: x[:, 2:5]), "flat": (lambda x: x.reshape(-1)),
                "transposed_base": (lambda x: x[1:4, ::2])}[view]
    with torch.no_grad(), ft.seeded(model, 2, strict=True):
        target = expected(model.w) if view != "transpose" else model.w[1:4].t()
        target.normal_()
    np.testing.assert_array_equal(expected(model.w.detach().numpy()), expected(whole))


def test_transforms_and_refusals() -> None:
    model = nn.Module()
    model.w = nn.Parameter(torch.empty(64, 64, dtype=torch.float64))
    with torch.no_grad(), ft.seeded(model, 5, strict=True):
        model.w.exponential_(2.0)
    u = fastinit.uniform(np.empty((64, 64)), seed=5, stream="w")
    np.testing.assert_allclose(model.w.detach().numpy(), -np.log1p(-u) / 2.0, rtol=1e-12)
    with torch.no_grad(), ft.seeded(model, 5, strict=True):
        model.w.bernoulli_(0.25)
    np.testing.assert_array_equal(model.w.detach().numpy(), (u < 0.25).astype(np.float64))
    with pytest.raises(ft.UnkeyedDrawError, match="random_"), torch.no_grad(), ft.seeded(model, 5, strict=True):
        model.w.random_(0, 10)
    with torch.no_grad(), ft.seeded(model, 5, strict=True):
        model.w.geometric_(0.3)
    np.testing.assert_array_equal(model.w.detach().numpy(), np.floor(np.log1p(-u) / np.log1p(-0.3)) + 1)
    for p in (0.0, 1.0):  # outside (0, 1): torch's own RuntimeError, nothing written
        with pytest.raises(RuntimeError, match="geometric_ expects p"), torch.no_grad(), ft.seeded(model, 5):
            model.w.geometric_(p)
        np.testing.assert_array_equal(model.w.detach().numpy(), np.floor(np.log1p(-u) / np.log1p(-0.3)) + 1)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        ft.seeded(torch.empty(2), 1)  # type: ignore[arg-type]  # the refusal is the point


def test_bfloat16_and_trunc_normal() -> None:
    model = nn.Module()
    model.w = nn.Parameter(torch.empty(4, 6, dtype=torch.bfloat16))
    with torch.no_grad(), ft.seeded(model, 7, strict=True):
        nn.init.trunc_normal_(model.w[:, 1:5], std=0.5, a=-1.0, b=1.0)
    expect = ft.trunc_normal_(torch.empty(4, 6, dtype=torch.bfloat16), std=0.5, a=-1.0, b=1.0, seed=7, stream="w")
    assert torch.equal(model.w[:, 1:5], expect[:, 1:5])
    assert torch.nn.init._no_grad_trunc_normal_.__module__ == "torch.nn.init"  # restored after the context
