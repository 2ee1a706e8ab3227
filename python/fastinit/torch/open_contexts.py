"""The open :class:`~.seeding.seeded` contexts: each thread's, innermost last, and all threads' together.

A thread's contexts nest: a call reaches the innermost one's mode first, and :func:`owner` finds the
context that keys a tensor (the inner one lets a draw into a tensor that only an enclosing one keys
go on to that one's mode, unreported). All threads' open contexts follow each other's writes
(:func:`mark_seen`), so a write one of them keys is no unseen write for another (see
:mod:`.unseen_writes`). While any context is open, ``torch.nn.init._no_grad_trunc_normal_`` (the
body of ``torch.nn.init.trunc_normal_``, which draws into fresh tensors) is replaced by a hook that
hands the call to the owner on the calling thread.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Protocol

import torch  # absolute import: the real PyTorch

from .checks import Tensor
from .unseen_writes import Versions

__all__ = ["ORIGINAL_TRUNC", "push", "pop", "owner", "mark_seen"]


class _Context(Protocol):
    """What this module uses of a :class:`~.seeding.seeded` context."""

    _versions: Versions

    def _locate(self, t: Any) -> Any: ...

    def _trunc_normal(self, tensor: Tensor, mean: float, std: float, a: float, b: float,
                      generator: torch.Generator | None) -> Tensor: ...


_LOCAL = threading.local()
_LOCK = threading.Lock()
_OPEN: list[_Context] = []  # the open contexts of all threads
#: torch's own ``_no_grad_trunc_normal_``.
ORIGINAL_TRUNC: Callable[..., Tensor] = torch.nn.init._no_grad_trunc_normal_
#: What ``torch.nn.init`` held when the hook was installed (torch's, or a recorder's replacement:
#: :mod:`.record_hooks`), called for tensors no context keys and put back when the last context closes.
_replaced: list[Callable[..., Tensor]] = [ORIGINAL_TRUNC]


def _stack() -> list[_Context]:
    """This thread's open contexts, innermost last."""
    stack: list[_Context] = getattr(_LOCAL, "stack", [])
    return stack


def owner(t: Any, below: _Context | None = None) -> _Context | None:
    """The innermost of this thread's open contexts (opened before ``below``, if given) that keys
    ``t``; without ``below``, the innermost context when none keys it (None: none is open)."""
    stack = _stack()
    if below is not None:
        stack = stack[:stack.index(below)] if below in stack else []
    for ctx in reversed(stack):
        if ctx._locate(t) is not None:
            return ctx
    return stack[-1] if stack and below is None else None


def mark_seen(keys: list[int]) -> None:
    """An open context saw an op on these storages: what it wrote is no unseen write for any context."""
    if keys:
        with _LOCK:
            contexts = list(_OPEN)
        for ctx in contexts:
            ctx._versions.mark(keys)


def _trunc_normal_hook(tensor: Tensor, mean: float, std: float, a: float, b: float,
                       generator: torch.Generator | None = None) -> Tensor:
    """``torch.nn.init._no_grad_trunc_normal_`` while a context is open (on any thread)."""
    ctx = owner(tensor) if isinstance(tensor, torch.Tensor) and not tensor.is_meta else None
    if ctx is None:
        return _replaced[0](tensor, mean, std, a, b, generator=generator)
    return ctx._trunc_normal(tensor, mean, std, a, b, generator)


def push(ctx: _Context) -> None:
    """Make ``ctx`` this thread's innermost context; the first open context installs the hook."""
    with _LOCK:
        if not _OPEN:
            if torch.nn.init._no_grad_trunc_normal_ is not _trunc_normal_hook:
                _replaced[0] = torch.nn.init._no_grad_trunc_normal_
            torch.nn.init._no_grad_trunc_normal_ = _trunc_normal_hook
        _OPEN.append(ctx)
    _LOCAL.stack = _stack() + [ctx]


def pop(ctx: _Context) -> None:
    """Drop ``ctx`` from this thread's contexts; the last open context puts back what the hook replaced
    (unless someone replaced the hook meanwhile)."""
    _LOCAL.stack = [c for c in _stack() if c is not ctx]
    with _LOCK:
        _OPEN.remove(ctx)
        if not _OPEN and torch.nn.init._no_grad_trunc_normal_ is _trunc_normal_hook:
            torch.nn.init._no_grad_trunc_normal_ = _replaced[0]
