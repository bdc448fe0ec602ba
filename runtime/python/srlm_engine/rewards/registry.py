"""Reward registry: built-in functions by name, user functions from a Python file, and RewardError."""

from __future__ import annotations

import ast
import importlib.util
import inspect
import sys
import traceback as tb
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .builtin import accuracy, format_reward, length_penalty
from .signature import signature_problem

RewardFn = Callable[..., list[float]]

BUILTIN_REWARDS: dict[str, RewardFn] = {
    "accuracy": accuracy,
    "format": format_reward,
    "length_penalty": length_penalty,
}

__all__ = [
    "BUILTIN_REWARDS",
    "RewardError",
    "RewardFn",
    "load_reward_file",
    "resolve_rewards",
    "reward_names_in_file",
]


class RewardError(Exception):
    """A reward function failed. Never turned into a zero reward: the caller reports it and decides.

    ``kind``: ``load`` (file or name problem), ``error`` (the function raised), ``timeout`` (the batch ran past
    the limit; the worker was killed), ``bad_output`` (wrong length, non-number, NaN/inf) or ``crash`` (the
    worker process died). ``index`` is the failing sample's position in the batch when known, ``sample`` that
    sample's ``prompt``/``completion``/``answer`` (for a timeout: the first of the batch, with ``batch_size``).
    """

    def __init__(
        self,
        message: str,
        *,
        fn: str | None = None,
        kind: str = "error",
        index: int | None = None,
        sample: dict[str, Any] | None = None,
        traceback: str | None = None,
    ):
        super().__init__(message)
        self.message = message
        self.fn = fn
        self.kind = kind
        self.index = index
        self.sample = sample
        self.traceback = traceback

    def __str__(self) -> str:
        where = f"reward '{self.fn}'" if self.fn else "reward"
        at = f" on sample {self.index}" if self.index is not None else ""
        return f"{where} {self.kind}{at}: {self.message}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields for the engine's error event."""
        return {
            "fn": self.fn,
            "kind": self.kind,
            "message": self.message,
            "index": self.index,
            "sample": self.sample,
            "traceback": self.traceback,
        }

    def __reduce__(self):
        # Keyword-only fields do not survive the default pickling (the worker process sends these back).
        return (_rebuild_error, (self.message, self.to_dict()))


def _rebuild_error(message: str, fields: dict[str, Any]) -> RewardError:
    fields = {k: v for k, v in fields.items() if k != "message"}
    return RewardError(message, **fields)


def reward_names_in_file(path: str | Path) -> list[str]:
    """Public top-level function names of a reward file, read without running it (for plan checks)."""
    p = Path(path)
    try:
        tree = ast.parse(p.read_text(encoding="utf-8"), filename=str(p))
    except FileNotFoundError as e:
        raise RewardError(f"reward file not found: {p}", kind="load") from e
    except SyntaxError as e:
        raise RewardError(f"{p}:{e.lineno}: syntax error: {e.msg}", kind="load") from e
    return [
        n.name
        for n in tree.body
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and not n.name.startswith("_")
    ]


def load_reward_file(path: str | Path) -> dict[str, RewardFn]:
    """Import a user reward file and return its public functions by name.

    The file's folder is put on ``sys.path`` so it can import its own helpers. Errors while importing become a
    ``RewardError(kind="load")`` carrying the traceback.
    """
    p = Path(path).resolve()
    if not p.is_file():
        raise RewardError(f"reward file not found: {p}", kind="load")
    name = f"srlm_user_rewards_{abs(hash(str(p)))}"
    spec = importlib.util.spec_from_file_location(name, p)
    if spec is None or spec.loader is None:
        raise RewardError(f"cannot import {p} as a Python file", kind="load")
    module = importlib.util.module_from_spec(spec)
    if str(p.parent) not in sys.path:
        sys.path.insert(0, str(p.parent))
    try:
        spec.loader.exec_module(module)
    except BaseException as e:  # noqa: BLE001 - a user file may raise anything, SystemExit included
        raise RewardError(
            f"importing {p} failed: {type(e).__name__}: {e}", kind="load", traceback=tb.format_exc()
        ) from e
    sys.modules[name] = module
    return {
        n: f
        for n, f in vars(module).items()
        if not n.startswith("_") and inspect.isfunction(f) and f.__module__ == name
    }


def resolve_rewards(
    names: list[str], reward_file: str | Path | None = None, args: dict[str, dict] | None = None
) -> dict[str, RewardFn]:
    """Look names up: functions of ``reward_file`` first (a user may redefine a built-in), then built-ins.

    Each function's signature is checked against the keyword call (``signature.py``) with its ``args``, so a
    function the engine cannot call fails here, before any generation."""
    user = load_reward_file(reward_file) if reward_file else {}
    out: dict[str, RewardFn] = {}
    for n in names:
        if n in user or n in BUILTIN_REWARDS:
            out[n] = user[n] if n in user else BUILTIN_REWARDS[n]
            problem = signature_problem(n, out[n], (args or {}).get(n))
            if problem:
                raise RewardError(problem, fn=n, kind="load")
        else:
            known = sorted(set(BUILTIN_REWARDS) | set(user))
            where = f" or in {reward_file}" if reward_file else " (no reward_file given)"
            raise RewardError(
                f"unknown reward function '{n}': not built in{where}; known: {', '.join(known)}",
                fn=n,
                kind="load",
            )
    return out
