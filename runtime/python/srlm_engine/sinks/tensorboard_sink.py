"""TensorBoard: event files under `<run folder>/tensorboard`, so `tensorboard --logdir .srlm/runs` lists every run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .base import Sink, markdown_table


class TensorBoardSink(Sink):
    name = "tensorboard"

    def __init__(self, info, logdir: Path | None = None):
        super().__init__(info)
        self.logdir = Path(logdir) if logdir else info.run_dir / "tensorboard"
        self._writer: Any = None  # a SummaryWriter once open

    def open(self) -> None:
        from torch.utils.tensorboard import SummaryWriter

        self.logdir.mkdir(parents=True, exist_ok=True)
        self._writer = SummaryWriter(log_dir=str(self.logdir))
        w = self._writer
        w.add_text(
            "run/config",
            markdown_table([{"key": k, "value": v} for k, v in self.info.config().items()], 10_000),
            0,
        )
        if self.info.tags:
            w.add_text("run/tags", ", ".join(self.info.tags), 0)
        if self.info.pipeline_text:
            w.add_text("run/pipeline", _code(self.info.pipeline_text), 0)
        w.add_text("run/plan", _code(json.dumps(self.info.plan, indent=2)), 0)

    def on_scalars(self, stage, step, values, wall_time) -> None:
        for tag, v in values.items():
            self._writer.add_scalar(tag, v, global_step=step, walltime=wall_time or None)
        self._writer.flush()

    def on_samples(self, stage, step, key, rows) -> None:
        self._writer.add_text(key, markdown_table(rows), global_step=step)

    def on_text(self, stage, step, key, text) -> None:
        self._writer.add_text(f"{stage or 'run'}/{key}", text, global_step=step)

    def close(self, status) -> None:
        if self._writer is not None:
            if status:
                self._writer.add_text("run/status", status, 0)
            self._writer.close()
            self._writer = None


def _code(text: str) -> str:
    # TensorBoard renders text as Markdown; indenting by four spaces keeps the pipeline verbatim.
    return "\n".join("    " + line for line in text.splitlines())
