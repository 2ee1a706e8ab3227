"""The tensors parametrizations compute, keyed in a :class:`~.seeding.seeded` context: :func:`computed_keyed`.

A parametrized tensor (``torch.nn.utils.parametrize``: ``conv.weight`` under ``weight_norm``) is
computed from its originals at each access, a new tensor each time. Init code that draws into it
(transformers' wav2vec2 ``_init_weights``: ``init.normal_(module.conv.weight, ...)``) writes that
new tensor only: in torch its values are lost, the originals keep theirs, and
:func:`fastinit.torch.build` skips such a draw (nothing reads it). ``seeded`` alone would report it
as a draw into a tensor that is not the model's. While :func:`computed_keyed` is open, each tensor
a parametrization computes is a tensor of the model to the context, named as the parametrized
tensor (``conv.weight``): a draw into it takes fastinit's values on that stream, unreported, and
is lost as in torch.

The computed tensors go into ``seeded.computed``, the context's public table of memory keyed
besides the model's tensors (looked up after them, and kept when the context indexes the model
again for lazy tensors), as detached aliases of their memory (the same memory, not the tensor
object): an entry, and the memory it keeps allocated, goes when the tensor is freed or when
:func:`computed_keyed` closes. CPU and CUDA tensors (:data:`~.model_tensors.KEYED_DEVICES`) are
keyed, by storage address, as ``seeded`` keys the model's.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import torch  # absolute import: the real PyTorch
from torch.nn.utils import parametrize

from .model_tensors import KEYED_DEVICES, ByStorage, Known
from .seeding import seeded
from .tensor_names import plain_name

__all__ = ["computed_keyed"]


def _forget(by_storage: ByStorage, address: int, known: Known) -> None:
    group = by_storage.get(address, [])
    if known in group:
        group.remove(known)
    if not group:
        by_storage.pop(address, None)


def _keyer(ctx: seeded, stream: str) -> Any:
    """The forward hook of one parametrization: its result known to ``ctx`` under ``stream``."""
    def hook(module: torch.nn.Module, inputs: Any, output: Any) -> None:
        if not isinstance(output, torch.Tensor) or output.is_meta or output.device.type not in KEYED_DEVICES or \
                not output.numel():
            return
        by_storage = ctx.computed  # looked up after the model's tensors: an original returned is keyed as that
        with torch._C.DisableTorchFunction():
            address = output.untyped_storage().data_ptr()
            known = Known(stream, output.detach(), None)  # the same memory, not the same object
        by_storage[address] = [known]
        weakref.finalize(output, _forget, by_storage, address, known)
    return hook


@contextmanager
def computed_keyed(module: torch.nn.Module, ctx: seeded) -> Iterator[None]:
    """While open, the tensors ``module``'s parametrizations compute are known to ``ctx`` by the
    parametrized tensors' names (see the module docstring).

    Args:
        module: the model ``ctx`` keys.
        ctx: an open :class:`~.seeding.seeded` context over ``module``.
    """
    handles = []
    for prefix, m in module.named_modules():
        if parametrize.is_parametrized(m):
            for name, plist in m.parametrizations.items():
                stream = plain_name(module, f"{prefix}.{name}" if prefix else name)
                handles.append(plist.register_forward_hook(_keyer(ctx, stream)))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()
        ctx.computed.clear()
