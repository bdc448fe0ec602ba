"""Stop handling: the first SIGTERM/SIGINT asks for a clean stop, a second one exits at once.

Where one process cannot signal another (Windows), the supervisor asks for the same clean stop by creating
`stop.request` in the run folder; the flag notices it at the next step boundary.

A clean stop means: finish the current optimizer step, write a checkpoint, emit `stage_finished` and
`run_finished` with status "stopped". The handler only sets a flag; the training loop checks it at step
boundaries, so a signal never lands in the middle of an optimizer update or a checkpoint write.
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

EXIT_IMMEDIATE = 130
# The supervisor's name for it: RUN_FILES.stopRequest in runtime/src/store/runStore.ts.
STOP_REQUEST_FILE = "stop.request"


class StopFlag:
    def __init__(self) -> None:
        self._event = threading.Event()
        self.signal_name: str | None = None
        self._previous: dict = {}
        self._request_file: Path | None = None

    @property
    def requested(self) -> bool:
        if not self._event.is_set() and self._request_file is not None and self._request_file.exists():
            self.request("stop request")
        return self._event.is_set()

    def watch_file(self, path: Path) -> None:
        """Treat the appearance of `path` as a stop request (checked whenever `requested` is read)."""
        self._request_file = path

    def request(self, reason: str = "requested") -> None:
        self.signal_name = self.signal_name or reason
        self._event.set()

    def _handle(self, signum, frame) -> None:
        if self._event.is_set():
            # The user asked twice: they want the process gone now, checkpoint or not.
            os._exit(EXIT_IMMEDIATE)
        self.request(signal.Signals(signum).name)

    def install(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in (signal.SIGTERM, signal.SIGINT):
            self._previous[sig] = signal.signal(sig, self._handle)

    def uninstall(self) -> None:
        for sig, prev in self._previous.items():
            signal.signal(sig, prev)
        self._previous.clear()
