"""Several ranks on one machine: `settings.processes = N` makes `python -m srlm_engine run` start N copies of
itself, one per GPU, and wait for them.

The ranks get the environment `torchrun` would give them (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE,
MASTER_ADDR, MASTER_PORT), so the engine has one distributed code path and `torchrun` still works for
multi-node jobs. Why not torchrun here: its agent answers a SIGTERM or Ctrl-C by sending its own SIGTERM to
every worker, which is the second signal each rank sees (the engine's contract: exit at once, no checkpoint),
and kills the workers 30 s later, before an RL step may even end. The run supervisor stops a run by signalling
its process group, and a terminal's Ctrl-C reaches the whole foreground group, so every rank already gets each
signal exactly once; this launcher stays in the same group, ignores those signals itself, and only watches:
when one rank fails, the others cannot finish (they wait in collectives), so it ends them.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping

from .plan_types import Settings

# A failed rank's peers get this long to notice on their own before they are killed.
FAILURE_GRACE_S = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rank_env(base: Mapping[str, str], rank: int, world: int, port: int) -> dict:
    return {
        **base,
        "RANK": str(rank),
        "LOCAL_RANK": str(rank),
        "WORLD_SIZE": str(world),
        "LOCAL_WORLD_SIZE": str(world),
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(port),
    }


def combined_exit(codes: list[int]) -> int:
    """One exit status for the run: the first real failure, else 130 (a rank exited at once), else 3 (stopped
    with a checkpoint), else 0. A rank killed by a signal (negative code) counts as a failure."""
    from .run import EXIT_FAILED, EXIT_OK, EXIT_STOPPED
    from .signals import EXIT_IMMEDIATE

    ok = (EXIT_OK, EXIT_STOPPED, EXIT_IMMEDIATE)
    for c in codes:
        if c not in ok:
            return c if c > 0 else EXIT_FAILED
    if EXIT_IMMEDIATE in codes:
        return EXIT_IMMEDIATE
    return EXIT_STOPPED if EXIT_STOPPED in codes else EXIT_OK


def _default_signals() -> None:
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, signal.SIG_DFL)


def plan_settings(plan_path: str) -> Settings | None:
    """The plan's settings, or None when the plan is invalid: the run itself then reports it, with the file and
    the field, as one process."""
    from .plan import PlanError, load

    try:
        return load(plan_path).settings
    except (OSError, PlanError):
        return None


def processes(settings: Settings | None) -> int:
    return settings.processes if settings is not None else 1


def refusal(settings: Settings, world: int) -> str | None:
    """Why `world` ranks cannot run here, or None."""
    import torch

    device = settings.device
    if device == "cuda" or (device == "auto" and torch.cuda.is_available()):
        have = torch.cuda.device_count()
        if world > have:
            return (
                f"settings.processes = {world}, but PyTorch sees {have} CUDA device(s): one process per GPU"
            )
    elif device == "mps":
        return "settings.processes > 1 needs CUDA GPUs or the CPU; MPS has no multi-process backend"
    return None


def launch(engine_args: list[str], world: int) -> int:
    """Run `python -m srlm_engine <engine_args>` as `world` ranks; the combined exit status."""
    port = free_port()
    ignored = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    procs: list[subprocess.Popen] = []
    try:
        for rank in range(world):
            cmd = [sys.executable, "-m", "srlm_engine", *engine_args]
            env = rank_env(os.environ, rank, world, port)
            # An ignored signal stays ignored across exec: give each rank the default back before it starts.
            procs.append(subprocess.Popen(cmd, env=env, preexec_fn=_default_signals))
        failed_at = None
        while True:
            codes = [p.poll() for p in procs]
            if all(c is not None for c in codes):
                break
            bad = [c for c in codes if c is not None and c not in (0, 3, 130)]
            if bad and failed_at is None:
                failed_at = time.monotonic()
            if failed_at is not None and time.monotonic() - failed_at > FAILURE_GRACE_S:
                for p in procs:
                    if p.poll() is None:
                        p.kill()
            time.sleep(0.2)
        return combined_exit([p.returncode for p in procs])
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
        for sig, prev in ignored.items():
            signal.signal(sig, prev)
