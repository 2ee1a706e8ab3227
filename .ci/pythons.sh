#!/usr/bin/env bash
# The core tests (tests/core_tests.txt) against a fresh `pip install ".[core-test]"` on the lowest
# and the highest Python that pyproject.toml declares (its "Programming Language :: Python :: 3.N"
# classifiers). Run from the checkout's root by .ci/run; needs those interpreters (pyenv or PATH)
# and PyPI. Leaves nothing in the checkout: the build and the venvs live in a temp dir.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

. .ci/lib.sh
ci_workdir pythons

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


mapfile -t declared < <(grep -oE '"Programming Language :: Python :: 3\.[0-9]+"' pyproject.toml |
                        grep -oE '3\.[0-9]+' | sort -V)
[ "${#declared[@]}" -ge 1 ] || { echo "pythons.sh: no Python classifiers in pyproject.toml" >&2; exit 1; }
lowest=${declared[0]}
highest=${declared[${#declared[@]}-1]}

for v in $(printf '%s\n' "$lowest" "$highest" | sort -uV); do
    echo "== Python $v: fresh venv, pip install \".[core-test]\", core tests"
    py=$(find_python "$v")
    new_venv "$py" "$work/venv-$v"
    "$work/venv-$v/bin/python" -m pip install -q --config-settings=build-dir="$work/build-$v" ".[core-test]"
    run_core_tests "$work/venv-$v" "$root" tests/test_packaging.py
done
