"""The static checks configured in pyproject.toml pass: ruff over the whole repository and mypy
(strict) over the framework-free package. Needs the `lint` extra (part of the `test` extra)."""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _run(args):
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_ruff_passes():
    ruff = shutil.which("ruff") or pytest.skip("ruff is not installed (pip install '.[lint]')")
    result = _run([ruff, "check", "."])
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_passes():
    pytest.importorskip("mypy", reason="mypy is not installed (pip install '.[lint]')")
    result = _run([sys.executable, "-m", "mypy"])
    assert result.returncode == 0, result.stdout + result.stderr
