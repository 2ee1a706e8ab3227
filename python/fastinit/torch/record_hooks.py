"""``torch.nn.init``'s replacements while constructions are recorded, shared by all open recorders.

A :class:`~.record.Recorder` records ``torch.nn.init.trunc_normal_`` (through its private helper
``_no_grad_trunc_normal_``) and ``orthogonal_``/``dirac_``/``sparse_`` by replacing them in
``torch.nn.init``, a module every thread shares. The replacements are installed when the first
recorder opens (on any thread) and the functions found then are put back when the last one closes,
all under one lock, so another thread's or a nested build cannot take them away from a recorder
still open, and a replacement of the user's own is kept. A call goes to the innermost recorder
open on the calling thread; a thread without one gets the function that was there before.
"""

from __future__ import annotations

import threading
from typing import Any, Callable, Protocol

import torch  # absolute import: the real PyTorch

__all__ = ["TRUNC_NAME", "WHOLE_NAMES", "open_recorder", "close_recorder"]

#: The private helper of ``torch.nn.init.trunc_normal_`` (torch does not dispatch it; it draws into fresh tensors).
TRUNC_NAME = "_no_grad_trunc_normal_"
#: ``torch.nn.init`` functions torch neither dispatches nor runs on meta tensors, recorded as one op each.
WHOLE_NAMES = ("orthogonal_", "dirac_", "sparse_")


class _Recorder(Protocol):
    """What this module uses of a :class:`~.record.Recorder`."""

    def trunc_normal(self, original: Callable[..., Any], tensor: Any, mean: float, std: float, a: float, b: float,
                     generator: torch.Generator | None) -> Any: ...

    def whole_init(self, name: str, original: Callable[..., Any], tensor: Any, *args: Any, **kwargs: Any) -> Any: ...


_LOCAL = threading.local()
_LOCK = threading.Lock()
_open = 0  # the recorders open on all threads
_before: dict[str, Callable[..., Any]] = {}  # name -> what torch.nn.init held when the hooks were installed


def _stack() -> list[_Recorder]:
    """This thread's open recorders, innermost last."""
    stack: list[_Recorder] = getattr(_LOCAL, "stack", [])
    return stack


def _trunc_hook(tensor: Any, mean: float, std: float, a: float, b: float,
                generator: torch.Generator | None = None) -> Any:
    stack, original = _stack(), _before[TRUNC_NAME]
    if not stack:
        return original(tensor, mean, std, a, b, generator=generator)
    return stack[-1].trunc_normal(original, tensor, mean, std, a, b, generator)


def _whole_hook(name: str) -> Callable[..., Any]:
    def hook(tensor: Any, *args: Any, **kwargs: Any) -> Any:
        stack, original = _stack(), _before[name]
        if not stack:
            return original(tensor, *args, **kwargs)
        return stack[-1].whole_init(name, original, tensor, *args, **kwargs)
    hook.__name__ = hook.__qualname__ = name
    return hook


_HOOKS: dict[str, Callable[..., Any]] = {TRUNC_NAME: _trunc_hook, **{n: _whole_hook(n) for n in WHOLE_NAMES}}


def open_recorder(recorder: _Recorder) -> None:
    """Make ``recorder`` this thread's innermost; the first open recorder installs the hooks."""
    global _open
    with _LOCK:
        if _open == 0:
            for name, hook in _HOOKS.items():
                current = getattr(torch.nn.init, name)
                if current is not hook:  # (a hook put back by someone else's restore keeps its original)
                    _before[name] = current
                setattr(torch.nn.init, name, hook)
        _open += 1
    _LOCAL.stack = _stack() + [recorder]


def close_recorder(recorder: _Recorder) -> None:
    """Drop ``recorder`` from this thread's; the last open recorder puts back what the hooks replaced
    (a hook that someone replaced meanwhile is left as they set it)."""
    global _open
    _LOCAL.stack = [r for r in _stack() if r is not recorder]
    with _LOCK:
        _open -= 1
        if _open == 0:
            for name, hook in _HOOKS.items():
                if getattr(torch.nn.init, name) is hook:
                    setattr(torch.nn.init, name, _before[name])
