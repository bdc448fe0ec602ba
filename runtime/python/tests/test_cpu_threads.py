"""The pipeline's `cpu_threads` (cpu_threads.py): forward passes run on that many threads, backward passes and
optimizer steps keep the gradient thread count, so a run's every metric and weight is the same bit for bit at
any `cpu_threads`. Driven as the editor and `srlm run` drive it: the engine as a process, from a plan file."""

import os
import subprocess

import pytest
from engine_helpers import (
    assert_events_valid,
    base_plan,
    engine_cmd,
    engine_env,
    read_events,
    tiny_model_dir,
    write_plan,
)
from safetensors.torch import load_file

CORES = os.cpu_count() or 1


def pipeline(tmp, cpu_threads: int | None) -> dict:
    """Teacher SFT -> student KD (with on-policy generation) -> GRPO, evals with greedy and sampled answers."""
    # Batches of 32 sequences at the demo's width: smaller ones leave threads nothing to split in the backward
    # pass, so a backward on the forward thread count would go unnoticed.
    common = {"data": "train", "steps": 4, "lr": 1e-2, "batch_size": 32, "max_len": 64}
    plan = base_plan(
        {
            "teacher": tiny_model_dir(tmp, "teacher", hidden=64),
            "student": tiny_model_dir(tmp, "student", hidden=64),
        },
        [
            {"name": "teach", "kind": "sft", "init": {"model": "teacher"}, "config": common},
            {
                "name": "distill",
                "kind": "kd",
                "init": {"model": "student"},
                "config": {**common, "teacher": "teach", "on_policy": 0.5, "max_new_tokens": 6},
            },
            {
                "name": "grpo",
                "kind": "rl",
                "init": {"stage": "distill"},
                "config": {
                    "data": "train",
                    "steps": 3,
                    "lr": 1e-3,
                    "prompts_per_step": 8,
                    "group": 4,
                    "batch_size": 32,
                    "max_new_tokens": 8,
                    "kl": 0.05,
                },
            },
        ],
        evals={"test": {"data": "test", "max_new_tokens": 8, "metrics": ["accuracy", "avg@4"]}},
    )
    if cpu_threads is not None:
        plan["settings"]["cpu_threads"] = cpu_threads
    return plan


def run_engine(tmp, plan: dict, env: dict) -> tuple[list[dict], object]:
    tmp.mkdir(exist_ok=True)
    run_dir = tmp / "run"
    proc = subprocess.run(
        engine_cmd(write_plan(tmp, plan), run_dir), env=env, capture_output=True, text=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = read_events(run_dir)
    assert_events_valid(events)
    return events, run_dir


def is_timing(key: str) -> bool:
    """Wall-clock metrics (step_time_s, tokens_per_s…): the only values allowed to differ."""
    return "time" in key or key.endswith("per_s")


def results(events: list[dict]) -> list:
    """Every metric and eval result in order, wall-clock timings left out."""
    out = []
    for e in events:
        values = (
            e.get("metrics") if e["type"] == "metrics" else e.get("results") if e["type"] == "eval" else None
        )
        if values is not None:
            out.append((e["type"], e.get("stage"), {k: v for k, v in values.items() if not is_timing(k)}))
    return out


def test_forward_threads_change_no_metric_and_no_weight(tmp_path):
    # The gradient thread count is whatever this machine's default is (half the cores) in both runs.
    env = {k: v for k, v in engine_env().items() if k not in ("SRLM_NUM_THREADS", "OMP_NUM_THREADS")}
    runs = [run_engine(tmp_path / f"t{n}", pipeline(tmp_path / f"t{n}", n), env) for n in (1, 2)]
    (one, dir_one), (two, dir_two) = runs
    assert [e["cpu_threads"] for e in (one[0], two[0])] == [1, 2]
    assert one[0]["gradient_threads"] == two[0]["gradient_threads"] == max(1, CORES // 2)
    assert len(results(one)) > 10 and results(one) == results(two)
    for stage in ("teach", "distill", "grpo"):
        a = load_file(dir_one / "checkpoints" / stage / "final" / "model.safetensors")
        b = load_file(dir_two / "checkpoints" / stage / "final" / "model.safetensors")
        assert a.keys() == b.keys() and all(a[k].equal(b[k]) for k in a), stage


def test_srlm_num_threads_caps_cpu_threads_and_too_many_threads_warn(tmp_path):
    plan = pipeline(tmp_path, CORES + 1)
    plan["stages"] = plan["stages"][:1]
    plan["evals"] = {}
    # engine_env pins SRLM_NUM_THREADS=1: a shared machine's limit caps what the file asks for.
    events, _ = run_engine(tmp_path / "capped", plan, engine_env())
    assert (events[0]["cpu_threads"], events[0]["gradient_threads"]) == (1, 1)
    assert not [e for e in events if e.get("code") == "cpu_threads_over_cores"]
    env = {**engine_env(), "SRLM_NUM_THREADS": str(CORES + 1)}
    events, _ = run_engine(tmp_path / "over", plan, env)
    assert events[0]["cpu_threads"] == CORES + 1
    over = [e for e in events if e["type"] == "warning" and e.get("code") == "cpu_threads_over_cores"]
    assert len(over) == 1 and f"cpu_threads = {CORES + 1} but this machine has {CORES}" in over[0]["message"]


@pytest.mark.parametrize("setting", [0, 2.5, "2"])
def test_a_plan_with_a_bad_cpu_threads_is_refused_naming_the_field(tmp_path, setting):
    plan = pipeline(tmp_path, None)
    plan["settings"]["cpu_threads"] = setting
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        engine_cmd(write_plan(tmp_path, plan), run_dir),
        env=engine_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "settings.cpu_threads" in proc.stderr, proc.stderr[-1000:]
