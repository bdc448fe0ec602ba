"""Checkpoints survive a kill mid-save, and a stopped-then-resumed run continues the same loss curve bitwise."""

import json
import subprocess
import sys
import textwrap

import pytest
from engine_helpers import (
    assert_events_valid,
    base_plan,
    metric_series,
    read_events,
    stop_after,
    tiny_model_dir,
    write_plan,
)

from srlm_engine import checkpoint
from srlm_engine.run import EXIT_OK, EXIT_STOPPED, run

KILLER = textwrap.dedent(
    """
    import os, signal, sys, torch
    from pathlib import Path
    from transformers import AutoConfig, AutoModelForCausalLM
    from srlm_engine import checkpoint
    model_dir, root = sys.argv[1], Path(sys.argv[2])
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(AutoConfig.from_pretrained(model_dir))
    checkpoint.save(root, "step-000001", model, None, {"step": 1}, training_state={"step": 1})
    checkpoint.save(root, "final", model, None, {"step": 1, "final": True})
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    def die(tmp):
        # Everything is written, nothing published yet: the worst moment to be killed.
        os.kill(os.getpid(), signal.SIGKILL)
    checkpoint.save(root, sys.argv[3], model, None, {"step": 2}, before_publish=die)
    """
)


@pytest.mark.parametrize("target", ["step-000002", "final"])
def test_a_kill_during_save_leaves_the_previous_checkpoint_intact(tmp_path, target):
    model_dir = tiny_model_dir(tmp_path)
    root = tmp_path / "ck"
    proc = subprocess.run(
        [sys.executable, "-c", KILLER, str(model_dir), str(root), target], capture_output=True, text=True
    )
    assert proc.returncode == -9, proc.stderr
    assert checkpoint.read_meta(root / "step-000001")["step"] == 1
    assert checkpoint.read_meta(root / "final")["step"] == 1  # an overwrite that died did not replace it
    assert not (root / "step-000002").exists()
    assert [p.name for p in root.iterdir() if p.name.startswith(".tmp-")], "the dead save left its temporary"
    assert checkpoint.latest_step(root).name == "step-000001"
    # The surviving weights load, and the next save sweeps the dead temporary away.
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(root / "final")
    checkpoint.load_weights_into(model, root / "step-000001")
    checkpoint.save(root, "step-000003", model, None, {"step": 3}, keep_last=1)
    assert sorted(p.name for p in root.iterdir()) == ["final", "step-000003"]


def _resume_plan(tmp_path, kind):
    model = tiny_model_dir(tmp_path, "m")
    if kind == "sft":
        stage = {
            "name": "s",
            "kind": "sft",
            "init": {"model": "m"},
            "config": {
                "data": "train",
                "steps": 6,
                "lr": 5e-3,
                "batch_size": 8,
                "grad_accum": 2,
                "max_len": 64,
                "lora": None,
                "save_every": 0,
            },
        }
    else:
        stage = {
            "name": "s",
            "kind": "rl",
            "init": {"model": "m"},
            "config": {
                "data": "train",
                "steps": 6,
                "lr": 5e-3,
                "prompts_per_step": 2,
                "group": 3,
                "batch_size": 3,
                "max_new_tokens": 6,
                "kl": 0.1,
                "updates_per_batch": 2,
                "reward": [{"fn": "format", "weight": 1.0}, {"fn": "length_penalty", "weight": 1.0}],
            },
        }
    return write_plan(tmp_path, base_plan({"m": model}, [stage]))


@pytest.mark.parametrize("kind", ["sft", "rl"])
def test_stop_then_resume_continues_the_same_loss_curve_bitwise(tmp_path, kind):
    plan = _resume_plan(tmp_path, kind)
    assert run(str(plan), str(tmp_path / "full")) == EXIT_OK
    full = read_events(tmp_path / "full")
    # Stop after step 3 (for rl, mid-way through a generation batch reused by updates_per_batch = 2).
    stop, echo = stop_after(3)
    assert run(str(plan), str(tmp_path / "split"), echo=echo, stop=stop) == EXIT_STOPPED
    first = read_events(tmp_path / "split")
    assert first[-1]["status"] == "stopped"
    assert [e["step"] for e in first if e["type"] == "checkpoint"] == [3]
    assert run(str(plan), str(tmp_path / "split"), resume=True) == EXIT_OK
    events = read_events(tmp_path / "split")
    assert_events_valid(events)
    started = [e for e in events if e["type"] == "stage_started"]
    assert started[-1]["resumed_from_step"] == 3
    for name in ("loss", "grad_norm", "lr"):
        assert metric_series(events, "s", name) == metric_series(full, "s", name), name
    final_a = json.loads((tmp_path / "full/checkpoints/s/final/meta.json").read_text())
    final_b = json.loads((tmp_path / "split/checkpoints/s/final/meta.json").read_text())
    assert final_a["metrics"]["loss"] == final_b["metrics"]["loss"]


def test_resume_skips_stages_already_finished(tmp_path):
    plan = _resume_plan(tmp_path, "sft")
    assert run(str(plan), str(tmp_path / "r")) == EXIT_OK
    assert run(str(plan), str(tmp_path / "r"), resume=True) == EXIT_OK
    last_run = read_events(tmp_path / "r")
    last_run = last_run[max(i for i, e in enumerate(last_run) if e["type"] == "run_started") :]
    assert not [e for e in last_run if e["type"] == "stage_started"]
    assert any(e["type"] == "log" and "already finished" in e["message"] for e in last_run)
