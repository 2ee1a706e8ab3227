"""``import fastinit.keras`` when Keras is installed but its configured backend is not: the error
names the missing module, the backend and where it was set, and the fixes (another
KERAS_BACKEND, or installing the backend), instead of saying that Keras is missing.

Runs in a subprocess (Keras reads its backend once per process) with a temporary ``KERAS_HOME``
whose ``keras.json`` names TensorFlow and no ``KERAS_BACKEND``.
"""

import importlib.util
import json
import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _import_with_keras_json(tmp_path, backend):
    (tmp_path / "keras.json").write_text(json.dumps({"backend": backend, "floatx": "float32"}))
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    env["KERAS_HOME"] = str(tmp_path)
    return subprocess.run([sys.executable, "-c", "import fastinit.keras"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def test_missing_backend_is_named_with_the_fix(tmp_path):
    if importlib.util.find_spec("keras") is None:
        pytest.skip("Keras is not installed")
    if importlib.util.find_spec("tensorflow") is not None:
        pytest.skip("TensorFlow is installed: a keras.json naming it does not fail")
    result = _import_with_keras_json(tmp_path, "tensorflow")
    assert result.returncode != 0, result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: fastinit.keras: `import keras` failed: No module named 'tensorflow'"), last
    assert "its backend is 'tensorflow'" in last and str(tmp_path / "keras.json") in last, last
    assert "install tensorflow" in last and "needs Keras 3" not in last, last
    installed = [b for b in ("torch", "jax") if importlib.util.find_spec(b) is not None]
    if installed:
        assert f"set KERAS_BACKEND={' or '.join(installed)}" in last, last


def test_an_installed_backend_in_keras_json_imports(tmp_path):
    backend = next((b for b in ("torch", "jax") if importlib.util.find_spec(b) is not None), None)
    if importlib.util.find_spec("keras") is None or backend is None:
        pytest.skip("needs Keras and torch or JAX")
    result = _import_with_keras_json(tmp_path, backend)
    assert result.returncode == 0, result.stderr
