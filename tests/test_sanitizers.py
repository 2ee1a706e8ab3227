"""The core built with AddressSanitizer and UndefinedBehaviorSanitizer runs the core's tests
(KAT, reference stream, golden bits, invariance over layouts/threads/SIMD paths, bad input,
properties) without a report. Builds a second copy of the extension into a temporary folder
(about a minute) and runs those tests in a subprocess with libasan preloaded."""

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
# The core tests (tests/core_tests.txt) but test_accuracy.py, whose scans of all 2**23 float32 levels
# take many minutes under ASan; the same kernels run in test_golden.py and test_invariance.py.
CORE_TESTS = [line.strip() for line in (ROOT / "tests" / "core_tests.txt").read_text().splitlines()
              if line.strip() and not line.startswith("#") and line.strip() != "test_accuracy.py"]


def _runtime(name: str) -> str:
    path = subprocess.run(["g++", f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
    return path


@pytest.mark.sanitizers
def test_core_tests_pass_under_asan_and_ubsan(tmp_path):
    if shutil.which("g++") is None:
        pytest.fail("g++ is needed to build the sanitizer copy of the extension")
    target = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
         "-C", "cmake.define.FASTINIT_SANITIZE=ON", "-C", f"build-dir={tmp_path / 'build'}", str(ROOT)],
        capture_output=True, text=True, timeout=900)
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    built = list((target / "fastinit").glob("_core*.so"))
    assert built and "libasan" in subprocess.run(["ldd", str(built[0])], capture_output=True, text=True).stdout
    env = dict(os.environ,
               PYTHONPATH=str(target),
               LD_PRELOAD=" ".join([_runtime("libasan.so"), _runtime("libubsan.so")]),
               ASAN_OPTIONS="detect_leaks=0:abort_on_error=1",
               UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1")
    check = subprocess.run([sys.executable, "-c", "import fastinit, sys; print(fastinit.__file__)"],
                           env=env, capture_output=True, text=True, timeout=120)
    assert check.returncode == 0 and str(target) in check.stdout, check.stdout + check.stderr
    run = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
                          *[str(ROOT / "tests" / t) for t in CORE_TESTS]],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-5000:]
    assert "ERROR: AddressSanitizer" not in run.stderr and "runtime error" not in run.stderr
