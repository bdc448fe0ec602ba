"""One small teacher SFT -> student KD -> student GRPO run, checked from the outside: its event stream, its
checkpoints, and that each stage learns (its own loss falls)."""

import json

import pytest
from engine_helpers import (
    assert_events_valid,
    base_plan,
    metric_series,
    read_events,
    tiny_model_dir,
    write_plan,
)

from srlm_engine.run import EXIT_INVALID, EXIT_OK, run


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("pipeline")
    # The teacher has 64 extra output rows beyond the student's: KD must slice them away with a warning.
    teacher = tiny_model_dir(tmp, "teacher", hidden=48, vocab=448)
    student = tiny_model_dir(tmp, "student", hidden=32)
    sft = {
        "data": "train",
        "steps": 30,
        "lr": 1e-2,
        "batch_size": 16,
        "max_len": 64,
        "warmup": 0.1,
        "save_every": 10,
        "keep_last": 2,
    }
    plan = base_plan(
        {"teacher": teacher, "student": student},
        [
            {"name": "teach", "kind": "sft", "hash": "h1", "init": {"model": "teacher"}, "config": sft},
            {
                "name": "distill",
                "kind": "kd",
                "hash": "h2",
                "init": {"model": "student"},
                "config": {
                    **sft,
                    "teacher": "teach",
                    "loss": {"name": "jsd", "beta": 0.5},
                    "mix": {"sft": 0.5, "kd": 1.0},
                    "on_policy": 0.3,
                    "max_new_tokens": 8,
                    "save_every": 0,
                },
            },
            {
                "name": "grpo",
                "kind": "rl",
                "hash": "h3",
                "init": {"stage": "distill"},
                "config": {
                    "data": "train",
                    "steps": 3,
                    "lr": 1e-3,
                    "prompts_per_step": 2,
                    "group": 4,
                    "batch_size": 4,
                    "max_new_tokens": 8,
                    "kl": 0.05,
                    "updates_per_batch": 2,
                    "reward": [{"fn": "accuracy", "weight": 1.0}, {"fn": "format", "weight": 0.2}],
                },
            },
        ],
        evals={
            "test": {
                "data": "test",
                "max_new_tokens": 8,
                "metrics": ["accuracy", "pass@2", "maj@2"],
                "samples": 2,
            }
        },
    )
    plan_path = write_plan(tmp, plan)
    run_dir = tmp / "run"
    rc = run(str(plan_path), str(run_dir))
    return {"rc": rc, "run_dir": run_dir, "events": read_events(run_dir), "plan": plan_path, "tmp": tmp}


def test_run_completes_and_every_event_validates(pipeline):
    assert pipeline["rc"] == EXIT_OK, [e for e in pipeline["events"] if e["type"] == "error"]
    events = pipeline["events"]
    assert_events_valid(events)
    types = [e["type"] for e in events]
    assert types[0] == "run_started" and types[-1] == "run_finished"
    assert events[-1]["status"] == "completed"
    finished = [e for e in events if e["type"] == "stage_finished"]
    assert [e["stage"] for e in finished] == ["teach", "distill", "grpo"]
    assert all(e["status"] == "completed" and e["cached"] is False for e in finished)
    assert len({e["run_id"] for e in events}) == 1


def test_checkpoints_are_hf_folders_with_meta_and_keep_last(pipeline):
    root = pipeline["run_dir"] / "checkpoints"
    for stage in ("teach", "distill", "grpo"):
        final = root / stage / "final"
        meta = json.loads((final / "meta.json").read_text())
        assert meta["stage"] == stage and meta["final"] is True and meta["stage_hash"]
        assert (final / "config.json").is_file() and (final / "model.safetensors").is_file()
        assert (final / "tokenizer.json").is_file()
    # save_every 10 over 30 steps writes steps 10 and 20 (the end writes final); keep_last 2 keeps both.
    steps = sorted(p.name for p in (root / "teach").iterdir() if p.name.startswith("step-"))
    assert steps == ["step-000010", "step-000020"]
    assert not [p for p in (root / "teach").iterdir() if p.name.startswith(".")]


def test_sft_and_kd_losses_fall(pipeline):
    ev = pipeline["events"]
    ce = metric_series(ev, "teach", "ce")
    assert len(ce) == 30 and ce[-1] < 0.5 * ce[0], ce
    kd = metric_series(ev, "distill", "kd")
    assert kd[-1] < 0.5 * kd[0], kd
    assert {"loss", "lr", "grad_norm", "tokens_per_s", "step_time_s"} <= set(
        next(e for e in ev if e["type"] == "metrics")["metrics"]
    )


def test_kd_sliced_the_teachers_padding_rows_with_a_warning(pipeline):
    warnings = [e for e in pipeline["events"] if e["type"] == "warning"]
    assert any(e.get("code") == "kd_vocab_sliced" and "448" in e["message"] for e in warnings)


def test_rl_metrics_and_samples(pipeline):
    ev = pipeline["events"]
    rl = [e["metrics"] for e in ev if e["type"] == "metrics" and e["stage"] == "grpo"]
    assert len(rl) == 3
    need = {
        "reward",
        "reward_std",
        "reward/accuracy",
        "reward/format",
        "frac_zero_std_groups",
        "completion_len_mean",
        "completion_len_max",
        "truncation_rate",
        "clip_ratio_low",
        "clip_ratio_high",
        "kl",
        "entropy",
        "gen_time_s",
        "score_time_s",
        "update_time_s",
    }
    assert need <= set(rl[0]), need - set(rl[0])
    # updates_per_batch 2: the second step reuses the first step's generations, so it has no generation time.
    assert "gen_time_s" not in rl[1]
    assert any(e["type"] == "samples" and e["source"] == "rl" for e in ev)


def test_evals_before_and_after_each_stage(pipeline):
    evals = [(e["stage"], e["when"]) for e in pipeline["events"] if e["type"] == "eval"]
    # before: the fresh teacher and the fresh student; after: every stage.
    assert evals == [
        ("teach", "before"),
        ("teach", "after"),
        ("distill", "before"),
        ("distill", "after"),
        ("grpo", "after"),
    ]
    m = next(e for e in pipeline["events"] if e["type"] == "eval")["metrics"]
    assert {"accuracy", "pass@2", "maj@2"} <= set(m) and all(
        0 <= m[k] <= 1 for k in ("accuracy", "pass@2", "maj@2")
    )
    samples = [e for e in pipeline["events"] if e["type"] == "samples" and e["source"] == "eval"]
    assert samples and len(samples[0]["samples"]) == 2


def test_from_stage_and_cached_reuse(pipeline, tmp_path):
    """A stage draws the same random stream whether the stage before it trained in this process or came from the
    cache: the cached run's GRPO repeats the full run's rollouts and updates exactly."""
    plan = json.loads(pipeline["plan"].read_text())
    plan["stages"][1]["reuse"] = str(pipeline["run_dir"] / "checkpoints" / "distill" / "final")
    plan["evals"] = {}
    p = tmp_path / "plan.json"
    p.write_text(json.dumps(plan))
    run_dir = tmp_path / "run"
    assert run(str(p), str(run_dir), from_stage="distill") == EXIT_OK
    ev = read_events(run_dir)
    assert_events_valid(ev)
    done = [(e["stage"], e["cached"]) for e in ev if e["type"] == "stage_finished"]
    assert done == [("distill", True), ("grpo", False)]
    for name in ("completion_len_mean", "reward", "loss", "grad_norm"):
        full = metric_series(pipeline["events"], "grpo", name)
        assert len(full) == 3 and metric_series(ev, "grpo", name) == full, name


def test_invalid_plan_exits_2_with_an_error_event(tmp_path):
    p = tmp_path / "plan.json"
    p.write_text(json.dumps({"schema_version": 99}))
    assert run(str(p), str(tmp_path / "run")) == EXIT_INVALID
    ev = read_events(tmp_path / "run")
    assert_events_valid(ev)
    assert ev[0]["type"] == "error" and "schema_version 99" in ev[0]["message"]
    assert ev[-1] == {**ev[-1], "type": "run_finished", "status": "failed"}
