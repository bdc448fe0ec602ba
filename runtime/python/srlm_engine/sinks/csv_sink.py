"""CSV: every metric as one row `stage,step,time,name,value` (long format: any tool can pivot it)."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any

from .base import Sink


class CsvSink(Sink):
    name = "csv"

    def __init__(self, info, path: Path | None = None):
        super().__init__(info)
        self.path = Path(path) if path else info.run_dir / "metrics.csv"
        self._file: Any = None
        self._csv: Any = None  # a csv writer once open
        self.rows = 0

    def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Written beside the target and renamed at close: an interrupted export leaves the old file whole.
        self._tmp = self.path.with_name(f".{self.path.name}.tmp")
        self._file = open(self._tmp, "w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file)
        self._csv.writerow(["stage", "step", "time", "name", "value"])

    def on_scalars(self, stage, step, values, wall_time) -> None:
        for name, v in values.items():
            self._csv.writerow([stage, step, f"{wall_time:.3f}", name[len(stage) + 1 :], repr(v)])
            self.rows += 1

    def close(self, status) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            os.replace(self._tmp, self.path)
