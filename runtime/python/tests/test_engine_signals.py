"""SIGTERM/SIGINT: the first signal checkpoints at the next step boundary and ends the run "stopped"; a second
signal ends the process at once."""

import json
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

from srlm_engine.run import EXIT_STOPPED
from srlm_engine.signals import EXIT_IMMEDIATE, STOP_REQUEST_FILE


def _start(tmp_path):
    model = tiny_model_dir(tmp_path, "m")
    sft = stage("sft", steps=100000, lr=1e-3, batch_size=4, max_len=48)
    plan = write_plan(tmp_path, base_plan({"m": model}, [sft]))
    run_dir = tmp_path / "run"
    proc = subprocess.Popen(
        engine_cmd(plan, run_dir),
        env=engine_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.time() + 120
    events = run_dir / "events.jsonl"
    while time.time() < deadline:
        if events.is_file() and '"type":"metrics"' in events.read_text():
            return proc, run_dir
        if proc.poll() is not None:
            raise AssertionError(f"engine exited early: {proc.stderr.read()}")
        time.sleep(0.2)
    proc.kill()
    raise AssertionError("no metrics event within 120 s")


def test_first_signal_checkpoints_and_stops(tmp_path):
    proc, run_dir = _start(tmp_path)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=120) == EXIT_STOPPED, proc.stderr.read()
    events = read_events(run_dir)
    assert_events_valid(events)
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "stopped"
    assert [e["status"] for e in events if e["type"] == "stage_finished"] == ["stopped"]
    ck = [e for e in events if e["type"] == "checkpoint"]
    assert (
        len(ck) == 1
        and json.loads(open(os.path.join(ck[0]["path"], "meta.json")).read())["step"] == ck[0]["step"]
    )


def test_stop_request_file_checkpoints_and_stops(tmp_path):
    # Windows has no SIGTERM between processes: the supervisor creates stop.request in the run folder instead.
    proc, run_dir = _start(tmp_path)
    (run_dir / STOP_REQUEST_FILE).write_text("now\n")
    assert proc.wait(timeout=120) == EXIT_STOPPED, proc.stderr.read()
    events = read_events(run_dir)
    assert_events_valid(events)
    assert events[-1]["type"] == "run_finished" and events[-1]["status"] == "stopped"
    assert [e["status"] for e in events if e["type"] == "stage_finished"] == ["stopped"]
    assert [e for e in events if e["type"] == "checkpoint"], "a checkpoint before stopping"


def test_stop_flag_reads_the_request_file_only_when_watching(tmp_path):
    from srlm_engine.signals import StopFlag

    flag = StopFlag()
    request = tmp_path / STOP_REQUEST_FILE
    request.write_text("")
    assert not flag.requested, "not watching yet"
    flag.watch_file(request)
    assert flag.requested and flag.signal_name == "stop request"


def test_second_signal_exits_at_once(monkeypatch):
    # In-process: two signals sent to a real process can coalesce before Python runs its handler once.
    from srlm_engine import signals

    exits = []
    monkeypatch.setattr(signals.os, "_exit", lambda code: exits.append(code))
    flag = signals.StopFlag()
    # A process started in the background by a non-interactive shell (as CI may be) inherits SIGINT ignored, so
    # the check is that uninstall restores whatever handler was there, not Python's default one.
    before = signal.getsignal(signal.SIGINT)
    flag.install()
    try:
        os.kill(os.getpid(), signal.SIGINT)
        time.sleep(0.05)
        assert flag.requested and flag.signal_name == "SIGINT" and exits == []
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(0.05)
        assert exits == [EXIT_IMMEDIATE]
    finally:
        flag.uninstall()
    assert signal.getsignal(signal.SIGINT) == before
