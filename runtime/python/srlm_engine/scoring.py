"""The engine's view of rewards: correctness for eval, and the RL reward runner (rewards/ does the work).

Eval checks answers in-process (`answer_is_correct`, no user code involved). RL scoring goes through
`rewards.RewardRunner`, which runs built-in and user functions in a worker process with a timeout and raises
`RewardError` rather than returning zeros.
"""

from __future__ import annotations

from .rewards import RewardError, RewardRunner, answer_is_correct
from .rewards import extract_answer as _extract


def is_correct(completion: str, answer: str | None) -> bool:
    return answer is not None and answer_is_correct(completion, str(answer))


def extract_answer(completion: str) -> str | None:
    return _extract(completion)


class RewardScorer:
    """Scores RL completions; `score` returns the runner's result or raises RewardError."""

    def __init__(self, terms: list[dict], reward_file: str | None, timeout: float):
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

    def close(self) -> None:
        self.runner.close()


__all__ = ["RewardError", "RewardScorer", "extract_answer", "is_correct"]
