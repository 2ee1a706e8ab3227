"""A griffe extension for the API reference: fills the shared parameter texts into docstrings.

``fastinit.core.docstrings.shared_docs`` fills placeholders such as ``seed: {seed}`` when the
package is imported; the reference reads the source statically (nothing is imported), so this
extension applies the same ``fill_placeholders`` to every docstring griffe loads. The module is
loaded from its file alone: it imports nothing of fastinit, so the compiled core is not needed.
"""

from __future__ import annotations

import importlib.util
import pathlib
from typing import Any

import griffe

_SOURCE = pathlib.Path(__file__).resolve().parents[2] / "python" / "fastinit" / "core" / "docstrings.py"


def _load_fill_placeholders() -> Any:
    spec = importlib.util.spec_from_file_location("_fastinit_shared_docs", _SOURCE)
    assert spec is not None and spec.loader is not None, f"cannot load {_SOURCE}"
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.fill_placeholders


class SharedDocs(griffe.Extension):
    """Replace ``name: {key}`` lines in docstrings with the shared text for ``key``."""

    def __init__(self) -> None:
        super().__init__()
        self._fill = _load_fill_placeholders()

    def on_object(self, *, obj: griffe.Object, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        if obj.docstring is not None and "{" in obj.docstring.value:
            obj.docstring.value = self._fill(obj.docstring.value)
