"""User reward functions for examples/rl_custom_reward.srlm (see docs/models.md, "User reward functions").

The engine calls every reward function BY KEYWORD:

    fn(completions=[...], answers=[...], prompts=[...], completion_lengths=[...], truncated=[...],
       max_new_tokens=N, completion_prefix=[...], **args_written_in_the_srlm_file)

and passes only the keywords a function declares, unless it takes **kwargs. So both styles below work. Return
one finite float per completion; raise to report a problem (the run shows the failing sample) rather than
returning 0.
"""

import re

_BOXED = re.compile(r"\\boxed\{([^{}]*)\}")


def boxed_once(completions, **kwargs):
    """1.0 when the completion states exactly one \\boxed{} answer, else 0.0 (short style: **kwargs)."""
    return [1.0 if len(_BOXED.findall(c)) == 1 else 0.0 for c in completions]


def shows_work(completions, answers, prompts, min_steps=2):
    """Fraction of `min_steps` lines of working before the answer, capped at 1 (explicit style, one argument
    from the .srlm file: `shows_work(min_steps = 3)`)."""
    out = []
    for completion in completions:
        body = completion.split("\\boxed", 1)[0]
        steps = [
            line for line in body.splitlines() if re.search(r"\d\s*[-+*/=]\s*\d", line)
        ]
        out.append(min(1.0, len(steps) / min_steps))
    return out
