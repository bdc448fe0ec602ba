"""Chaos suite, engine side (issue 13): SIGKILL at random moments of checkpoint saves, and faulty reward functions
stopped the way `srlm stop` stops a run. Bounded (about 20 s on two cores) so CI runs it on every push; prints one
summary line per category: tried / failed.

- kills during saves: a forked child saves `final/` and step checkpoints in a loop and says which it published;
  it is SIGKILLed after a random delay. Failed = after recovery, `final/` is missing or older than the last one
  published, or a published step checkpoint is gone or incomplete.
- faulty rewards: an engine process (own session, like the supervisor's launch) scores a batch with a faulty
  reward; then it is stopped (group SIGTERM, then group SIGKILL, as `srlm stop` does after its timeout) or
  SIGKILLed alone. Failed = any reward worker still alive 5 s later (an orphan).
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_helpers import gone_within

from srlm_engine import checkpoint

SAVE_TRIALS = 12
SEED = 13


class _Model:
    def __init__(self, step: int):
        self.step = step

    def save_pretrained(self, folder, safe_serialization=True, state_dict=None):
        # A few files of some size, so a kill can land inside a write as well as between renames.
        for i in range(3):
            (Path(folder) / f"model-{i}.safetensors").write_bytes(bytes([self.step % 256]) * 65536)


def _saver(root: Path, out_fd: int) -> None:
    # Like a resumed stage: continue after the newest step checkpoint a previous (killed) saver left.
    latest = checkpoint.latest_step(root)
    step = checkpoint.read_meta(latest)["step"] if latest else 0
    while True:
        step += 1
        checkpoint.save(root, f"step-{step:06d}", _Model(step), None, {"step": step}, keep_last=2)
        checkpoint.save(root, "final", _Model(step), None, {"step": step})
        os.write(out_fd, f"{step}\n".encode())


def _published(text: str) -> int:
    steps = [int(s) for s in text.split()]
    return steps[-1] if steps else 0


def _one_save_trial(root: Path, delay: float) -> str | None:
    """Returns what went wrong, or None."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        os.close(r)
        try:
            _saver(root, w)
        finally:
            os._exit(1)
    os.close(w)
    time.sleep(delay)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    data = b""
    while chunk := os.read(r, 65536):
        data += chunk
    os.close(r)
    last = _published(data.decode())
    checkpoint.recover(root)  # what the engine does when it opens a stage's folder
    if last == 0:
        return None
    final = root / "final"
    if not (final / "meta.json").is_file():
        return f"final/ lost after step {last} was published"
    got = checkpoint.read_meta(final)["step"]
    if got < last:
        return f"final/ holds step {got}, but step {last} was published"
    if len(list(final.glob("model-*.safetensors"))) != 3:
        return "final/ is incomplete"
    step_dir = root / f"step-{last:06d}"
    if not (step_dir / "meta.json").is_file():
        return f"step checkpoint {last} lost"
    return None


def _summary(capsys, line: str) -> None:
    with capsys.disabled():
        print(f"\n# chaos: {line}")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="forks the saving process")
def test_chaos_kills_during_saves_lose_no_checkpoint(tmp_path, capsys):
    rng = random.Random(SEED)
    failures = []
    for i in range(SAVE_TRIALS):
        root = tmp_path / f"t{i}" / "checkpoints" / "s"
        # Several kills into the same folder: each recovery must also survive the next save and kill.
        for round_ in range(2):
            why = _one_save_trial(root, rng.uniform(0.05, 0.4))
            if why:
                failures.append(f"trial {i}.{round_}: {why}")
    _summary(
        capsys, f"kills during saves: {2 * SAVE_TRIALS} tried / {len(failures)} failed (checkpoints lost)"
    )
    assert failures == []


# -- faulty rewards -----------------------------------------------------------------------------------------

FAULTY = {
    "regex": 'import re\n    re.match(r"(a+)+$", "a" * 64 + "b")',  # holds the GIL in C
    "busy": "while True:\n        pass",
    "sleep": "import time\n    time.sleep(3600)",
    "term_proof": (
        "import signal, time\n    signal.signal(signal.SIGTERM, signal.SIG_IGN)\n    time.sleep(3600)"
    ),
    "flood": 'import sys\n    while True:\n        sys.stdout.write("x" * 65536)',
    "native_hang": "import ctypes\n    ctypes.CDLL(None).sleep(3600)",  # blocked in C, no Python runs
}

_ENGINE = """\
import json, signal, sys, threading, time
from srlm_engine.rewards import RewardRunner
signal.signal(signal.SIGTERM, lambda *a: None)  # like the engine: a stop request, honoured between steps
r = RewardRunner([sys.argv[2]], reward_file=sys.argv[1], timeout=600, output_limit=10000)
r.start()
threading.Thread(target=r.score, args=(['c'], ['a'], ['p']), daemon=True).start()
print(r.worker_pid, flush=True)
time.sleep(600)
"""


def _stop_like_srlm(eng: subprocess.Popen) -> None:
    os.killpg(eng.pid, signal.SIGTERM)
    try:
        eng.wait(timeout=0.5)
    except subprocess.TimeoutExpired:
        os.killpg(eng.pid, signal.SIGKILL)
        eng.wait()
    try:  # what is left of the group (stopRun's killEngineLeftovers)
        os.killpg(eng.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL of the engine alone relies on Linux's PDEATHSIG")
def test_chaos_faulty_rewards_leave_no_orphans(tmp_path, capsys):
    rewards = tmp_path / "faulty.py"
    rewards.write_text(
        "".join(
            f"def {name}(completions, answers, prompts, **kw):\n    {body}\n\n\n"
            for name, body in FAULTY.items()
        )
    )
    failures = []
    tried = 0
    for name in FAULTY:
        for how in ("srlm stop", "SIGKILL engine"):
            tried += 1
            eng = subprocess.Popen(
                [sys.executable, "-c", _ENGINE, str(rewards), name],
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                start_new_session=True,
            )
            worker = int(eng.stdout.readline())
            time.sleep(0.4)  # inside the faulty function now
            if how == "srlm stop":
                _stop_like_srlm(eng)
            else:
                eng.kill()
                eng.wait()
            if not gone_within(worker, 5):
                failures.append(f"{name} / {how}: worker {worker} orphaned")
                os.kill(worker, signal.SIGKILL)
    _summary(capsys, f"faulty rewards: {tried} tried / {len(failures)} failed (orphans after stop)")
    assert failures == [], json.dumps(failures)
