"""GRPO learns: with a dense user reward (the share of digit characters in a completion) the mean reward of a
tiny random model rises within a few steps; a reward that raises is reported, never scored as zero."""

from engine_helpers import (
    assert_events_valid,
    base_plan,
    metric_series,
    read_events,
    tiny_model_dir,
    write_plan,
)

from srlm_engine.run import EXIT_FAILED, EXIT_OK, run

REWARDS = """
def digits(completions, answers, prompts, **kw):
    return [sum(ch.isdigit() for ch in c) / max(1, len(c)) for c in completions]


def broken(completions, answers, prompts, **kw):
    raise ValueError("boom")
"""


def _plan(tmp_path, fn, steps):
    (tmp_path / "rewards.py").write_text(REWARDS)
    model = tiny_model_dir(tmp_path, "m")
    stage = {
        "name": "rl",
        "kind": "rl",
        "init": {"model": "m"},
        "config": {
            "data": "train",
            "steps": steps,
            "lr": 2e-2,
            "prompts_per_step": 4,
            "group": 8,
            "batch_size": 32,
            "max_new_tokens": 8,
            "kl": 0.0,
            "warmup": 0.0,
            "scheduler": "constant",
            "algorithm": "dapo",
            "reward": [{"fn": fn, "weight": 1.0}],
            "reward_file": str(tmp_path / "rewards.py"),
        },
    }
    return write_plan(tmp_path, base_plan({"m": model}, [stage]))


def test_grpo_raises_the_reward(tmp_path):
    assert run(str(_plan(tmp_path, "digits", 20)), str(tmp_path / "run")) == EXIT_OK
    events = read_events(tmp_path / "run")
    assert_events_valid(events)
    reward = metric_series(events, "rl", "reward/digits")
    first, last = sum(reward[:4]) / 4, sum(reward[-4:]) / 4
    assert last > first + 0.1, reward


def test_a_raising_reward_is_an_error_event_not_a_zero(tmp_path):
    assert run(str(_plan(tmp_path, "broken", 2)), str(tmp_path / "run")) == EXIT_FAILED
    events = read_events(tmp_path / "run")
    assert_events_valid(events)
    errors = [e for e in events if e["type"] == "error" and e.get("code") == "reward_error"]
    assert len(errors) == 3 and "boom" in errors[0]["message"]
    assert errors[0]["context"]["sample"]["completion"] is not None
    assert not [e for e in events if e["type"] == "metrics"]
    assert events[-1]["status"] == "failed"
