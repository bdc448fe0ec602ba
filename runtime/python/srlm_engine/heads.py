"""A causal LM split into its decoder and LM head, for the losses fused with the head (`losses.fused_*`).

The split is taken only where the model's logits are exactly `lm_head(decoder(...).last_hidden_state)` — the
dense decoder families below (no logit soft-capping or scaling), with a plain `nn.Linear` head (not a LoRA-wrapped
one) and an unsharded model (FSDP gathers a sharded head's weight only inside its own forward). Anything else
keeps the path through `model(...).logits`. `SRLM_FUSED_LOSS=0` turns the split off.
"""

from __future__ import annotations

import os

import torch

from . import distributed, models

FUSABLE_MODEL_TYPES = ("qwen2", "qwen3", "llama", "mistral")


def split(model) -> tuple[torch.nn.Module, torch.nn.Linear] | None:
    """(decoder, head) of a model the fused losses can use, else None."""
    if os.environ.get("SRLM_FUSED_LOSS", "1") == "0" or distributed.is_sharded(model):
        return None
    m = models.unwrap(model)
    base = m.get_base_model() if hasattr(m, "peft_config") else m
    cfg = getattr(base, "config", None)
    if getattr(cfg, "model_type", None) not in FUSABLE_MODEL_TYPES:
        return None
    decoder = getattr(base, getattr(base, "base_model_prefix", ""), None)
    head = base.get_output_embeddings()
    if decoder is None or type(head) is not torch.nn.Linear:
        return None
    return decoder, head


def hidden_states(decoder, inputs: dict) -> torch.Tensor:
    """The last hidden states ((B, T, H)) the head would project."""
    return decoder(**inputs, use_cache=False).last_hidden_state
