"""fastinit.torch.build's keying rule and its edges: the draw's position for a tensor's elements
(first draw on the tensor's name, a later live one on ``name#k``), draws overwritten before use not
replayed, temporaries keyed by the one parameter their values go into and reported otherwise,
constructors that read tensor values, and bad input.

Expected values come from fastinit's NumPy functions on the streams the rule names, computed
without the replay.
"""

from __future__ import annotations

import doctest
import sys
import threading
import warnings
from typing import Callable

import numpy as np
import pytest
import torch
from torch import nn

import fastinit
import fastinit.torch as ft

SEED = 9
SHAPE = (4, 6)


def _one(body: Callable[[torch.Tensor], None], shape: tuple[int, ...] = SHAPE) -> Callable[[], nn.Module]:
    """A factory of a module with one parameter ``w`` that ``body`` initializes in the constructor."""
    class One(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.empty(shape))
            with torch.no_grad():
                body(self.w)
    return One


def _built(body: Callable[[torch.Tensor], None], **kwargs: object) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = ft.build(_one(body), SEED, **kwargs)  # type: ignore[arg-type]
    return model.w.detach().numpy()


def _normal(stream: str) -> np.ndarray:
    return fastinit.normal(SHAPE, seed=SEED, stream=stream)


def _uniform(stream: str, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    return fastinit.uniform(SHAPE, low, high, seed=SEED, stream=stream)


# ---------------------------------------------------------------- draw positions


@pytest.mark.parametrize("build_on", ["meta", "cpu"])
def test_a_second_live_draw_into_a_tensor_is_keyed_as_draw_one(build_on: str) -> None:
    got = _built(lambda w: w.normal_().add_(torch.randn_like(w)), build_on=build_on)
    expected = (torch.from_numpy(_normal("w")) + torch.from_numpy(_normal("w#1"))).numpy()
    np.testing.assert_array_equal(got, expected)
    assert not np.array_equal(_normal("w"), _normal("w#1"))


def test_a_later_draw_into_part_of_a_tensor_counts_for_that_part() -> None:
    def body(w: torch.Tensor) -> None:
        w.normal_()
        w[1].uniform_()  # row 1: its second draw; the other rows keep the first
        w[:, 0].uniform_()  # column 0: one draw, after the most any of its elements had (row 1's two)
    got = _built(body)
    expected = _normal("w").copy()
    expected[1] = _uniform("w#1")[1]
    expected[:, 0] = _uniform("w#2")[:, 0]
    np.testing.assert_array_equal(got, expected)


def test_draws_into_disjoint_parts_are_all_first_draws() -> None:
    def body(w: torch.Tensor) -> None:
        for i in range(SHAPE[0]):
            w[i].normal_()
    np.testing.assert_array_equal(_built(body), _normal("w"))


def test_elements_no_op_writes_are_zeros_not_old_memory() -> None:
    got = _built(lambda w: w[0].normal_())
    expected = np.zeros(SHAPE, np.float32)
    expected[0] = _normal("w")[0]
    np.testing.assert_array_equal(got, expected)


def test_a_draw_overwritten_before_use_is_not_replayed() -> None:
    def body(w: torch.Tensor) -> None:
        w.uniform_(-1, 1)
        w.mul_(3)  # read, but then overwritten whole: dead as well
        nn.init.normal_(w, std=2.0)
    np.testing.assert_array_equal(_built(body), fastinit.normal(SHAPE, std=2.0, seed=SEED, stream="w"))


def test_a_draw_that_is_read_stays_and_the_next_one_is_draw_one() -> None:
    class Two(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.empty(SHAPE))
            self.v = nn.Parameter(torch.empty(SHAPE))
            with torch.no_grad():
                self.w.uniform_()
                self.v.copy_(self.w * 2)  # reads w's first draw
                self.w.normal_()
    model = ft.build(Two, SEED)
    np.testing.assert_array_equal(model.w.detach().numpy(), _normal("w#1"))
    np.testing.assert_array_equal(model.v.detach().numpy(), (torch.from_numpy(_uniform("w")) * 2).numpy())


@pytest.mark.parametrize("factory", [torch.rand, torch.randn])
def test_a_random_factory_copied_in_is_keyed_by_its_parameter(factory: Callable[..., torch.Tensor]) -> None:
    got = _built(lambda w: w.copy_(factory(SHAPE)))
    np.testing.assert_array_equal(got, _uniform("w") if factory is torch.rand else _normal("w"))


# ---------------------------------------------------------------- what cannot be keyed is reported


class Shared(nn.Module):
    """One draw whose values go into two parameters: no single name to key it by."""

    def __init__(self) -> None:
        super().__init__()
        t = torch.randn(8)
        self.a = nn.Parameter(t.clone())
        self.b = nn.Parameter(t * 2)


def test_a_draw_into_two_parameters_is_reported() -> None:
    with ft.deferred(SEED) as d:
        model = Shared()
    with pytest.warns(ft.UnkeyedDrawWarning, match="torch.randn"):
        d.materialize(model)
    assert len(d.reports) == 1
    assert torch.equal(model.b, model.a * 2)  # the replay still computes what the code computes


def test_strict_raises_on_a_draw_that_cannot_be_keyed() -> None:
    with pytest.raises(ft.UnkeyedDrawError, match="torch.randn"):
        ft.build(Shared, SEED, strict=True)


_CAPTURED_ORTHOGONAL = nn.init.orthogonal_  # a reference taken before recording: torch's meta shortcut stays


@pytest.mark.parametrize("body", [lambda w: None, _CAPTURED_ORTHOGONAL], ids=["never-written", "captured-orthogonal"])
def test_a_tensor_given_no_values_is_zeros_and_warned(body: Callable[[torch.Tensor], None]) -> None:
    with ft.deferred(SEED) as d:
        model = _one(body)()
    with pytest.warns(UserWarning, match=r"fastinit.torch.build: w got memory but no values"):
        d.materialize(model)
    assert not model.w.any() and len(d.reports) == 1
    if body is _CAPTURED_ORTHOGONAL:  # on the CPU torch's orthogonal_ runs, op by op, and is replayed
        assert ft.build(_one(body), SEED, build_on="cpu").w.any()


# ---------------------------------------------------------------- constructors that read or place tensors


class Reads(nn.Module):
    """Reads a value while building (timm's drop-path rates), and makes a buffer on a parameter's device."""

    def __init__(self) -> None:
        super().__init__()
        self.rate = float(torch.linspace(0, 0.5, 3)[1])
        self.w = nn.Parameter(torch.empty(SHAPE))
        self.register_buffer("index", torch.arange(5, device=self.w.device))
        nn.init.uniform_(self.w)


def test_a_constructor_reading_values_builds_on_meta_and_on_cpu() -> None:
    """A value computed from constants is read on the meta device too (computed on the CPU)."""
    for build_on in ("meta", "cpu"):
        model = ft.build(Reads, SEED, build_on=build_on)
        assert model.rate == 0.25 and model.index.tolist() == [0, 1, 2, 3, 4]
        np.testing.assert_array_equal(model.w.detach().numpy(), _uniform("w"))


def test_a_legacy_constructor_tensor_is_keyed_too() -> None:
    """``torch.Tensor(rows, cols)`` makes CPU memory torch function modes do not see: it is kept, and the
    init ops on it are replayed under the same keys."""
    class Old(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = nn.Parameter(torch.Tensor(*SHAPE))
            nn.init.uniform_(self.w, -0.5, 0.5)

    model = ft.build(Old, SEED)
    assert model.w.device.type == "cpu"
    np.testing.assert_array_equal(model.w.detach().numpy(), _uniform("w", -0.5, 0.5))


def test_a_meta_device_argument_is_replayed_on_the_cpu() -> None:
    factory = _one(lambda w: w.copy_(torch.ones(SHAPE, device=w.device) * 3))
    model = ft.build(factory, SEED)
    assert model.w.device.type == "cpu" and bool((model.w == 3).all())


def test_tensors_without_a_storage_are_not_recorded() -> None:
    """A sparse tensor made while building (no storage to name) is left out; the rest replays."""
    def body(w: torch.Tensor) -> None:
        cpu = torch.device("cpu")
        indices, values = torch.tensor([[0, 1], [1, 0]], device=cpu), torch.ones(2, device=cpu)
        sparse = torch.sparse_coo_tensor(indices, values, (2, 2), device=cpu, check_invariants=True)
        assert sparse.layout == torch.sparse_coo
        w.normal_()
    np.testing.assert_array_equal(_built(body), _normal("w"))


def test_transformers_init_built_on_the_cpu_equals_init_module() -> None:
    """transformers' init wrappers are writes that read nothing (an earlier draw they replace is not
    replayed), so the first live draw into each tensor is keyed as init_module keys it."""
    transformers = pytest.importorskip("transformers")
    config = transformers.GPT2Config(n_layer=2, n_embd=32, n_head=4, vocab_size=100, n_positions=16,
                                     bos_token_id=0, eos_token_id=0)
    built = ft.build(lambda: transformers.GPT2LMHeadModel(config), SEED, build_on="cpu")
    with torch.device("meta"):
        model = transformers.GPT2LMHeadModel(config)
    ft.init_module(model, SEED)
    a, b = built.state_dict(), model.state_dict()
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
    assert built.lm_head.weight is built.transformer.wte.weight


# ---------------------------------------------------------------- bad input, before anything is built


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="fn must be a callable"):
        ft.build(42, SEED)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="must return a torch.nn.Module"):
        ft.build(lambda: 3, SEED)  # type: ignore[arg-type, return-value]
    with pytest.raises(ValueError, match="seed"):
        ft.build(nn.Identity, -1)
    with pytest.raises(TypeError, match="strict"):
        ft.deferred(SEED, strict="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="device"):
        ft.deferred(SEED, device=3)  # type: ignore[arg-type]


def test_materialize_once_after_the_block() -> None:
    with ft.deferred(SEED) as d:
        model = nn.Linear(3, 2)
        with pytest.raises(RuntimeError, match="after the `with deferred"):
            d.materialize(model)
    with pytest.raises(TypeError, match="torch.nn.Module"):
        d.materialize("model")  # type: ignore[arg-type]
    d.materialize(model)
    with pytest.raises(RuntimeError, match="once"):
        d.materialize(model)


def test_a_meta_model_made_outside_the_block_raises() -> None:
    with torch.device("meta"):
        outside = nn.Linear(3, 2)
    with ft.deferred(SEED) as d:
        inside = nn.Linear(3, 2)
    model = nn.Sequential(inside, outside)
    with pytest.raises(ValueError, match="made outside the recorded block"):
        d.materialize(model)
    assert all(p.is_meta for p in model.parameters())  # nothing was swapped


def test_nn_init_is_restored_after_recording() -> None:
    before = (torch.nn.init.orthogonal_, torch.nn.init._no_grad_trunc_normal_)
    with pytest.raises(ZeroDivisionError):
        with ft.deferred(SEED):
            _ = 1 / 0
    assert (torch.nn.init.orthogonal_, torch.nn.init._no_grad_trunc_normal_) == before


def test_another_threads_init_calls_are_not_recorded() -> None:
    """torch.nn.init's functions are replaced module-wide while recording; another thread's calls run
    torch's own, unrecorded (function modes are per thread, and so is the recording)."""
    elsewhere = torch.empty(6, 4)
    with ft.deferred(SEED) as d:
        worker = threading.Thread(target=nn.init.orthogonal_, args=(elsewhere,))
        worker.start()
        worker.join()
        model = _one(lambda w: w.normal_())()
    gram = elsewhere.T @ elsewhere
    assert torch.allclose(gram, torch.eye(4), atol=1e-5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d.materialize(model)
    np.testing.assert_array_equal(model.w.detach().numpy(), _normal("w"))


def test_docstring_examples() -> None:
    module = sys.modules["fastinit.torch.build"]
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 5 and result.failed == 0
