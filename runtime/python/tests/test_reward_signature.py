"""The reward call: keywords as declared once in plan.schema.json, user functions written either way, arguments
from the plan (`length_penalty(max = 512)`), and a signature the engine cannot call refused before any batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from srlm_engine.plan import load_schema
from srlm_engine.plan_types import RlConfig
from srlm_engine.rewards import SIGNATURE, RewardError, RewardRunner, length_penalty
from srlm_engine.rewards.signature import ARGUMENTS, EXTRAS

USER_FILE = """
def short_style(completions, **kwargs):
    return [float("42" in c) + (0.5 if kwargs["answers"][i] == "42" else 0.0) for i, c in enumerate(completions)]

def long_style(completions, answers, prompts):
    return [float(a in c) + len(p) / 100 for c, a, p in zip(completions, answers, prompts)]

def reordered(prompts, completions):
    return [float(len(c) > len(p)) for c, p in zip(completions, prompts)]

def scaled(completions, answers, scale=1.0, **kw):
    return [scale * float(a in c) for c, a in zip(completions, answers)]

def needs_gold(completions, gold):
    return [0.0 for _ in completions]
"""


@pytest.fixture()
def reward_file(tmp_path: Path) -> Path:
    p = tmp_path / "rewards.py"
    p.write_text(USER_FILE)
    return p


def test_the_declaration_is_read_from_the_plan_schema():
    decl = load_schema()["$defs"]["rewardFunction"]
    assert (
        SIGNATURE == decl["x-signature"] == "def NAME(completions, answers, prompts, **kwargs) -> list[float]"
    )
    assert ARGUMENTS == ("completions", "answers", "prompts")
    assert set(EXTRAS) == {"completion_lengths", "truncated", "max_new_tokens", "completion_prefix"}


def test_user_functions_written_either_way_are_called_by_keyword(reward_file: Path):
    terms = [
        {"fn": "short_style", "weight": 1.0},
        {"fn": "long_style", "weight": 1.0},
        {"fn": "reordered", "weight": 1.0},
        {"fn": "scaled", "weight": 1.0, "args": {"scale": 3.0}},
    ]
    with RewardRunner(terms, reward_file=reward_file, timeout=30) as runner:
        r = runner.score(["the answer is 42", "7"], ["42", "8"], ["q1", "question two"])
    assert r.per_fn["short_style"] == [1.5, 0.0]
    assert r.per_fn["long_style"] == [1.02, 0.12]
    assert r.per_fn["reordered"] == [1.0, 0.0]
    assert r.per_fn["scaled"] == [3.0, 0.0]


def test_a_parameter_the_engine_never_passes_is_a_load_error_naming_it(reward_file: Path):
    with pytest.raises(RewardError) as e:
        RewardRunner(["needs_gold"], reward_file=reward_file, timeout=30).start()
    assert e.value.kind == "load"
    assert (
        "'gold'" in e.value.message
        and "needs_gold(completions, answers, prompts, **kwargs)" in e.value.message
    )


def test_an_argument_the_function_does_not_take_is_a_load_error(reward_file: Path):
    with pytest.raises(RewardError) as e:
        RewardRunner(
            [{"fn": "long_style", "weight": 1, "args": {"scale": 2}}], reward_file=reward_file
        ).start()
    assert "no argument named 'scale'" in e.value.message


def test_length_penalty_takes_max_from_the_plan():
    # DAPO: 0 up to max − cache, then linear down to −1 at max.
    assert length_penalty(["a"] * 4, completion_lengths=[10, 384, 448, 600], max=512) == [
        0.0,
        0.0,
        -0.5,
        -1.0,
    ]
    with RewardRunner(
        [{"fn": "length_penalty", "weight": 1, "args": {"max": 8, "cache": 4}}], timeout=30
    ) as r:
        out = r.score(
            ["a", "b", "c"], ["", "", ""], ["", "", ""], completion_lengths=[4, 6, 9], max_new_tokens=512
        )
    assert out.per_fn["length_penalty"] == [0.0, -0.5, -1.0]


def test_reward_args_in_a_plan_are_validated_by_the_schema(tmp_path: Path):
    from engine_helpers import base_plan, stage, tiny_model_dir, write_plan

    from srlm_engine.plan import PlanError, load

    rl = stage(
        "rl",
        reward=[
            {"fn": "accuracy", "weight": 1.0},
            {"fn": "length_penalty", "weight": 0.1, "args": {"max": 64}},
        ],
    )
    plan = load(write_plan(tmp_path, base_plan({"m": tiny_model_dir(tmp_path)}, [rl])))
    cfg = plan.stages[0].config
    assert isinstance(cfg, RlConfig) and cfg.reward[1].args == {"max": 64}
    bad = json.loads((tmp_path / "plan.json").read_text())
    bad["stages"][0]["config"]["reward"][1]["args"] = {"max": [64]}
    (tmp_path / "plan.json").write_text(json.dumps(bad))
    with pytest.raises(PlanError):
        load(tmp_path / "plan.json")


def test_the_documented_example_reward_file_runs_as_the_example_pipeline_calls_it():
    example = Path(__file__).resolve().parents[3] / "examples" / "rewards.py"
    terms = [
        {"fn": "boxed_once", "weight": 0.2},
        {"fn": "shows_work", "weight": 0.1, "args": {"min_steps": 3}},
    ]
    completions = ["3 + 4 = 7\n7 * 2 = 14\n\\boxed{14}", "\\boxed{1} or \\boxed{2}"]
    with RewardRunner(terms, reward_file=example, timeout=30) as runner:
        r = runner.score(completions, ["14", "1"], ["q", "q"])
    assert r.per_fn["boxed_once"] == [1.0, 0.0]
    assert r.per_fn["shows_work"] == [pytest.approx(2 / 3), 0.0]
