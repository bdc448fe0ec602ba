"""Reward functions for RL and evaluation.

Reward function signature (built-in and user functions alike), declared once in ``server/src/core/schema/rewardCall.ts`` and generated into ``plan.schema.json``
(``$defs.rewardFunction``, read by ``signature.py``, the checker's SRLM056 message and the docs)::

    def myreward(completions, answers, prompts, **kwargs) -> list[float]

Every argument is passed BY KEYWORD, and a function gets only the names it declares unless it takes
``**kwargs``: ``def f(completions, **kwargs)`` and ``def f(completions, answers, prompts)`` both work.
``completions`` are the decoded completions (special tokens removed; ``<think>`` tags kept), ``answers`` the
data set's gold answers, ``prompts`` the prompts as text, all of the same length N. It returns N finite numbers.
Extras: ``completion_lengths`` (tokens), ``truncated`` (bool per sample), ``max_new_tokens`` and
``completion_prefix`` (what the chat template opened the answer with, e.g. ``<think>\\n``); a term's ``args``
(``length_penalty(max = 512)``) are added for that function only. A required parameter the engine does not pass
is a load error before the first batch. Raising is fine: the runner reports the error with the failing sample.
Never return 0 to mean "could not score".

Built-ins (``BUILTIN_REWARDS``):

* ``accuracy`` — 1 when the completion's final answer equals the gold answer. The completion's answer is its
  last ``\\boxed{...}`` (nested braces fine) or, failing that, the text after its last ``####`` (GSM8K style);
  thousands separators are dropped (``1,234`` = ``1234``); no such answer scores 0. Plain numbers compare
  exactly; other answers go to math-verify, gold parsed first, then the prediction.
* ``format`` — 1 for ``<think>non-empty reasoning</think>`` followed by a final answer, nothing else tagged; a
  ``completion_prefix`` the template opened in the prompt counts as the completion's start.
* ``length_penalty`` — DAPO's soft over-length penalty: 0 up to ``max − cache`` tokens, linear to −1 at
  ``max``; ``max`` defaults to ``max_new_tokens``, ``cache`` to a quarter of it (args ``max``,
  ``cache``, ``cache_fraction``).

Public API
----------
``RewardRunner(rewards, reward_file=None, timeout=10.0)`` with ``rewards`` a list of ``{"fn", "weight",
"args"?}`` dicts (the plan's ``reward`` field), ``(name, weight)`` pairs, names or ``RewardSpec``; ``.score(
completions, answers, prompts, **kw) -> RewardResult`` (``total``, ``per_fn``, ``seconds``, ``stats()``);
``.close()`` / context manager. Runs in a spawned worker process (see ``runner.RewardRunner``).
``RewardError`` — raised for a load problem, a raising, slow, crashing or malformed reward; ``.to_dict()`` gives
``fn``, ``kind``, ``message``, ``index``, ``sample``, ``traceback`` for an error event.
``resolve_rewards(names, reward_file=None) -> {name: fn}`` — user file first, then built-ins.
``call_reward(fn, completions, answers, prompts, kw)``, ``signature_problem(name, fn, args)``, ``SIGNATURE``.
``load_reward_file(path) -> {name: fn}``; ``reward_names_in_file(path) -> [name]`` (AST only, runs nothing).
Extractors: ``extract_answer``, ``extract_boxed``, ``extract_gsm8k``, ``normalize_number``,
``answer_is_correct(completion, gold) -> bool``.

math-verify and threads: its timeouts use ``SIGALRM``, which only a main thread may set. ``accuracy`` uses them
when called on a main thread (as in the runner's worker) and disables them elsewhere, where the caller must bound
the time — ``RewardRunner`` does, by killing its worker.
"""

from .builtin import (
    accuracy,
    answer_is_correct,
    extract_answer,
    extract_boxed,
    extract_gsm8k,
    format_reward,
    length_penalty,
    normalize_number,
)
from .registry import (
    BUILTIN_REWARDS,
    RewardError,
    RewardFn,
    load_reward_file,
    resolve_rewards,
    reward_names_in_file,
)
from .runner import RewardResult, RewardRunner, RewardSpec
from .signature import SIGNATURE, call_reward, signature_problem

__all__ = [
    "BUILTIN_REWARDS",
    "RewardError",
    "RewardFn",
    "RewardResult",
    "RewardRunner",
    "RewardSpec",
    "SIGNATURE",
    "accuracy",
    "answer_is_correct",
    "call_reward",
    "extract_answer",
    "extract_boxed",
    "extract_gsm8k",
    "format_reward",
    "length_penalty",
    "load_reward_file",
    "normalize_number",
    "resolve_rewards",
    "reward_names_in_file",
    "signature_problem",
]
