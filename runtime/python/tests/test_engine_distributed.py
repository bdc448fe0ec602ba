"""Two CPU processes under torchrun (gloo): the same engine trains one data-parallel model, not two replicas."""

import os
import subprocess
import sys

from engine_helpers import assert_events_valid, base_plan, read_events, tiny_model_dir, write_plan


def test_torchrun_two_ranks_keep_replicas_in_sync(tmp_path):
    model = tiny_model_dir(tmp_path, "student", hidden=32)
    sft = {"data": "train", "steps": 6, "lr": 1e-2, "batch_size": 8, "max_len": 64, "warmup": 0.0}
    plan = base_plan(
        {"student": model},
        [{"name": "sft", "kind": "sft", "hash": "h1", "init": {"model": "student"}, "config": sft}],
    )
    plan_path = write_plan(tmp_path, plan)
    run_dir = tmp_path / "run"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "SRLM_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2"]
    cmd += ["-m", "srlm_engine", "run", "--plan", str(plan_path), "--run-dir", str(run_dir)]
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert r.returncode == 0, r.stderr[-3000:]

    events = read_events(run_dir)
    assert_events_valid(events)
    # Only rank 0 writes: one run_started, one stage_finished, one final checkpoint.
    assert [e["type"] for e in events].count("run_started") == 1
    finished = [e for e in events if e["type"] == "stage_finished"]
    assert len(finished) == 1 and finished[0]["status"] == "completed"
    assert [e for e in events if e["type"] == "checkpoint" and e.get("final")]
    assert not [e for e in events if e["type"] == "warning" and e.get("code") == "replicas_diverged"]
    assert any("in sync across 2 ranks" in e.get("message", "") for e in events if e["type"] == "log")
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "completed"
