"""Model inputs for packed rows: every packed example attends only to itself and keeps its own positions.

`data.collate` gives packed batches `position_ids` (restarting at 0 per example) and `segment_ids`. With
flash-attention 2, transformers turns position ids that restart into its variable-length (varlen) kernels when no
attention mask is given, so only the position ids go in. Everywhere else a 4-D block-diagonal causal mask is built
from the segment ids: a boolean one for sdpa (True = may attend) and an additive one (0 or the dtype's minimum)
for eager attention, which adds the mask to its scores. Unpacked batches pass through unchanged.
"""

from __future__ import annotations

import torch

from . import models


def attn_implementation(model) -> str:
    cfg = getattr(models.unwrap(model), "config", None)
    return str(getattr(cfg, "_attn_implementation", None) or "sdpa")


def block_causal_mask(segment_ids: torch.Tensor, dtype: torch.dtype | None = None) -> torch.Tensor:
    """(B, 1, T, T) mask: token q may attend to token k iff k <= q and both are in the same segment.

    Boolean without `dtype`; else additive (0 where allowed, the dtype's minimum elsewhere)."""
    t = segment_ids.shape[1]
    causal = torch.ones((t, t), dtype=torch.bool, device=segment_ids.device).tril()
    allowed = (segment_ids[:, :, None] == segment_ids[:, None, :]) & causal
    allowed = allowed.unsqueeze(1)
    if dtype is None:
        return allowed
    zero = torch.zeros((), dtype=dtype, device=segment_ids.device)
    return torch.where(allowed, zero, torch.finfo(dtype).min)


def model_inputs(model, batch: dict) -> dict:
    """Keyword arguments for `model(...)` (or its decoder) on a collated batch."""
    if "segment_ids" not in batch:
        return {"input_ids": batch["input_ids"], "attention_mask": batch["attention_mask"]}
    impl = attn_implementation(model)
    inputs = {"input_ids": batch["input_ids"], "position_ids": batch["position_ids"]}
    if impl.startswith("flash_attention"):
        return inputs
    dtype = None if impl == "sdpa" else next(models.unwrap(model).parameters()).dtype
    inputs["attention_mask"] = block_causal_mask(batch["segment_ids"], dtype)
    return inputs
