"""The base of the generated plan types (plan_types.py).

TEMPORARY (issue 14): the mapping access below lets code not yet converted to attributes — stages/rl.py,
rollout.py and evaluation.py — keep reading its config as `cfg["lr"]` / `cfg.get("kd")` / `stage["_teacher"]`.
Delete it once they read attributes; nothing else uses it.
"""

from __future__ import annotations

from typing import Any

# The engine's former private keys on a stage, now attributes.
_ALIASES = {"_init": "init_ref", "_teacher": "teacher_ref"}


class PlanRecord:
    def __getitem__(self, key: str) -> Any:
        try:
            return getattr(self, _ALIASES.get(key, key))
        except AttributeError:
            raise KeyError(key) from None

    def get(self, key: str, default: Any = None) -> Any:
        return getattr(self, _ALIASES.get(key, key), default)
