#!/usr/bin/env bash
# Build the extension with Clang into a fresh venv in a temp dir, show which compiler built it and
# the SIMD paths it finds on this CPU, then run the core tests (tests/core_tests.txt) against that
# build. Installs clang with apt-get when it is missing (the core needs no OpenMP runtime). Run
# from the checkout's root by .ci/run; leaves nothing in the checkout.
# Knobs: PYTHON (default python3), CLANG_CC / CLANG_CXX (default clang / clang++).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-python3}
cc=${CLANG_CC:-clang}
cxx=${CLANG_CXX:-clang++}

# Does $cxx exist and compile and link a C++17 program with a thread?
clang_works() {
    command -v "$cxx" >/dev/null 2>&1 || return 1
    local probe
    probe=$(mktemp -d "${TMPDIR:-/tmp}/fastinit-clang.XXXXXX")
    printf '#include <thread>\nint main() { int r = 1; std::thread([&] { r = 0; }).join(); return r; }\n' > "$probe/t.cpp"
    local ok=0
    "$cxx" -std=c++17 -pthread "$probe/t.cpp" -o "$probe/t" >/dev/null 2>&1 && "$probe/t" || ok=1
    rm -rf "$probe"
    return $ok
}

if ! clang_works; then
    echo "== installing clang (apt-get)"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q clang
    clang_works || { echo "clang.sh: $cxx still cannot build a threaded C++17 program" >&2; exit 1; }
fi

. .ci/lib.sh
ci_workdir clang

echo "== compiler"
"$cxx" --version | head -n 1

echo "== build with $cxx into a fresh venv"
new_venv "$python" "$work/venv"
venv_py="$work/venv/bin/python"
CC=$cc CXX=$cxx "$venv_py" -m pip install -v --no-cache-dir "$root[core-test]" -C "build-dir=$work/build" > "$work/build.log" 2>&1 \
    || { tail -n 60 "$work/build.log"; echo "clang.sh: the build failed" >&2; exit 1; }
grep -E "The CXX compiler identification is" "$work/build.log" | sed 's/^ *//'
grep -q "The CXX compiler identification is Clang" "$work/build.log" \
    || { echo "clang.sh: CMake did not pick Clang (see the line above)" >&2; exit 1; }
if grep -E "(warning|error):" "$work/build.log"; then
    echo "clang.sh: note: Clang warned while compiling fastinit (above)" >&2
fi

echo "== the installed module"
(
    cd "$work"  # nowhere near python/: the import must come from the venv
    "$venv_py" - <<'PY'
import pathlib, subprocess, sys, sysconfig
import fastinit
core = pathlib.Path(fastinit._core.__file__).resolve()
site = pathlib.Path(sysconfig.get_paths()["platlib"]).resolve()
assert site in core.parents, f"fastinit._core imported from {core}, not from {site}"
# The core runs on its own threads: it links no OpenMP runtime (LLVM's libomp or GCC's libgomp).
ldd = subprocess.run(["ldd", str(core)], capture_output=True, text=True).stdout
omp = sorted({line.split()[0] for line in ldd.splitlines() if "omp" in line})
assert not omp, f"{core} links an OpenMP runtime, {omp}:\n{ldd}"
print(f"fastinit {fastinit.__version__} (stream version {fastinit.STREAM_VERSION}) from {core}")
print(f"simd_paths(): {fastinit.simd_paths()}, active: {fastinit.simd_path()}")
PY
)

echo "== core tests against the clang build"
run_core_tests "$work/venv" "$root"
