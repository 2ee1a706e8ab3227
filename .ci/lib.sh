# Shared by the .ci/*.sh build checks (sourced, not run). Each check builds fastinit some way into a
# fresh venv in a temp dir and then runs the core tests (tests/core_tests.txt) against that install.

# A temp dir for this check ($1: a short name), removed when the script exits.
ci_workdir() {
    work=$(mktemp -d "${TMPDIR:-/tmp}/fastinit-$1.XXXXXX")
    trap 'rm -rf "$work"' EXIT
}

# run_core_tests VENV TESTS_PARENT [EXTRA_TEST...]: the core tests, plus any extra test files, from a
# copy of TESTS_PARENT/tests and TESTS_PARENT/pyproject.toml (the pytest settings), run in a temp dir
# so that neither the checkout nor python/ is on sys.path; fails unless fastinit is imported from
# the venv's site-packages. A skip fails too (FASTINIT_NO_SKIP).
run_core_tests() {
    local venv=$1 parent=$2 run
    shift 2
    run=$(mktemp -d "$work/run.XXXXXX")
    cp -r "$parent/tests" "$parent/pyproject.toml" "$run/"
    # The stream's document: tests/test_stream_doc.py (and test_word_bounds.py, which uses its
    # formulas) read docs/stream-v1.md beside the tests.
    mkdir -p "$run/docs" && cp "$parent/docs/stream-v1.md" "$run/docs/"
    local -a tests
    mapfile -t tests < <(grep -vE '^[[:space:]]*(#|$)' "$run/tests/core_tests.txt" | sed 's|^|tests/|')
    tests+=("$@")
    (
        cd "$run"
        "$venv/bin/python" - "$venv" <<'PY'
import pathlib, sys, sysconfig
import fastinit
where = pathlib.Path(fastinit.__file__).resolve()
site = {pathlib.Path(sysconfig.get_paths()[k]).resolve() for k in ("purelib", "platlib")}
assert any(s in where.parents for s in site), f"fastinit imported from {where}, not from the venv {sys.argv[1]}"
print(f"fastinit {fastinit.__version__} (stream version {fastinit.STREAM_VERSION}) from {where.parent}"
      f" on Python {sys.version.split()[0]}; SIMD paths {fastinit.simd_paths()}")
PY
        FASTINIT_NO_SKIP=1 "$venv/bin/python" -m pytest -p no:cacheprovider -q "${tests[@]}"
    )
}

# new_venv PYTHON DIR: a venv with a current pip.
new_venv() {
    "$1" -m venv "$2"
    "$2/bin/python" -m pip install -q --upgrade pip
}
