"""Loads a checkpoint folder as a plain fp32 causal LM, merging a LoRA adapter when the folder holds one."""

from __future__ import annotations

import json
from pathlib import Path

import torch


class CheckpointError(Exception):
    """A checkpoint folder that cannot be exported; the message says which file and what to do."""


def is_lora_checkpoint(folder: Path) -> bool:
    return (folder / "adapter_config.json").is_file()


def resolve_base(folder: Path, base: str | Path | None) -> str:
    """The base model of a LoRA checkpoint: an explicit path, then meta.json's ``base_checkpoint``, then the
    adapter's own ``base_model_name_or_path``.

    A relative record is tried against the checkpoint folder first, because the engine writes run-local paths.
    """
    if base is not None:
        return str(base)
    cfg = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8"))
    recorded = cfg.get("base_model_name_or_path")
    meta_file = folder / "meta.json"
    if meta_file.is_file():
        # The engine knows the folder the adapter was trained on (e.g. the previous stage's final checkpoint);
        # peft's record is only the name the base was loaded under, empty for a model built from a config.
        meta = json.loads(meta_file.read_text(encoding="utf-8"))
        recorded = meta.get("base_checkpoint") or recorded
    if not recorded:
        raise CheckpointError(
            f"{folder}: LoRA adapter without a known base model (no base_checkpoint in meta.json, no "
            "base_model_name_or_path in adapter_config.json); pass --base with the base model folder"
        )
    candidate = folder / recorded
    return str(candidate) if candidate.exists() else str(recorded)


def load_for_export(folder: str | Path, base: str | Path | None = None) -> torch.nn.Module:
    from transformers import AutoModelForCausalLM

    folder = Path(folder)
    if not folder.is_dir():
        raise CheckpointError(f"{folder}: not a folder")
    if is_lora_checkpoint(folder):
        from peft import PeftModel

        base_model = AutoModelForCausalLM.from_pretrained(resolve_base(folder, base), dtype=torch.float32)
        # Merging folds B·A into the base weights, so the graph is a plain model with no adapter branches.
        model = PeftModel.from_pretrained(base_model, str(folder)).merge_and_unload()
    elif (folder / "config.json").is_file():
        model = AutoModelForCausalLM.from_pretrained(str(folder), dtype=torch.float32)
    else:
        raise CheckpointError(
            f"{folder}: neither config.json nor adapter_config.json; is this a checkpoint folder?"
        )
    model = model.float().eval()
    # The exporter must see the eager attention path: SDPA/flash kernels either fail to trace or hide the mask.
    model.config._attn_implementation = "eager"
    model.config.use_cache = True
    return model
