"""The committed tokenizer and tiny model folders of the embedded default."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

from srlm_engine import assets
from srlm_engine.tasks import arithmetic

FOLDERS = [assets.TOKENIZER_DIR] + [assets.model_dir(m) for m in assets.BUILTIN_MODELS]


@pytest.fixture(scope="module")
def tok():
    return AutoTokenizer.from_pretrained(assets.TOKENIZER_DIR)


def test_assets_are_small_and_build_script_reproduces_them():
    total = sum(f.stat().st_size for f in assets.ASSETS_DIR.rglob("*") if f.is_file() and f.suffix == ".json")
    assert total < 200_000
    script = Path(__file__).resolve().parents[1] / "tools" / "build_assets.py"
    res = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stdout + res.stderr


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_every_folder_loads_with_fixed_special_token_ids(folder):
    t = AutoTokenizer.from_pretrained(folder)
    for text, i in assets.SPECIAL_TOKEN_IDS.items():
        assert t.convert_tokens_to_ids(text) == i
        assert t.encode(text, add_special_tokens=False) == [i]
    assert t.eos_token == "<|im_end|>" and t.eos_token_id == 2
    assert t.pad_token == "<|endoftext|>" and t.pad_token_id == 0
    # Identical tokenizer files everywhere, so teacher and student share one vocabulary.
    assert (folder / "tokenizer.json").read_bytes() == (assets.TOKENIZER_DIR / "tokenizer.json").read_bytes()


def test_task_text_round_trips_exactly(tok):
    texts = ["#### 1,234", "The answer is \\boxed{\\frac{1}{2}}.", "héllo 🙂\n\ttabs  and  spaces "]
    for level in arithmetic.LEVELS:
        for row in arithmetic.generate("test", 50, level):
            texts += [row["prompt"], row["completion"]]
    for s in texts:
        ids = tok.encode(s, add_special_tokens=False)
        assert tok.decode(ids) == s
    # Digits are single tokens (what lets a tiny model learn place-value arithmetic).
    assert tok.tokenize("1234") == ["1", "2", "3", "4"]
    # The task is compact: a medium problem and its worked solution fit easily in a small context.
    row = arithmetic.generate("test", 1, "medium")[0]
    assert len(tok.encode(row["prompt"] + row["completion"])) < 80


def test_think_tags_survive_skip_special_tokens(tok):
    ids = tok.encode("<|im_start|><think>1 + 1 = 2.</think> \\boxed{2}<|im_end|>", add_special_tokens=False)
    assert tok.decode(ids, skip_special_tokens=True) == "<think>1 + 1 = 2.</think> \\boxed{2}"


def test_chat_template_renders_and_masks_only_the_assistant_reply(tok):
    row = arithmetic.generate("train", 1)[0]
    msgs = [
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "user", "content": row["prompt"]},
        {"role": "assistant", "content": row["completion"]},
    ]
    text = tok.apply_chat_template(msgs, tokenize=False)
    assert text == (
        "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
        f"<|im_start|>user\n{row['prompt']}<|im_end|>\n"
        f"<|im_start|>assistant\n{row['completion']}<|im_end|>\n"
    )
    prompt = tok.apply_chat_template(msgs[:2], tokenize=False, add_generation_prompt=True)
    assert prompt == text[: len(prompt)] and prompt.endswith("<|im_start|>assistant\n")
    out = tok.apply_chat_template(msgs, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    ids, mask = out["input_ids"], out["assistant_masks"]
    kept = [i for i, m in zip(ids, mask, strict=True) if m]
    assert tok.decode(kept) == row["completion"] + "<|im_end|>"
    # The generation prompt is a prefix of the full conversation's ids: the mask starts right after it.
    p_ids = tok.apply_chat_template(msgs[:2], tokenize=True, add_generation_prompt=True, return_dict=True)[
        "input_ids"
    ]
    assert ids[: len(p_ids)] == p_ids and mask.index(1) == len(p_ids)


def test_model_configs_are_tiny_qwen2_and_build(tok):
    cfgs = {m: AutoConfig.from_pretrained(assets.model_dir(m)) for m in assets.BUILTIN_MODELS}
    for cfg in cfgs.values():
        assert cfg.model_type == "qwen2" and cfg.tie_word_embeddings
        assert len(tok) <= cfg.vocab_size <= len(tok) + 128
        assert cfg.eos_token_id == tok.eos_token_id and cfg.pad_token_id == tok.pad_token_id
    assert cfgs["tiny-teacher"].vocab_size == cfgs["tiny-student"].vocab_size
    t, s = cfgs["tiny-teacher"], cfgs["tiny-student"]
    assert t.hidden_size > s.hidden_size and t.num_hidden_layers > s.num_hidden_layers
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(s)
    n_params = sum(p.numel() for p in model.parameters())
    assert n_params < 500_000
    ids = torch.tensor([tok.encode("Compute 1 + 2.")])
    assert model(ids).logits.shape == (1, ids.shape[1], s.vocab_size)
    gen = json.loads((assets.model_dir("tiny-student") / "generation_config.json").read_text())
    assert tok.eos_token_id in gen["eos_token_id"]


def test_model_dir_rejects_unknown_names():
    with pytest.raises(ValueError, match="tiny-teacher"):
        assets.model_dir("tiny-giant")


REPO = Path(__file__).resolve().parents[3]
JS_CHECK = r"""
import { Tokenizer } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";
import fs from "node:fs";
const dir = process.argv[process.argv.length - 1];
const tj = JSON.parse(fs.readFileSync(dir + "/tokenizer.json", "utf8"));
const tc = JSON.parse(fs.readFileSync(dir + "/tokenizer_config.json", "utf8"));
const input = JSON.parse(fs.readFileSync(0, "utf8"));
const tok = new Tokenizer(tj, tc);
const ids = input.texts.map((t) => Array.from(tok.encode(t, { add_special_tokens: false }).ids));
const rendered = new Template(tc.chat_template).render({ messages: input.messages, add_generation_prompt: false });
const prompt = new Template(tc.chat_template).render({ messages: input.messages.slice(0, 1), add_generation_prompt: true });
process.stdout.write(JSON.stringify({ ids, rendered, prompt }));
"""


def test_javascript_libraries_agree_with_transformers(tok):
    import shutil

    node = shutil.which("node")
    if node is None or not (REPO / "node_modules" / "@huggingface" / "tokenizers").is_dir():
        pytest.skip("node or the npm packages are not installed")
    row = arithmetic.generate("test", 1, "medium")[0]
    messages = [
        {"role": "user", "content": row["prompt"]},
        {"role": "assistant", "content": row["completion"]},
    ]
    texts = [row["prompt"], row["completion"], "<|im_start|>user\nhi<|im_end|>\n", "#### 1,234 héllo 🙂"]
    # An inline ES module run from the repository root, so node resolves the packages in node_modules.
    res = subprocess.run(
        [node, "--input-type=module", "-e", JS_CHECK, "--", str(assets.TOKENIZER_DIR)],
        input=json.dumps({"texts": texts, "messages": messages}),
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["ids"] == [tok.encode(t, add_special_tokens=False) for t in texts]
    assert out["rendered"] == tok.apply_chat_template(messages, tokenize=False)
    assert out["prompt"] == tok.apply_chat_template(messages[:1], tokenize=False, add_generation_prompt=True)
