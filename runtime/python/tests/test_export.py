"""ONNX export with KV cache: the graph must reproduce the PyTorch model with and without a past, LoRA must be
merged, and the command line must write a self-contained folder."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import onnxruntime as ort
import pytest
import torch
from transformers import Qwen2Config, Qwen2ForCausalLM

from srlm_engine.export import MANIFEST, CheckpointError, export_checkpoint
from srlm_engine.export.kv_wrapper import input_names

# Tracing warnings from torch and transformers are about code paths the checks below cover.
pytestmark = pytest.mark.filterwarnings("ignore")


def tiny_config() -> Qwen2Config:
    return Qwen2Config(
        vocab_size=96,
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        tie_word_embeddings=True,
        eos_token_id=2,
        initializer_range=0.3,
    )


@pytest.fixture(scope="module")
def full_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("full")
    torch.manual_seed(0)
    model = Qwen2ForCausalLM(tiny_config()).eval()
    model.save_pretrained(folder)
    (folder / "meta.json").write_text(json.dumps({"stage": "sft", "step": 1}))
    return folder, model


def run_session(session, layers, ids, past, kv_heads=2, head_dim=8):
    past_len = 0 if past is None else past[0].shape[2]
    n = ids.shape[1]
    feeds = {
        "input_ids": ids.numpy(),
        "attention_mask": np.ones((1, past_len + n), dtype=np.int64),
        "position_ids": np.arange(past_len, past_len + n, dtype=np.int64)[None],
    }
    if past is None:
        past = [np.zeros((1, kv_heads, 0, head_dim), dtype=np.float32)] * (2 * layers)
    for name, value in zip(input_names(layers)[3:], past, strict=True):
        feeds[name] = value
    out = session.run(None, feeds)
    return out[0], out[1:]


def test_exported_logits_match_pytorch_with_and_without_past(full_checkpoint, tmp_path):
    folder, model = full_checkpoint
    result = export_checkpoint(folder, tmp_path / "onnx")
    assert result.max_abs_diff is not None and result.max_abs_diff < 1e-4
    session = ort.InferenceSession(result.model_path, providers=["CPUExecutionProvider"])
    ids = torch.tensor([[5, 17, 42, 8, 66, 3, 91]])
    with torch.no_grad():
        expected = model(ids).logits.numpy()
    # Prefill on the first 4 tokens (no past), then the remaining 3 one at a time through the returned cache:
    # every position must match the single full forward pass of the unmodified model.
    logits, present = run_session(session, 2, ids[:, :4], None)
    np.testing.assert_allclose(logits, expected[:, :4], atol=1e-4, rtol=0)
    for pos in range(4, 7):
        logits, present = run_session(session, 2, ids[:, pos : pos + 1], present)
        assert present[0].shape == (1, 2, pos + 1, 8)
        np.testing.assert_allclose(logits[:, 0], expected[:, pos], atol=1e-4, rtol=0)


def test_manifest_and_copied_files(full_checkpoint, tmp_path):
    folder, _ = full_checkpoint
    out = tmp_path / "export"
    export_checkpoint(folder, out, exporter="torchscript")
    manifest = json.loads((out / MANIFEST).read_text())
    assert manifest["num_layers"] == 2 and manifest["num_kv_heads"] == 2 and manifest["head_dim"] == 8
    assert manifest["eos_token_ids"] == [2]
    assert manifest["output_names"][:3] == ["logits", "present.0.key", "present.0.value"]
    assert manifest["exporter"] == "torchscript" and manifest["max_abs_diff"] < 1e-4
    assert json.loads((out / "meta.json").read_text())["stage"] == "sft"
    # A second export replaces the first atomically and leaves no staging folders behind.
    export_checkpoint(folder, out, exporter="torchscript")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]


def test_lora_checkpoint_is_merged_before_export(tmp_path):
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(1)
    base = Qwen2ForCausalLM(tiny_config()).eval()
    base.save_pretrained(tmp_path / "base")
    # init_lora_weights=False gives a non-zero B, so a forgotten merge changes the logits.
    lora = get_peft_model(
        base, LoraConfig(r=4, lora_alpha=8, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    ).eval()
    lora.save_pretrained(tmp_path / "adapter")
    # The base was built from a config, so peft recorded no name; the engine's meta.json names the base folder,
    # relative to the checkpoint as run folders are.
    assert not json.loads((tmp_path / "adapter" / "adapter_config.json").read_text()).get(
        "base_model_name_or_path"
    )
    (tmp_path / "adapter" / "meta.json").write_text(
        json.dumps({"stage": "sft", "base_checkpoint": "../base"})
    )

    result = export_checkpoint(tmp_path / "adapter", tmp_path / "onnx", exporter="torchscript")
    assert json.loads((tmp_path / "onnx" / MANIFEST).read_text())["lora_merged"] is True
    session = ort.InferenceSession(result.model_path, providers=["CPUExecutionProvider"])
    ids = torch.tensor([[4, 9, 33, 70]])
    with torch.no_grad():
        with_adapter = lora(ids).logits.numpy()
        without = Qwen2ForCausalLM.from_pretrained(tmp_path / "base")(ids).logits.numpy()
    logits, _ = run_session(session, 2, ids, None)
    np.testing.assert_allclose(logits, with_adapter, atol=1e-4, rtol=0)
    assert np.abs(with_adapter - without).max() > 1e-3


def test_not_a_checkpoint_is_refused_with_a_reason(tmp_path):
    with pytest.raises(CheckpointError, match="config.json"):
        export_checkpoint(tmp_path)


def test_command_line_writes_checkpoint_onnx_folder(full_checkpoint):
    folder, _ = full_checkpoint
    proc = subprocess.run(
        # torchscript keeps this test quick; the default dynamo path is covered by the logits test above.
        [sys.executable, "-m", "srlm_engine.export", str(folder), "--exporter", "torchscript"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["out_dir"] == str(folder / "onnx")
    assert (folder / "onnx" / "model.onnx").is_file() and (folder / "onnx" / MANIFEST).is_file()
    bad = subprocess.run(
        [sys.executable, "-m", "srlm_engine.export", str(folder / "missing")], capture_output=True, text=True
    )
    assert bad.returncode == 1 and "not a folder" in bad.stderr
