"""The standalone benchmark scripts run (so that they never rot): bench/hf_init.py (transformers
model init, needs transformers) in its quick mode, bench/dtensor_init.py (FSDP2 init on 1, 2 and 4
gloo ranks), bench/torchrec_init.py (a TorchRec table row-wise on 2 gloo ranks, small), bench/zoo.py
(fastinit.torch.build against each model's own init, in its quick mode). Their numbers
are in docs/guide/model-zoos.md, docs/guide/sharded-training.md and docs/guide/torchrec.md;
here only their completing and their own checks count."""

from __future__ import annotations

import json
import os
import pathlib
import subprocess
import sys

import pytest

BENCH = pathlib.Path(__file__).resolve().parent


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout


def test_hf_init_script(quick):
    pytest.importorskip("transformers")
    out = _run(str(BENCH / "hf_init.py"), *(["--quick"] if quick else []))
    assert "speed-up warm" in out, out


def test_dtensor_init_script():
    pytest.importorskip("torch.distributed")
    out = _run(str(BENCH / "dtensor_init.py"))
    assert "fully_shard, 4 ranks" in out, out


def test_torchrec_init_script():
    """bench/torchrec_init.py on a small table (its numbers: docs/guide/torchrec.md)."""
    pytest.importorskip("torchrec")
    out = _run(str(BENCH / "torchrec_init.py"), "--rows", "100000", "--repeat", "1")
    assert "TorchRec reset_parameters" in out and "fastinit.uniform of the local shard" in out, out


def test_zoo_script_quick(tmp_path):
    """bench/zoo.py --quick: a few tiny transformers models (and timm/torchvision ones where those
    import); every row passes every check. A zoo that does not import is a line of the script's
    output; under FASTINIT_NO_SKIP (CI: tests/conftest.py) it fails this test."""
    pytest.importorskip("transformers")
    out = _run(str(BENCH / "zoo.py"), "--quick", "--json", str(tmp_path / "zoo.json"))
    result = json.loads((tmp_path / "zoo.json").read_text())
    if os.environ.get("FASTINIT_NO_SKIP", "") not in ("", "0"):
        assert result["skipped"] == [], f"zoos skipped, but FASTINIT_NO_SKIP is set (CI): {result['skipped']}"
    rows = result["rows"]
    assert {r["name"] for r in rows if r["zoo"] == "transformers"} == {"gpt2", "llama", "bert", "t5"}, out
    assert [(r["name"], r["fail"]) for r in rows if r["fail"]] == [], out
    assert all(r["random"] > 0 and r["t_build"] > 0 for r in rows), out


def test_gpu_script_quick():
    """bench/gpu.py --quick: its case list under Triton's interpreter (no GPU needed)."""
    pytest.importorskip("triton")
    out = _run(str(BENCH / "gpu.py"), "--quick")
    assert "all cases equal" in out, out
