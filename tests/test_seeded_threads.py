"""fastinit.torch.seeded and draws it does not see: other threads' draws, nested contexts.

torch function modes are per thread, so a draw a worker thread makes into a model tensor does not
reach the context opened by the main thread; it must be reported (UnkeyedDrawWarning, or
UnkeyedDrawError under strict=True), never taken silently. Threads are joined; each step waits on
an event, not on time.
"""

from __future__ import annotations

import threading
import warnings
from typing import Callable

import numpy as np
import pytest
import torch
from torch import nn

import fastinit
import fastinit.torch as ft


def _model() -> nn.Module:
    model = nn.Module()
    model.a = nn.Parameter(torch.zeros(8, 4))
    model.b = nn.Parameter(torch.zeros(8, 4))
    return model


def _in_thread(work: Callable[[], None]) -> None:
    """Run ``work`` in a worker thread and wait for it to finish."""
    done = threading.Event()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with torch.no_grad():
                work()
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=run)
    worker.start()
    assert done.wait(timeout=60)
    worker.join()
    if errors:
        raise errors[0]


def _unseen(records: list[warnings.WarningMessage]) -> list[str]:
    return [str(r.message) for r in records if issubclass(r.category, ft.UnkeyedDrawWarning)]


@pytest.mark.parametrize("draw", ["normal_", "trunc_normal_"])
def test_worker_thread_draw_is_reported_on_leaving(draw: str) -> None:
    model = _model()
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        with torch.no_grad(), ft.seeded(model, 1) as ctx:
            model.a.normal_()  # keyed, in this thread
            if draw == "normal_":  # torch's values: not seen by the mode
                _in_thread(lambda: model.b.normal_())
            else:  # torch's trunc_normal_ helper is replaced for all threads, but keys this thread's calls only
                _in_thread(lambda: nn.init.trunc_normal_(model.b))
    messages = _unseen(records)
    assert len(messages) == 1 and messages[0].startswith("fastinit.torch.seeded: b was written by an op")
    assert "another thread" in messages[0] and ctx.reports == messages
    assert records[0].filename == __file__  # the warning names the user's line, not fastinit's
    expect = fastinit.normal(np.empty((8, 4), np.float32), seed=1, stream="a")
    np.testing.assert_array_equal(model.a.detach().numpy(), expect)


def test_worker_thread_draw_is_reported_at_the_next_op_on_the_tensor() -> None:
    model = _model()
    with pytest.raises(ft.UnkeyedDrawError, match="^fastinit.torch.seeded: a was written"):
        with torch.no_grad(), ft.seeded(model, 1, strict=True):
            _in_thread(lambda: model.a.uniform_())
            model.a[0].normal_()  # before this draw: the worker's write is found


def test_strict_raises_on_leaving() -> None:
    model = _model()
    with pytest.raises(ft.UnkeyedDrawError, match="b was written"), torch.no_grad(), \
            ft.seeded(model, 1, strict=True):
        _in_thread(lambda: model.b.bernoulli_(0.5))


def test_a_context_in_the_worker_keys_its_draws_and_nothing_is_reported() -> None:
    model = _model()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with torch.no_grad(), ft.seeded(model, 4, strict=True):
            model.a.normal_()

            def work() -> None:
                with ft.seeded(model, 4, strict=True):
                    model.b.uniform_(-1, 1)

            _in_thread(work)
            model.b.mul_(2.0)  # an op on b after the worker's write: nothing to report either
    expect = fastinit.uniform(np.empty((8, 4), np.float32), -1, 1, seed=4, stream="b") * 2
    np.testing.assert_array_equal(model.b.detach().numpy(), expect)


def test_nested_contexts_do_not_report_what_the_other_keys() -> None:
    outer_model, inner_model = _model(), nn.Linear(4, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any report fails the test
        with torch.no_grad(), ft.seeded(outer_model, 5, strict=True) as outer:
            with ft.seeded(inner_model, 6, strict=True) as inner:
                outer_model.a.normal_()  # the inner context does not key it: the outer does
                nn.init.trunc_normal_(outer_model.b, std=0.02)
                inner_model.weight.normal_()
            outer_model.a.add_(1.0)
        with torch.no_grad(), ft.seeded(outer_model, 5, strict=True), ft.seeded(outer_model, 6):
            outer_model.b.uniform_()  # the inner context keys b (seed 6): the outer does not report it
    assert outer.written == {"a", "b"} and inner.written == {"weight"}
    a = fastinit.normal(np.empty((8, 4), np.float32), seed=5, stream="a") + 1
    np.testing.assert_array_equal(outer_model.a.detach().numpy(), a)
    b = fastinit.uniform(np.empty((8, 4), np.float32), seed=6, stream="b")
    np.testing.assert_array_equal(outer_model.b.detach().numpy(), b)
