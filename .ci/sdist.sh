#!/usr/bin/env bash
# Build the sdist, check it with twine and for the LICENSE, install it into a fresh venv (pip
# builds the wheel from the sdist alone) and run the core tests (tests/core_tests.txt) against
# that install, from the sdist's own copy of tests/ so the checkout is not on sys.path. Run from
# the checkout's root by .ci/run with python3 and PyPI; leaves nothing in the checkout.
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}

. .ci/lib.sh
ci_workdir sdist

echo "== tools: build, twine"
new_venv "$python" "$work/tools"
"$work/tools/bin/python" -m pip install -q build twine

echo "== build the sdist"
"$work/tools/bin/python" -m build --sdist --outdir "$work/dist" .
sdist=$(ls "$work"/dist/fastinit-*.tar.gz)
echo "sdist: $(basename "$sdist")"

echo "== metadata: twine check, LICENSE and the sources in the tarball"
"$work/tools/bin/twine" check --strict "$sdist"
mkdir "$work/unpacked"
tar -xzf "$sdist" -C "$work/unpacked"
src=$(ls -d "$work"/unpacked/fastinit-*)
for f in LICENSE PKG-INFO pyproject.toml CMakeLists.txt python/fastinit/_version.py tests/core_tests.txt; do
    [ -f "$src/$f" ] || { echo "sdist.sh: $f missing from $(basename "$sdist")" >&2; exit 1; }
done
grep -qx 'License-Expression: MIT' "$src/PKG-INFO" || { echo "sdist.sh: no License-Expression: MIT in PKG-INFO" >&2; exit 1; }
grep -qx 'License-File: LICENSE' "$src/PKG-INFO" || { echo "sdist.sh: no License-File: LICENSE in PKG-INFO" >&2; exit 1; }

echo "== install the sdist into a fresh venv (built from the sdist); core tests"
new_venv "$python" "$work/venv"
"$work/venv/bin/python" -m pip install -q --no-binary fastinit "$sdist[core-test]"

# The sdist's own copy of tests/: what a user who downloads it can run.
run_core_tests "$work/venv" "$src" tests/test_packaging.py
