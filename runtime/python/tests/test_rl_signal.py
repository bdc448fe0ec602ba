"""RL that tells the truth about learning, on hand-computed cases: DAPO dynamic sampling (which groups are kept,
the cap on extra draws), overlong filtering and soft overlong punishment, uniform-group detection and the
no-signal warning count, clip fraction and entropy; then a tiny untrained RL stage end to end."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pytest
import torch
from engine_helpers import assert_events_valid, base_plan, read_events, stage, tiny_model_dir, write_plan

from srlm_engine import losses
from srlm_engine.generation import Completion
from srlm_engine.plan import from_partial
from srlm_engine.plan_types import RewardTerm, RlConfig
from srlm_engine.rollout import Rollout, pick_groups
from srlm_engine.run import EXIT_OK, run
from srlm_engine.scoring import RewardScorer, Scores, reward_terms
from srlm_engine.stages.rl import NO_SIGNAL_STEPS, GroupSampler, SignalWatch, build_batch

# ---------------------------------------------------------------------------------------------- uniform groups


def test_uniform_groups_marks_groups_whose_rewards_are_all_equal():
    rewards = torch.tensor([1.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.5, 0.5, 0.5], dtype=torch.float64)
    assert losses.uniform_groups(rewards, 3).tolist() == [True, False, True]
    adv, frac = losses.group_advantages(rewards, 3)
    assert frac == pytest.approx(2 / 3)
    assert adv[:3].tolist() == [0.0, 0.0, 0.0] and adv[6:].tolist() == [0.0, 0.0, 0.0]


def test_signal_watch_fires_once_when_the_streak_reaches_n_and_resets_on_signal():
    w = SignalWatch(3)
    assert [w.step(s) for s in [False, False, True, False, False, False, False, True, False]] == [
        False,
        False,
        False,  # signal: the streak starts again
        False,
        False,
        True,  # third step in a row without signal
        False,  # once per streak
        False,
        False,
    ]
    assert w.run == 1
    assert SignalWatch(2, run=1).step(False) is True  # a resumed streak continues


# ---------------------------------------------------------------------------------------------- dynamic sampling


@pytest.mark.parametrize(
    "uniform,need,want",
    [
        ([True, False, True, False, False], 2, [1, 3]),  # the first informative groups, in draw order
        ([True, False, True, False, False], 3, [1, 3, 4]),
        ([True, False, True, False, False], 4, [0, 1, 3, 4]),  # too few: the first uniform group fills in
        ([True, True, True], 2, [0, 1]),
        ([False, False], 2, [0, 1]),
    ],
)
def test_pick_groups_keeps_informative_groups_first(uniform, need, want):
    assert pick_groups(uniform, need) == want


def test_pick_groups_refuses_more_than_drawn():
    with pytest.raises(ValueError, match="3 groups asked for, only 2 drawn"):
        pick_groups([False, False], 3)


G = 2


def _draw_of(rewards_per_group: list[list[float]], tag: str) -> tuple[Rollout, Scores]:
    rows = [{"prompt": f"{tag}{i}", "answer": "1"} for i in range(len(rewards_per_group))]
    comps = [Completion([5, 6], f"{tag}{i}.{j}", False) for i in range(len(rows)) for j in range(G)]
    total = torch.tensor([r for g in rewards_per_group for r in g], dtype=torch.float64)
    return (
        Rollout(rows, [[1, 2]] * len(rows), [""] * len(rows), comps, G),
        Scores(total, {"accuracy": total}, losses.uniform_groups(total, G)),
    )


class _CannedSampler(GroupSampler):
    """GroupSampler whose rollout and scoring return canned draws by generation-batch index."""

    def __init__(self, draws: dict, dynamic: bool, max_resample: int, per_rank: int = 2):
        self.draws, self.asked = draws, []
        self.dynamic, self.max_resample, self.per_rank = dynamic, max_resample, per_rank
        self.backend = SimpleNamespace(sync_weights=lambda model, version: None)
        self.loop = SimpleNamespace(model=None, name="rl")

    def _draw(self, gen_index):
        self.asked.append(gen_index)
        ro, sc = self.draws[gen_index]
        return ro, sc, 0.0, 0.0


def _draws():
    return {
        10: _draw_of([[1, 1], [0, 1]], "a"),  # one uniform, one informative
        11: _draw_of([[0, 0], [0, 0]], "b"),  # both uniform
        12: _draw_of([[1, 0], [1, 1]], "c"),  # one informative
        13: _draw_of([[0, 1], [1, 0]], "d"),
    }


def test_dynamic_sampling_draws_until_the_batch_is_full_and_drops_uniform_groups():
    s = _CannedSampler(_draws(), dynamic=True, max_resample=5)
    drawn, used, _ = s.draw(10, step=0)
    assert s.asked == [10, 11, 12] and used == 3
    assert [r["prompt"] for r in drawn.rollout.rows] == ["a1", "c0"]
    assert drawn.scores.total.tolist() == [0, 1, 1, 0]
    assert not drawn.scores.uniform.any()
    # Statistics cover every group drawn: 4 of 6 were uniform, 6 of 12 rewards are 1, 2 extra draws.
    assert drawn.metrics["frac_zero_std_groups"] == pytest.approx(4 / 6)
    assert drawn.metrics["reward"] == pytest.approx(0.5)
    assert drawn.metrics["resample_draws"] == 2.0


def test_dynamic_sampling_stops_at_the_cap_and_fills_with_uniform_groups():
    s = _CannedSampler(_draws(), dynamic=True, max_resample=1)
    drawn, used, _ = s.draw(10, step=0)
    assert s.asked == [10, 11] and used == 2
    assert [r["prompt"] for r in drawn.rollout.rows] == ["a0", "a1"]
    assert drawn.scores.uniform.tolist() == [True, False]
    assert drawn.metrics["resample_draws"] == 1.0


def test_without_dynamic_sampling_one_draw_is_the_batch():
    s = _CannedSampler(_draws(), dynamic=False, max_resample=5)
    drawn, used, _ = s.draw(11, step=0)
    assert s.asked == [11] and used == 1
    assert drawn.scores.uniform.tolist() == [True, True] and "resample_draws" not in drawn.metrics


# ---------------------------------------------------------------------------------------------- overlong


def test_overlong_filter_leaves_truncated_completions_out_of_the_loss():
    batch = build_batch(
        [[1, 2, 3], [4]],
        [[7, 8], [9], [5, 5, 5], [6]],
        0,
        "cpu",
        group=2,
        rewards=torch.tensor([1.0, 0.0, 1.0, 1.0], dtype=torch.float64),
        advantages=torch.tensor([0.7, -0.7, 0.0, 0.0]),
        truncated=[False, True, True, False],
    )
    assert batch.group_ids.tolist() == [0, 0, 1, 1]
    assert batch.completion_mask.tolist() == [[1, 1, 0], [1, 0, 0], [1, 1, 1], [1, 0, 0]]
    assert batch.loss_mask.tolist() == [[1, 1, 0], [0, 0, 0], [0, 0, 0], [1, 0, 0]]
    assert batch.prompt_ids.tolist()[1:3] == [[1, 2, 3], [0, 0, 4]] and batch.completion_ids.tolist()[2] == [
        5,
        5,
        5,
    ]
    assert batch.has_signal
    uniform = build_batch(
        [[1]], [[2], [3]], 0, "cpu", group=2, rewards=torch.zeros(2), advantages=torch.zeros(2)
    )
    assert not uniform.has_signal


def _rl(**written) -> RlConfig:
    return from_partial(RlConfig, {"data": "train", "max_new_tokens": 10, **written})


def test_overlong_buffer_adds_dapo_soft_punishment_to_the_rewards():
    accuracy = [{"fn": "accuracy", "weight": 1.0}]
    terms = reward_terms("rl", _rl(reward=accuracy, overlong_buffer=4, overlong_penalty=0.5))
    assert terms[-1] == RewardTerm(fn="length_penalty", weight=0.5, args={"cache": 4})
    assert reward_terms("rl", _rl(reward=accuracy, overlong_buffer=0)) == [RewardTerm("accuracy", 1.0, None)]
    scorer = RewardScorer(terms, None, 30)
    try:
        lengths = [6, 7, 8, 10]  # 0 up to 10 - 4 = 6 tokens, then linear to -1 at 10; times 0.5
        comps = [Completion([1] * n, r"so \boxed{3}", n == 10) for n in lengths]
        ro = Rollout([{"prompt": "p", "answer": "3"}] * 2, [[1]] * 2, [""] * 2, comps, 2)
        sc = scorer.score_rollout(ro, 10)
    finally:
        scorer.close()
    assert sc.per_fn["length_penalty"].tolist() == pytest.approx([0.0, -0.25, -0.5, -1.0])
    assert sc.total.tolist() == pytest.approx([1.0, 1 - 0.125, 1 - 0.25, 0.5])
    assert sc.uniform.tolist() == [False, False]


def test_overlong_buffer_refuses_a_second_length_penalty_and_a_buffer_past_the_limit():
    length = [{"fn": "length_penalty", "weight": 1.0}]
    with pytest.raises(ValueError, match="stage rl: reward already has length_penalty"):
        reward_terms("rl", _rl(reward=length, overlong_buffer=4))
    with pytest.raises(ValueError, match="overlong_buffer = 11 is longer than max_new_tokens = 10"):
        reward_terms("rl", _rl(reward=[], overlong_buffer=11))


# ---------------------------------------------------------------------------------------------- clip fraction, entropy


def test_clip_fraction_counts_ratios_outside_the_clip_range_whatever_the_advantage():
    old = torch.zeros(2, 3)
    ratios = torch.tensor([[1.5, 0.5, 1.1], [0.9, 1.25, 0.7]])
    mask = torch.tensor([[1, 1, 1], [1, 1, 0]])
    adv = torch.tensor([1.0, -1.0])
    _, stats = losses.grpo_token_loss(ratios.log(), old, None, adv, mask, 0.2, 0.28)
    # Outside [0.8, 1.28] among the 5 kept tokens: 1.5 and 0.5 (0.7 is masked out).
    assert stats["clip_fraction"] == pytest.approx(2 / 5)
    # The region counts only where the clip binds for the sign of A: 1.5 with A > 0 (0.5 with A > 0 does not).
    assert stats["clip_ratio_region"] == pytest.approx(1 / 5)


def test_entropy_of_tiny_distributions():
    logits = torch.stack(
        [
            torch.zeros(4),
            torch.tensor([0.0, -1e9, -1e9, -1e9]),
            torch.log(torch.tensor([0.5, 0.5, 1e-30, 1e-30])),
        ]
    ).view(1, 3, 4)
    per = losses.token_entropy_per_token(logits)[0]
    assert per.tolist() == pytest.approx([math.log(4), 0.0, math.log(2)], abs=1e-6)
    assert float(losses.token_entropy(logits, torch.tensor([[1, 0, 1]]))) == pytest.approx(
        (math.log(4) + math.log(2)) / 2
    )


# ---------------------------------------------------------------------------------------------- end to end


def _rl_plan(tmp_path, steps, **extra):
    model = tiny_model_dir(tmp_path, "m")
    rl = stage(
        "rl",
        "rl",
        steps=steps,
        prompts_per_step=2,
        group=2,
        batch_size=4,
        max_new_tokens=4,
        kl=0.0,
        warmup=0.0,
        reward=[{"fn": "accuracy", "weight": 1.0}],
        **extra,
    )
    return write_plan(tmp_path, base_plan({"m": model}, [rl], n_train=16, n_test=4))


def test_untrained_model_reports_uniform_groups_and_warns_that_it_learns_nothing(tmp_path):
    # A random tiny model never answers right: every group is uniform, every advantage 0.
    plan = _rl_plan(tmp_path, NO_SIGNAL_STEPS, dynamic_sampling=True, max_resample=1)
    assert run(str(plan), str(tmp_path / "run")) == EXIT_OK
    events = read_events(tmp_path / "run")
    assert_events_valid(events)
    metrics = [e["metrics"] for e in events if e["type"] == "metrics"]
    assert len(metrics) == NO_SIGNAL_STEPS
    for m in metrics:
        assert m["frac_zero_std_groups"] == 1.0
        assert m["resample_draws"] == 1.0  # the cap: one extra draw, then uniform groups fill the batch
        assert m["clip_fraction"] == 0.0  # on-policy (μ = 1): the ratio is 1
        assert m["entropy"] > 0.0
        assert m["grad_norm"] == 0.0
    (w,) = [e for e in events if e["type"] == "warning" and e.get("code") == "no_learning_signal"]
    assert w["step"] == NO_SIGNAL_STEPS and w["stage"] == "rl"
    assert w["message"] == f"all groups uniform for {NO_SIGNAL_STEPS} steps: nothing to learn"
    assert "temperature" in w["hint"] and "dynamic_sampling" in w["hint"]
