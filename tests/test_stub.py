"""The hand-written stub of the compiled module matches the module (mypy's stubtest)."""

import subprocess
import sys


def test_core_stub_matches_module():
    result = subprocess.run([sys.executable, "-m", "mypy.stubtest", "fastinit._core"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
