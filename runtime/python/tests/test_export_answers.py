"""The inspector's TypeScript gold check (runtime/src/inference/answer.ts) is tested on the same strings; this
side pins the engine's behaviour on them so a change to either shows up as a disagreement."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

CASES = json.loads(
    (Path(__file__).resolve().parents[3] / "test" / "fixtures" / "inference" / "answers.json").read_text()
)
builtin = pytest.importorskip("srlm_engine.rewards.builtin")


@pytest.mark.parametrize("case", CASES["extract"], ids=lambda c: c["text"][:30])
def test_extract_answer_matches_shared_cases(case):
    assert builtin.extract_answer(case["text"]) == case["answer"]


@pytest.mark.parametrize("case", CASES["correct"], ids=lambda c: f"{c['completion']}|{c['gold']}")
def test_answer_is_correct_matches_shared_cases(case):
    assert builtin.answer_is_correct(case["completion"], case["gold"]) is case["correct"]
