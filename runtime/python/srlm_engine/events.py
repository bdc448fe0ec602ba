"""The event stream: one JSON object per line of `events.jsonl`, the engine's record of a run.

The editor only tails this file, so each line is written whole and flushed before the call returns; a reader
never sees half an event. Only rank 0 writes (other ranks get a writer that drops events), so a torchrun job
produces one stream. Schema: `runtime/events.schema.json`, documented in `docs/events.md`.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from pathlib import Path
from typing import Any

EVENTS_VERSION = 1


def _clean(value: Any) -> Any:
    # JSON has no NaN/Infinity; a diverging loss must still produce a parseable line, so it becomes null.
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # torch / numpy scalars
        return _clean(value.item())
    return value


class EventWriter:
    def __init__(self, path: Path | None, run_id: str, enabled: bool = True, echo=None):
        self.path = path
        self.run_id = run_id
        self.enabled = enabled and path is not None
        self._lock = threading.Lock()
        self._echo = echo
        self._file: Any = None  # the open events file when enabled
        self._end = -1  # the file's size after our last write; another size means someone else wrote
        # Metric sinks (srlm_engine.sinks) get every event after it is in the file; rank 0 only, like the file.
        self.sinks: list = []
        if path is not None and self.enabled:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(path, "a", encoding="utf-8")

    def _line_start(self) -> str:
        """A newline when the file does not end in one: a line cut short by someone else (a killed writer, a
        copy, a hand edit) must not swallow our next event, so the event starts on a line of its own."""
        size = os.fstat(self._file.fileno()).st_size
        if size == self._end or size == 0:
            return ""
        fd = os.open(str(self.path), os.O_RDONLY)
        try:
            return "" if os.pread(fd, 1, size - 1) == b"\n" else "\n"
        finally:
            os.close(fd)

    def emit(self, type_: str, stage: str | None = None, step: int | None = None, **fields: Any) -> dict:
        event: dict[str, Any] = {
            "v": EVENTS_VERSION,
            "type": type_,
            "time": time.time(),
            "run_id": self.run_id,
        }
        if stage is not None:
            event["stage"] = stage
        if step is not None:
            event["step"] = int(step)
        event.update({k: v for k, v in fields.items() if v is not None or k in ("checkpoint", "stage")})
        event = _clean(event)
        if self.enabled:
            line = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
            with self._lock:
                self._file.write(self._line_start() + line + "\n")
                self._file.flush()
                self._end = os.fstat(self._file.fileno()).st_size
        for sink in self.sinks:
            sink.handle(event)
        if self._echo is not None:
            self._echo(event)
        return event

    def stage_finished(
        self,
        stage: str,
        step: int | None,
        status: str,
        *,
        checkpoint: str | None,
        started: float,
        metrics: dict,
        cached: bool = False,
    ) -> dict:
        """The end of a stage, trained, stopped or reused from the stage cache: one shape for all three."""
        return self.emit(
            "stage_finished",
            stage=stage,
            step=step,
            status=status,
            cached=cached,
            checkpoint=checkpoint,
            duration_s=time.time() - started,
            metrics=metrics,
        )

    def close(self) -> None:
        sinks, self.sinks = self.sinks, []
        for sink in sinks:
            sink.close()
        if self._file is not None:
            with self._lock:
                self._file.close()
                self._file = None
            self.enabled = False
