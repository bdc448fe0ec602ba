"""Builds the benchmark checkpoints and their ONNX exports: the demo's tiny student, and a wider model (~25M
parameters) where per-token compute, not interpreter overhead, dominates.

usage: python make_models.py OUT_DIR [--large]
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import srlm_engine
import torch
from srlm_engine.export import export_checkpoint
from transformers import AutoTokenizer, Qwen2Config, Qwen2ForCausalLM

SIZES = {
    "tiny-student": {},
    "small-8L-512": {
        "hidden_size": 512,
        "intermediate_size": 1408,
        "num_hidden_layers": 8,
        "num_attention_heads": 8,
        "num_key_value_heads": 2,
    },
}
# Qwen2.5-0.5B's shape (494M parameters, 151,936-token vocabulary), random weights: opt-in with --large.
LARGE = {
    "qwen2.5-0.5b-shape": {
        "vocab_size": 151936,
        "hidden_size": 896,
        "intermediate_size": 4864,
        "num_hidden_layers": 24,
        "num_attention_heads": 14,
        "num_key_value_heads": 2,
        "max_position_embeddings": 32768,
        "rope_theta": 1000000.0,
    },
}


def main(out: Path, large: bool) -> None:
    warnings.filterwarnings("ignore")
    assets = Path(srlm_engine.__file__).parent / "assets" / "models" / "tiny-student"
    tokenizer = AutoTokenizer.from_pretrained(assets)
    made = {}
    for name, overrides in (SIZES | LARGE if large else SIZES).items():
        folder = out / name
        if not (folder / "onnx" / "srlm_onnx.json").is_file():
            raw = json.loads((assets / "config.json").read_text()) | overrides
            # Per-layer fields derive from the layer count; let the config recompute them.
            raw.pop("layer_types", None)
            raw["max_window_layers"] = raw["num_hidden_layers"]
            config = Qwen2Config(**raw)
            torch.manual_seed(0)
            model = Qwen2ForCausalLM(config).eval()
            model.save_pretrained(folder)
            tokenizer.save_pretrained(folder)
            export_checkpoint(folder)
        params = sum(
            p.numel() for p in Qwen2ForCausalLM.from_pretrained(folder).parameters()
        )
        made[name] = {"path": str(folder), "params": params}
    print(json.dumps(made))


if __name__ == "__main__":
    main(Path(sys.argv[1]), "--large" in sys.argv[2:])
