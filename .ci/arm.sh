#!/usr/bin/env bash
# AArch64 without ARM hardware (docs/development.md): cross-compile cpp/tools/bits_driver.cpp (the core, no
# Python) for AArch64 and run it under qemu-aarch64 on the NEON and scalar paths, build it natively
# for every x86-64 path this CPU runs, then tests/test_aarch64.py compares every produced value
# with the x86-64 extension's. Installs Debian's cross compiler and user-mode emulator
# (g++-aarch64-linux-gnu, qemu-user) with apt-get when they are missing. The driver is built with
# -pthread (fastinit's own thread pool), so no OpenMP runtime (libgomp) is needed.
# .ci/run runs it with --drivers-only before the README step (whose tests then compare the outputs);
# the full mode also runs tests/test_aarch64.py with PYTHON. Leaves nothing in the checkout.
# Knobs: PYTHON (default .venv/bin/python, else python3): the interpreter with fastinit installed;
# FASTINIT_AARCH64_DIR: where the driver outputs go (default a temp dir, removed at exit);
# --drivers-only: build and run the drivers, no pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
python=${PYTHON:-}
[ -n "$python" ] || { [ -x .venv/bin/python ] && python=$root/.venv/bin/python || python=python3; }
drivers_only=0
[ "${1:-}" = "--drivers-only" ] && drivers_only=1

cross_tools() {
    command -v aarch64-linux-gnu-g++ >/dev/null 2>&1 && command -v qemu-aarch64 >/dev/null 2>&1 &&
        [ -e /usr/lib/gcc-cross/aarch64-linux-gnu ]
}
if ! cross_tools; then
    echo "== installing the AArch64 cross compiler and qemu-user (apt-get)"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "arm.sh: run as root or install sudo: apt-get must install g++-aarch64-linux-gnu qemu-user" >&2; exit 1; }
        sudo="sudo"
    fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q g++-aarch64-linux-gnu qemu-user
    cross_tools || { echo "arm.sh: aarch64-linux-gnu-g++ or qemu-aarch64 still missing" >&2; exit 1; }
fi

. .ci/lib.sh
ci_workdir arm
out=${FASTINIT_AARCH64_DIR:-$work/out}
mkdir -p "$out"

echo "== build bits_driver for AArch64 (static, NEON + scalar) and x86-64 (every x86 path)"
aarch64-linux-gnu-g++ --version | head -n 1
bash cpp/tools/build_bits_driver.sh aarch64 "$work/bits_driver-aarch64" 2>&1 | grep -v "statically linked" || true
[ -x "$work/bits_driver-aarch64" ] || { echo "arm.sh: the AArch64 build failed" >&2; exit 1; }
bash cpp/tools/build_bits_driver.sh x86_64 "$work/bits_driver-x86_64"
command -v file >/dev/null 2>&1 && file "$work/bits_driver-aarch64" | sed "s|$work/||" || true

echo "== run: AArch64 under $(qemu-aarch64 --version | head -n 1), then x86-64 natively"
qemu-aarch64 "$work/bits_driver-aarch64" "$out" neon scalar
"$work/bits_driver-x86_64" "$out"

if [ "$drivers_only" = 1 ]; then
    echo "== driver outputs in $out (--drivers-only: FASTINIT_AARCH64_DIR=$out pytest tests/test_aarch64.py checks them)"
    exit 0
fi
echo "== tests/test_aarch64.py: every line equals the x86-64 extension's values ($python)"
FASTINIT_AARCH64_DIR=$out FASTINIT_NO_SKIP=1 "$python" -m pytest -p no:cacheprovider -q tests/test_aarch64.py
