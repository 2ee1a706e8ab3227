"""The model list of bench/zoo.py: tiny transformers configs, small timm and torchvision models.

Each entry is a `Model`: its zoo, a name, and `make()`, the model's own construction with its own
init (run under `torch.manual_seed` for the reference, under `fastinit.torch.build` for ours). The
zoos are imported by `zoo_imports.import_zoo` (the folders of `FASTINIT_ZOO_PATH` too; torchvision
beside a CPU build of torch); a zoo that cannot be imported is reported by `zoos()` with the reason
and left out.
"""

from __future__ import annotations

import dataclasses
import functools
from typing import Any, Callable

from zoo_imports import import_zoo  # next to this file: FASTINIT_ZOO_PATH, torchvision beside a CPU torch

TINY_DECODER = {"vocab_size": 128, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64}
TINY_ENCODER = {"vocab_size": 128, "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                "num_attention_heads": 4, "max_position_embeddings": 64}
TINY_SEQ2SEQ = {"vocab_size": 128, "d_model": 32, "encoder_layers": 2, "decoder_layers": 2,
                "encoder_attention_heads": 4, "decoder_attention_heads": 4, "encoder_ffn_dim": 64,
                "decoder_ffn_dim": 64, "max_position_embeddings": 64}
TINY_VISION = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
               "image_size": 32, "patch_size": 8}
TINY_AUDIO = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
              "conv_dim": (8, 8), "conv_kernel": (3, 3), "conv_stride": (2, 2), "num_conv_pos_embeddings": 8,
              "num_conv_pos_embedding_groups": 2, "vocab_size": 32}
TOKENS = {"pad_token_id": 0, "bos_token_id": 1, "eos_token_id": 2}  # inside the tiny vocabulary
MOE = {"num_experts": 4, "num_experts_per_tok": 2, "moe_intermediate_size": 32}

# (name, transformers model_type, auto class, config keyword arguments)
TRANSFORMERS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("gpt2", "gpt2", "AutoModelForCausalLM", {"vocab_size": 128, "n_embd": 32, "n_layer": 2, "n_head": 4,
                                              "n_positions": 64}),
    ("gptj", "gptj", "AutoModelForCausalLM", {"vocab_size": 128, "n_embd": 32, "n_layer": 2, "n_head": 4,
                                              "rotary_dim": 4, "n_positions": 64}),
    ("gpt_neox", "gpt_neox", "AutoModelForCausalLM", TINY_ENCODER),
    ("llama", "llama", "AutoModelForCausalLM", TINY_DECODER),
    ("mistral", "mistral", "AutoModelForCausalLM", TINY_DECODER),
    ("mixtral", "mixtral", "AutoModelForCausalLM", {**TINY_DECODER, "num_local_experts": 4,
                                                    "num_experts_per_tok": 2}),
    ("qwen2", "qwen2", "AutoModelForCausalLM", TINY_DECODER),
    ("qwen2_moe", "qwen2_moe", "AutoModelForCausalLM", {**TINY_DECODER, **MOE,
                                                        "shared_expert_intermediate_size": 32}),
    ("qwen3", "qwen3", "AutoModelForCausalLM", {**TINY_DECODER, "head_dim": 8}),
    ("qwen3_moe", "qwen3_moe", "AutoModelForCausalLM", {**TINY_DECODER, **MOE, "head_dim": 8}),
    ("gemma", "gemma", "AutoModelForCausalLM", {**TINY_DECODER, "head_dim": 8}),
    ("gemma2", "gemma2", "AutoModelForCausalLM", {**TINY_DECODER, "head_dim": 8}),
    ("phi", "phi", "AutoModelForCausalLM", TINY_ENCODER),
    ("phi3", "phi3", "AutoModelForCausalLM", {**TINY_DECODER, "pad_token_id": 0}),
    ("falcon", "falcon", "AutoModelForCausalLM", {"vocab_size": 128, "hidden_size": 32, "num_hidden_layers": 2,
                                                  "num_attention_heads": 4}),
    ("opt", "opt", "AutoModelForCausalLM", {"vocab_size": 128, "hidden_size": 32, "ffn_dim": 64,
                                            "num_hidden_layers": 2, "num_attention_heads": 4,
                                            "word_embed_proj_dim": 32, "max_position_embeddings": 64}),
    ("bloom", "bloom", "AutoModelForCausalLM", {"vocab_size": 128, "hidden_size": 32, "n_layer": 2, "n_head": 4}),
    ("starcoder2", "starcoder2", "AutoModelForCausalLM", TINY_DECODER),
    ("olmo2", "olmo2", "AutoModelForCausalLM", TINY_DECODER),
    ("granite", "granite", "AutoModelForCausalLM", TINY_DECODER),
    ("deepseek_v3", "deepseek_v3", "AutoModelForCausalLM", {
        **TINY_DECODER, "moe_intermediate_size": 16, "n_routed_experts": 4, "num_experts_per_tok": 2,
        "n_group": 1, "topk_group": 1, "first_k_dense_replace": 1, "kv_lora_rank": 16, "q_lora_rank": 16,
        "qk_nope_head_dim": 8, "qk_rope_head_dim": 8, "v_head_dim": 8}),
    ("mamba", "mamba", "AutoModelForCausalLM", {"vocab_size": 128, "hidden_size": 32, "num_hidden_layers": 2,
                                                "state_size": 8}),
    ("rwkv", "rwkv", "AutoModelForCausalLM", {"vocab_size": 128, "hidden_size": 32, "num_hidden_layers": 2,
                                              "attention_hidden_size": 32, "intermediate_size": 64,
                                              "context_length": 64}),
    ("bert", "bert", "AutoModelForMaskedLM", TINY_ENCODER),
    ("roberta", "roberta", "AutoModelForMaskedLM", TINY_ENCODER),
    ("deberta-v2", "deberta-v2", "AutoModelForMaskedLM", TINY_ENCODER),
    ("albert", "albert", "AutoModelForMaskedLM", {**TINY_ENCODER, "embedding_size": 16}),
    ("distilbert", "distilbert", "AutoModelForMaskedLM", {"vocab_size": 128, "dim": 32, "hidden_dim": 64,
                                                          "n_layers": 2, "n_heads": 4,
                                                          "max_position_embeddings": 64}),
    ("electra", "electra", "AutoModelForMaskedLM", {**TINY_ENCODER, "embedding_size": 16}),
    ("modernbert", "modernbert", "AutoModelForMaskedLM", {**TINY_ENCODER, **TOKENS}),
    ("mpnet", "mpnet", "AutoModelForMaskedLM", TINY_ENCODER),
    ("xlnet", "xlnet", "AutoModel", {"vocab_size": 128, "d_model": 32, "n_layer": 2, "n_head": 4, "d_inner": 64}),
    ("t5", "t5", "AutoModelForSeq2SeqLM", {"vocab_size": 128, "d_model": 32, "d_ff": 64, "num_layers": 2,
                                           "num_heads": 4, "d_kv": 8}),
    ("bart", "bart", "AutoModelForSeq2SeqLM", TINY_SEQ2SEQ),
    ("whisper", "whisper", "AutoModel", {**TINY_SEQ2SEQ, "num_mel_bins": 16, "max_source_positions": 32,
                                         "max_target_positions": 32, **TOKENS, "decoder_start_token_id": 1}),
    ("vit", "vit", "AutoModel", TINY_VISION),
    ("dinov2", "dinov2", "AutoModel", TINY_VISION),
    ("swin", "swin", "AutoModel", {"embed_dim": 16, "depths": [1, 1], "num_heads": [1, 2], "image_size": 32,
                                   "patch_size": 4, "window_size": 4}),
    ("convnext", "convnext", "AutoModel", {"hidden_sizes": [8, 16], "depths": [1, 1], "num_stages": 2}),
    ("resnet", "resnet", "AutoModel", {"embedding_size": 8, "hidden_sizes": [8, 16], "depths": [1, 1],
                                       "layer_type": "basic"}),
    ("clip", "clip", "AutoModel", {"text_config": TINY_ENCODER, "vision_config": TINY_VISION,
                                   "projection_dim": 16}),
    ("siglip", "siglip", "AutoModel", {"text_config": TINY_ENCODER, "vision_config": TINY_VISION}),
    ("wav2vec2", "wav2vec2", "AutoModel", TINY_AUDIO),
    ("hubert", "hubert", "AutoModel", TINY_AUDIO),
    ("blip", "blip", "BlipForConditionalGeneration", {"text_config": TINY_ENCODER, "vision_config": TINY_VISION,
                                                      "projection_dim": 16}),
    ("llava", "llava", "LlavaForConditionalGeneration", {
        "text_config": {"model_type": "llama", **TINY_DECODER},
        "vision_config": {"model_type": "clip_vision_model", **TINY_VISION}, "image_token_index": 127}),
]

TIMM = ["resnet18", "resnet50d", "efficientnet_b0", "mobilenetv3_small_100", "regnety_002", "densenet121",
        "convnext_atto", "vit_tiny_patch16_224", "deit_tiny_patch16_224", "swin_tiny_patch4_window7_224",
        "maxvit_tiny_tf_224", "eva02_tiny_patch14_224", "cait_xxs24_224", "xcit_nano_12_p16_224",
        "coat_lite_tiny", "pvt_v2_b0", "poolformer_s12", "nf_resnet26", "mobilevit_xxs", "mixer_s16_224",
        "levit_128s", "edgenext_xx_small", "ghostnet_100", "repvgg_a0", "convmixer_768_32",
        "dla34", "hrnet_w18_small"]

# (name, keyword arguments of torchvision.models.<name>)
TORCHVISION: list[tuple[str, dict[str, Any]]] = [
    ("resnet18", {}), ("mobilenet_v2", {}), ("mobilenet_v3_small", {}), ("efficientnet_b0", {}),
    ("regnet_y_400mf", {}), ("densenet121", {}), ("squeezenet1_0", {}), ("shufflenet_v2_x0_5", {}),
    ("vit_b_16", {"image_size": 64}), ("convnext_tiny", {}), ("swin_t", {}), ("googlenet", {"init_weights": True,
                                                                                          "aux_logits": False}),
    ("inception_v3", {"init_weights": True, "aux_logits": False}), ("mnasnet0_5", {}), ("alexnet", {}),
    ("vgg11", {}),
]

QUICK = {"transformers": ["gpt2", "llama", "bert", "t5"], "timm": ["resnet18", "vit_tiny_patch16_224"],
         "torchvision": ["resnet18", "mobilenet_v3_small"]}


@dataclasses.dataclass
class Model:
    zoo: str
    name: str
    make: Callable[[], Any]


def _hf_make(module: Any, model_type: str, auto: str, kwargs: dict[str, Any]) -> Any:
    config = module.AutoConfig.for_model(model_type, **kwargs)
    cls = getattr(module, auto)
    return cls.from_config(config) if auto.startswith("Auto") else cls(config)


def _transformers() -> list[Model]:
    module = import_zoo("transformers")
    module.logging.set_verbosity_error()
    return [Model("transformers", name, functools.partial(_hf_make, module, mt, auto, kw))
            for name, mt, auto, kw in TRANSFORMERS]


def _timm() -> list[Model]:
    module = import_zoo("timm")
    return [Model("timm", name, functools.partial(module.create_model, name, pretrained=False)) for name in TIMM]


def _torchvision() -> list[Model]:
    models = import_zoo("torchvision.models")
    return [Model("torchvision", name, functools.partial(getattr(models, name), weights=None, **kw))
            for name, kw in TORCHVISION]


def zoos() -> tuple[list[Model], list[str]]:
    """Every model of the zoos that import, and one line per zoo that does not."""
    found, skipped = [], []
    for zoo, loader in (("transformers", _transformers), ("timm", _timm), ("torchvision", _torchvision)):
        try:
            found += loader()
        except Exception as e:  # noqa: BLE001 - a zoo that is missing or broken is skipped, with the reason
            skipped.append(f"{zoo}: skipped ({type(e).__name__}: {str(e).splitlines()[0][:100]})")
    return found, skipped
