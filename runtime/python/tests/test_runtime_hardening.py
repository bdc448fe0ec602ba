"""Issue 13, engine side: checkpoint replacement survives a kill between its renames, stage names never become
paths outside the run folder, the event writer starts on a fresh line after someone else's partial line, and
reward workers die with the engine and cannot flood engine.log."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from engine_helpers import gone_within, process_alive

from srlm_engine import checkpoint
from srlm_engine.events import EventWriter


class _Model:
    """Enough of a model for checkpoint.save: writes one weights file, slowly if asked."""

    def __init__(self, step: int):
        self.step = step

    def save_pretrained(self, folder, safe_serialization=True, state_dict=None):
        (Path(folder) / "model.safetensors").write_text(f"weights of step {self.step}")


class _Killed(BaseException):
    """Stands for SIGKILL: nothing after it runs, no cleanup (save has none to run)."""


def _save(root: Path, step: int, **kw) -> Path:
    return checkpoint.save(root, "final", _Model(step), None, {"step": step}, **kw)


def _die(*_a, **_k):
    raise _Killed


def test_a_kill_between_the_renames_of_a_replace_loses_no_checkpoint(tmp_path, monkeypatch):
    root = tmp_path / "checkpoints" / "sft"
    _save(root, 1)
    # Where no atomic exchange exists, a replace is two renames; die right after the first one.
    monkeypatch.setattr(checkpoint, "_exchange", lambda a, b: False)
    real_rename = os.rename
    calls = []

    def rename(a, b):
        calls.append(b)
        real_rename(a, b)
        if len(calls) == 1:
            raise _Killed

    monkeypatch.setattr(checkpoint.os, "rename", rename)
    with pytest.raises(_Killed):
        _save(root, 2)
    monkeypatch.setattr(checkpoint.os, "rename", real_rename)
    assert not (root / "final").exists(), "the kill left no live folder (the case to recover from)"
    # The next save is killed too, before it publishes: the step-2 checkpoint must still be there afterwards.
    with pytest.raises(_Killed):
        _save(root, 3, before_publish=_die)
    assert checkpoint.read_meta(root / "final")["step"] == 2
    assert (root / "final" / "model.safetensors").read_text() == "weights of step 2"


def test_recover_prefers_the_complete_new_copy_and_sweeps_the_rest(tmp_path):
    root = tmp_path / "c"
    for name, step in ((".old-final-7-100", 1), (".tmp-final-7-200", 2)):
        (root / name).mkdir(parents=True)
        (root / name / "meta.json").write_text(json.dumps({"step": step}))
    (root / ".tmp-step-000004-7-300").mkdir()  # cut off before its meta.json: incomplete
    assert checkpoint.recover(root) == ["final"]
    assert checkpoint.read_meta(root / "final")["step"] == 2
    assert sorted(p.name for p in root.iterdir()) == ["final"]


def test_replacing_a_checkpoint_keeps_one_live_folder(tmp_path):
    root = tmp_path / "c"
    for step in (1, 2, 3):
        _save(root, step)
        assert sorted(p.name for p in root.iterdir()) == ["final"]
    assert checkpoint.read_meta(root / "final")["step"] == 3


@pytest.mark.parametrize("name", ["../../x", "a/b", "..", ".", "", "x y", "/abs", "é"])
def test_stage_names_that_are_not_names_never_become_folders(tmp_path, name):
    with pytest.raises(ValueError, match="is not a name"):
        checkpoint.stage_dir(tmp_path, name)
    assert checkpoint.stage_dir(tmp_path, "warm_up2") == tmp_path / "checkpoints" / "warm_up2"


def test_a_linked_checkpoint_folder_is_refused(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    (tmp_path / "run" / "checkpoints" / "sft").symlink_to(outside)
    with pytest.raises(ValueError, match="is a symbolic link"):
        checkpoint.stage_dir(tmp_path / "run", "sft")
    (tmp_path / "run2").mkdir()
    (tmp_path / "run2" / "checkpoints").symlink_to(outside)
    with pytest.raises(ValueError, match="is a symbolic link"):
        checkpoint.stage_dir(tmp_path / "run2", "sft")


def test_the_engine_refuses_a_plan_whose_stage_name_is_a_path(tmp_path):
    from engine_helpers import base_plan, stage, tiny_model_dir

    from srlm_engine.run import run

    plan = base_plan({"m": tiny_model_dir(tmp_path)}, [stage("sft", "../../escaped", data="train", steps=1)])
    path = tmp_path / "run" / "plan.json"
    path.parent.mkdir()
    path.write_text(json.dumps(plan), encoding="utf-8")
    code = run(str(path), str(tmp_path / "run"))
    assert code != 0
    events = [json.loads(line) for line in (tmp_path / "run" / "events.jsonl").read_text().splitlines()]
    assert events[0]["type"] == "error" and "stages[0].name" in events[0]["message"], events[0]
    assert not (tmp_path / "escaped").exists() and not (tmp_path.parent / "escaped").exists()


def test_an_external_partial_line_does_not_swallow_the_next_event(tmp_path):
    path = tmp_path / "events.jsonl"
    w = EventWriter(path, "r")
    w.emit("log", message="one")
    with open(path, "a", encoding="utf-8") as f:
        f.write('{"v":1,"type":"metr')  # someone else's write, cut short
    w.emit("log", message="two")
    w.emit("log", message="three")
    w.close()
    lines = path.read_text(encoding="utf-8").split("\n")
    parsed = []
    for line in lines:
        try:
            parsed.append(json.loads(line)["message"])
        except ValueError:
            pass
    assert parsed == ["one", "two", "three"]
    assert lines[1] == '{"v":1,"type":"metr'


# -- reward workers ---------------------------------------------------------------------------------------

_CATASTROPHIC = """\
import re

def redos(completions, answers, prompts, **kw):
    # Exponential backtracking inside the C regex engine: the GIL is never released, no Python code runs.
    re.match(r"(a+)+$", "a" * 64 + "b")
    return [0.0] * len(completions)
"""

_ENGINE = """\
import os, signal, sys, threading, time
from srlm_engine.rewards import RewardRunner
signal.signal(signal.SIGTERM, lambda *a: None)  # the engine turns SIGTERM into a stop at the next step
r = RewardRunner(['redos'], reward_file=sys.argv[1], timeout=600)
r.start()
threading.Thread(target=r.score, args=(['c'], ['a'], ['p']), daemon=True).start()
print(r.worker_pid, flush=True)
time.sleep(600)
"""


def _start_engine(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    (tmp_path / "redos.py").write_text(_CATASTROPHIC)
    # Like the supervisor: the engine leads its own session and process group.
    eng = subprocess.Popen(
        [sys.executable, "-c", _ENGINE, str(tmp_path / "redos.py")],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    worker = int(eng.stdout.readline())
    time.sleep(0.5)  # the batch is in the regex now
    return eng, worker


@pytest.mark.skipif(sys.platform != "linux", reason="the kernel's parent-death signal is Linux's")
def test_a_worker_stuck_in_a_catastrophic_regex_dies_when_the_engine_is_killed(tmp_path):
    eng, worker = _start_engine(tmp_path)
    try:
        assert process_alive(worker)
        eng.kill()  # SIGKILL of the engine alone, not its group
        eng.wait()
        assert gone_within(worker, 5), "the reward worker outlived a SIGKILLed engine"
    finally:
        if process_alive(worker):
            os.kill(worker, signal.SIGKILL)


def test_a_worker_is_in_the_engine_group_so_a_stop_reaches_it(tmp_path):
    eng, worker = _start_engine(tmp_path)
    try:
        assert os.getpgid(worker) == eng.pid, "the worker must be in the engine's process group"
        os.killpg(eng.pid, signal.SIGTERM)  # what `srlm stop` sends first: the worker ignores it, mid-batch
        time.sleep(0.3)
        assert process_alive(worker)
        os.killpg(eng.pid, signal.SIGKILL)  # and what it sends when the engine does not stop in time
        eng.wait()
        assert gone_within(worker, 5)
    finally:
        if process_alive(worker):
            os.kill(worker, signal.SIGKILL)
        if eng.poll() is None:
            eng.kill()


def test_reward_output_is_capped_in_engine_log(tmp_path):
    (tmp_path / "chatty.py").write_text(
        textwrap.dedent(
            """\
            def chatty(completions, answers, prompts, **kw):
                print("x" * 99_999)
                return [1.0] * len(completions)
            """
        )
    )
    code = textwrap.dedent(
        f"""\
        from srlm_engine.rewards import RewardRunner
        with RewardRunner(['chatty'], reward_file={str(tmp_path / "chatty.py")!r}, output_limit=5000) as r:
            for _ in range(5):
                assert r.score(['c'], ['a'], ['p']).total == [1.0]
        """
    )
    log = tmp_path / "engine.log"
    with open(log, "wb") as f:
        subprocess.run([sys.executable, "-c", code], stdout=f, stderr=f, check=True, timeout=120)
    text = log.read_text()
    assert text.count("x") <= 5000
    assert "reward functions printed more than 5000 bytes; further output is dropped" in text
    assert len(text) < 6000, len(text)


class _Evil:
    """A pickle that runs code when loaded: what a forged training_state.pt in a carried run folder could be."""

    def __init__(self, marker: Path):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def test_a_forged_training_state_is_not_unpickled(tmp_path):
    import torch

    marker = tmp_path / "code-ran"
    torch.save({"step": 3, "rng": _Evil(marker)}, tmp_path / "training_state.pt")
    with pytest.raises(Exception, match="Weights only load failed"):
        checkpoint.load_training_state(tmp_path)
    assert not marker.exists(), "loading a training state ran code from the file"
    # A real one (RNG states with numpy arrays, optimizer state) still loads.
    real = {"step": 1, "rng": checkpoint.rng_state(), "optimizer": {"state": {0: {"exp_avg": torch.ones(2)}}}}
    torch.save(real, tmp_path / "training_state.pt")
    assert checkpoint.load_training_state(tmp_path)["step"] == 1
