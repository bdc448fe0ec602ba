"""Batched generation with the KV cache through `model.generate`, shared by eval, on-policy KD and RL."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from .data import left_pad
from .distributed import is_sharded
from .models import autocast


@dataclass
class Completion:
    ids: list[int]  # completion tokens, up to and including EOS when the model stopped
    text: str  # decoded without special tokens
    truncated: bool  # hit max_new_tokens without EOS


@torch.no_grad()
def generate(
    model,
    tokenizer,
    prompts: list[list[int]],
    max_new_tokens: int,
    temperature: float = 0.0,
    top_p: float = 1.0,
    num_return_sequences: int = 1,
    batch_size: int = 64,
    cache_implementation: str | None = None,
    pad_multiple: int = 1,
) -> list[Completion]:
    """Completions for each prompt (num_return_sequences each, grouped per prompt, in order).

    `cache_implementation = "static"` preallocates the KV cache, which lets transformers compile the decoding step
    (torch.compile, CUDA graphs) on CUDA; `pad_multiple` left-pads prompts to a multiple of that width so that
    batches of different prompt lengths reuse one compiled shape (padding is masked, so tokens do not change)."""
    from transformers import GenerationConfig

    was_training = model.training
    model.eval()
    do_sample = temperature > 0
    eos = tokenizer.eos_token_id
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos
    # An explicit config: a model's own generation_config (top_k = 50, repetition penalties...) must not
    # silently change what the plan's temperature and top_p mean.
    gen_cfg = GenerationConfig(
        max_new_tokens=max_new_tokens,
        do_sample=do_sample,
        temperature=temperature if do_sample else None,
        top_p=top_p if do_sample and top_p < 1.0 else None,
        top_k=0 if do_sample else None,
        num_return_sequences=num_return_sequences,
        eos_token_id=eos,
        pad_token_id=pad,
        use_cache=True,
        cache_implementation=cache_implementation,
    )
    out: list[Completion] = []
    per_call = max(1, batch_size // num_return_sequences)
    synced = is_sharded(model)
    try:
        device = next(model.parameters()).device
        for start in range(0, len(prompts), per_call):
            chunk = prompts[start : start + per_call]
            ids, att = left_pad(chunk, pad, device)
            extra = -ids.shape[1] % max(1, pad_multiple)
            if extra:
                ids = torch.nn.functional.pad(ids, (extra, 0), value=pad)
                att = torch.nn.functional.pad(att, (extra, 0), value=0)
            with autocast():
                # A sharded model needs every rank in every forward: ranks that finish early keep stepping.
                seqs = model.generate(
                    input_ids=ids, attention_mask=att, generation_config=gen_cfg, synced_gpus=synced
                )
            new = seqs[:, ids.shape[1] :].tolist()
            for row in new:
                # generate pads only after EOS, so a row without EOS ran to max_new_tokens.
                truncated = eos not in row
                if not truncated:
                    row = row[: row.index(eos) + 1]
                out.append(Completion(row, tokenizer.decode(row, skip_special_tokens=True), truncated))
    finally:
        if was_training:
            model.train()
    return out
