#!/usr/bin/env bash
# Build cpp/tools/bits_driver.cpp with the core's C++ (no Python, no pybind11), with the same
# floating-point flags as CMakeLists.txt (-ffp-contract=off: no fused multiply-add the source does
# not write), and the SIMD paths of the target architecture:
#   build_bits_driver.sh x86_64 OUT    native g++ (CXX): scalar, avx2, avx512 (chosen at run time)
#   build_bits_driver.sh aarch64 OUT   aarch64-linux-gnu-g++ (AARCH64_CXX): scalar, neon; linked
#                                      statically, so qemu-aarch64 runs it without a sysroot
# Object files go to a temp dir next to OUT; nothing is written in the checkout.
set -euo pipefail
arch=${1:?usage: build_bits_driver.sh x86_64|aarch64 OUT}
out=${2:?usage: build_bits_driver.sh x86_64|aarch64 OUT}
src=$(cd "$(dirname "$0")/.." && pwd)  # cpp/
flags=(-std=c++17 -O2 -pthread -ffp-contract=off -fno-fast-math -fno-math-errno -I"$src")
# Every core source (cpp/*.cpp: the module's list in CMakeLists.txt less the bindings) but the
# other architectures' kernels.
core=(tools/bits_driver)
for f in "$src"/*.cpp; do
    name=$(basename "$f" .cpp)
    case $name in kernels_avx2 | kernels_avx512 | kernels_neon) ;; *) core+=("$name") ;; esac
done
objs=$(mktemp -d "$(dirname "$out")/bits-driver-obj.XXXXXX")
trap 'rm -rf "$objs"' EXIT

warn=(tools/bits_driver)  # -Wall -Wextra -Werror for these (CMake's build warns on the rest)
case $arch in
    x86_64)
        cxx=${CXX:-g++}
        flags+=(-DFASTINIT_X86=1)
        link=()
        ;;
    aarch64)
        cxx=${AARCH64_CXX:-aarch64-linux-gnu-g++}
        flags+=(-DFASTINIT_NEON=1)
        link=(-static)
        core+=(kernels_neon)
        warn+=(kernels_neon)
        ;;
    *) echo "build_bits_driver.sh: unknown architecture '$arch' (x86_64 or aarch64)" >&2; exit 2 ;;
esac

pids=()
compile() {  # compile NAME [EXTRA FLAG...], in the background
    local name=$1 w=()
    shift
    [[ " ${warn[*]} " == *" $name "* ]] && w=(-Wall -Wextra -Werror)
    "$cxx" "${flags[@]}" "${w[@]}" "$@" -c "$src/$name.cpp" -o "$objs/${name//\//_}.o" &
    pids+=($!)
}
for name in "${core[@]}"; do compile "$name"; done
if [ "$arch" = x86_64 ]; then
    compile kernels_avx2 -mavx2 -mfma -mf16c
    compile kernels_avx512 -mavx512f -mavx512bw -mavx512dq -mavx512vl -mavx2 -mfma -mf16c
fi
for pid in "${pids[@]}"; do wait "$pid" || { echo "build_bits_driver.sh: compiling failed" >&2; exit 1; }; done
"$cxx" -pthread "${link[@]}" "$objs"/*.o -o "$out"
