"""Built-in, procedurally generated tasks of the embedded default.

``BUILTIN_TASKS`` maps a plan's ``dataset.builtin`` name to its generator; ``load_builtin(name, split, n=None,
seed=0, **knobs)`` returns rows shaped like a jsonl data set (``prompt``, ``completion``, ``answer``).
"""

from __future__ import annotations

from collections.abc import Callable

from . import arithmetic

BUILTIN_TASKS: dict[str, Callable[..., list[dict[str, str]]]] = {"arithmetic": arithmetic.generate}


def load_builtin(
    name: str, split: str = "train", n: int | None = None, seed: int = 0, **knobs
) -> list[dict[str, str]]:
    if name not in BUILTIN_TASKS:
        raise ValueError(
            f"unknown builtin data set {name!r}; expected one of {', '.join(sorted(BUILTIN_TASKS))}"
        )
    return BUILTIN_TASKS[name](split=split, n=n, seed=seed, **knobs)


__all__ = ["BUILTIN_TASKS", "arithmetic", "load_builtin"]
