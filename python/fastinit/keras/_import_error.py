"""Why ``import keras`` failed, said so that the fix is clear: Keras missing, or its backend.

Keras 3 imports its backend (``KERAS_BACKEND``, else the ``"backend"`` of ``keras.json`` in
``KERAS_HOME``, else in ``~/.keras``; default ``"tensorflow"``) when Keras itself is imported, so
a backend that is not installed fails ``import keras`` although Keras is installed.
"""

import importlib.util
import json
import os
from typing import Optional

__all__ = ["import_failure"]

#: Keras's backends and the pip package of each.
_PACKAGES = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy", "openvino": "openvino"}


def _installed(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _configured_backend() -> tuple[str, str]:
    """(the backend Keras reads, where it read it), by Keras's rules."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"], "KERAS_BACKEND"
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    path = os.path.join(home, "keras.json")
    try:
        with open(path) as f:
            backend: Optional[str] = json.load(f).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    return (backend, path) if backend else ("tensorflow", "Keras's default")


def import_failure(exc: ImportError) -> ImportError:
    """The ImportError to raise for ``exc``, raised by ``import keras``."""
    if not _installed("keras"):
        return ImportError("fastinit.keras needs Keras 3; install it (`pip install keras`) and a backend "
                           "(torch, jax or tensorflow)")
    backend, source = _configured_backend()
    others = [b for b in ("torch", "jax", "tensorflow") if b != backend and _installed(b)]
    switch = (f"set KERAS_BACKEND={' or '.join(others)} (installed here) before Keras is imported, or "
              if others else "")
    return ImportError(f"fastinit.keras: `import keras` failed: {exc}. Keras is installed; its backend is "
                       f"{backend!r} (from {source}): {switch}install {backend} (`pip install "
                       f"{_PACKAGES.get(backend, backend)}`)")
