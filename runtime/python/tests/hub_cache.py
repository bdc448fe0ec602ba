"""A Hugging Face hub cache on disk, laid out as `huggingface_hub` writes it, holding a tiny Qwen2 model.

    <HF_HOME>/hub/models--org--name/refs/main                 the commit `main` points at
    <HF_HOME>/hub/models--org--name/snapshots/<commit>/...    config.json, model.safetensors, tokenizer files

Built with transformers from the engine's tiny-student config and the committed tokenizer, so loading it goes
through the real `from_pretrained` / `snapshot_download` code paths with `HF_HUB_OFFLINE=1`. Also a script for
the TypeScript tests: `python hub_cache.py HF_HOME org/name COMMIT`.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def cached_model(
    hf_home: Path, repo: str = "tiny-org/tiny-qwen", commit: str = COMMIT, ref: str = "main"
) -> Path:
    """Write a tiny random Qwen2 model into the cache under `repo` at `commit`; returns the snapshot folder."""
    import torch
    from transformers import AutoConfig, AutoModelForCausalLM

    from srlm_engine.assets import MODELS_DIR, TOKENIZER_DIR

    org, name = repo.split("/")
    repo_dir = Path(hf_home) / "hub" / f"models--{org}--{name}"
    snap = repo_dir / "snapshots" / commit
    snap.mkdir(parents=True, exist_ok=True)
    cfg = json.loads((MODELS_DIR / "tiny-student" / "config.json").read_text())
    cfg.update(hidden_size=32, intermediate_size=64, num_hidden_layers=1, max_window_layers=1)
    (snap / "config.json").write_text(json.dumps(cfg))
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(snap))
    model.save_pretrained(snap)
    for f in TOKENIZER_DIR.iterdir():
        shutil.copy(f, snap / f.name)
    (repo_dir / "refs").mkdir(exist_ok=True)
    (repo_dir / "refs" / ref).write_text(commit)
    return snap


if __name__ == "__main__":
    print(cached_model(Path(sys.argv[1]), sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else COMMIT))
