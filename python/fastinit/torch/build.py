"""``fastinit.torch.build`` and ``deferred``: a model's construction recorded, then replayed with keyed values.

Init code that lives in a model's constructor (``kaiming_normal_`` loops over ``self.modules()``,
zero-init of the last BatchNorm's weight, ``nn.Parameter(layer_scale * torch.ones(dim))``, a class
token's ``zeros`` then ``trunc_normal_``, a model-level ``init_weights()``) runs only once, while
the model is built: :func:`fastinit.torch.init_module`, which runs ``reset_parameters`` and
``_init_weights``, cannot run it again. :class:`deferred` records the construction instead
(:mod:`.record`: on the meta device by default, so nothing is allocated or drawn), and
:meth:`deferred.materialize` gives each parameter and buffer its final qualified name, allocates
it and replays the recorded ops in order (:mod:`.replay`), each draw keyed on the final tensor's
stream name and its draw position (:mod:`.draw_counts`), as :class:`~.seeding.seeded` keys draws.
"""


import warnings
from types import TracebackType
from typing import Any, Callable, Optional, TypeVar, Union

import torch  # absolute import: the real PyTorch

from ..core.seed import Seed, resolve_seed
from .checks import Tensor, _seed
from .op_flow import analyse
from .record import Recording, storage_id
from .replay import replay
from .tensor_names import plain_name
from .value_reads import ValueRecorder

__all__ = ["deferred", "build"]

M = TypeVar("M", bound=torch.nn.Module)
Device = Union[str, torch.device, None]

#: (module, is a parameter, attribute name, tensor) of each parameter and buffer slot.
_Slot = tuple[torch.nn.Module, bool, str, Tensor]


def _slots(model: torch.nn.Module) -> list[_Slot]:
    """Every parameter and buffer slot of ``model`` (a tied tensor once per module holding it)."""
    out: list[_Slot] = []
    for m in model.modules():
        out += [(m, True, k, t) for k, t in m._parameters.items() if t is not None]
        out += [(m, False, k, t) for k, t in m._buffers.items() if t is not None]
    return out


def _check_recorded(slots: list[_Slot], rec: Recording) -> None:
    """Every meta or lazy tensor of the model must have been made while recording."""
    lazy = [k for _, _, k, t in slots if torch.nn.parameter.is_lazy(t)]
    if lazy:
        raise ValueError(f"deferred.materialize: lazy parameters/buffers ({', '.join(lazy[:5])}) have no shape yet; "
                         "run a forward pass first, or use modules with known sizes")
    unknown = [f"{type(m).__name__}.{k}" for m, _, k, t in slots
               if t.is_meta and (storage_id(t) not in rec.storages or storage_id(t) in rec.external)]
    if unknown:
        raise ValueError(f"deferred.materialize: {', '.join(unknown[:5])} are meta tensors made outside the recorded "
                         "block: there is nothing to replay for them; build the whole model inside "
                         "`with deferred(seed):` (or with build(fn, seed))")


def _recorded(slots: list[_Slot], rec: Recording) -> set[int]:
    """The storages of the model's tensors made while recording (the others are kept as they are)."""
    keys = {storage_id(t) for _, _, _, t in slots}
    return {k for k in keys if k in rec.storages and k not in rec.external}


def _swap_in(slots: list[_Slot], rec: Recording, covered: set[int]) -> dict[int, Tensor]:
    """Put fresh CPU tensors in place of the recorded ones, ties kept (zeroed unless a replayed op
    writes every element: the bits never depend on what the memory held); their memory by storage."""
    memory: dict[int, Tensor] = {}
    fresh: dict[int, Tensor] = {}
    recorded = _recorded(slots, rec)
    for m, is_param, attr, t in slots:
        key = storage_id(t)
        if key not in recorded:
            continue  # made before recording, with values: kept as it is
        if id(t) not in fresh:
            if key not in memory:
                make = torch.empty if key in covered else torch.zeros
                memory[key] = make(rec.numel(key), dtype=rec.dtypes[key])
            base = memory[key] if t.dtype == rec.dtypes[key] else memory[key].view(t.dtype)
            view = base.as_strided(tuple(t.shape), t.stride(), t.storage_offset())
            fresh[id(t)] = torch.nn.Parameter(view, requires_grad=t.requires_grad) if is_param else view
        store: dict[str, Any] = m._parameters if is_param else m._buffers
        store[attr] = fresh[id(t)]
    return memory


def _put_back(slots: list[_Slot]) -> None:
    """Put the recorded tensors back in their slots (after a failed replay)."""
    for m, is_param, attr, t in slots:
        store: dict[str, Any] = m._parameters if is_param else m._buffers
        store[attr] = t


def _target_device(where: str, device: Device) -> Optional[torch.device]:
    """``device`` as a ``torch.device`` (None: stay on the CPU), checked to exist before anything is built."""
    if device is None:
        return None
    if not isinstance(device, (str, torch.device)):
        raise TypeError(f"{where}: device must be a torch.device, a str or None, got {type(device).__name__}")
    try:
        target = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"{where}: device {device!r} is not a device torch knows ({exc})") from None
    backend = getattr(torch, target.type, None) if target.type not in ("cpu", "meta") else None
    available = getattr(backend, "is_available", None)
    count = getattr(backend, "device_count", None)
    if (callable(available) and not available()) or \
            (target.index is not None and callable(count) and target.index >= count()):
        raise ValueError(f"{where}: device {device!r} is not available on this machine; pass an available "
                         "device, or device='cpu'")
    return target


def _stream_names(model: torch.nn.Module, memory: dict[int, Tensor]) -> dict[int, str]:
    """The stream name of each final storage: its first tensor's name, as :class:`~.seeding.seeded` names it."""
    by_address = {int(m.untyped_storage().data_ptr()): key for key, m in memory.items()}
    names: dict[int, str] = {}
    for name, t in list(model.named_parameters(remove_duplicate=False)) + \
            list(model.named_buffers(remove_duplicate=False)):
        key = by_address.get(int(t.untyped_storage().data_ptr())) if t is not None and not t.is_meta else None
        if key is not None:
            names.setdefault(key, plain_name(model, name))
    return names


def _warn_unwritten(unwritten: list[str], reports: list[str]) -> None:
    """Warn (and report) that the tensors ``unwritten`` got memory but no values while building."""
    if not unwritten:
        return
    message = (f"fastinit.torch.build: {', '.join(unwritten[:10])}{' ...' if len(unwritten) > 10 else ''} got "
               "memory but no values from the recorded construction (torch.empty and nothing after it, as "
               "eager torch leaves uninitialized memory); they are zeros. Initialize them in the constructor "
               "(a torch.nn.init function called through torch.nn.init, whose meta-device shortcuts "
               "fastinit replaces while recording) or after build")
    reports.append(message)
    warnings.warn(message, UserWarning, stacklevel=3)


class deferred:  # noqa: N801 - a context manager used like a function, as torch.no_grad
    """``with deferred(seed) as d: model = make()``, then ``d.materialize(model)``: the construction
    replayed with fastinit's keyed values.

    Inside the block every torch call that makes or writes a tensor is recorded (on the meta device
    by default: nothing is allocated, torch draws nothing). :meth:`materialize` allocates the
    model's parameters and buffers on the CPU and replays the recorded ops in order: deterministic
    ops (``zeros``, ``ones``, ``fill_``, ``mul``, ``copy_`` ...) give exactly torch's values, and
    every random draw (``Tensor.normal_``/``uniform_`` ..., ``torch.nn.init``'s functions,
    ``torch.rand``/``randn``) takes fastinit's values, keyed as :class:`fastinit.torch.seeded` keys
    them: on the final tensor's qualified name (its stream), at the drawn elements' positions
    (``torch.nn.init.sparse_`` on a whole tensor is :func:`fastinit.torch.sparse_` on that stream, the
    zeros' places included; on part of one, its ``torch.randperm`` is reported). The
    first draw into an element is keyed as ``seeded``/:func:`~fastinit.torch.init_module` key it;
    a later draw into the same elements whose values are still used (``w.normal_()`` then
    ``w.add_(...)``-style code) is keyed as draw 1, 2 ... (stream ``"name#1"`` ...). A draw whose
    values are overwritten before anything reads them (``nn.Linear``'s default init, replaced by the
    model's own) is not replayed at all. A draw into a temporary whose values go into one parameter
    (``torch.rand`` then ``copy_``, ``orthogonal_``'s QR input) is keyed by that parameter, over the
    temporary's own positions; any other draw is reported with :class:`~fastinit.torch.UnkeyedDrawWarning`.

    Args:
        seed: The Philox key, an int in [0, 2**64); None draws one from torch's default generator.
        device: the device the block builds on: ``"meta"`` (default; nothing is allocated or
            computed while building; values the code reads are computed on the CPU when they come
            from constants alone, see :func:`build`), ``"cpu"`` (the construction runs as it would
            without fastinit, for code that reads values depending on a random draw or a
            parameter), or None (torch's default device, as set by the code in the block).
        strict: True: an unkeyable draw raises :class:`~fastinit.torch.UnkeyedDrawError` during
            :meth:`materialize` instead of warning.

    Attributes:
        seed: the 64-bit seed used.
        reports: after :meth:`materialize`, the messages of the draws that could not be keyed and of the
            tensors the construction gave no values (zeros; warned with ``UserWarning``).

    Raises:
        TypeError: ``strict`` is not a bool, or ``device`` not a device.
        RuntimeError: the context is entered again after it recorded a construction.

    Example:
        >>> import torch, fastinit.torch as ft
        >>> class Net(torch.nn.Module):
        ...     def __init__(self):
        ...         super().__init__()
        ...         self.fc = torch.nn.Linear(4, 3)
        ...         torch.nn.init.normal_(self.fc.weight, std=0.02)   # init in the constructor
        ...         self.scale = torch.nn.Parameter(0.1 * torch.ones(3))
        >>> with ft.deferred(seed=0) as d:
        ...     net = Net()
        >>> net = d.materialize(net)
        >>> net.scale.tolist() == [torch.tensor(0.1).item()] * 3
        True
    """

    def __init__(self, seed: Seed, *, device: Device = "meta", strict: bool = False) -> None:
        if not isinstance(strict, bool):
            raise TypeError(f"deferred: strict must be True or False, got {strict!r}")
        if device is not None and not isinstance(device, (str, torch.device)):
            raise TypeError(f"deferred: device must be a torch.device, a str or None, got {type(device).__name__}")
        self.seed = _seed(None) if seed is None else resolve_seed(seed)
        self.strict = strict
        self.reports: list[str] = []
        self._device = None if device is None else torch.device(device)
        self._recorder: ValueRecorder | None = ValueRecorder()
        self._device_mode: Any = None
        self._open = False

    def __enter__(self) -> "deferred":
        if self._recorder is None or self._open or self._recorder.recording.ops:
            raise RuntimeError("deferred: a context records one construction; open a new deferred(seed)")
        if self._device is not None:
            self._device_mode = torch.device(self._device)
            self._device_mode.__enter__()
        self._recorder.__enter__()
        self._open = True
        return self

    def __exit__(self, exc_type: Optional[type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        self._open = False
        try:
            if self._recorder is not None:
                self._recorder.__exit__(exc_type, exc, tb)
        finally:
            if self._device_mode is not None:
                self._device_mode.__exit__(exc_type, exc, tb)

    def materialize(self, model: M, *, device: Device = "cpu") -> M:
        """Allocate ``model``'s recorded parameters and buffers and replay the construction into them.

        Args:
            model: the module built inside the block (any module whose tensors were made there).
            device: where the model goes afterwards: the values are made on the CPU, then moved
                (``model.to(device)``) if it is another device.

        Returns:
            ``model``, its tensors in place (tied ones still tied), on ``device``.

        Raises:
            TypeError: ``model`` is not a ``torch.nn.Module``, or ``device`` not a ``torch.device``,
                a str or None.
            RuntimeError: called inside the block, or again after it succeeded.
            ValueError: the model holds meta or lazy tensors not made inside the block, or ``device``
                is not a device torch knows or not available on this machine (checked before anything
                is allocated).
            UnkeyedDrawError: (``strict=True``) a draw that cannot be keyed; the model is left as it
                was (its recorded tensors back in place), and ``materialize`` can be called again.
        """
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"deferred.materialize: model must be a torch.nn.Module, got {type(model).__name__}")
        if self._open or self._recorder is None:
            raise RuntimeError("deferred.materialize: call it once, after the `with deferred(seed)` block has closed")
        target = _target_device("deferred.materialize", device)
        recorder, rec = self._recorder, self._recorder.recording
        slots = _slots(model)
        _check_recorded(slots, rec)
        self._recorder = None  # once: the recording is released after the replay
        try:
            flow = analyse(rec, _recorded(slots, rec))
            memory = _swap_in(slots, rec, flow.covered)
            names = _stream_names(model, memory)
            reports = replay(rec, flow, memory, names, model, self.seed, self.strict)
        except BaseException:
            _put_back(slots)  # the model as it was: materialize can be called again
            self._recorder = recorder
            raise
        self.reports = reports
        _warn_unwritten(sorted(names[k] for k in memory if k not in flow.valued and k in names), self.reports)
        if target is not None and target != torch.device("cpu"):
            model.to(target)
        return model


def build(fn: Callable[[], M], seed: Seed, *, device: Device = "cpu", build_on: Device = "meta",
          strict: bool = False) -> M:
    """``fn()``'s model with every init op of its construction replayed with fastinit's keyed values.

    ``build(fn, seed)`` is ``with deferred(seed, device=build_on) as d: model = fn()`` followed by
    ``d.materialize(model, device=device)``; see :class:`deferred` for what is recorded and how
    each draw is keyed. Constructor-time init (torchvision's and timm's ``kaiming_normal_`` loops,
    zero-init of residual BatchNorms, layer scales, class tokens, ``init_weights()``) is kept, and
    every value depends only on (``seed``, the tensor's qualified name, the draw's position, the
    elements' positions).

    On the meta device, a constructor that reads values it computed from constants (torchvision's
    RegNet: block widths from ``torch.arange``, ``torch.log`` and ``torch.round``, read with
    ``.tolist()``; ``.item()``, ``bool()``, ``int()``, ``float()`` alike) gets them: the recorded ops
    they come from are rerun on the CPU, at those tensors' sizes (:mod:`.value_reads`), and the meta
    build equals the CPU build. A read of values that depend on a random draw, a parameter or a meta
    tensor made before ``build`` raises ``NotImplementedError`` saying so: build such a model with
    ``build_on="cpu"``.

    Args:
        fn: a callable with no arguments returning the model, e.g.
            ``lambda: timm.create_model("resnet50d")`` or ``torchvision.models.resnet18``.
        seed: The Philox key, an int in [0, 2**64); None draws one from torch's default generator.
        device: where the returned model lives (made on the CPU, then moved).
        build_on: the device ``fn`` builds on while it is recorded: ``"meta"`` (default: nothing
            allocated or drawn) or ``"cpu"`` (for constructors that read values depending on a
            random draw or a parameter); both give the same values.
        strict: True: an unkeyable draw raises :class:`~fastinit.torch.UnkeyedDrawError`.

    Returns:
        The model, materialized on ``device``.

    Raises:
        TypeError: ``fn`` is not callable or does not return a ``torch.nn.Module``, or ``device`` is
            not a ``torch.device``, a str or None.
        ValueError: the model holds meta or lazy tensors that ``fn`` did not make, or ``device`` is not
            a device torch knows or not available on this machine (checked before ``fn`` runs).
        NotImplementedError: on the meta device, ``fn`` reads values that depend on a random draw, a
            parameter or a meta tensor made before ``build`` (pass ``build_on="cpu"``).

    Example:
        >>> import torch, fastinit.torch as ft
        >>> make = lambda: torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3))
        >>> a, b = ft.build(make, seed=0), ft.build(make, seed=0, build_on="cpu")
        >>> torch.equal(a[0].weight, b[0].weight), a[1].weight.tolist()
        (True, [1.0, 1.0, 1.0])
    """
    if not callable(fn):
        raise TypeError(f"build: fn must be a callable returning the model, got {type(fn).__name__}")
    _target_device("build", device)
    with deferred(seed, device=build_on, strict=strict) as d:
        try:
            model = fn()
        except (RuntimeError, NotImplementedError) as exc:
            if d._device is not None and d._device.type == "meta" and "meta" in str(exc) and \
                    "build_on" not in str(exc) and hasattr(exc, "add_note"):
                exc.add_note("fastinit.torch.build: a call of the model's constructor fails on the meta device; "
                             "pass build_on='cpu'")
            raise
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"build: fn must return a torch.nn.Module, got {type(model).__name__}")
    return d.materialize(model, device=device)
