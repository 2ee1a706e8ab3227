"""The stream name of a model's tensor: its qualified name without the components that wrappers
add (FSDP1, activation checkpointing, ``torch.compile``, DDP/DataParallel), so a wrapped, compiled
or sharded model gets the stream names of the plain one."""

from typing import Optional

import torch  # absolute import: the real PyTorch (checked in fastinit/torch/__init__.py)

__all__ = ["plain_name"]

#: Child names that wrappers put between a module and the one they wrap: FSDP1, activation
#: checkpointing, torch.compile (``module`` of DDP/DataParallel is handled by type).
_WRAPPER_CHILDREN = frozenset({"_fsdp_wrapped_module", "_checkpoint_wrapped_module", "_orig_mod"})


def _is_data_parallel(m: Optional[torch.nn.Module]) -> bool:
    """DDP (or DataParallel): its ``module`` child is the wrapped model."""
    return isinstance(m, (torch.nn.parallel.DistributedDataParallel, torch.nn.DataParallel))


def plain_name(module: torch.nn.Module, name: str) -> str:
    """``name`` (a qualified tensor name in ``module``) without the components wrappers add:
    ``_fsdp_wrapped_module``, ``_checkpoint_wrapped_module``, ``_orig_mod`` and, under a DDP or
    DataParallel module, its ``module``. So a wrapped, compiled or sharded model gets the stream
    names of the plain one."""
    parts = name.split(".")
    kept: list[str] = []
    m: torch.nn.Module | None = module
    for part in parts[:-1]:
        if not (part in _WRAPPER_CHILDREN or (part == "module" and _is_data_parallel(m))):
            kept.append(part)
        m = None if m is None else m._modules.get(part)
    kept.append(parts[-1])
    return ".".join(kept)
