"""Importing the zoos of bench/zoo.py (transformers, timm, torchvision), also beside a CPU build of torch.

torchvision's wheels on PyPI are CUDA builds. Installed with ``pip install --no-deps`` beside the CPU
build of torch (docs/guide/model-zoos.md), torchvision 0.28.0's compiled ops (``torchvision/_C.so``)
fail to load with an ``OSError`` that torchvision catches, and ``import torchvision`` then raises
``RuntimeError: operator torchvision::nms does not exist``: its ``_meta_registrations`` registers fake
kernels for ``torchvision::nms`` and ``torchvision::qnms``, ops that only the compiled library defines.
Defining those two schemas first lets it import; its models are pure Python and need none of its
compiled ops. Where the compiled library loads (a matching torch and torchvision), nothing is defined.

Such a torchvision breaks every import of it that comes first: timm's, and transformers' model
modules' and torchmetrics' (they import it where it is installed). So it is best kept out of the
environment's site-packages, in a folder of its own named by ``FASTINIT_ZOO_PATH`` (folders separated
as in ``PYTHONPATH``), which only the zoo code puts on ``sys.path``, before the two schemas are defined.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import pathlib
import sys
from types import ModuleType

import torch

ZOO_PATH = "FASTINIT_ZOO_PATH"  # folders of the zoos' packages, put on sys.path by import_zoo only
# The two ops torchvision registers fake kernels for at import, with the schemas of its compiled library.
_SCHEMAS = {"nms": "nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor",
            "qnms": "qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor"}
_COMPILED = ("_C_stable", "_C")  # the compiled library's name in torchvision 0.29 and 0.28
_DEFINED: list[torch.library.Library] = []  # kept alive: a Library's definitions go with it


def _add_zoo_path() -> None:
    for folder in os.environ.get(ZOO_PATH, "").split(os.pathsep):
        if folder and os.path.abspath(folder) not in sys.path:
            sys.path.append(os.path.abspath(folder))


def _load_compiled_ops(package: pathlib.Path) -> None:
    """Load torchvision's compiled library from ``package`` as torchvision loads it, where it loads."""
    for name in _COMPILED:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = package / f"{name}{suffix}"
            if path.is_file():
                try:
                    torch.ops.load_library(str(path))
                except OSError:  # a CUDA build beside the CPU torch: its libraries are missing
                    pass


def _has_op(name: str) -> bool:
    return hasattr(torch.ops.torchvision, name)


def _define_missing_ops() -> None:
    """Define torchvision::nms and ::qnms where torchvision is installed, not yet imported, and its
    compiled library does not define them; otherwise do nothing."""
    if _DEFINED or "torchvision" in sys.modules:
        return
    spec = importlib.util.find_spec("torchvision")  # finds the package without importing it
    if spec is None or not spec.submodule_search_locations:
        return
    _load_compiled_ops(pathlib.Path(next(iter(spec.submodule_search_locations))))
    missing = [schema for name, schema in _SCHEMAS.items() if not _has_op(name)]
    if missing:
        lib = torch.library.Library("torchvision", "DEF")
        for schema in missing:
            lib.define(schema)
        _DEFINED.append(lib)


def import_zoo(name: str) -> ModuleType:
    """``importlib.import_module(name)`` after ``FASTINIT_ZOO_PATH`` is on ``sys.path`` and, where
    torchvision is installed, its two ops are defined if its compiled library does not define them
    (timm imports torchvision, and so do transformers' model modules where it is installed)."""
    _add_zoo_path()
    _define_missing_ops()
    return importlib.import_module(name)
