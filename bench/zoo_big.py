"""Full-size timings of bench/zoo.py (``--big``): GPT-2 (124 M parameters), BERT-base (110 M), a
Llama of 0.47 B (the config of bench/hf_init.py) and ViT-B/16 (timm, torchvision), float32 on the CPU.

Each time is the best of ``ROUNDS`` runs after a first one (warm: the allocator has seen the sizes),
the model's own side and fastinit's alike: one run alone is at the mercy of the machine (on a quiet
2-core EPYC the second of two runs gave torchvision's ViT-B/16 2.3-2.7x where the best of 4 gave
3.4-3.6x, minutes apart). For a model whose init
runs in its constructor (timm, torchvision): its own construction vs ``build(make, seed)`` (meta).
For transformers: the construction vs ``build(make, seed, build_on="cpu")``, which runs the
construction and then replays it, so it cannot be faster; the comparison that counts is the model's
``init_weights()`` vs ``init_module`` on the same model.
"""

from __future__ import annotations

import gc
import importlib
import time
from typing import Any, Callable

import fastinit.torch as ft

ROUNDS = 3  # timed runs per measurement, after an untimed first one


def _warm(fn: Callable[[], Any]) -> float:
    """Wall seconds of fn's fastest run of ROUNDS after a first, untimed one (results freed before the next)."""
    best = float("inf")
    for i in range(ROUNDS + 1):
        gc.collect()
        t = time.perf_counter()
        out = fn()
        if i:
            best = min(best, time.perf_counter() - t)
        del out
    return best


def _hf_models() -> list[tuple[str, Callable[[], Any]]]:
    t = importlib.import_module("transformers")
    t.logging.set_verbosity_error()
    llama = t.LlamaConfig(vocab_size=32000, hidden_size=1024, intermediate_size=4096, num_hidden_layers=24,
                          num_attention_heads=16, num_key_value_heads=16, tie_word_embeddings=False)
    return [("GPT-2 124M (transformers)", lambda: t.GPT2LMHeadModel(t.GPT2Config())),
            ("BERT-base (transformers)", lambda: t.BertForMaskedLM(t.BertConfig())),
            ("Llama 0.47B (transformers)", lambda: t.LlamaForCausalLM(llama))]


def _vision_models() -> list[tuple[str, Callable[[], Any]]]:
    found = []
    try:
        timm = importlib.import_module("timm")
        found.append(("ViT-B/16 (timm)", lambda: timm.create_model("vit_base_patch16_224", pretrained=False)))
    except Exception:  # noqa: BLE001 - a missing zoo is left out
        pass
    try:
        tv = importlib.import_module("torchvision.models")
        found.append(("ViT-B/16 (torchvision)", lambda: tv.vit_b_16(weights=None)))
    except Exception:  # noqa: BLE001
        pass
    return found


def _hf_init_times(make: Callable[[], Any]) -> tuple[float, float]:
    """init_weights() vs init_module on one model, each timed as _warm times it."""
    from fastinit.torch.own_init import _clear_hf_flags

    model = make()

    def own() -> None:
        _clear_hf_flags(model)
        model.init_weights()

    own_s = _warm(own)
    ours_s = _warm(lambda: ft.init_module(model, 0))
    return own_s, ours_s


def big_speed() -> list[dict[str, Any]]:
    """Time each full-size model and print one line per model; returns the rows."""
    print(f"\nfull size, float32, CPU, warm (the best of {ROUNDS} runs after a first), wall seconds; x: own / fastinit")
    rows = []
    hf: list[tuple[str, Callable[[], Any]]] = []
    try:
        hf = _hf_models()
    except Exception as e:  # noqa: BLE001
        print(f"  transformers: skipped ({type(e).__name__})")
    for name, make in hf + _vision_models():
        is_hf = name.endswith("(transformers)")
        row: dict[str, Any] = {"name": name, "own": _warm(make)}
        row["build"] = _warm(lambda make=make, is_hf=is_hf: ft.build(make, 0, build_on="cpu" if is_hf else "meta"))
        line = (f"  {name:<28}construction {row['own']:6.2f} s  build {row['build']:6.2f} s  "
                f"x {row['own'] / row['build']:5.2f}")
        if is_hf:
            row["init_weights"], row["init_module"] = _hf_init_times(make)
            line += (f"   init_weights() {row['init_weights']:6.2f} s  init_module {row['init_module']:6.2f} s  "
                     f"x {row['init_weights'] / row['init_module']:5.2f}")
        print(line, flush=True)
        rows.append(row)
        gc.collect()
    return rows
