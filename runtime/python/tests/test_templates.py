"""Chat templates: exact completion-only masks for real templates without `{% generation %}` markers, custom
templates, the pipeline system prompt, `thinking`, and the `format` reward under a template that opens `<think>`.

The Qwen2.5 fixture is Qwen2.5-0.5B-Instruct's own `chat_template`, verbatim from its tokenizer_config.json; the
tokenizer is the engine's tiny byte-level BPE (same special tokens), so the texts and ids are real."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import AutoTokenizer

from srlm_engine.assets import TOKENIZER_DIR
from srlm_engine.rewards import RewardRunner, format_reward
from srlm_engine.templates import (
    ChatFormat,
    TemplateError,
    apply_model_template,
    encode_example,
    encode_prompts,
    open_think_prefix,
    prompt_text,
)

QWEN25 = (Path(__file__).parent / "fixtures" / "qwen2.5-instruct.chat_template.jinja").read_text()
QWEN_DEFAULT_SYSTEM = "You are Qwen, created by Alibaba Cloud. You are a helpful assistant."

# DeepSeek-R1-distill style: the generation prompt opens the reasoning block, and past assistant turns lose
# their reasoning (which breaks the prefix property on purpose).
R1_STYLE = (
    "{% for m in messages %}{% if m['role'] == 'user' %}<|im_start|>user\n{{ m['content'] }}<|im_end|>\n"
    "{% elif m['role'] == 'assistant' %}<|im_start|>assistant\n{{ m['content'].split('</think>')[-1] }}"
    "<|im_end|>\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n<think>\n{% endif %}"
)
# Qwen3 style switch: with enable_thinking false the generation prompt carries an empty, closed block.
THINKING_SWITCH = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% if enable_thinking is defined and enable_thinking is false %}<think>\n\n</think>\n\n{% endif %}{% endif %}"
)


@pytest.fixture()
def tok():
    t = AutoTokenizer.from_pretrained(TOKENIZER_DIR)
    apply_model_template(t, QWEN25)
    return t


ROW = {"prompt": "What is 6 * 7?", "completion": "<think>\n6 * 7 = 42\n</think>\n\\boxed{42}", "answer": "42"}


def masked_text(tok, ex) -> str:
    return tok.decode([i for i, m in zip(ex.ids, ex.mask, strict=True) if m])


def test_fixture_is_qwen25_without_generation_markers():
    assert "{% generation %}" not in QWEN25 and "{%- generation %}" not in QWEN25
    assert QWEN_DEFAULT_SYSTEM in QWEN25


def test_qwen25_mask_is_exactly_the_assistant_turn(tok):
    ex = encode_example(tok, ROW, 512, True, completion_only=True)
    # The loss covers the answer and the end-of-turn token, nothing of the prompt or the trailing newline.
    assert masked_text(tok, ex) == ROW["completion"] + "<|im_end|>"
    assert ex.ids[-1] == tok.convert_tokens_to_ids("<|im_end|>") == tok.eos_token_id
    assert all(m == 0 for m in ex.mask[: ex.prompt_len]) and all(ex.mask[ex.prompt_len :])
    # The prompt's ids are the very ids generation starts from.
    assert ex.ids[: ex.prompt_len] == encode_prompts(tok, [ROW], True)[0]
    text = tok.decode(ex.ids[: ex.prompt_len])
    assert text == (
        f"<|im_start|>system\n{QWEN_DEFAULT_SYSTEM}<|im_end|>\n<|im_start|>user\nWhat is 6 * 7?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def test_qwen25_full_conversation_is_prompt_plus_masked_answer(tok):
    """The joined ids spell exactly what the template renders for the whole conversation (minus the closing
    newline, which generation never produces)."""
    ex = encode_example(tok, ROW, 512, True, completion_only=True)
    full = tok.apply_chat_template(
        [{"role": "user", "content": ROW["prompt"]}, {"role": "assistant", "content": ROW["completion"]}],
        tokenize=False,
    )
    assert tok.decode(ex.ids) + "\n" == full


def test_multi_turn_messages_mask_only_the_last_assistant_turn(tok):
    row = {
        "messages": [
            {"role": "user", "content": "2+2?"},
            {"role": "assistant", "content": "4"},
            {"role": "user", "content": "and 3+3?"},
        ],
        "prompt": None,
        "completion": "6",
    }
    ex = encode_example(tok, row, 512, True, completion_only=True)
    assert masked_text(tok, ex) == "6<|im_end|>"
    assert "<|im_start|>assistant\n4<|im_end|>" in tok.decode(ex.ids[: ex.prompt_len])


def test_pipeline_system_replaces_the_template_default_and_a_dataset_system_wins(tok):
    chat = ChatFormat(system="Reason step by step.")
    assert "<|im_start|>system\nReason step by step.<|im_end|>" in prompt_text(tok, ROW, chat)
    assert QWEN_DEFAULT_SYSTEM not in prompt_text(tok, ROW, chat)
    own = {**ROW, "system": "Be brief."}
    assert "<|im_start|>system\nBe brief.<|im_end|>" in prompt_text(tok, own, chat)
    # Without a chat template the system prompt still leads the text.
    assert prompt_text(tok, ROW, ChatFormat(enabled=False, system="S")) == "S\nWhat is 6 * 7?"


def test_dataset_template_overrides_the_model_template(tok):
    chat = ChatFormat(template="{% for m in messages %}Q: {{ m['content'] }}\n{% endfor %}A:")
    assert prompt_text(tok, ROW, chat) == "Q: What is 6 * 7?\nA:"


def test_template_that_breaks_the_prefix_property_is_one_clear_error(tok):
    chat = ChatFormat(template=R1_STYLE, where="dataset cot, stage sft")
    with pytest.raises(TemplateError) as e:
        encode_example(tok, ROW, 512, chat, completion_only=True)
    msg = str(e.value)
    assert "dataset cot, stage sft" in msg and "prefix" in msg and "template" in msg


def test_thinking_reaches_the_template_as_enable_thinking(tok):
    off = prompt_text(tok, ROW, ChatFormat(template=THINKING_SWITCH, thinking=False))
    unset = prompt_text(tok, ROW, ChatFormat(template=THINKING_SWITCH))
    assert off.endswith("<|im_start|>assistant\n<think>\n\n</think>\n\n")
    assert unset.endswith("<|im_start|>assistant\n")


def test_open_think_prefix():
    r1_prompt = "<|im_start|>user\nq<|im_end|>\n<|im_start|>assistant\n<think>\n"
    assert open_think_prefix(r1_prompt) == "<think>\n"
    assert open_think_prefix("...<|im_start|>assistant\n<think>\n\n</think>\n\n") == ""
    assert open_think_prefix("<|im_start|>assistant\n") == ""


def test_format_scores_completions_of_a_template_that_opened_think(tok):
    prompt = prompt_text(tok, ROW, ChatFormat(template=R1_STYLE))
    prefix = open_think_prefix(prompt)
    completion = "6 * 7 = 42\n</think>\n\\boxed{42}"  # the model continues inside the block
    assert format_reward([completion]) == [0.0]
    assert format_reward([completion], completion_prefix=[prefix]) == [1.0]
    # Through the reward runner, as the RL stage passes it.
    with RewardRunner(["format"], timeout=30) as runner:
        result = runner.score(
            [completion, "no think"], ["42", "42"], ["q", "q"], completion_prefix=[prefix, prefix]
        )
    assert result.per_fn["format"] == [1.0, 0.0]


def test_a_model_template_from_the_plan_trains_and_is_carried_by_the_checkpoint(tmp_path):
    """A plan with `models.m.template` (what the compiler writes after reading a .jinja file) and
    `settings.system` trains; the checkpoint's tokenizer carries the template, so later stages and the inspector
    use it."""
    import subprocess

    from engine_helpers import base_plan, engine_cmd, engine_env, stage, tiny_model_dir, write_plan

    plan = base_plan(
        {"m": tiny_model_dir(tmp_path)}, [stage("sft", steps=1, batch_size=4, max_len=96)], n_train=8
    )
    plan["models"]["m"]["template"] = QWEN25
    plan["settings"]["system"] = "Answer with a boxed number."
    proc = subprocess.run(
        engine_cmd(write_plan(tmp_path, plan), tmp_path / "run"),
        env=engine_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    saved = AutoTokenizer.from_pretrained(tmp_path / "run" / "checkpoints" / "s" / "final")
    assert saved.chat_template == QWEN25
    text = prompt_text(saved, ROW, ChatFormat(system=plan["settings"]["system"]))
    assert text.startswith("<|im_start|>system\nAnswer with a boxed number.<|im_end|>\n")
