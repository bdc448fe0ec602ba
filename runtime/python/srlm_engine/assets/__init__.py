"""Committed files of the embedded default (rebuilt by ``tools/build_assets.py``; ``--check`` verifies them).

``TOKENIZER_DIR``: the tiny byte-level BPE tokenizer (Qwen2-style special tokens and chat template with
``{% generation %}`` markers). ``MODELS_DIR / "tiny-teacher"`` and ``MODELS_DIR / "tiny-student"``: standard
Hugging Face folders without weights (``config.json``, ``generation_config.json`` and the tokenizer files) for
``weights = random``. ``model_dir(name)`` returns one of them and raises ``ValueError`` naming the known ones.
Fixed token ids: ``SPECIAL_TOKEN_IDS``.
"""

from __future__ import annotations

from pathlib import Path

ASSETS_DIR = Path(__file__).resolve().parent
TOKENIZER_DIR = ASSETS_DIR / "tokenizer"
MODELS_DIR = ASSETS_DIR / "models"
BUILTIN_MODELS = ("tiny-teacher", "tiny-student")
SPECIAL_TOKEN_IDS = {"<|endoftext|>": 0, "<|im_start|>": 1, "<|im_end|>": 2, "<think>": 3, "</think>": 4}


def model_dir(name: str) -> Path:
    if name not in BUILTIN_MODELS:
        raise ValueError(f"unknown built-in model {name!r}; expected one of {', '.join(BUILTIN_MODELS)}")
    return MODELS_DIR / name


__all__ = ["ASSETS_DIR", "BUILTIN_MODELS", "MODELS_DIR", "SPECIAL_TOKEN_IDS", "TOKENIZER_DIR", "model_dir"]
