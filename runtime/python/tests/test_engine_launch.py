"""`settings.processes = N`: `python -m srlm_engine run` starts N ranks itself (no torchrun), a stop signal to the
run's process group checkpoints every rank once and ends the run "stopped", and the run resumes."""

import os
import signal
import subprocess
import time

from engine_helpers import (
    assert_events_valid,
    base_plan,
    engine_cmd,
    engine_env,
    read_events,
    stage,
    tiny_model_dir,
    write_plan,
)

from srlm_engine.launch import combined_exit
from srlm_engine.run import EXIT_FAILED, EXIT_INVALID, EXIT_OK, EXIT_STOPPED
from srlm_engine.signals import EXIT_IMMEDIATE


def _plan(tmp_path, steps, device="cpu"):
    model = tiny_model_dir(tmp_path, "m")
    plan = base_plan({"m": model}, [stage("sft", steps=steps, lr=1e-3, batch_size=4, max_len=48, warmup=0.0)])
    plan["settings"].update(processes=2, device=device)
    return write_plan(tmp_path, plan)


def _engine(plan, run_dir, *extra):
    # Its own process group, as the run supervisor launches it: stop signals go to the whole group.
    return subprocess.Popen(
        engine_cmd(plan, run_dir, *extra),
        env=engine_env(),
        start_new_session=True,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_processes_setting_runs_two_ranks_then_stops_and_resumes_through_a_group_signal(tmp_path):
    plan = _plan(tmp_path, steps=400)
    run_dir = tmp_path / "run"
    proc = _engine(plan, run_dir)
    events_file = run_dir / "events.jsonl"
    deadline = time.time() + 180
    while time.time() < deadline:
        if events_file.is_file() and events_file.read_text().count('"type":"metrics"') >= 2:
            break
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        time.sleep(0.2)
    else:
        proc.kill()
        raise AssertionError("no metrics within 180 s")
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=180) == EXIT_STOPPED, proc.stderr.read()[-3000:]
    events = read_events(run_dir)
    assert_events_valid(events)
    started = [e for e in events if e["type"] == "run_started"]
    assert len(started) == 1 and started[0]["world_size"] == 2
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "stopped"
    ck = [e for e in events if e["type"] == "checkpoint"]
    assert len(ck) == 1, "one stop decision for both ranks: one checkpoint"
    stopped_at = ck[0]["step"]
    assert stopped_at < 400

    # Resume, and stop again once the resumed ranks have taken a step.
    proc = _engine(plan, run_dir, "--resume")
    deadline = time.time() + 180
    while time.time() < deadline:
        now = read_events(run_dir)
        starts = [i for i, e in enumerate(now) if e["type"] == "run_started"]
        if len(starts) == 2 and any(e["type"] == "metrics" for e in now[starts[1] :]):
            break
        assert proc.poll() is None, proc.stderr.read()[-3000:]
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=180) == EXIT_STOPPED
    events = read_events(run_dir)
    assert [e for e in events if e["type"] == "stage_started"][-1]["resumed_from_step"] == stopped_at
    steps = [e["step"] for e in events if e["type"] == "metrics"]
    assert steps == list(range(1, len(steps) + 1)), "the resumed run continues at the next step"


def test_a_short_run_completes_with_replicas_in_sync(tmp_path):
    plan = _plan(tmp_path, steps=4)
    proc = _engine(plan, tmp_path / "run")
    assert proc.wait(timeout=240) == EXIT_OK, proc.stderr.read()[-3000:]
    events = read_events(tmp_path / "run")
    assert any("in sync across 2 ranks" in e.get("message", "") for e in events if e["type"] == "log")
    assert events[-1]["status"] == "completed"


def test_more_processes_than_gpus_is_refused_before_any_rank_starts(tmp_path):
    plan = _plan(tmp_path, steps=2, device="cuda")
    proc = _engine(plan, tmp_path / "run")
    assert proc.wait(timeout=60) == EXIT_INVALID
    events = read_events(tmp_path / "run")
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "failed"
    assert "settings.processes = 2" in events[-1]["message"] and "CUDA device" in events[-1]["message"]


def test_combined_exit_status():
    assert combined_exit([EXIT_OK, EXIT_OK]) == EXIT_OK
    assert combined_exit([EXIT_STOPPED, EXIT_STOPPED]) == EXIT_STOPPED
    assert combined_exit([EXIT_OK, EXIT_IMMEDIATE]) == EXIT_IMMEDIATE
    assert combined_exit([EXIT_STOPPED, EXIT_FAILED]) == EXIT_FAILED
    assert combined_exit([EXIT_OK, -9]) == EXIT_FAILED, "a rank killed by a signal is a failure"
    assert combined_exit([EXIT_INVALID, EXIT_OK]) == EXIT_INVALID
