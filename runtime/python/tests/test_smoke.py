import json
import subprocess
import sys

import srlm_engine


def test_version_command_reports_package_version():
    out = subprocess.run(
        [sys.executable, "-m", "srlm_engine", "version"], capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(out) == {"engine": "srlm_engine", "version": srlm_engine.__version__}


def test_torch_and_transformers_import_and_build_a_tiny_model():
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    cfg = Qwen2Config(
        vocab_size=64,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=64,
    )
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(cfg)
    logits = model(torch.tensor([[1, 2, 3]])).logits
    assert logits.shape == (1, 3, 64)
