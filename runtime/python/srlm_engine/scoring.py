"""The engine's view of rewards: correctness for eval, and the RL reward runner (rewards/ does the work).

Eval checks answers in-process (`answer_is_correct`, no user code involved). RL scoring goes through
`rewards.RewardRunner`, which runs built-in and user functions in a worker process with a timeout and raises
`RewardError` rather than returning zeros.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from .losses import uniform_groups
from .plan_types import RewardTerm, RlConfig
from .rewards import RewardError, RewardRunner, answer_is_correct
from .rewards import extract_answer as _extract


def is_correct(completion: str, answer: str | None) -> bool:
    return answer is not None and answer_is_correct(completion, str(answer))


def extract_answer(completion: str) -> str | None:
    return _extract(completion)


class RewardScorer:
    """Scores RL completions; `score` returns the runner's result or raises RewardError."""

    def __init__(
        self, terms: Sequence[RewardTerm | Mapping[str, Any]], reward_file: str | None, timeout: float
    ):
        self.runner = RewardRunner(terms, reward_file=reward_file, timeout=timeout)
        self.runner.start()  # a missing user function or a bad file fails here, before any generation

    def score(self, completions, rows, lengths, truncated, max_new_tokens, prefixes=None):
        return self.runner.score(
            list(completions),
            [r.get("answer") or "" for r in rows],
            [r.get("prompt") or "" for r in rows],
            completion_lengths=list(lengths),
            truncated=list(truncated),
            max_new_tokens=max_new_tokens,
            completion_prefix=list(prefixes) if prefixes is not None else [""] * len(completions),
        )

    def score_rollout(self, rollout, max_new_tokens: int) -> Scores:
        """The scoring step of RL: rewards of every completion of `rollout` (a `rollout.Rollout`)."""
        comps = rollout.completions
        result = self.score(
            [c.text for c in comps],
            rollout.per_completion(rollout.rows),
            [len(c.ids) for c in comps],
            [c.truncated for c in comps],
            max_new_tokens,
            rollout.per_completion(rollout.prefixes),
        )
        total = torch.tensor(result.total, dtype=torch.float64)
        per_fn = {fn: torch.tensor(v, dtype=torch.float64) for fn, v in result.per_fn.items()}
        return Scores(total, per_fn, uniform_groups(total, rollout.group))

    def close(self) -> None:
        self.runner.close()


@dataclass
class Scores:
    """Rewards of a rollout's completions (float64, group after group) and which groups are uniform."""

    total: torch.Tensor  # (N,) weighted sum of the reward terms
    per_fn: dict[str, torch.Tensor]  # (N,) per reward function, unweighted
    uniform: torch.Tensor  # (N / G,) bool: every completion of the group got the same total

    def select(self, groups: list[int], group: int) -> Scores:
        rows = torch.tensor([i * group + j for i in groups for j in range(group)], dtype=torch.long)
        return Scores(
            self.total[rows], {k: v[rows] for k, v in self.per_fn.items()}, self.uniform[torch.tensor(groups)]
        )

    @staticmethod
    def concat(parts: list[Scores]) -> Scores:
        return Scores(
            torch.cat([p.total for p in parts]),
            {k: torch.cat([p.per_fn[k] for p in parts]) for k in parts[0].per_fn},
            torch.cat([p.uniform for p in parts]),
        )


def reward_terms(stage: str, cfg: RlConfig) -> list[RewardTerm]:
    """The stage's reward terms, with DAPO's soft overlong punishment added when `overlong_buffer` > 0.

    The punishment is the built-in `length_penalty` with its limit at `max_new_tokens` and a buffer of
    `overlong_buffer` tokens, weighted by `overlong_penalty` (DAPO's factor, 1 in the paper): 0 up to
    max_new_tokens − overlong_buffer tokens, then falling linearly to −overlong_penalty at max_new_tokens."""
    terms = list(cfg.reward)
    buffer = cfg.overlong_buffer
    if buffer <= 0:
        return terms
    if buffer > cfg.max_new_tokens:
        raise ValueError(
            f"stage {stage}: overlong_buffer = {buffer} is longer than max_new_tokens = {cfg.max_new_tokens}"
        )
    if any(t.fn == "length_penalty" for t in terms):
        raise ValueError(
            f"stage {stage}: reward already has length_penalty and overlong_buffer = {buffer} adds it again; "
            "keep one of them"
        )
    return [*terms, RewardTerm(fn="length_penalty", weight=cfg.overlong_penalty, args={"cache": buffer})]


__all__ = ["RewardError", "RewardScorer", "extract_answer", "is_correct"]
