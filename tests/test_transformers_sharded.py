"""FSDP2-wrapped transformers models: the same bits on 1, 2 and 4 ranks (docs/guide/model-zoos.md).

Each world size spawns its ranks once (gloo on the CPU, torchrun's environment variables, a free
port), running tests/test_transformers_sharded_worker.py: tiny GPT-2 and Llama built on the meta
device and wrapped with ``fully_shard`` (each decoder layer, then the root); ``init_module`` and
``seeded`` around the model's own ``init_weights()`` gather to the single-process ``init_module``
bit for bit (every parameter and buffer; GPT-2's tie kept); draws on DTensors, their local shards
and views land at their global positions. Here: every rank passed, and the ``fingerprint_module``
dicts are the same on every rank of every world size.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from gloo_ranks import run_ranks

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")
if not torch.distributed.is_available():  # pragma: no cover - torch without distributed
    pytest.skip("torch.distributed is not available", allow_module_level=True)

WORKER = Path(__file__).with_name("test_transformers_sharded_worker.py")
WORLDS = (1, 2, 4)
_FINGERPRINTS: dict[int, Any] = {}


def _fingerprints(out: str) -> Any:
    lines = [line for line in out.splitlines() if line.startswith("FINGERPRINTS ")]
    assert len(lines) == 1, out[-3000:]
    return json.loads(lines[0].removeprefix("FINGERPRINTS "))


@pytest.mark.multiprocess
@pytest.mark.parametrize("world", WORLDS)
def test_world(world: int) -> None:
    outputs = run_ranks(WORKER, world)
    for rank, out in enumerate(outputs):
        assert f"rank {rank}/{world}: " in out and "checks passed" in out, out[-3000:]
    prints = [_fingerprints(out) for out in outputs]
    assert all(p == prints[0] for p in prints), "ranks disagree on fingerprint_module"
    assert set(prints[0]) == {"gpt2", "llama"} and all(len(d) > 20 for d in prints[0].values())
    _FINGERPRINTS[world] = prints[0]
    for other, seen in _FINGERPRINTS.items():  # the worlds run so far (all of them, run in order)
        assert seen == prints[0], f"fingerprint_module differs between {other} and {world} ranks"
