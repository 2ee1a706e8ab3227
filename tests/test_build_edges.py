"""fastinit.torch.build / deferred at the edges of recording: tensors made before the block (used
through views, written inside it), torch.nn.init's replacements shared by threads and nested
builds, a materialize that fails, and torch.nn.init.sparse_.

Expected values come from the same construction run eagerly by plain torch, or from fastinit's
own functions on the streams the keying rule names.
"""

from __future__ import annotations

import threading
import warnings

import pytest
import torch
from torch import nn

import fastinit.torch as ft
from fastinit.torch.record import storage_id

SEED = 3


# ---------------------------------------------------------------- tensors made before recording


def test_a_view_of_an_outside_tensor_is_replayed_as_that_view() -> None:
    """An outside tensor read through a slice or a transpose is replayed through the same view."""
    line, square = torch.arange(8.0), torch.tensor([[1.0, 2.0], [3.0, 4.0]])

    class Views(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.register_buffer("part", line[4:7].clone())
            self.register_buffer("scaled", line[4:8] * 1)
            self.register_buffer("turned", square.t().contiguous())

    built, eager = ft.build(Views, SEED), Views()
    for name in ("part", "scaled", "turned"):
        assert torch.equal(getattr(built, name), getattr(eager, name)), name
    assert built.turned.tolist() == [[1.0, 3.0], [2.0, 4.0]]


def test_a_write_into_an_outside_tensor_is_made_once() -> None:
    """A constructor that rescales a pretrained layer in place leaves it as eager torch does."""
    backbone = nn.Linear(3, 3)
    with torch.no_grad():
        backbone.weight.fill_(1.0)

    class Head(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bb = backbone
            with torch.no_grad():
                self.bb.weight.mul_(0.5)
            self.fc = nn.Linear(3, 2)

    model = ft.build(Head, SEED)
    assert model.bb.weight is backbone.weight
    assert torch.equal(model.bb.weight, torch.full((3, 3), 0.5))


def test_only_written_outside_tensors_keep_a_copy() -> None:
    read, written = torch.ones(3), torch.ones(3)
    with ft.deferred(SEED) as d:
        model = nn.Linear(3, 3)
        _ = read + 1
        written.mul_(2.0)
    recording = d._recorder.recording  # type: ignore[union-attr]
    assert list(recording.before) == [storage_id(written)]
    d.materialize(model)
    assert torch.equal(written, torch.full((3,), 2.0))


# ---------------------------------------------------------------- torch.nn.init's replacements


def _orthogonal(model: nn.Module) -> bool:
    w = model.o.weight
    return torch.allclose(w @ w.T, torch.eye(4), atol=1e-5)


class _Orthogonal(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.o = nn.Linear(4, 4)
        nn.init.orthogonal_(self.o.weight)


def test_another_threads_build_leaves_the_recording_whole() -> None:
    """A build that opens and closes on another thread while a block records does not take
    torch.nn.init's replacements away from it."""
    with ft.deferred(SEED) as d:
        worker = threading.Thread(target=ft.build, args=(lambda: nn.Linear(2, 2), 1))
        worker.start()
        worker.join()
        model = _Orthogonal()
    assert _orthogonal(d.materialize(model))


def test_interleaved_blocks_restore_torchs_functions() -> None:
    """Blocks on two threads that close out of order leave torch.nn.init as it was."""
    before = (nn.init._no_grad_trunc_normal_, nn.init.orthogonal_, nn.init.sparse_, nn.init.dirac_)
    first, entered, release = ft.deferred(SEED), threading.Event(), threading.Event()

    def other() -> None:
        with ft.deferred(SEED + 1):
            entered.set()
            release.wait()

    first.__enter__()
    worker = threading.Thread(target=other)
    worker.start()
    entered.wait()
    first.__exit__(None, None, None)
    release.set()
    worker.join()
    assert (nn.init._no_grad_trunc_normal_, nn.init.orthogonal_, nn.init.sparse_, nn.init.dirac_) == before


def test_a_users_own_replacement_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    def mine(tensor: torch.Tensor, *args: object, **kwargs: object) -> torch.Tensor:
        return tensor
    monkeypatch.setattr(nn.init, "orthogonal_", mine)
    with ft.deferred(SEED):
        pass
    assert nn.init.orthogonal_ is mine


class _Nested(nn.Module):
    def __init__(self, nested: bool) -> None:
        super().__init__()
        self.inner = ft.build(lambda: nn.Linear(2, 2), 1) if nested else nn.Linear(2, 2)
        self.t = nn.Parameter(torch.zeros(7))
        nn.init.trunc_normal_(self.t, std=0.02)
        self.o = nn.Linear(4, 4)
        nn.init.orthogonal_(self.o.weight)


def test_a_nested_build_leaves_the_outer_recording_whole() -> None:
    """A build inside a constructor (a prebuilt sub-model) does not end the outer recording's
    trunc_normal_ and orthogonal_: they are keyed as without the nested build."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nested = ft.build(lambda: _Nested(True), SEED)
    flat = ft.build(lambda: _Nested(False), SEED)
    assert _orthogonal(nested) and torch.equal(nested.o.weight, flat.o.weight)
    assert torch.equal(nested.t, flat.t)
    assert torch.equal(nested.t, ft.trunc_normal_(torch.empty(7), std=0.02, seed=SEED, stream="t"))


# ---------------------------------------------------------------- a materialize that fails


class _Drawn(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Parameter(torch.ones(3))
        self.register_buffer("perm", torch.randperm(6))


def test_a_failed_strict_materialize_leaves_the_model_as_it_was() -> None:
    with ft.deferred(SEED, strict=True) as d:
        model = _Drawn()
    before = {name: t for name, t in model.state_dict(keep_vars=True).items()}
    with pytest.raises(ft.UnkeyedDrawError, match="randperm"):
        d.materialize(model)
    after = model.state_dict(keep_vars=True)
    assert after.keys() == before.keys() and all(after[k] is before[k] for k in before)
    d.strict = False
    with pytest.warns(ft.UnkeyedDrawWarning, match="randperm"):
        d.materialize(model)  # the recording is still there
    assert torch.equal(model.a, torch.ones(3)) and sorted(model.perm.tolist()) == list(range(6))


@pytest.mark.parametrize("device, error", [
    (5, TypeError), ("no-such-device", ValueError), ("cuda:99", ValueError)])
def test_a_bad_device_raises_before_anything_is_built(device: object, error: type[Exception]) -> None:
    built = []

    def make() -> nn.Module:
        built.append(1)
        return nn.Linear(2, 2)

    with pytest.raises(error, match="device"):
        ft.build(make, SEED, device=device)  # type: ignore[arg-type]
    assert built == []
    with ft.deferred(SEED) as d:
        model = nn.Linear(2, 2)
    with pytest.raises(error, match="device"):
        d.materialize(model, device=device)  # type: ignore[arg-type]
    assert all(p.is_meta for p in model.parameters())
    assert d.materialize(model).weight.device.type == "cpu"


# ---------------------------------------------------------------- torch.nn.init.sparse_


class _Sparse(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Linear(8, 6)
        nn.init.sparse_(self.a.weight, 0.5)
        self.b = nn.Linear(5, 4)
        nn.init.sparse_(self.b.weight, sparsity=0.25, std=0.1)


def test_sparse_is_keyed_zeros_included() -> None:
    """torch.nn.init.sparse_ picks its zeros with torch.randperm from torch's generator; the replay
    fills the tensor as fastinit.torch.sparse_ on its stream instead, whatever torch's seed."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        torch.manual_seed(0)
        first = ft.build(_Sparse, SEED)
        torch.manual_seed(1)
        second = ft.build(_Sparse, SEED)
    assert torch.equal(first.a.weight, second.a.weight) and torch.equal(first.b.weight, second.b.weight)
    assert torch.equal(first.a.weight, ft.sparse_(torch.empty(6, 8), 0.5, seed=SEED, stream="a.weight"))
    assert torch.equal(first.b.weight, ft.sparse_(torch.empty(4, 5), 0.25, 0.1, seed=SEED, stream="b.weight"))
    assert (first.a.weight == 0).sum(0).tolist() == [3] * 8
