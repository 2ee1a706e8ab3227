"""Values a construction reads while it is recorded on the meta device, computed on the CPU.

A constructor may read the values of tensors it computed itself: torchvision's RegNet turns
``torch.arange(depth) * w_a + w_0`` into block widths with ``torch.round``, ``torch.log`` and
``.int().tolist()``. Meta tensors have no values, so such a read fails on the meta device.
:class:`ValueRecorder`, the :class:`~.record.Recorder` that :func:`~.build.build` uses, catches a
call that fails on a meta tensor argument (an error naming the meta device, or a Python-level read
such as ``format(t, ".2f")``) and computes what it reads: it reruns, unrecorded and on the CPU, the
recorded ops the values of the call's meta tensors come from (the ops that wrote their storages,
and the ops that wrote what those read, back to the factories and the real tensors made before the
block, taken as recording first saw them; not a write overwritten before anything read it), then
the call itself on the CPU tensors, and returns its result. The rule:

- the values may come only from deterministic ops (``arange``, ``linspace``, ``tensor``, ``ones``,
  arithmetic, ``round``, ``log`` ...) on constants, on tensors made inside the block, and on real
  (not meta) tensors made before it;
- a random draw among those ops (a random method or factory, a ``torch.nn.init`` function other
  than ``constant_``/``ones_``/``zeros_``/``eye_``/``dirac_``, a ``generator=`` argument, or any op
  that moves torch's CPU generator, which is then put back), an ``nn.Parameter``, or a meta tensor
  made before the block makes the values unknowable while building on the meta device: the call
  raises ``NotImplementedError`` naming the call and the cause, chained to torch's error, telling
  to build on the CPU (``build_on="cpu"``), where the construction reads torch's values as usual;
- the call must return Python values (``tolist``, ``item``, ``bool``, ``int``, ``float``,
  ``torch.equal`` ...) and write nothing; a call that returns a tensor (``torch.nonzero``,
  boolean-mask indexing, ``t.cpu()``: a new tensor of data cannot be carried into a meta build),
  and a call that writes a tensor (an in-place op such as ``buf[torch.tensor(1)] = 5.0``, whose
  0-dim index is read, ``out=``, or any call that moves an argument's version counter: the write
  would be lost) raise the same way.

The read writes no tensor, so it is not recorded, and the ops it reran stay recorded as they ran:
a meta build records what a CPU build records, and both replay to the same bits. The CPU memory is
that of the tensors the read depends on (never a parameter's) and is let go when the call returns.
"""

from __future__ import annotations

from typing import Any, Callable

import torch  # absolute import: the real PyTorch

from .draws import in_place
from .op_flow import analyse
from .record import TRUNC, WHOLE_INITS, Op, Recorder, Recording, Ref, map_tensors, storage_id, tensor_leaves

__all__ = ["ValueRecorder"]

#: Names of torch's random functions and ``Tensor`` methods (what :func:`_draw` refuses without running it).
_DRAW_NAMES = frozenset({"normal_", "uniform_", "log_normal_", "exponential_", "cauchy_", "geometric_", "bernoulli_",
                         "random_", "bernoulli", "multinomial", "normal", "poisson", "rand", "randn", "randint",
                         "randperm", "rand_like", "randn_like", "randint_like"})
#: ``torch.nn.init`` functions that draw nothing.
_FIXED_INITS = frozenset({"constant_", "ones_", "zeros_", "eye_", "dirac_", "calculate_gain"})
#: Python-level reads whose failure on a meta tensor does not name the meta device.
_PYTHON_READS = frozenset({torch.Tensor.__format__})
_CPU = torch.device("cpu")
_ADVICE = ("Build on the CPU: fastinit.torch.build(..., build_on='cpu') (or deferred(seed, device='cpu')), where the "
           "construction reads torch's values as usual; the replayed values are the same")


_WRITES = "{} writes a tensor, and a write computed on the CPU would be lost to the meta build."


class _Refused(Exception):
    """The values a call reads cannot be computed while building on the meta device (why: its message)."""


def _call_name(func: Callable[..., Any]) -> str:
    """``func`` as users write it: ``Tensor.tolist``, ``torch.arange``, ``torch.nn.init.normal_``."""
    if func is TRUNC:
        return "torch.nn.init.trunc_normal_"
    name = str(getattr(func, "__qualname__", None) or getattr(func, "__name__", None) or func)
    name = name.replace("TensorBase.", "Tensor.").replace("_VariableFunctionsClass.", "torch.")
    module = getattr(func, "__module__", None)
    if isinstance(module, str) and module.startswith("torch.") and "." not in name:
        name = f"{module}.{name}"
    return name


def _draw(op: Op) -> bool:
    """Whether ``op`` is a random draw (known without running it)."""
    if op.func is TRUNC or op.func in WHOLE_INITS or op.kwargs.get("generator") is not None:
        return True
    name = getattr(op.func, "__name__", "")
    if getattr(op.func, "__module__", None) == "torch.nn.init":
        return name not in _FIXED_INITS
    return name in _DRAW_NAMES


def _cpu_device(device: Any) -> Any:
    """The CPU for the meta device (the recorded ops made meta tensors; their rerun makes real ones)."""
    if device == "meta" or (isinstance(device, torch.device) and device.type == "meta"):
        return _CPU
    return device


def _depends(rec: Recording, keys: set[int]) -> tuple[list[Op], set[int]]:
    """The recorded ops the values of the storages ``keys`` come from, in call order, and every storage
    they touch: the ops that wrote those storages and, recursively, what those ops read, less the ops
    whose writes are overwritten before anything reads them (:func:`~.op_flow.analyse`)."""
    dead = analyse(rec, keys).dead
    needed = set(keys)
    plan: list[Op] = []
    for i in range(len(rec.ops) - 1, -1, -1):
        op = rec.ops[i]
        if i not in dead and (op.mutated | op.new) & needed:
            plan.append(op)
            needed |= {r.key for r in tensor_leaves((op.args, op.kwargs))}
    plan.reverse()
    return plan, needed


class _Values:
    """CPU memory for recorded storages, given values by rerunning the recorded ops that wrote them."""

    def __init__(self, rec: Recording) -> None:
        self.rec = rec
        self.memory: dict[int, torch.Tensor] = {}  # recorded storage -> its CPU memory (1-d, the storage's dtype)

    def real(self, ref: Ref) -> torch.Tensor:
        """The CPU tensor of a recorded one."""
        memory = self.memory.get(ref.key)
        if memory is None:
            before = self.rec.before.get(ref.key)  # a real tensor made before the block, as recording first saw it
            dtype = self.rec.dtypes[ref.key]
            memory = torch.zeros(self.rec.numel(ref.key), dtype=dtype) if before is None else \
                torch.empty(0, dtype=dtype, device=before.device).set_(before.clone())
            self.memory[ref.key] = memory
        if memory.dtype != ref.dtype:
            memory = memory.view(ref.dtype)
        return memory.as_strided(ref.shape, ref.stride, ref.offset)

    def run(self, op: Op) -> None:
        """Rerun ``op`` on CPU memory, keeping the tensors it made."""
        args, kwargs = map_tensors((op.args, op.kwargs), self.real)
        if "device" in kwargs:
            kwargs["device"] = _cpu_device(kwargs["device"])
        result = op.func(*(_cpu_device(a) if isinstance(a, torch.device) else a for a in args), **kwargs)
        for ref, value in zip(op.results, tensor_leaves(result)):
            if ref.key in op.new:
                self.real(ref).copy_(value)


class ValueRecorder(Recorder):
    """A :class:`~.record.Recorder` whose recorded block can read values computed from constants on
    the meta device (see the module docstring); it notes the storages of ``nn.Parameter`` tensors."""

    def __init__(self) -> None:
        super().__init__()
        self.parameter_keys: set[int] = set()

    def _ref(self, t: torch.Tensor, new: set[int] | None = None) -> Ref:
        ref = super()._ref(t, new)
        if isinstance(t, torch.nn.Parameter):
            self.parameter_keys.add(ref.key)
        return ref

    def __torch_function__(self, func: Any, types: Any, args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        try:
            return super().__torch_function__(func, types, args, kwargs)
        except (RuntimeError, NotImplementedError, TypeError) as exc:
            metas = [] if self._paused else _metas((args, kwargs or {}))
            if not metas or not ("meta" in str(exc).lower() or func in _PYTHON_READS):
                raise
            try:
                return self._read(func, args, kwargs or {}, metas)
            except _Refused as why:
                raise NotImplementedError(f"{_call_name(func)} reads the values of a meta tensor while the model "
                                          f"is built on the meta device; {why} {_ADVICE}") from exc
            except Exception:
                raise exc from None  # the call fails on CPU tensors too: torch's own error, as it was

    def _read(self, func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
              metas: list[torch.Tensor]) -> Any:
        """``func`` called on CPU tensors holding the values of its meta tensor arguments ``metas``."""
        rec = self.recording
        keys = {storage_id(t) for t in metas}
        if not keys <= set(rec.storages):
            raise _Refused("the recording does not follow that tensor (sparse, nested or a subclass), so its values "
                           "are unknown.")
        if in_place(func) or kwargs.get("out") is not None:
            raise _Refused(_WRITES.format(_call_name(func)))
        plan, needed = _depends(rec, keys)
        with torch._C.DisableTorchFunction():  # nothing here is recorded, nor placed by a device context
            self._check(plan, needed)
            values, state = _Values(rec), torch.random.get_rng_state()
            try:
                with torch.no_grad():
                    for op in plan:
                        values.run(op)
                    real_args, real_kwargs = map_tensors((args, kwargs), lambda t: _real(values, t))
                    versions = _versions((real_args, real_kwargs))
                    result = func(*real_args, **real_kwargs)
                    wrote = versions != _versions((real_args, real_kwargs))
            finally:
                moved = not torch.equal(state, torch.random.get_rng_state())
                if moved:
                    torch.random.set_rng_state(state)  # torch's generator as the meta build left it
        if moved:
            raise _Refused("those values depend on a draw from torch's random generator, which a meta build does not "
                           "make.")
        if wrote:
            raise _Refused(_WRITES.format(_call_name(func)))
        if any(True for _ in tensor_leaves(result)):
            raise _Refused(f"{_call_name(func)} returns a tensor (a new tensor of data cannot be carried into a meta "
                           "build); only reads that return Python values (.tolist(), .item(), bool(), int(), float() "
                           "...) are computed on the CPU.")
        return result

    def _check(self, plan: list[Op], needed: set[int]) -> None:
        """Refuse values that depend on a draw, a parameter or a meta tensor made before the block."""
        draw = next((op for op in plan if _draw(op)), None)
        if draw is not None:
            raise _Refused(f"those values depend on a random draw ({_call_name(draw.func)}), which a meta build does "
                           "not make.")
        if needed & self.parameter_keys:
            raise _Refused("those values depend on a parameter (nn.Parameter), which a meta build does not allocate.")
        rec = self.recording
        if any(k in rec.external and rec.external[k].is_meta for k in needed):
            raise _Refused("those values depend on a meta tensor made before the block, which has no values.")


def _metas(x: Any) -> list[torch.Tensor]:
    """The meta tensors in ``x``."""
    with torch._C.DisableTorchFunction():
        return [t for t in tensor_leaves(x) if isinstance(t, torch.Tensor) and t.is_meta]


def _versions(x: Any) -> list[int]:
    """The autograd version counters of the tensors in ``x`` (an in-place write moves them)."""
    return [t._version for t in tensor_leaves(x) if isinstance(t, torch.Tensor)]


def _real(values: _Values, t: Any) -> Any:
    """The CPU tensor of the meta tensor ``t`` as it is now (any other tensor as it is)."""
    if not isinstance(t, torch.Tensor) or not t.is_meta:
        return t
    return values.real(Ref(storage_id(t), tuple(t.shape), tuple(t.stride()), int(t.storage_offset()), t.dtype))
