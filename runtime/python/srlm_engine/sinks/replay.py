"""`srlm export RUN --to tensorboard|wandb|mlflow|csv`: a finished run's events replayed into a back-end.

The same `Sink` classes as a live run, called in order on this thread: a failure is an error here, since the
user asked for this back-end and nothing else is at stake.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from ..runinfo import ResultsError, RunFolder
from . import BACKENDS, EXPORT_TARGETS, SinkUnavailable, create, iter_events, require
from .base import RunInfo


def export_run(run_dir: str | Path, to: str, out: str | Path | None = None) -> dict:
    if to not in EXPORT_TARGETS:
        raise ResultsError(f"--to must be one of {', '.join(EXPORT_TARGETS)}, got '{to}'")
    run = RunFolder.open(run_dir, events=False)
    if to in BACKENDS:
        try:
            require([to])
        except SinkUnavailable as e:
            raise ResultsError(str(e)) from e
    out_path = Path(out).resolve() if out else None
    if to == "tensorboard":
        target = out_path or run.path / "tensorboard"
        if target.is_dir() and any(target.glob("events.out.tfevents.*")):
            raise ResultsError(
                f"{target} already holds TensorBoard event files (the run reported to TensorBoard live?); "
                "pass --out DIR to write a second copy elsewhere"
            )
    info = RunInfo.from_plan(run.plan, run.path, run.run_id)
    sink: Any = create(to, info, out_path)  # the chosen back-end's class: each names its output its own way
    sink.open()
    status = None
    points = events = 0
    shown = time.monotonic()
    # Streamed, not loaded: a long run's file can be far larger than what a back-end call needs at a time.
    for event in iter_events(run.path / "events.jsonl"):
        events += 1
        if event.get("type") == "run_finished":
            status = event.get("status")
        if event.get("type") in ("metrics", "eval"):
            points += sum(1 for v in (event.get("metrics") or {}).values() if isinstance(v, (int, float)))
        sink.handle(event)
        if time.monotonic() - shown > 5:
            shown = time.monotonic()
            print(f"exported {events} events ({points} metric points) so far", file=sys.stderr, flush=True)
    sink.close(status)
    where = {
        "tensorboard": lambda: str(sink.logdir),
        "csv": lambda: str(sink.path),
        "mlflow": lambda: sink.tracking_uri,
        "wandb": lambda: info.project,
    }[to]()
    return {"to": to, "events": events, "points": points, "location": where, "run": run.run_id}
