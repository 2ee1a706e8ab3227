#!/usr/bin/env bash
# Static checks, run from the checkout's root by .ci/run in an environment where fastinit and its
# `lint` extra (ruff, mypy) are installed. Configuration: [tool.ruff] and [tool.mypy] in pyproject.toml.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== ruff check"
ruff check .

echo "== mypy (the paths in [tool.mypy] files)"
mypy

# The hand-written stub python/fastinit/_core.pyi against the compiled module that is installed.
echo "== stubtest fastinit._core"
python -m mypy.stubtest fastinit._core
