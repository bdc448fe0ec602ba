"""A live run's sink runs on its own thread, so a slow or dead back-end never slows or stops training.

The event writer hands each event to `GuardedSink.handle`, which only queues it. A worker thread opens the
back-end and feeds it. The first failure (a closed port, an expired key, a full queue because the back-end
stalled) disables that sink and writes one `warning` event (`code: "sink_failed"`); every event is still in
`events.jsonl`, so `srlm export` can replay the run into the back-end later.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from collections.abc import Callable

from .base import Sink

_STOP = object()
QUEUE_LIMIT = 100_000


def close_timeout() -> float:
    # Short enough that a stopped run still ends within `srlm stop`'s 30 s (the checkpoint comes first).
    try:
        return float(os.environ.get("SRLM_SINK_CLOSE_TIMEOUT", "20"))
    except ValueError:
        return 20.0


class GuardedSink:
    def __init__(self, sink: Sink, warn: Callable[[str], None]):
        self.sink = sink
        self.name = sink.name
        self._warn = warn
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_LIMIT)
        self._failed = False
        self._closing = False
        self._status: str | None = None
        self._thread = threading.Thread(target=self._work, name=f"srlm-sink-{sink.name}", daemon=True)
        self._thread.start()

    @property
    def failed(self) -> bool:
        return self._failed

    def handle(self, event: dict) -> None:
        if self._failed:
            return
        if event.get("type") == "run_finished":
            self._status = event.get("status")
            self._closing = True  # it is in the file: a failure found from now on must not follow it there
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self._fail(f"it fell {QUEUE_LIMIT} events behind (is the server reachable?)")

    def close(self) -> None:
        """Lets the back-end finish what is queued, for at most SRLM_SINK_CLOSE_TIMEOUT seconds."""
        self._closing = True
        try:
            self._queue.put_nowait(_STOP)
        except queue.Full:
            self._fail("it was still behind when the run ended")
        timeout = close_timeout()
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._fail(f"it did not finish within {timeout:g} s of the run's end (SRLM_SINK_CLOSE_TIMEOUT)")

    def _work(self) -> None:
        try:
            self.sink.open()
        except BaseException as e:  # noqa: BLE001 — any back-end failure is a warning, never a crash
            self._fail(_describe(e))
            self._drain()
            return
        while True:
            event = self._queue.get()
            if event is _STOP:
                break
            if self._failed:
                continue
            try:
                self.sink.handle(event)
            except BaseException as e:  # noqa: BLE001
                self._fail(_describe(e))
        if self._failed:
            return
        try:
            self.sink.close(self._status)
        except BaseException as e:  # noqa: BLE001
            self._fail(_describe(e))

    def _drain(self) -> None:
        while self._queue.get() is not _STOP:
            pass

    def _fail(self, why: str) -> None:
        if self._failed:
            return
        self._failed = True
        message = (
            f"metrics to {self.name} stopped: {why.rstrip('.')}. Training goes on and events.jsonl has every event; "
            f"replay the run later with `srlm export RUN --to {self.name}`"
        )
        # After run_finished nothing more may enter events.jsonl (it is the invocation's last event).
        if self._closing:
            print(f"warning: {message}", file=sys.stderr, flush=True)
        else:
            self._warn(message)


def _describe(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(e).__name__}: {first[:300]}" if first else type(e).__name__
