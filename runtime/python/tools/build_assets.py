"""Rebuild the embedded default's committed assets: the tiny tokenizer and the two tiny Qwen2 model folders.

    .venv/bin/python runtime/python/tools/build_assets.py [--check]

Writes ``srlm_engine/assets/tokenizer/`` (tokenizer.json, tokenizer_config.json, special_tokens_map.json) and
``srlm_engine/assets/models/tiny-{teacher,student}/`` (config.json, generation_config.json and a copy of the
tokenizer files, so each is a standard Hugging Face folder without weights; the engine builds the weights with a
seeded random init). ``--check`` rebuilds into a temporary folder and exits 1 if anything differs from what is
committed (the build is deterministic).

The tokenizer is a byte-level BPE like Qwen2's (same pre-tokenizer regex: digits split one by one, which is what
a tiny model needs to learn arithmetic), trained on text of the built-in arithmetic task and its chat format, so
any string round-trips and the task text takes few tokens. Token ids 0–4 are fixed: ``<|endoftext|>`` (pad),
``<|im_start|>``, ``<|im_end|>`` (eos), ``<think>``, ``</think>``; the last two are ordinary added tokens (not
special), so decoding with ``skip_special_tokens=True`` keeps them for the format reward.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
PKG = HERE.parent / "srlm_engine"
sys.path.insert(0, str(HERE.parent))

from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers  # noqa: E402

from srlm_engine.tasks import arithmetic  # noqa: E402

SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
ADDED_PLAIN = ["<think>", "</think>"]
TOKENIZER_VOCAB = 400
MODEL_VOCAB = 384  # tokenizer size (327) rounded up to a multiple of 64
# Qwen2's pre-tokenization pattern (from its public tokenizer.json).
QWEN2_SPLIT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"

CHAT_TEMPLATE = (
    "{%- for message in messages %}\n"
    "    {%- if message['role'] == 'assistant' %}\n"
    "        {{- '<|im_start|>assistant\\n' }}\n"
    "        {%- generation %}\n"
    "            {{- message['content'] + '<|im_end|>' }}\n"
    "        {%- endgeneration %}\n"
    "        {{- '\\n' }}\n"
    "    {%- else %}\n"
    "        {{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}\n"
    "    {%- endif %}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "    {{- '<|im_start|>assistant\\n' }}\n"
    "{%- endif %}\n"
)

MODELS = {
    "tiny-student": dict(hidden_size=64, intermediate_size=256, num_hidden_layers=2, num_attention_heads=4),
    "tiny-teacher": dict(hidden_size=128, intermediate_size=512, num_hidden_layers=4, num_attention_heads=4),
}

EXTRA_TEXT = [
    "You are a helpful assistant.",
    "You are a helpful assistant. Think step by step inside <think> </think>, then give the answer in \\boxed{}.",
    "Solve the problem. Put the final answer in \\boxed{}.",
    "The answer is #### 42",
    "#### 1,234",
    "system\nuser\nassistant\n",
]


def corpus() -> list[str]:
    texts: list[str] = list(EXTRA_TEXT)
    for level in arithmetic.LEVELS:
        for split, n in (("train", 1500), ("test", 150)):
            for row in arithmetic.generate(split, n, level, seed=12345):
                texts.append(row["prompt"])
                texts.append(row["completion"])
                texts.append(f"user\n{row['prompt']}\nassistant\n{row['completion']}\n")
    return texts


def build_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE(byte_fallback=False))
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, trim_offsets=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=TOKENIZER_VOCAB,
        min_frequency=2,
        special_tokens=SPECIAL + ADDED_PLAIN,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(corpus(), trainer=trainer)
    data = json.loads(tok.to_str())
    for entry in data["added_tokens"]:
        entry["special"] = entry["content"] in SPECIAL
        entry["normalized"] = False
    return Tokenizer.from_str(json.dumps(data))


def write_json(path: Path, obj) -> None:
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_tokenizer(tok: Tokenizer, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    data = json.loads(tok.to_str())
    write_json(folder / "tokenizer.json", data)
    added = {
        str(e["id"]): {
            "content": e["content"],
            "lstrip": False,
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": e["content"] in SPECIAL,
        }
        for e in data["added_tokens"]
    }
    write_json(
        folder / "tokenizer_config.json",
        {
            "tokenizer_class": "Qwen2Tokenizer",
            "model_max_length": 512,
            "bos_token": None,
            "eos_token": "<|im_end|>",
            "pad_token": "<|endoftext|>",
            "unk_token": None,
            "add_prefix_space": False,
            "clean_up_tokenization_spaces": False,
            "errors": "replace",
            "split_special_tokens": False,
            "added_tokens_decoder": added,
            "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
            "chat_template": CHAT_TEMPLATE,
        },
    )
    write_json(
        folder / "special_tokens_map.json",
        {
            "eos_token": "<|im_end|>",
            "pad_token": "<|endoftext|>",
            "additional_special_tokens": ["<|im_start|>", "<|im_end|>"],
        },
    )


def write_model(name: str, dims: dict, tok: Tokenizer, tok_folder: Path, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    eos, pad = tok.token_to_id("<|im_end|>"), tok.token_to_id("<|endoftext|>")
    heads = dims["num_attention_heads"]
    config = {
        "architectures": ["Qwen2ForCausalLM"],
        "model_type": "qwen2",
        "vocab_size": MODEL_VOCAB,
        "hidden_size": dims["hidden_size"],
        "intermediate_size": dims["intermediate_size"],
        "num_hidden_layers": dims["num_hidden_layers"],
        "num_attention_heads": heads,
        "num_key_value_heads": heads // 2,
        "hidden_act": "silu",
        "max_position_embeddings": 512,
        "max_window_layers": dims["num_hidden_layers"],
        "use_sliding_window": False,
        "sliding_window": None,
        "rope_theta": 10000.0,
        "rms_norm_eps": 1e-6,
        "initializer_range": 0.02,
        "attention_dropout": 0.0,
        "tie_word_embeddings": True,
        "use_cache": True,
        "bos_token_id": pad,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "torch_dtype": "float32",
    }
    write_json(folder / "config.json", config)
    write_json(
        folder / "generation_config.json",
        {"bos_token_id": pad, "eos_token_id": [eos, pad], "pad_token_id": pad, "do_sample": False},
    )
    for f in tok_folder.iterdir():
        shutil.copyfile(f, folder / f.name)


def build(root: Path) -> None:
    tok = build_tokenizer()
    if tok.get_vocab_size() > MODEL_VOCAB:
        raise SystemExit(
            f"tokenizer has {tok.get_vocab_size()} tokens, more than the model vocab {MODEL_VOCAB}"
        )
    tok_folder = root / "tokenizer"
    write_tokenizer(tok, tok_folder)
    for name, dims in MODELS.items():
        write_model(name, dims, tok, tok_folder, root / "models" / name)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="verify the committed assets are up to date")
    args = ap.parse_args()
    target = PKG / "assets"
    if not args.check:
        build(target)
        print(f"wrote {target}")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        build(Path(tmp))
        diffs = []
        for f in Path(tmp).rglob("*"):
            if f.is_file():
                rel = f.relative_to(tmp)
                other = target / rel
                if not other.exists() or not filecmp.cmp(f, other, shallow=False):
                    diffs.append(str(rel))
        if diffs:
            print("assets out of date: " + ", ".join(sorted(diffs)))
            return 1
    print("assets up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
