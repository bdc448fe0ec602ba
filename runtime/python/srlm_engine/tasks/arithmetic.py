"""Procedurally generated multi-step arithmetic with worked steps and verifiable answers.

The embedded default's reasoning task. A problem is a chain of operations evaluated left to right, written
with the parentheses that make the left-to-right order the true order::

    prompt:      Compute (7 + 5) * 3 - 4.
    completion:  <think>7 + 5 = 12. 12 * 3 = 36. 36 - 4 = 32.</think> \\boxed{32}
    answer:      32

Every intermediate value is a non-negative integer no larger than the level's ``max_value`` (division, where a
level allows it, is exact), so a tiny model only ever sees small whole numbers.

Public API
----------
``LEVELS: dict[str, Level]``
    ``easy`` (1–2 steps, operands 1–9, + − ×, values ≤ 99: learnable by a tiny model in CPU minutes),
    ``medium`` (2–3 steps, operands 1–20, values ≤ 400) and ``hard`` (3–5 steps, operands 1–50, ÷ too, values
    ≤ 2000). ``Level`` is a frozen dataclass; pass one directly for other knobs.
``generate(split="train", n=None, level="easy", seed=0, test_fraction=0.1, validation_fraction=0.1, answer_noise=0.0) -> list[dict]``
    ``n`` rows ``{"prompt", "completion", "answer"}`` (all strings) of one split — the same fields a jsonl data
    set would have, so the engine loads ``builtin = arithmetic`` like a file. ``n`` defaults to
    ``DEFAULT_SIZES[split]``. Rows are unique within a split; the same arguments give the same rows.
    ``answer_noise`` is the fraction of completions whose boxed answer slips (see ``slipped``).
``slipped(prompt, answer, rate) -> int | None``
    The wrong final answer a noisy data set boxes for this problem (the true one moved by 1–10, never below 0),
    or None when the problem keeps its true answer. Model-generated reasoning data has such slips: correct steps
    and a wrong final answer. Imitation learns to reproduce them when sampling; a reward on the gold answer
    unlearns them. Which problems slip, and by how much, is a hash of the prompt: the same at every seed and
    for every rate below (a rate's slips include every lower rate's).
``split_of(prompt, test_fraction=0.1, validation_fraction=0.1) -> "train" | "validation" | "test"``
    The split a problem belongs to: a hash of its prompt text, independent of the seed and the level, so the
    three splits never share a problem, whatever seeds or sizes are asked for. The hash's lowest
    ``test_fraction`` is test, the next ``validation_fraction`` validation, the rest train. (Before the
    validation split existed, test held the lowest 0.2; validation was carved from that held-out region so
    that train, and with it every trained demo model, stayed exactly as it was.)
``make_problem(rng, level) -> Problem``
    One random problem (``Problem`` has ``prompt``, ``completion``, ``answer``, ``steps`` and ``as_row()``).
``solve(prompt) -> int``
    Recompute the answer of a prompt produced here (used by the tests to check the generator).

Raises ``ValueError`` with a reason for unknown levels/splits and when a level has too few distinct problems to
fill ``n`` unique rows.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, field

__all__ = [
    "DEFAULT_SIZES",
    "LEVELS",
    "Level",
    "Problem",
    "generate",
    "make_problem",
    "slipped",
    "solve",
    "split_of",
]


@dataclass(frozen=True)
class Level:
    min_steps: int
    max_steps: int
    max_operand: int
    max_value: int
    ops: str = "+-*"
    # Multiplying by large numbers overshoots max_value almost always; a separate cap keeps products reachable.
    max_multiplier: int = 9

    def __post_init__(self) -> None:
        if not 1 <= self.min_steps <= self.max_steps:
            raise ValueError(f"need 1 <= min_steps <= max_steps, got {self.min_steps}, {self.max_steps}")
        if self.max_operand < 1 or self.max_value < self.max_operand:
            raise ValueError("need 1 <= max_operand <= max_value")
        if not self.ops or set(self.ops) - set("+-*/"):
            raise ValueError(f"ops must be a non-empty subset of '+-*/', got {self.ops!r}")


LEVELS: dict[str, Level] = {
    "easy": Level(min_steps=1, max_steps=2, max_operand=9, max_value=99, ops="+-*", max_multiplier=5),
    "medium": Level(min_steps=2, max_steps=3, max_operand=20, max_value=400, ops="+-*", max_multiplier=9),
    "hard": Level(min_steps=3, max_steps=5, max_operand=50, max_value=2000, ops="+-*/", max_multiplier=12),
}

DEFAULT_SIZES = {"train": 2000, "validation": 200, "test": 200}

_OP_TEXT = {"+": "+", "-": "-", "*": "*", "/": "/"}
_PRECEDENCE = {"+": 1, "-": 1, "*": 2, "/": 2}


@dataclass(frozen=True)
class Problem:
    prompt: str
    completion: str
    answer: str
    steps: tuple[str, ...] = field(default=())

    def as_row(self) -> dict[str, str]:
        return {"prompt": self.prompt, "completion": self.completion, "answer": self.answer}


def _apply(a: int, op: str, b: int) -> int:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    return a // b


def _pick_step(rng: random.Random, value: int, level: Level) -> tuple[str, int] | None:
    """A random (op, operand) keeping the result a whole number in [0, max_value]; None if none fits."""
    choices: list[tuple[str, int]] = []
    for op in level.ops:
        if op == "+":
            hi = min(level.max_operand, level.max_value - value)
            choices += [("+", b) for b in range(1, hi + 1)]
        elif op == "-":
            choices += [("-", b) for b in range(1, min(level.max_operand, value) + 1)]
        elif op == "*":
            hi = min(level.max_multiplier, level.max_operand)
            choices += [("*", b) for b in range(2, hi + 1) if value * b <= level.max_value]
        elif op == "/":
            hi = min(level.max_multiplier, level.max_operand)
            choices += [("/", b) for b in range(2, hi + 1) if value and value % b == 0]
    if not choices:
        return None
    # Choose the operator first so that + and - (which have many operands) do not crowd out * and /.
    ops = sorted({op for op, _ in choices})
    op = rng.choice(ops)
    return rng.choice([c for c in choices if c[0] == op])


def make_problem(rng: random.Random, level: Level) -> Problem:
    n_steps = rng.randint(level.min_steps, level.max_steps)
    while True:
        value = rng.randint(1, level.max_operand)
        expr, top_prec = str(value), 3  # a bare number binds tighter than any operator
        steps: list[str] = []
        for _ in range(n_steps):
            picked = _pick_step(rng, value, level)
            if picked is None:
                break
            op, b = picked
            prec = _PRECEDENCE[op]
            # Left-to-right order is the true order: wrap the left side when it binds looser than op.
            left = f"({expr})" if top_prec < prec else expr
            new = _apply(value, op, b)
            steps.append(f"{value} {_OP_TEXT[op]} {b} = {new}.")
            expr, top_prec, value = f"{left} {_OP_TEXT[op]} {b}", prec, new
        if len(steps) == n_steps:
            break
    prompt = f"Compute {expr}."
    completion = "<think>" + " ".join(steps) + "</think> \\boxed{" + str(value) + "}"
    return Problem(prompt=prompt, completion=completion, answer=str(value), steps=tuple(steps))


def split_of(prompt: str, test_fraction: float = 0.1, validation_fraction: float = 0.1) -> str:
    if not (0.0 < test_fraction and 0.0 <= validation_fraction and test_fraction + validation_fraction < 1.0):
        raise ValueError(
            "need test_fraction > 0, validation_fraction >= 0 and their sum below 1, got "
            f"{test_fraction} and {validation_fraction}"
        )
    digest = hashlib.sha256(prompt.encode("utf-8")).digest()
    bucket = int.from_bytes(digest[:8], "big") / 2**64
    if bucket < test_fraction:
        return "test"
    return "validation" if bucket < test_fraction + validation_fraction else "train"


def _check_rate(rate: float) -> None:
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"answer_noise must be in [0, 1), got {rate}")


def slipped(prompt: str, answer: int, rate: float) -> int | None:
    _check_rate(rate)
    digest = hashlib.sha256(f"noise/{prompt}".encode()).digest()
    if int.from_bytes(digest[:8], "big") / 2**64 >= rate:
        return None
    size = digest[8] % 10 + 1
    down = digest[9] % 2 == 0 and answer - size >= 0
    return answer - size if down else answer + size


def _noisy(row: dict[str, str], rate: float) -> dict[str, str]:
    wrong = slipped(row["prompt"], int(row["answer"]), rate) if rate else None
    if wrong is None:
        return row
    steps = row["completion"].rsplit("\\boxed{", 1)[0]
    return {**row, "completion": steps + "\\boxed{" + str(wrong) + "}"}


def generate(
    split: str = "train",
    n: int | None = None,
    level: str | Level = "easy",
    seed: int = 0,
    test_fraction: float = 0.1,
    validation_fraction: float = 0.1,
    answer_noise: float = 0.0,
) -> list[dict[str, str]]:
    if split not in DEFAULT_SIZES:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(DEFAULT_SIZES)}")
    if isinstance(level, str):
        if level not in LEVELS:
            raise ValueError(f"unknown arithmetic level {level!r}; expected one of {', '.join(LEVELS)}")
        level = LEVELS[level]
    n = DEFAULT_SIZES[split] if n is None else n
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    _check_rate(answer_noise)
    # The split name is mixed into the stream so the splits draw different candidates for the same seed.
    rng = random.Random(f"srlm-arithmetic/{split}/{seed}")
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    attempts, max_attempts = 0, 200 * max(n, 10)
    while len(rows) < n:
        attempts += 1
        if attempts > max_attempts:
            raise ValueError(
                f"only {len(rows)} distinct {split} problems found for n = {n} at this level; "
                "ask for fewer rows or a harder level"
            )
        p = make_problem(rng, level)
        if p.prompt in seen or split_of(p.prompt, test_fraction, validation_fraction) != split:
            continue
        seen.add(p.prompt)
        rows.append(_noisy(p.as_row(), answer_noise))
    return rows


_TOKEN = re.compile(r"\d+|[()+\-*/]")


def solve(prompt: str) -> int:
    """Evaluate ``Compute <expr>.`` with the usual precedence (the generator's parentheses make it match)."""
    m = re.fullmatch(r"Compute (.+)\.", prompt)
    if not m:
        raise ValueError(f"not an arithmetic prompt: {prompt!r}")
    tokens = _TOKEN.findall(m.group(1))
    pos = 0

    def parse(min_prec: int) -> int:
        nonlocal pos
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            left = parse(1)
            pos += 1  # ')'
        else:
            left = int(tok)
        while pos < len(tokens) and tokens[pos] in _PRECEDENCE and _PRECEDENCE[tokens[pos]] >= min_prec:
            op = tokens[pos]
            pos += 1
            right = parse(_PRECEDENCE[op] + 1)
            if op == "/" and left % right:
                raise ValueError(f"inexact division in {prompt!r}")
            left = _apply(left, op, right)
        return left

    return parse(1)
