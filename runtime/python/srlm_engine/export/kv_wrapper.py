"""A causal LM behind a flat, ONNX-friendly signature with an explicit key/value cache.

ONNX graphs cannot take Hugging Face ``Cache`` objects, so the wrapper rebuilds a ``DynamicCache`` from one
tensor per layer and per key/value, and returns the grown cache the same way. A past of length 0 is valid:
the first (prefill) call and every later step run through the same graph.
"""

from __future__ import annotations

from typing import Any

import torch
from transformers.cache_utils import DynamicCache


def input_names(num_layers: int) -> list[str]:
    return ["input_ids", "attention_mask", "position_ids"] + [
        f"past_key_values.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")
    ]


def output_names(num_layers: int) -> list[str]:
    return ["logits"] + [f"present.{i}.{kind}" for i in range(num_layers) for kind in ("key", "value")]


class KVCacheCausalLM(torch.nn.Module):
    def __init__(self, model: Any) -> None:  # a transformers causal LM
        super().__init__()
        self.model = model
        self.num_layers = int(model.config.num_hidden_layers)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        position_ids: torch.Tensor,
        past: tuple[torch.Tensor, ...],
    ) -> tuple[torch.Tensor, ...]:
        cache = DynamicCache(config=self.model.config)
        for layer in range(self.num_layers):
            cache.update(past[2 * layer], past[2 * layer + 1], layer)
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            past_key_values=cache,
            use_cache=True,
        )
        present: list[torch.Tensor] = []
        for layer in out.past_key_values.layers:
            present += [layer.keys, layer.values]
        return (out.logits, *present)


def cache_geometry(config) -> tuple[int, int, int]:
    """(layers, key/value heads, head dim) of a decoder config."""
    heads = int(config.num_attention_heads)
    kv_heads = int(getattr(config, "num_key_value_heads", None) or heads)
    head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // heads)
    return int(config.num_hidden_layers), kv_heads, head_dim


def example_inputs(config, batch: int, seq: int, past: int, seed: int = 0) -> tuple:
    """Random inputs of the given shapes, used both to trace the graph and to verify it."""
    layers, kv_heads, head_dim = cache_geometry(config)
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, int(config.vocab_size), (batch, seq), generator=gen)
    mask = torch.ones(batch, past + seq, dtype=torch.long)
    positions = torch.arange(past, past + seq).unsqueeze(0).expand(batch, seq).contiguous()
    kv = tuple(torch.randn(batch, kv_heads, past, head_dim, generator=gen) for _ in range(2 * layers))
    return ids, mask, positions, kv
