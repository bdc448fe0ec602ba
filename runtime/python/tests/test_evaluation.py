"""Eval metrics: avg@k, pass@k and maj@k against hand-computed values from fixed samples, and the seeded sampling
of `evaluate` on a tiny model (same seed, same samples; greedy accuracy untouched by the sampling settings)."""

from __future__ import annotations

import pytest
import torch
from engine_helpers import base_plan, read_events, tiny_model_dir, write_plan
from transformers import AutoConfig, AutoModelForCausalLM

from srlm_engine import models
from srlm_engine.assets import TOKENIZER_DIR, model_dir
from srlm_engine.evaluation import (
    avg_at_k,
    eval_seed,
    evaluate,
    maj_at_k,
    pass_at_k,
    sampled_metric_names,
    sampled_scores,
    sampling_of,
)
from srlm_engine.generation import generate
from srlm_engine.plan import PlanError, from_partial, validate
from srlm_engine.plan_types import EvalSpec
from srlm_engine.run import EXIT_OK, run
from srlm_engine.tasks import arithmetic
from srlm_engine.templates import encode_prompts

# Three prompts, four samples each: the extracted answer of each sample and whether it is correct.
# A: gold 3. B: gold 9, the first sample gave no answer. C: gold 4, a 2-2 tie in all four samples.
ANSWERS = [["3", "5", "3", "7"], [None, "2", "2", "9"], ["1", "4", "4", "1"]]
CORRECT = [[True, False, True, False], [False, False, False, True], [False, True, True, False]]


def test_pass_at_k_is_the_unbiased_estimator():
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(1 - 3 / 6)  # 1 - C(3,2)/C(4,2)
    assert pass_at_k(4, 0, 2) == 0.0
    assert pass_at_k(4, 3, 2) == 1.0  # fewer than k wrong samples: some draw of k holds a right one
    assert pass_at_k(8, 2, 4) == pytest.approx(1 - 15 / 70)  # C(6,4)/C(8,4)


def test_avg_and_maj_of_one_prompt():
    assert avg_at_k([True, False, True, False], 2) == 0.5
    assert avg_at_k([True, False, True, True], 4) == 0.75
    assert maj_at_k(["1", "4", "4", "1"], [False, True, True, False], 3) is True  # 4 wins 2-1
    assert maj_at_k(["1", "4", "4", "1"], [False, True, True, False], 4) is False  # 2-2: the first seen, 1
    assert maj_at_k([None, None, "9"], [False, False, True], 2) is False  # nobody voted
    assert maj_at_k([None, "2", "2", "9"], [False, False, False, True], 4) is False  # None does not vote


def test_sampled_scores_from_fixed_samples():
    names = ["avg@2", "avg@4", "pass@1", "pass@2", "pass@4", "maj@1", "maj@3", "maj@4"]
    got = sampled_scores(CORRECT, ANSWERS, names)
    assert list(got) == names
    want = {
        "avg@2": (0.5 + 0.0 + 0.5) / 3,
        "avg@4": (0.5 + 0.25 + 0.5) / 3,
        "pass@1": (0.5 + 0.25 + 0.5) / 3,  # pass@1 over n samples is avg@n
        "pass@2": ((1 - 1 / 6) + (1 - 3 / 6) + (1 - 1 / 6)) / 3,
        "pass@4": 1.0,
        "maj@1": (1 + 0 + 0) / 3,
        "maj@3": (1 + 0 + 1) / 3,
        "maj@4": (1 + 0 + 0) / 3,
    }
    assert got == pytest.approx(want)


def test_sampled_scores_refuse_too_few_samples_and_unknown_metrics():
    with pytest.raises(ValueError, match="avg@8 needs 8 samples per prompt, found 4"):
        sampled_scores(CORRECT, ANSWERS, ["avg@8"])
    with pytest.raises(ValueError, match="unknown eval metric 'mean@2'"):
        sampled_metric_names(["mean@2"])  # the compiler turns mean@K into avg@K; plans never carry it
    assert sampled_metric_names(["accuracy", "maj@3", "avg@2"]) == [("maj@3", "maj", 3), ("avg@2", "avg", 2)]


def test_sampling_settings_and_seed():
    assert (
        sampling_of(from_partial(EvalSpec, {"data": "t", "metrics": ["accuracy"], "temperature": 0.5}))
        is None
    )
    ev = from_partial(
        EvalSpec, {"data": "t", "metrics": ["accuracy", "avg@4", "pass@8"], "temperature": 0.6, "top_p": 0.95}
    )
    assert sampling_of(ev) == {"temperature": 0.6, "top_p": 0.95, "samples_per_prompt": 8}
    assert eval_seed(7, "valid") == eval_seed(7, "valid")
    assert len({eval_seed(7, "valid"), eval_seed(7, "test"), eval_seed(8, "valid")}) == 3


def test_a_plan_of_an_earlier_compiler_with_eval_temperature_0_still_loads(tmp_path):
    # Then 0 (the default every compiled plan carried) meant greedy accuracy and 1.0 for sampled metrics.
    stage = {"name": "s", "kind": "sft", "hash": "h", "init": {"model": "m"}, "config": {"data": "train"}}
    evals = {"t": {"data": "test", "metrics": ["accuracy", "pass@2"], "temperature": 0.0}}
    raw = base_plan({"m": tmp_path}, [stage], evals=evals)
    plan = validate(raw)
    assert plan.evals["t"].temperature == 1.0 and plan.evals["t"].top_p == 1.0
    assert raw["evals"]["t"]["temperature"] == 0.0, "the caller's plan is not modified"
    raw["evals"]["t"]["temperature"] = -1.0
    with pytest.raises(PlanError, match="evals.t.temperature"):
        validate(raw)


@pytest.fixture(scope="module")
def tiny():
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir("tiny-student")))
    with torch.no_grad():  # sharper logits than the init's, so samples and greedy tokens vary
        for p in model.parameters():
            if p.dim() > 1:
                p.mul_(6.0)
    tok = models.load_tokenizer(str(TOKENIZER_DIR))
    rows = arithmetic.generate("validation", n=4, seed=0)
    return model.eval(), tok, rows


def _eval(tiny, seed, **ev):
    model, tok, rows = tiny
    spec = from_partial(EvalSpec, {"data": "validation", "max_new_tokens": 6, "samples": 4, **ev})
    metrics, samples = evaluate(model, tok, rows, spec, chat=False, batch_size=16, seed=seed)
    metrics.pop("eval_time_s")
    return metrics, samples


def test_sampling_is_seeded_and_leaves_the_global_generator_alone(tiny):
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a = _eval(tiny, 11, metrics=["avg@4", "pass@4", "maj@2"])
    assert torch.equal(torch.get_rng_state(), before), (
        "an eval inside a stage must not move the training's RNG"
    )
    b = _eval(tiny, 11, metrics=["avg@4", "pass@4", "maj@2"])
    c = _eval(tiny, 12, metrics=["avg@4", "pass@4", "maj@2"])
    assert a == b
    assert {"avg@4", "pass@4", "maj@2", "sampled_len_mean", "sampled_truncation_rate"} == set(a[0])
    # Without `accuracy` the saved samples are each prompt's first sample: another seed draws other tokens.
    assert [s["completion"] for s in a[1]] != [s["completion"] for s in c[1]]


def test_accuracy_stays_greedy_whatever_the_sampling_settings(tiny):
    model, tok, rows = tiny
    greedy = generate(model, tok, encode_prompts(tok, rows, False), 6, temperature=0.0, batch_size=16)
    for temperature in (1.0, 3.0):
        metrics, samples = _eval(tiny, 1, metrics=["accuracy"], temperature=temperature, top_p=0.5)
        assert [s["completion"] for s in samples] == [o.text for o in greedy]
        assert set(metrics) == {"accuracy", "completion_len_mean", "truncation_rate"}


def _two_eval_run(tmp_path, name, reuse=None):
    model = tiny_model_dir(tmp_path, "m")
    sft = {"data": "train", "steps": 2, "lr": 1e-3, "batch_size": 4, "max_len": 48}
    stage = {"name": "warm", "kind": "sft", "hash": "h", "init": {"model": "m"}, "config": sft}
    if reuse:
        stage["reuse"] = str(reuse)
    evals = {
        "valid": {
            "data": "valid",
            "every": 1,
            "limit": 3,
            "max_new_tokens": 6,
            "metrics": ["accuracy", "avg@2", "maj@2"],
        },
        "test": {"data": "test", "limit": 3, "max_new_tokens": 6},
    }
    plan = base_plan({"m": model}, [stage], evals=evals, n_train=8)
    plan["datasets"]["valid"] = {"builtin": "arithmetic", "split": "validation", "answer": "answer"}
    run_dir = tmp_path / name
    assert run(str(write_plan(tmp_path, plan)), str(run_dir)) == EXIT_OK
    return run_dir, [e for e in read_events(run_dir) if e["type"] == "eval"]


def test_a_validation_and_a_test_eval_and_a_cached_stage_scores_what_it_scored(tmp_path):
    run_dir, first = _two_eval_run(tmp_path, "a")
    assert [(e["eval"], e["when"], e.get("step")) for e in first] == [
        ("valid", "before", 0),
        ("test", "before", 0),
        ("valid", "during", 1),  # at the last step the "after" eval stands for the "during" one
        ("valid", "after", 2),
        ("test", "after", 2),
    ]
    for e in first:
        if e["eval"] == "valid":
            assert {"accuracy", "avg@2", "maj@2"} <= set(e["metrics"])
            assert e["sampling"] == {"temperature": 1.0, "top_p": 1.0, "samples_per_prompt": 2}
        else:
            assert "sampling" not in e and "avg@2" not in e["metrics"]
    # The stage reused from the first run's checkpoint is evaluated after a different history of random draws
    # (no init, no training, no earlier evals): seeded per eval, its sampled metrics come out the same.
    _, cached = _two_eval_run(tmp_path, "b", reuse=run_dir / "checkpoints" / "warm" / "final")

    def scores(events):
        return [(e["eval"], {k: v for k, v in e["metrics"].items() if k != "eval_time_s"}) for e in events]

    assert scores(cached) == scores(first[-2:])
