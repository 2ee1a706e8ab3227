"""fastinit.torch.build / deferred at the edges of recording: tensors made before the block (used
through views, written inside it), torch.nn.init's replacements shared by threads and nested
builds, a materialize that fails, and torch.nn.init.sparse_.

Expected values come from the same construction run eagerly by plain torch, or from fastinit's
own functions on the streams the keying rule names.
"""

from __future__ import annotations

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
