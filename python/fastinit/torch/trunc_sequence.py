"""The truncated normal written out op by op, recognized by :class:`~.seeding.seeded` as one draw.

Some model zoos (timm's ``trunc_normal_``, and torch's own ``torch.nn.init.trunc_normal_`` body)
draw N(mean, std) truncated to [a, b] by inverse transform sampling, in place, on one tensor ``t``:

1. ``t.uniform_(erf(alpha / sqrt(2)), erf(beta / sqrt(2)))``, i.e. ``2 * Phi(alpha) - 1`` and
   ``2 * Phi(beta) - 1``, with ``alpha = (a - mean) / std``, ``beta = (b - mean) / std`` and Phi
   the standard normal CDF;
2. ``t.erfinv_()``;
3. ``t.mul_(std * sqrt(2))``;
4. ``t.add_(mean)``;
5. ``t.clamp_(min=a, max=b)``.

Each op runs as it comes (step 1 is any keyed ``uniform_``: fastinit's uniform values). When step 5
completes the sequence on the same tensor object, with Python numbers whose ``(mean, std, a, b)``
give step 1's bounds, the tensor's values are replaced by fastinit's truncated normal
``(mean, std, a, b)`` at the same positions: what ``torch.nn.init.trunc_normal_(t, mean, std, a,
b)`` gives inside the context. Anything else ends the sequence and leaves each op's own result:
another op on the tensor's memory in between (a read included), an op on another view of it,
other arguments, or bounds that disagree with step 1's.

:func:`written_out` recognizes the same sequence ahead of time, in a list of ops not yet run (the
replay of a recorded construction, :mod:`.replay`, then draws the truncated normal at step 1 and
skips steps 2 to 5).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, NamedTuple

from ..presets.truncation import torch_trunc_bounds
from .checks import Tensor
from .draws import Target

__all__ = ["TruncDraw", "TruncParams", "Sequences", "written_out"]

#: The op each step after the first must be, by step number.
_STEPS = {2: "erfinv_", 3: "mul_", 4: "add_", 5: "clamp_"}


class TruncParams(NamedTuple):
    """The ``(mean, std, a, b)`` of a recognized sequence, as ``torch.nn.init.trunc_normal_`` takes them."""

    mean: float
    std: float
    a: float
    b: float


class TruncDraw(NamedTuple):
    """A recognized sequence: the truncated normal to draw into ``target`` (the view of ``tensor``)."""

    tensor: Tensor
    target: Target
    mean: float
    std: float
    a: float
    b: float


class _Pending(NamedTuple):
    """A sequence under way on ``tensor`` (the object every step must be called on): step 1's
    bounds, the factor of step 3, the term of step 4."""

    tensor: Any
    low: float
    high: float
    step: int = 2  # the step expected next
    scale: float = 1.0
    shift: float = 0.0


def _real(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _std(scale: float) -> float:
    """The ``std`` whose ``std * sqrt(2)`` is ``scale`` (exactly, where a neighbouring float does)."""
    root2 = math.sqrt(2.0)
    guess = scale / root2
    for c in (guess, math.nextafter(guess, math.inf), math.nextafter(guess, -math.inf)):
        if c * root2 == scale:
            return c
    return guess


def _clamp_bounds(rest: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[float, float] | None:
    """``(min, max)`` of a ``clamp_`` call, when both are real numbers and nothing else is passed."""
    if len(rest) > 2 or set(kwargs) - {"min", "max"}:
        return None
    values = dict(zip(("min", "max"), rest))
    if set(values) & set(kwargs):
        return None
    values.update(kwargs)
    lo, hi = values.get("min"), values.get("max")
    if not (_real(lo) and _real(hi)):
        return None
    return float(lo), float(hi)  # type: ignore[arg-type]  # ints or floats: checked above


def _recognized(p: _Pending, a: float, b: float) -> TruncParams | None:
    """The parameters of a completed sequence, or None when its numbers do not fit together."""
    try:
        mean, std, alpha, beta = torch_trunc_bounds(p.shift, _std(p.scale), a, b)
    except (TypeError, ValueError):
        return None
    for bound, z in ((p.low, alpha), (p.high, beta)):
        if not math.isclose(bound, math.erf(z / math.sqrt(2.0)), rel_tol=1e-9, abs_tol=1e-12):
            return None
    return TruncParams(mean, std, a, b)


def _start(tensor: Any, params: Sequence[Any]) -> _Pending | None:
    """The sequence ``tensor.uniform_(*params)`` may start (None: its bounds are not two real numbers)."""
    if len(params) == 2 and all(_real(v) for v in params):
        return _Pending(tensor, float(params[0]), float(params[1]))
    return None


def _advance(p: _Pending, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> _Pending | TruncParams | None:
    """The sequence after the op ``func(*args, **kwargs)`` on its tensor's memory (None: ended)."""
    if getattr(func, "__name__", "") != _STEPS[p.step] or not args or args[0] is not p.tensor:
        return None
    rest = args[1:]
    if p.step == 2:
        return p._replace(step=3) if not rest and not kwargs else None
    if p.step in (3, 4):
        if kwargs or len(rest) != 1 or not _real(rest[0]):
            return None
        if p.step == 3:
            return p._replace(step=4, scale=float(rest[0]))
        return p._replace(step=5, shift=float(rest[0]))
    bounds = _clamp_bounds(rest, kwargs)
    return None if bounds is None else _recognized(p, *bounds)


def written_out(tensor: Any, params: Sequence[Any],
                steps: Iterable[tuple[Any, tuple[Any, ...], dict[str, Any]]]) -> TruncParams | None:
    """The truncated normal that ``tensor.uniform_(*params)`` followed by exactly the ops ``steps``
    (each ``(func, args, kwargs)``: steps 2 to 5, called on the object ``tensor``) writes, when
    :class:`Sequences` would recognize them as one sequence; None when it would not."""
    p: _Pending | TruncParams | None = _start(tensor, params)
    for func, args, kwargs in steps:
        if not isinstance(p, _Pending):
            return None
        p = _advance(p, func, args, kwargs)
    return p if isinstance(p, TruncParams) else None


class Sequences:
    """The sequences under way in one context, by the storage address of their tensor's memory."""

    def __init__(self) -> None:
        self._pending: dict[int, tuple[_Pending, Target]] = {}

    def start(self, key: int | None, tensor: Tensor, target: Target, params: list[Any]) -> None:
        """A keyed ``tensor.uniform_(*params)`` into ``target`` (memory ``key``) ran: step 1, maybe."""
        pending = _start(tensor, params)
        if key is not None and pending is not None:
            self._pending[key] = (pending, target)

    def follow(self, func: Any, args: tuple[Any, ...], kwargs: dict[str, Any], keys: list[int]) -> TruncDraw | None:
        """Before the op ``func(*args, **kwargs)`` on the memory ``keys`` runs: the sequences there go
        on or end; the draw to make once the op has run, when it completes one."""
        done = None
        for key in dict.fromkeys(keys):
            entry = self._pending.pop(key, None)
            if entry is None:
                continue
            pending, target = entry
            nxt = _advance(pending, func, args, kwargs)
            if isinstance(nxt, _Pending):
                self._pending[key] = (nxt, target)
            elif nxt is not None:
                done = TruncDraw(pending.tensor, target, *nxt)
        return done
