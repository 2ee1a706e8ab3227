"""Which recorded ops matter to a model's final tensors, and into which final tensor a fresh tensor's values go.

Given a :class:`~.record.Recording` and the storages of the model's final parameters and buffers,
:func:`analyse` walks the ops backwards:

- an op is **dead** when everything it writes is overwritten before anything reads it (a
  ``nn.Linear``'s ``kaiming_uniform_`` that the model's own ``trunc_normal_`` replaces), or is
  never read at all (a scratch tensor nobody uses); dead ops are not replayed, so they take no
  draw position (:mod:`.draw_counts`) and cost nothing;
- a storage that is not a final tensor's (a temporary: ``torch.rand(...)`` later copied in, the QR
  input of ``torch.nn.init.orthogonal_``) gets the final storages its values flow into through
  the live ops after it; one of them: its draws are keyed by that tensor (:mod:`.replay`).

A write **covers** its storage when the written tensor is every element of it; only such writes by
ops that draw or set values without reading the tensor (``normal_``, ``fill_``, ``copy_`` from
another tensor, ``torch.nn.init``'s functions ...) end the life of what was there before.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import torch  # absolute import: the real PyTorch

from .record import TRUNC, Op, Recording, Ref, tensor_leaves

__all__ = ["Flow", "analyse", "destination_of", "is_pure", "PURE_WRITES", "EMPTY"]


_PURE_METHODS = ("normal_", "uniform_", "fill_", "zero_", "copy_", "log_normal_", "exponential_", "cauchy_",
                 "geometric_", "bernoulli_", "random_")
_PURE_INITS = frozenset({"normal_", "uniform_", "constant_", "kaiming_uniform_", "kaiming_normal_", "ones_",
                         "zeros_", "xavier_uniform_", "xavier_normal_", "trunc_normal_", "orthogonal_", "dirac_",
                         "eye_", "sparse_"})
#: Modules whose init functions of those names write their tensor without reading it (transformers
#: wraps torch's, leaving a tensor it loaded alone: then the op writes nothing and is no pure write).
_INIT_MODULES = ("torch.nn.init", "transformers.initialization")


def _pure_writes() -> frozenset[Any]:
    """Tensor methods whose first argument is written without being read (its old values do not matter)."""
    return frozenset([getattr(torch._C.TensorBase, n) for n in _PURE_METHODS] + [TRUNC])


#: See :func:`_pure_writes`; and the init functions of :func:`is_pure`.
PURE_WRITES = _pure_writes()

#: Calls that make a tensor without values (its memory is whatever was there).
EMPTY = frozenset({torch.empty, torch.empty_like, torch.empty_strided, torch._C.TensorBase.new_empty,
                   torch._C.TensorBase.new_empty_strided})


def is_pure(func: Any) -> bool:
    """Whether ``func`` writes its tensor without reading it."""
    if func in PURE_WRITES:
        return True
    return getattr(func, "__name__", None) in _PURE_INITS and getattr(func, "__module__", None) in _INIT_MODULES


@dataclass
class Flow:
    """What :func:`analyse` found: the indices of the dead ops, each temporary storage's final
    destinations, the index of the last live op using each storage, and the storages a live op
    gives values (not only memory, as ``torch.empty`` does), every element of them for ``covered``."""

    dead: set[int] = field(default_factory=set)
    into: dict[int, set[int]] = field(default_factory=dict)
    last_use: dict[int, int] = field(default_factory=dict)
    valued: set[int] = field(default_factory=set)
    covered: set[int] = field(default_factory=set)  # storages a live op writes every element of


def _dense(ref: Ref) -> bool:
    """Whether the elements of ``ref`` are distinct and leave no gap (any order of the axes)."""
    step = 1
    for size, stride in sorted(zip(ref.shape, ref.stride), key=lambda x: x[1]):
        if size == 1:
            continue
        if stride != step:
            return False
        step *= size
    return True


def _destination(op: Op) -> Ref | None:
    """The tensor a pure write of ``op`` writes (torch.nn.init's functions pass it as ``tensor=``)."""
    if not is_pure(op.func):
        return None
    dest = op.args[0] if op.args else op.kwargs.get("tensor")
    return dest if isinstance(dest, Ref) and dest.key in op.mutated else None  # a skipped write writes nothing


def _others(op: Op, dest: Ref) -> set[int]:
    """The storages of ``op``'s tensor arguments other than ``dest``."""
    rest = [v for v in (*op.args, *op.kwargs.values()) if v is not dest]
    return {r.key for r in tensor_leaves(rest)}


def _covering(op: Op, rec: Recording) -> int | None:
    """The storage a pure write of ``op`` covers completely, or None."""
    dest = _destination(op)
    if dest is None or dest.key in _others(op, dest):
        return None
    numel = 1
    for n in dest.shape:
        numel *= n
    if dest.dtype != rec.dtypes[dest.key] or numel != rec.numel(dest.key):
        return None
    return dest.key if _dense(dest) else None


def _reads(op: Op) -> set[int]:
    """The storages ``op`` reads: its tensor arguments, less the destination of a pure write."""
    dest = _destination(op)
    if dest is None:
        return {r.key for r in tensor_leaves((op.args, op.kwargs))}
    return _others(op, dest)


def analyse(rec: Recording, finals: set[int]) -> Flow:
    """The dead ops, temporaries' destinations and last uses (see the module docstring); ``finals``:
    the storages of the model's final tensors."""
    flow = Flow()
    live = set(finals) | set(rec.external)
    into: dict[int, set[int]] = {k: {k} for k in finals}
    for i in range(len(rec.ops) - 1, -1, -1):
        op = rec.ops[i]
        writes = op.mutated | op.new
        if not writes & live:
            flow.dead.add(i)
            continue
        covered = _covering(op, rec)
        reads = _reads(op)
        if op.func not in EMPTY:
            flow.valued |= writes
            flow.covered |= op.new | ({covered} if covered is not None else set())
        goes = set().union(*(into.get(w, set()) for w in writes))
        for key in reads | writes:
            flow.last_use.setdefault(key, i)
        live -= op.new
        if covered is not None:
            live.discard(covered)
        live |= reads
        for key in reads - finals:
            into.setdefault(key, set()).update(goes)
    flow.into = {k: v for k, v in into.items() if k not in finals}
    return flow


def destination_of(flow: Flow, key: int) -> int | None:
    """The one final storage a temporary's values go into, or None (none, or several)."""
    dest = flow.into.get(key, set())
    return next(iter(dest)) if len(dest) == 1 else None
