"""A sample of bench/zoo.py's model zoo through every check of bench/zoo.py's ``_check`` (slow tier).

bench/zoo.py builds ~90 architectures of transformers, timm and torchvision with
``fastinit.torch.build`` and checks each against the model's own init (docs/guide/model-zoos.md). The
models here cover the patterns of the three zoos: constructor loops of ``kaiming_normal_`` and
constants (ResNets, MobileNets, EfficientNet, DenseNet, GoogLeNet's ``trunc_normal_``), layer scales
(ConvNeXt, CaiT), class tokens and timm's op-by-op truncated normal (ViT, DeiT, EVA-02), re-registered
buffers (Swin), ``named_apply`` with names (MaxViT), torchvision's ViT, and transformers decoders,
mixtures of experts, an encoder, an encoder-decoder, an audio and a vision model. Each is one test,
so that pytest-xdist spreads them: 250 s of CPU time in all, 270 s in one process on a loaded 2-core
machine (torch 2.13.0 CPU build), so about 2 minutes on CI's two workers.

They live here, not in bench/, because CI's slow tier runs over the test paths (tests/) with ``-n 2``;
``pytest bench`` keeps the fast tier and runs the zoo only as a script, in its quick mode
(bench/test_scripts.py). A zoo that does not import skips its models (in CI, where a skip fails:
timm and torchvision are installed in a folder of their own named by ``FASTINIT_ZOO_PATH``, see
bench/zoo_imports.py). The models' own warnings are not what is tested (fastinit's are: the "warn"
check), so they stay warnings here.
"""

from __future__ import annotations

import importlib
import pathlib
import sys
from types import ModuleType
from typing import Any

import pytest

BENCH = pathlib.Path(__file__).resolve().parents[1] / "bench"

SUBSET = {
    "transformers": ["gpt2", "llama", "mixtral", "deepseek_v3", "bert", "t5", "whisper", "vit"],
    "timm": ["resnet18", "efficientnet_b0", "mobilenetv3_small_100", "convnext_atto", "vit_tiny_patch16_224",
             "deit_tiny_patch16_224", "swin_tiny_patch4_window7_224", "maxvit_tiny_tf_224", "eva02_tiny_patch14_224",
             "cait_xxs24_224"],
    "torchvision": ["resnet18", "mobilenet_v3_small", "densenet121", "googlenet", "vit_b_16"],
}

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("default")]


@pytest.fixture(scope="module")
def zoo() -> ModuleType:
    """bench/zoo.py as a module (bench/ on sys.path only while it and its model list import)."""
    pytest.importorskip("torch")
    saved = list(sys.path)
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module("zoo")
    finally:
        sys.path[:] = saved


@pytest.fixture(scope="module")
def models(zoo: ModuleType) -> tuple[dict[tuple[str, str], Any], list[str]]:
    """The zoo's models by (zoo, name), and the lines of the zoos that do not import."""
    found, skipped = zoo.zoo_models.zoos()
    return {(m.zoo, m.name): m for m in found}, skipped


def _problems(row: dict[str, Any], most: int = 20) -> str:
    """A failing row's checks, error, problems (the first ``most`` of each check) and warnings."""
    lines = [f"{row['zoo']} {row['name']}: fails {', '.join(row['fail'])}"]
    if "error" in row:
        lines.append(f"  {row['error']}")
    for check in ("same", "seed", "match"):
        problems = row.get(check, [])
        lines += [f"  {check}: {p}" for p in problems[:most]]
        if len(problems) > most:
            lines.append(f"  {check}: ... {len(problems) - most} more")
    lines += [f"  warning: {w}" for w in row["warnings"]]
    return "\n".join(lines)


@pytest.mark.parametrize(("zoo_name", "name"), [(z, n) for z, names in SUBSET.items() for n in names],
                         ids=lambda v: v)
def test_model_passes_every_zoo_check(zoo, models, zoo_name, name):
    found, skipped = models
    if (zoo_name, name) not in found:
        reasons = [line for line in skipped if line.startswith(f"{zoo_name}:")]
        assert reasons, f"{zoo_name} imports but has no model {name!r} (bench/zoo_models.py)"
        pytest.skip(reasons[0])
    row = zoo._check(found[zoo_name, name])
    assert not row["fail"], _problems(row)
    assert row["random"] > 0, f"{name}: no random tensor compared: {row}"
