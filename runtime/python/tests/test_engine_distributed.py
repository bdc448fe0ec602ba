"""Two CPU processes under torchrun (gloo): the same engine trains one data-parallel model (or one FSDP-sharded
model), not two replicas; RL shards its prompts by rank; checkpoints carry every rank's state for resume."""

import json
import shutil
import subprocess

import pytest
import torch
from engine_helpers import (
    assert_events_valid,
    base_plan,
    engine_cmd,
    engine_env,
    metric_series,
    read_events,
    tiny_model_dir,
    write_plan,
)
from safetensors.torch import load_file


def torchrun(plan_path, run_dir, *extra):
    # engine_cmd's `python -m srlm_engine ...` with torchrun's module in front.
    cmd = engine_cmd(plan_path, run_dir, *extra)
    cmd[1:2] = ["-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m"]
    r = subprocess.run(cmd, env=engine_env(), capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    events = read_events(run_dir)
    assert_events_valid(events)
    return events


def final_weights(run_dir, stage):
    return load_file(str(run_dir / "checkpoints" / stage / "final" / "model.safetensors"))


def _sft_plan(tmp_path, sharding):
    model = tiny_model_dir(tmp_path, "student", hidden=32)
    sft = {"data": "train", "steps": 6, "lr": 1e-2, "batch_size": 8, "max_len": 64, "warmup": 0.0}
    sft |= {"save_every": 3}
    plan = base_plan(
        {"student": model},
        [{"name": "sft", "kind": "sft", "hash": "h1", "init": {"model": "student"}, "config": sft}],
        evals={"acc": {"data": "test", "metrics": ["accuracy"], "max_new_tokens": 8, "before": False}},
        n_test=6,
    )
    plan["settings"]["sharding"] = sharding
    return write_plan(tmp_path / sharding, plan)


def test_torchrun_two_ranks_keep_replicas_in_sync(tmp_path):
    (tmp_path / "none").mkdir()
    run_dir = tmp_path / "run"
    events = torchrun(_sft_plan(tmp_path, "none"), run_dir)
    # Only rank 0 writes: one run_started, one stage_finished, one final checkpoint.
    assert [e["type"] for e in events].count("run_started") == 1
    finished = [e for e in events if e["type"] == "stage_finished"]
    assert len(finished) == 1 and finished[0]["status"] == "completed"
    assert [e for e in events if e["type"] == "checkpoint" and e.get("final")]
    assert not [e for e in events if e["type"] == "warning" and e.get("code") == "replicas_diverged"]
    assert any("in sync across 2 ranks" in e.get("message", "") for e in events if e["type"] == "log")
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "completed"
    # Each step checkpoint holds both ranks' random states, so a resumed rank continues its own stream.
    state = torch.load(run_dir / "checkpoints/sft/step-000003/training_state.pt", weights_only=False)
    assert len(state["ranks"]) == 2 and state["sharded"] is False

    # FSDP trains the same model: same data order, same mean gradients, only the reductions are grouped
    # differently, so the curves agree to float rounding.
    (tmp_path / "fsdp").mkdir()
    fsdp_plan = _sft_plan(tmp_path, "fsdp")
    fsdp_dir = tmp_path / "fsdp-run"
    sharded = torchrun(fsdp_plan, fsdp_dir)
    assert any("sharded across 2 ranks (FSDP)" in e.get("message", "") for e in sharded if e["type"] == "log")
    a, b = metric_series(events, "sft", "loss"), metric_series(sharded, "sft", "loss")
    assert len(a) == len(b) == 6
    assert all(abs(x - y) <= 1e-4 * max(1.0, abs(x)) for x, y in zip(a, b, strict=True)), (a, b)
    wa, wb = final_weights(run_dir, "sft"), final_weights(fsdp_dir, "sft")
    assert wa.keys() == wb.keys()
    assert all(torch.allclose(wa[k], wb[k], atol=1e-4) for k in wa)
    # The sharded model evaluated with every rank taking part, and its checkpoint loads as a plain HF model.
    assert [e["eval"] for e in sharded if e["type"] == "eval"] == ["acc"]
    cfg = json.loads((fsdp_dir / "checkpoints/sft/final/config.json").read_text())
    assert cfg["architectures"] == ["Qwen2ForCausalLM"]

    # Resume a sharded run from its step-3 checkpoint: weights and AdamW state come back into the shards.
    shutil.rmtree(fsdp_dir / "checkpoints/sft/final")
    resumed = torchrun(fsdp_plan, fsdp_dir, "--resume")
    started = [e for e in resumed if e["type"] == "stage_started"]
    assert started[-1]["resumed_from_step"] == 3
    wc = final_weights(fsdp_dir, "sft")
    assert all(torch.equal(wb[k], wc[k]) for k in wb)
    assert metric_series(resumed, "sft", "loss")[-3:] == b[-3:]


@pytest.mark.parametrize("sharding", ["none", "fsdp"])
def test_rl_shards_prompts_by_rank_and_resumes_each_ranks_batch(tmp_path, sharding):
    # Under FSDP the ranks generate different prompts with one sharded model: generation must keep every rank
    # stepping until all are done (synced_gpus), or the first rank to finish leaves the others hanging.
    model = tiny_model_dir(tmp_path, "m", hidden=32)
    rl = {
        "data": "train",
        "steps": 4,
        "lr": 5e-3,
        "prompts_per_step": 4,
        "group": 3,
        "batch_size": 3,
        "max_new_tokens": 6,
        "kl": 0.1,
        "updates_per_batch": 2,
        "save_every": 1,
        "keep_last": 10,
        "reward": [{"fn": "format", "weight": 1.0}, {"fn": "length_penalty", "weight": 1.0}],
    }
    plan = base_plan({"m": model}, [{"name": "rl", "kind": "rl", "init": {"model": "m"}, "config": rl}])
    plan["settings"]["sharding"] = sharding
    plan = write_plan(tmp_path, plan)
    run_dir = tmp_path / "run"
    events = torchrun(plan, run_dir)
    assert events[-1]["status"] == "completed"
    assert not [e for e in events if e["type"] == "warning" and e.get("code") == "replicas_diverged"]
    # Each rank generated 2 of the 4 prompts (x 3 samples); rank 0's checkpoint holds both ranks' batches.
    state = torch.load(run_dir / "checkpoints/rl/step-000001/training_state.pt", weights_only=False)
    gens = [r["extra"]["gen"] for r in state["ranks"]]
    assert [g["input_ids"].shape[0] for g in gens] == [6, 6]
    assert not torch.equal(gens[0]["input_ids"], gens[1]["input_ids"])
    logs = [e["message"] for e in events if e["type"] == "log"]
    assert any("2 prompts per rank on 2 ranks" in m for m in logs), logs

    # Resume from step 1, in the middle of a generation batch reused by updates_per_batch = 2: every rank
    # must pick up its own batch and random state for the curve to continue exactly.
    full = metric_series(events, "rl", "loss")
    for name in ("final", "step-000002", "step-000003"):
        shutil.rmtree(run_dir / "checkpoints/rl" / name, ignore_errors=True)
    resumed = torchrun(plan, run_dir, "--resume")
    assert [e for e in resumed if e["type"] == "stage_started"][-1]["resumed_from_step"] == 1
    assert metric_series(resumed, "rl", "loss")[-3:] == full[1:]
