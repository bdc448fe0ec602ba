"""How a reward function is called: by keyword, as declared once in ``server/src/core/schema/rewardCall.ts`` and generated into ``plan.schema.json``.

The declaration (``$defs.rewardFunction``) names the arguments every function receives (``completions``,
``answers``, ``prompts``) and the extras the engine adds (``completion_lengths``, ``truncated``,
``max_new_tokens``, ``completion_prefix``); the checker's SRLM056 message and the docs read the same entry. A
term's ``args`` (``length_penalty(max = 512)``) are added for that function only.

Everything is passed by keyword, and a function receives only the names it declares unless it takes
``**kwargs``. So ``def f(completions, **kwargs)`` and ``def f(completions, answers, prompts)`` both work, and
so does any order of parameters. A required parameter the engine never passes is a load error naming it, raised
before the first batch rather than as a TypeError mid-run.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..plan import load_schema

_DECLARATION = load_schema()["$defs"]["rewardFunction"]

SIGNATURE: str = _DECLARATION["x-signature"]
ARGUMENTS: tuple[str, ...] = tuple(_DECLARATION["x-arguments"])
EXTRAS: tuple[str, ...] = tuple(_DECLARATION["x-extras"])

__all__ = ["ARGUMENTS", "EXTRAS", "SIGNATURE", "call_reward", "signature_problem"]


def _parameters(fn: Callable) -> list[inspect.Parameter] | None:
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # builtins and C callables without a signature: call and see
        return None


def signature_problem(name: str, fn: Callable, args: Mapping[str, Any] | None = None) -> str | None:
    """Why the engine cannot call ``fn`` with its declared keywords (plus ``args``), or None when it can."""
    params = _parameters(fn)
    if params is None:
        return None
    passed = set(ARGUMENTS) | set(EXTRAS) | set(args or {})
    takes_any = any(p.kind is p.VAR_KEYWORD for p in params)
    for p in params:
        if p.kind is p.POSITIONAL_ONLY and p.default is p.empty:
            return (
                f"reward function '{name}' has the positional-only parameter '{p.name}'; rewards are called by "
                f"keyword: {SIGNATURE.replace('NAME', name)}"
            )
        if (
            p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            and p.default is p.empty
            and p.name not in passed
        ):
            return (
                f"reward function '{name}' requires the parameter '{p.name}', which the engine does not pass; it "
                f"passes {', '.join(ARGUMENTS)} and the extras {', '.join(EXTRAS)} by keyword, plus the arguments "
                f"written in `reward` (e.g. {name}({p.name} = ...)). Expected: {SIGNATURE.replace('NAME', name)}"
            )
    unknown = sorted(set(args or {}) - {p.name for p in params})
    if unknown and not takes_any:
        return f"reward function '{name}' takes no argument named {', '.join(repr(u) for u in unknown)}"
    return None


def call_reward(
    fn: Callable,
    completions: Sequence[str],
    answers: Sequence[str],
    prompts: Sequence[str],
    kw: Mapping[str, Any],
) -> Any:
    """``fn(completions=..., answers=..., prompts=..., **kw)``, each keyword only if ``fn`` can take it."""
    call = {"completions": list(completions), "answers": list(answers), "prompts": list(prompts), **kw}
    params = _parameters(fn)
    if params is not None and not any(p.kind is p.VAR_KEYWORD for p in params):
        names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        call = {k: v for k, v in call.items() if k in names}
    return fn(**call)
