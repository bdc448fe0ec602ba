"""The built-in arithmetic task: correctness of worked steps, determinism, disjoint splits, knobs."""

from __future__ import annotations

import random
import re

import pytest

from srlm_engine.tasks import BUILTIN_TASKS, arithmetic, load_builtin

STEP = re.compile(r"(\d+) ([+\-*/]) (\d+) = (\d+)\.")


def check_row(row, level):
    assert set(row) == {"prompt", "completion", "answer"}
    m = re.fullmatch(r"<think>(.*)</think> \\boxed\{(\d+)\}", row["completion"])
    assert m, row["completion"]
    assert m.group(2) == row["answer"]
    steps = STEP.findall(m.group(1))
    assert " ".join(f"{a} {op} {b} = {c}." for a, op, b, c in steps) == m.group(1)
    assert level.min_steps <= len(steps) <= level.max_steps
    prev = None
    for a, op, b, c in steps:
        a, b, c = int(a), int(b), int(c)
        assert op in level.ops
        assert c == {"+": a + b, "-": a - b, "*": a * b, "/": a // b}[op]
        assert 0 <= c <= level.max_value and (op != "/" or a % b == 0)
        assert prev is None or a == prev  # each step continues from the previous result
        prev = c
    assert arithmetic.solve(row["prompt"]) == int(row["answer"])


@pytest.mark.parametrize("name", list(arithmetic.LEVELS))
def test_rows_are_correct_worked_solutions(name):
    level = arithmetic.LEVELS[name]
    for row in arithmetic.generate("train", 300, name, seed=3):
        check_row(row, level)


def test_parentheses_encode_left_to_right_order():
    rows = arithmetic.generate("train", 2000, "medium", seed=1)
    wrapped = [r for r in rows if r["prompt"].startswith("Compute (")]
    assert wrapped, "some problems need parentheses"
    # Without the parentheses the usual precedence would change the value, so they are not decoration.
    changed = 0
    for r in wrapped:
        bare = r["prompt"].replace("(", "").replace(")", "")
        changed += arithmetic.solve(bare) != int(r["answer"])
    assert changed > len(wrapped) // 2


def test_deterministic_and_seed_dependent():
    a = arithmetic.generate("train", 100, "easy", seed=7)
    assert a == arithmetic.generate("train", 100, "easy", seed=7)
    assert a != arithmetic.generate("train", 100, "easy", seed=8)
    assert arithmetic.generate("train", 50, "easy", seed=7) == a[:50]


def test_splits_never_overlap_whatever_the_seeds():
    train = {r["prompt"] for s in (0, 1) for r in arithmetic.generate("train", 1500, "easy", seed=s)}
    val = {r["prompt"] for s in (0, 5) for r in arithmetic.generate("validation", 200, "easy", seed=s)}
    test = {r["prompt"] for s in (0, 5) for r in arithmetic.generate("test", 200, "easy", seed=s)}
    assert not train & test and not train & val and not val & test
    assert all(arithmetic.split_of(p) == "test" for p in test)
    assert all(arithmetic.split_of(p) == "validation" for p in val)
    for split in ("validation", "test"):
        rows = arithmetic.generate(split, 200, "easy")
        assert len({r["prompt"] for r in rows}) == 200  # unique within a split
    # Roughly test_fraction and validation_fraction of random problems land in test and validation.
    rng = random.Random(0)
    probs = [arithmetic.make_problem(rng, arithmetic.LEVELS["hard"]).prompt for _ in range(2000)]
    for split in ("test", "validation"):
        frac = sum(arithmetic.split_of(p) == split for p in probs) / len(probs)
        assert 0.07 < frac < 0.13, split


def test_validation_was_carved_from_the_old_test_region_so_train_is_unchanged():
    # Train is the hash's top 0.8 as before the validation split existed: the demo trains on the same rows.
    rng = random.Random(1)
    probs = [arithmetic.make_problem(rng, arithmetic.LEVELS["medium"]).prompt for _ in range(500)]
    for p in probs:
        new = arithmetic.split_of(p)
        old = arithmetic.split_of(p, test_fraction=0.2, validation_fraction=0.0)
        assert (new == "train") == (old == "train")
    with pytest.raises(ValueError, match="sum below 1"):
        arithmetic.split_of("Compute 1 + 1.", 0.5, 0.5)


def test_easy_level_is_small_and_short():
    rows = arithmetic.generate("train", 500, "easy")
    assert max(int(r["answer"]) for r in rows) <= 99
    assert all(r["prompt"].count(" ") <= 6 for r in rows)
    ops = "".join(r["prompt"] for r in rows)
    assert all(op in ops for op in "+-*")


def test_custom_level_and_errors():
    lvl = arithmetic.Level(min_steps=3, max_steps=3, max_operand=5, max_value=50, ops="+")
    for row in arithmetic.generate("train", 30, lvl):
        check_row(row, lvl)
        assert row["completion"].count("=") == 3
    with pytest.raises(ValueError, match="unknown arithmetic level"):
        arithmetic.generate(level="impossible")
    with pytest.raises(ValueError, match="unknown split"):
        arithmetic.generate(split="dev")
    with pytest.raises(ValueError, match="distinct"):
        arithmetic.generate("train", 500, arithmetic.Level(1, 1, 2, 4, ops="+"))
    with pytest.raises(ValueError, match="ops"):
        arithmetic.Level(1, 1, 5, 10, ops="^")


def test_slips_are_a_hash_of_the_problem_and_nest_across_rates():
    # Hand-checked: at rate 0 nothing slips; a slip is 1..10 away, never negative; higher rates keep lower ones.
    prompts = [row["prompt"] for row in arithmetic.generate("train", 400, seed=1)]
    answers = [arithmetic.solve(p) for p in prompts]
    assert all(arithmetic.slipped(p, a, 0.0) is None for p, a in zip(prompts, answers, strict=True))
    low = {p for p, a in zip(prompts, answers, strict=True) if arithmetic.slipped(p, a, 0.1) is not None}
    high = {p for p, a in zip(prompts, answers, strict=True) if arithmetic.slipped(p, a, 0.4) is not None}
    assert low < high and 0.05 < len(low) / 400 < 0.15 and 0.33 < len(high) / 400 < 0.47
    for p, a in zip(prompts, answers, strict=True):
        wrong = arithmetic.slipped(p, a, 0.4)
        if wrong is not None:
            assert 1 <= abs(wrong - a) <= 10 and wrong >= 0
            assert wrong == arithmetic.slipped(p, a, 0.9)  # the size of a slip does not depend on the rate
    noisy = arithmetic.generate("train", 400, seed=1, answer_noise=0.4)
    assert sum(not r["completion"].endswith("{" + r["answer"] + "}") for r in noisy) == len(high)
    with pytest.raises(ValueError, match="answer_noise"):
        arithmetic.generate("train", 5, answer_noise=1.0)


def test_builtin_registry():
    assert BUILTIN_TASKS["arithmetic"] is arithmetic.generate
    assert load_builtin("arithmetic", "test", 5, seed=2) == arithmetic.generate("test", 5, seed=2)
    assert len(load_builtin("arithmetic", "test")) == arithmetic.DEFAULT_SIZES["test"]
    with pytest.raises(ValueError, match="unknown builtin"):
        load_builtin("gsm8k")
