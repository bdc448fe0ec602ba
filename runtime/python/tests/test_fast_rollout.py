"""The rollout backends that run without vLLM (`static`: static KV cache; `paged`: continuous batching) give the
greedy tokens `generation.generate` gives, and samples of the right shape; `paged` follows the policy's weights."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoConfig, AutoModelForCausalLM

from srlm_engine import models, rollout
from srlm_engine.assets import TOKENIZER_DIR, model_dir
from srlm_engine.generation import generate

PROMPTS = [[5, 6, 7, 8, 9], [10, 11], [12, 13, 14, 15, 16, 17, 18, 19, 20, 21]]


@pytest.fixture(scope="module")
def policy():
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir("tiny-student")))
    with torch.no_grad():  # larger weights than the init's, so greedy decoding does not just repeat a token
        for p in model.parameters():
            if p.dim() > 1:
                p.mul_(6.0)
    return model.eval(), models.load_tokenizer(str(TOKENIZER_DIR))


def _select(name, model, tok):
    backend, why = rollout.select_backend(
        name, model, tok, torch.device("cpu"), seed=1, max_model_len=lambda: 0, hf_batch_size=16
    )
    assert why is None and backend.name == name
    return backend


@pytest.mark.parametrize("name", ["static", "paged"])
def test_greedy_tokens_equal_generate(policy, name):
    model, tok = policy
    want = generate(model, tok, PROMPTS, 12, batch_size=16)
    assert len({tuple(c.ids) for c in want}) == 3 and any(len(set(c.ids)) > 2 for c in want)
    got = _select(name, model, tok).generate(PROMPTS, 12, 0.0, 1.0, 1)
    assert got == want


@pytest.mark.parametrize("name", ["static", "paged"])
def test_samples_come_grouped_per_prompt(policy, name):
    model, tok = policy
    torch.manual_seed(5)
    comps = _select(name, model, tok).generate(PROMPTS[:2], 5, 1.0, 0.9, 3, seed=2)
    assert len(comps) == 6
    for c in comps:
        assert 1 <= len(c.ids) <= 5 and c.truncated == (2 not in c.ids)
        assert c.text == tok.decode(c.ids, skip_special_tokens=True)


def test_paged_copy_follows_the_policy_only_when_the_step_changed(policy):
    model, tok = policy
    backend = _select("paged", model, tok)
    before = backend.generate(PROMPTS, 8, 0.0, 1.0, 1)
    changed = AutoModelForCausalLM.from_config(model.config)
    changed.load_state_dict(model.state_dict())
    with torch.no_grad():
        changed.lm_head.weight.mul_(-1.0)
    backend.sync_weights(changed, version=0)  # same version: nothing is copied
    assert backend.generate(PROMPTS, 8, 0.0, 1.0, 1) == before
    backend.sync_weights(changed, version=1)
    assert backend.generate(PROMPTS, 8, 0.0, 1.0, 1) == generate(changed.eval(), tok, PROMPTS, 8)
    backend.close()


def test_rl_stage_trains_with_the_paged_backend(tmp_path):
    from engine_helpers import assert_events_valid, base_plan, read_events, tiny_model_dir, write_plan

    from srlm_engine.run import EXIT_OK, run

    (tmp_path / "rewards.py").write_text(
        "def digits(completions, answers, prompts, **kw):\n"
        "    return [sum(ch.isdigit() for ch in c) / max(1, len(c)) for c in completions]\n"
    )
    config = {
        "data": "train", "steps": 2, "lr": 1e-2, "prompts_per_step": 2, "group": 4, "batch_size": 8,
        "max_new_tokens": 6, "kl": 0.0, "warmup": 0.0, "scheduler": "constant", "rollout": "paged",
        "reward": [{"fn": "digits", "weight": 1.0}], "reward_file": str(tmp_path / "rewards.py"),
    }  # fmt: skip
    stage = {"name": "rl", "kind": "rl", "init": {"model": "m"}, "config": config}
    plan = write_plan(
        tmp_path, base_plan({"m": tiny_model_dir(tmp_path, "m")}, [stage], n_train=16, n_test=4)
    )
    assert run(str(plan), str(tmp_path / "run")) == EXIT_OK
    events = read_events(tmp_path / "run")
    assert_events_valid(events)
    assert not [e for e in events if e["type"] == "warning"]
    steps = [e for e in events if e["type"] == "metrics" and e.get("stage") == "rl"]
    assert len(steps) == 2 and all(s["metrics"]["completion_len_mean"] > 0 for s in steps)


@pytest.mark.parametrize("name", ["static", "paged"])
def test_a_sharded_stage_falls_back_to_hf_and_says_why(policy, name):
    model, tok = policy
    backend, why = rollout.select_backend(
        name, model, tok, torch.device("cpu"), seed=1, max_model_len=lambda: 0, hf_batch_size=4, sharded=True
    )
    assert backend.name == "hf" and f"rollout = {name}" in why and "fsdp" in why
