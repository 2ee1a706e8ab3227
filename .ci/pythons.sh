#!/usr/bin/env bash
# The core tests (tests/core_tests.txt) against a fresh `pip install ".[core-test]"` on the lowest
# and the highest Python that pyproject.toml declares (its "Programming Language :: Python :: 3.N"
# classifiers). Run from the checkout's root by .ci/run; needs those interpreters (pyenv or PATH)
# and PyPI. Leaves nothing in the checkout: the build and the venvs live in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

work=$(mktemp -d "${TMPDIR:-/tmp}/fastinit-pythons.XXXXXX")
trap 'rm -rf "$work"' EXIT

# An interpreter whose version is exactly $1 (e.g. 3.9): pyenv's newest 3.9.*, else python3.9 on PATH.
find_python() {
    local want=$1 c
    for c in $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}/versions/$want".*/bin/python 2>/dev/null | sort -V -r) \
             "python$want"; do
        if command -v "$c" >/dev/null 2>&1 &&
           "$c" -c "import sys; sys.exit(0 if '%d.%d' % sys.version_info[:2] == '$want' else 1)"; then
            command -v "$c"
            return 0
        fi
    done
    echo "pythons.sh: no Python $want found (pyenv install $want, or put python$want on PATH)" >&2
    return 1
}

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

mapfile -t declared < <(grep -oE '"Programming Language :: Python :: 3\.[0-9]+"' pyproject.toml |
                        grep -oE '3\.[0-9]+' | sort -V)
[ "${#declared[@]}" -ge 1 ] || { echo "pythons.sh: no Python classifiers in pyproject.toml" >&2; exit 1; }
lowest=${declared[0]}
highest=${declared[${#declared[@]}-1]}

for v in $(printf '%s\n' "$lowest" "$highest" | sort -uV); do
    echo "== Python $v: fresh venv, pip install \".[core-test]\", core tests"
    py=$(find_python "$v")
    "$py" -m venv "$work/venv-$v"
    "$work/venv-$v/bin/python" -m pip install -q --upgrade pip
    "$work/venv-$v/bin/python" -m pip install -q --config-settings=build-dir="$work/build-$v" ".[core-test]"
    run_core_tests "$work/venv-$v"
done
